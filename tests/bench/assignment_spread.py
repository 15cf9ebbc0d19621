"""`assignment_spread` of `make bench`: 1,000 new tickets through the assignment worker's own decision
(helpdesk.assignment.handle, as a ticket-created event from the stream runs it) in an account of five
online agents with capacities, one of whom comes online only after the first 400 tickets. The figure is
max − min open load over the agents still below their capacity at the end (goal ≤ 1: the rotation is
fair by load, and the late agent catches up without being handed everything at once); an agent over
their capacity would show in `assignment_over_capacity` (goal 0). `assignment_ms` is the mean decision
time in-process against the bench's moto server (information: the worker is asynchronous).

Call `measure()` with the bench's moto server up; `python -m tests.bench.assignment_spread` runs it alone.
"""
from __future__ import annotations

import sys
import time
from typing import Any

ACCOUNT = "bench-routing"
TICKETS = 1_000
LATE_AFTER = 400
CAPACITIES = {"bench-r-agent-1": None, "bench-r-agent-2": 400, "bench-r-agent-3": 250, "bench-r-agent-4": 150,
              "bench-r-late": None}


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def measure() -> dict[str, float]:
    from helpdesk import assignment
    from helpdesk.agents import fresh_since
    from helpdesk.clock import now_iso
    from helpdesk.store import accounts
    from helpdesk.store import agents as agent_store
    from helpdesk.store.keys import index_keys, ticket_pk
    from helpdesk.store.models import Agent, Ticket
    from helpdesk.ticket_events import CREATED, TicketEvent

    accounts.put_account(ACCOUNT, "Bench Routing")
    for agent_id, capacity in CAPACITIES.items():
        agent_store.put_agent(ACCOUNT, agent_id, name=agent_id, role="support", online=agent_id != "bench-r-late")
        if capacity is not None:
            agent_store.change_agent(ACCOUNT, agent_id, [Agent.capacity.set(capacity)], by=agent_id,
                                     by_roles=("support",), target_roles=("support",))
    spent = 0.0
    for n in range(TICKETS):
        if n % 50 == 0:  # heartbeats, as the agents' open consoles send them
            for agent_id in CAPACITIES:
                if agent_id != "bench-r-late" or n >= LATE_AFTER:
                    agent_store.heartbeat(ACCOUNT, agent_id, fresh_since())
        ticket_id = f"tbench{n:06d}"
        now = now_iso()
        Ticket(ticket_pk(ACCOUNT, ticket_id), "TICKET", account_id=ACCOUNT, ticket_id=ticket_id, channel="email",
               contact=f"customer{n}@example.com", status="open", created_at=now, updated_at=now, version=1,
               **index_keys(ACCOUNT, ticket_id, "open", None, False, now)).save()
        started = time.perf_counter()
        assignment.handle(TicketEvent(CREATED, ACCOUNT, ticket_id, 1, "email"))
        spent += time.perf_counter() - started
    loads = {a: agent_store.open_load(ACCOUNT, a) for a in CAPACITIES}
    with_room = [load for a, load in loads.items() if CAPACITIES[a] is None or load < int(CAPACITIES[a] or 0)]
    over = sum(1 for a, load in loads.items() if CAPACITIES[a] is not None and load > int(CAPACITIES[a] or 0))
    log(f"assignment loads {loads} (capacities {CAPACITIES})")
    return {"assignment_spread": max(with_room) - min(with_room), "assignment_over_capacity": over,
            "assignment_unassigned": TICKETS - sum(loads.values()), "assignment_ms": spent / TICKETS * 1000}


def main() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    sys.path[:0] = [p for p in (str(root), str(root / "layers")) if p not in sys.path]
    import os

    from tests.bench.bench import REGION, TABLE, _environment, emit

    _environment()
    from infra.local.moto_server import MotoServer

    server = MotoServer(lean=True).start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = server.url
        import boto3

        from helpdesk.store.schema import create_table

        create_table(boto3.client("dynamodb", endpoint_url=server.url, region_name=REGION), TABLE)
        for name, value in measure().items():
            emit(name, value)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
