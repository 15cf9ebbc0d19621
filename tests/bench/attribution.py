"""`attribution_queries_per_inbound_sms` of `make bench`: DynamoDB Queries the attribution worker
makes per customer SMS it decides. 200 customers, each sent a campaign and then a flow message;
half of them reply twice (the second reply: nothing), a quarter once, a quarter after the window.
Goal: at most 1 (the customer's latest outbound message, newest first, limit 1).

The worker's own code (`helpdesk.attribution.on_change`) runs on each stored message's INSERT image,
as the stream hands it over; requests are counted on the clients pynamodb sends with (botocore
event hooks), by operation. `attribution_aws_calls_per_inbound_sms` is every request, for the
record (the account read is cached; the decision is one TransactWriteItems).
"""
from __future__ import annotations

import datetime as dt
import sys
from collections import Counter
from typing import Any

from tests.bench.sweep import _iso, _pynamodb_clients

ACCOUNT = "bench-attribution"
NUMBER = "+14155550999"
CUSTOMERS = 200


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


class Calls:
    def __init__(self) -> None:
        self.active = False
        self.by_operation: Counter[str] = Counter()

    def install(self, clients: list[Any]) -> Calls:
        for client in clients:
            client.meta.events.register("after-call.dynamodb", self._count)
        return self

    def _count(self, model: Any, **_: Any) -> None:
        if self.active:
            self.by_operation[model.name] += 1


def measure() -> dict[str, float]:
    from helpdesk import attribution, intake
    from helpdesk.auth import AgentIdentity
    from helpdesk.conversation import Channel, InboundMessage
    from helpdesk.store import accounts
    from helpdesk.store.models import Message
    from helpdesk.store.stream import Change

    accounts.put_account(ACCOUNT, "Bench Attribution")
    accounts.add_channel_address(ACCOUNT, Channel.SMS, NUMBER)
    owner = AgentIdentity("bench-owner", ACCOUNT, ("owner",))
    now = dt.datetime.now(dt.UTC)
    customers = [f"+1650555{i:04d}" for i in range(CUSTOMERS)]
    records = []
    for i, to in enumerate(customers):
        late = i % 4 == 3
        base = now - dt.timedelta(hours=30 if late else 2)
        records += [{"channel": "sms", "to": to, "kind": "campaign", "source_id": "cmp-bench",
                     "message_id": f"om-c-{i}", "received_at": _iso(base)},
                    {"channel": "sms", "to": to, "kind": "flow", "source_id": "flow-bench",
                     "message_id": f"om-f-{i}", "received_at": _iso(base + dt.timedelta(minutes=30))}]
    for start in range(0, len(records), 500):
        attribution.ingest(owner, {"messages": records[start:start + 500]})
    stored: list[Message] = []
    for i, customer in enumerate(customers):
        for n in range(2 if i % 2 == 0 else 1):
            outcome = intake.receive(InboundMessage(Channel.SMS, NUMBER, customer, f"SMbench{i}x{n}",
                                                    "is the discount still on?", _iso(dt.datetime.now(dt.UTC))))
            ticket_id = outcome.ticket_id
        stored += [m for m in Message.query(f"A#{ACCOUNT}#T#{ticket_id}") if m.direction == "inbound"]
    calls = Calls().install(_pynamodb_clients())
    attributed = 0
    calls.active = True
    try:
        for message in stored:
            message.attribution = None  # the INSERT image, before the decision
            attribution.on_change(Change(message.message_id, "INSERT", message, None))
    finally:
        calls.active = False
    for message in stored:
        message.refresh(consistent_read=True)
        attributed += attribution.attribution_json(message.attribution) is not None
    expected = sum(1 for i in range(CUSTOMERS) if i % 4 != 3)
    if attributed != expected:
        raise RuntimeError(f"attribution: {attributed} replies attributed, expected {expected}")
    log(f"attribution: {len(stored)} inbound SMS decided, {attributed} attributed; calls {dict(calls.by_operation)}")
    return {"attribution_queries_per_inbound_sms": calls.by_operation["Query"] / len(stored),
            "attribution_aws_calls_per_inbound_sms": sum(calls.by_operation.values()) / len(stored)}


def main() -> None:
    from tests.bench.bench import run_alone

    run_alone(measure)


if __name__ == "__main__":
    main()
