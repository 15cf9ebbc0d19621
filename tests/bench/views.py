"""`view_items_read_ratio` of `make bench`: in one account of 10,000 tickets (five channels, three
statuses, a few tags, five agents and the unassigned), the items read for the first page of My
inbox, of Unassigned and of a custom view (channel + status + tag), over the items each page
returns. The figure is the worst of the three. Goal: at most 1.2.

Items are counted as tests/bench/sweep.py counts them (a Query's ScannedCount, the items a read
returned), for the bench account only. The view is built first by the worker's own build steps
(helpdesk/views.py), exactly as the stream would drive them.

Call `measure()` with the bench's moto server up; `python -m tests.bench.views` runs it alone.
"""
from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from typing import Any

from tests.bench.sweep import ItemsRead, _iso, _load, _pynamodb_clients

ACCOUNT = "bench-views"
TICKETS = 10_000
CHANNELS = ("sms", "email", "webchat", "whatsapp", "instagram")
STATUSES = ("open", "open", "closed", "snoozed")
TAGS = ((), ("shipping",), ("returns",), ("shipping", "vip"), ("payment",))
AGENTS = tuple(f"bench-agent-{i}" for i in range(5))


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _tickets(now: dt.datetime) -> list[dict[str, Any]]:
    """The account's tickets as the product writes them (the model's own serialisation, filed by
    the product's key helpers), updated over the last ten days."""
    from helpdesk.store.keys import index_keys, ticket_pk
    from helpdesk.store.models import Ticket

    items = []
    for i in range(TICKETS):
        ticket_id = f"t{i:06d}"
        status, channel = STATUSES[i % len(STATUSES)], CHANNELS[(i // 4) % len(CHANNELS)]
        assignee = None if i % 6 == 0 else AGENTS[i % len(AGENTS)]
        at = _iso(now - dt.timedelta(seconds=(TICKETS - i) * 86))
        ticket = Ticket(ticket_pk(ACCOUNT, ticket_id), "TICKET", account_id=ACCOUNT, ticket_id=ticket_id,
                        channel=channel, contact=f"+1650{i:07d}", status=status, assignee_id=assignee,
                        tags=list(TAGS[(i // 20) % len(TAGS)]), spam=False, created_at=at, updated_at=at,
                        last_inbound_at=at, message_count=1, version=1,
                        **{k: v for k, v in index_keys(ACCOUNT, ticket_id, status, assignee, False, at).items()
                           if v is not None})
        items.append(ticket.serialize())
    return items


def _build(view_id: str) -> int:
    from helpdesk import views
    from helpdesk.store import views as store

    steps = 0
    while not (view := store.get_view(ACCOUNT, view_id)).built:  # type: ignore[union-attr]
        views.build_step(view)  # type: ignore[arg-type]
        steps += 1
    return steps


def measure() -> dict[str, float]:
    from helpdesk import views
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import accounts
    from helpdesk.workspace import list_tickets

    started = time.perf_counter()
    accounts.put_account(ACCOUNT, "Bench Views")
    gc.disable()
    try:
        _load(_tickets(dt.datetime.now(dt.UTC)))
    finally:
        gc.enable()
    who = AgentIdentity(AGENTS[1], ACCOUNT, ("support",))
    view = views.create(who, {"name": "SMS shipping", "filters": {"channel": "sms", "status": "open",
                                                                  "tag": "shipping"}})
    steps = _build(view["id"])
    log(f"views: {TICKETS} tickets written and the view built ({steps} steps) in "
        f"{time.perf_counter() - started:.1f} s")
    reads = ItemsRead(ACCOUNT).install(_pynamodb_clients())
    ratios = {}
    for name, params in (("mine", {"view": "mine"}), ("unassigned", {"view": "unassigned"}),
                         ("custom", {"view": view["id"]})):
        before = reads.mine
        reads.active = True
        try:
            page = list_tickets(who, params)
        finally:
            reads.active = False
        returned = len(page["items"])
        if returned < 20:
            raise RuntimeError(f"view {name}: a first page of {returned} tickets (the bench wants full pages)")
        ratios[name] = (reads.mine - before) / returned
        log(f"views: {name}: {returned} returned, {reads.mine - before} items read {reads.by_operation}")
    return {"view_items_read_ratio": max(ratios.values()),
            **{f"view_items_read_ratio_{name}": ratio for name, ratio in ratios.items()}}


def main() -> None:
    from tests.bench.bench import run_alone

    run_alone(measure)


if __name__ == "__main__":
    main()
