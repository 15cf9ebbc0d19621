"""`sweep_items_read_per_due_ticket` of `make bench`: in one account of 100,000 tickets, 100 of them
due (50 idle past the auto-close period, 50 snoozed whose snooze is over), the items one sweep
reads for that account, per due ticket. Goal: at most 1.1 (the due tickets themselves, found on
the sparse indexes, and nothing else: no Query over the open tickets, no read before each write).

Items read are counted on the DynamoDB client pynamodb sends with, by botocore event hooks: a
Query's `ScannedCount` (what it read, filtered or not), the items a GetItem, BatchGetItem or
TransactGetItems returned. A request is the account's when the partition keys it names (a Query's
key condition, a read's keys) are the account's; what the sweep reads for the deployment (the list
of accounts) and for the bench's other accounts is logged beside, not counted.

Call `measure()` with the bench's moto server up (`AWS_ENDPOINT_URL`, `TABLE_NAME` set, the table
made); `python -m tests.bench.sweep` runs it alone on a server of its own. It adds 100,000 items
to the table: run it after the figures that read the whole table or its stream.
"""
from __future__ import annotations

import datetime as dt
import gc
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

ACCOUNT = "bench-sweep"
TICKETS = 100_000
IDLE, SNOOZED = 50, 50  # the due ones
AFTER = "P3D"


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ItemsRead:
    """Items read through the given botocore clients while `active`: the account's, and all."""

    def __init__(self, account_id: str):
        self.account_pk = f"A#{account_id}"
        self.active = False
        self.mine = self.total = 0
        self.by_operation: dict[str, int] = {}

    def install(self, clients: list[Any]) -> ItemsRead:
        for client in clients:
            client.meta.events.register("provide-client-params.dynamodb", self._remember)
            client.meta.events.register("after-call.dynamodb", self._count)
        return self

    def _ours(self, value: Any) -> bool:
        text = value.get("S") if isinstance(value, dict) else None
        return isinstance(text, str) and (text == self.account_pk or text.startswith(self.account_pk + "#"))

    @staticmethod
    def _remember(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["bench_params"] = params

    def _count(self, parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        if not self.active or parsed.get("Error"):
            return
        params = context.get("bench_params") or {}
        found: list[tuple[int, bool]] = []  # (items read, the account's)
        if model.name in ("Query", "Scan"):
            ours = any(self._ours(v) for v in (params.get("ExpressionAttributeValues") or {}).values())
            found.append((int(parsed.get("ScannedCount", parsed.get("Count", 0))), ours))
        elif model.name == "GetItem":
            found.append((1 if parsed.get("Item") else 0, self._ours((params.get("Key") or {}).get("pk"))))
        elif model.name == "BatchGetItem":
            found += [(1, self._ours(i.get("pk"))) for items in (parsed.get("Responses") or {}).values()
                      for i in items]
        elif model.name == "TransactGetItems":
            found += [(1, self._ours(r["Item"].get("pk"))) for r in parsed.get("Responses") or [] if r.get("Item")]
        for n, ours in found:
            self.total += n
            self.mine += n if ours else 0
            self.by_operation[model.name] = self.by_operation.get(model.name, 0) + (n if ours else 0)


def _pynamodb_clients() -> list[Any]:
    """The botocore clients the product's models send with (a model class that opened its own
    connection has its own client)."""
    from helpdesk.store import models

    classes: list[type[models.Item]] = [models.Item, *models.Item.__subclasses__()]
    clients = {id(c): c for c in (cls._get_connection().connection.client for cls in classes)}
    return list(clients.values())


def _ticket(ticket_id: str, contact: str, status: str, since: str, snooze_until: str | None = None) -> dict[str, Any]:
    """A Ticket item as the product writes it (DynamoDB JSON), filed by the product's own key
    helpers. Built by hand for speed; `_same_as_the_model` checks it against pynamodb's."""
    from helpdesk.store.keys import idle_keys, index_keys, ticket_pk

    keys = {**index_keys(ACCOUNT, ticket_id, status, None, False, since),
            **idle_keys(ACCOUNT, ticket_id, status, False, since)}
    if snooze_until:
        keys.update(gsi4pk=f"A#{ACCOUNT}#DUE", gsi4sk=f"{snooze_until}#{ticket_id}", snooze_until=snooze_until)
    item: dict[str, Any] = {
        "pk": {"S": ticket_pk(ACCOUNT, ticket_id)}, "sk": {"S": "TICKET"}, "type": {"S": "ticket"},
        "account_id": {"S": ACCOUNT}, "ticket_id": {"S": ticket_id}, "channel": {"S": "sms"},
        "contact": {"S": contact}, "status": {"S": status}, "tags": {"L": []}, "spam": {"BOOL": False},
        "created_at": {"S": since}, "updated_at": {"S": since}, "last_inbound_at": {"S": since},
        "message_count": {"N": "1"}, "reopen_count": {"N": "0"}, "version": {"N": "1"}}
    item.update({name: {"S": value} for name, value in keys.items() if value is not None})
    return item


def _same_as_the_model(item: dict[str, Any]) -> None:
    from helpdesk.store.models import Ticket

    model = Ticket.from_raw_data(item)
    if model.serialize() != item:
        raise RuntimeError(f"the bench's ticket is not what the model writes: {item} vs {model.serialize()}")


@contextmanager
def _size_checked_once() -> Iterator[None]:
    """moto checks an item's size (DynamoDB's 400 KB) each time it sets one of the item's
    attributes, summing all of them again: quadratic in the attributes, a millisecond a ticket.
    While the bench's own tickets are loaded (each under 1 KB, checked in `_write_tickets`), the
    attributes are set without it; nothing else changes, and it is back after."""
    from moto.dynamodb.models.dynamo_type import LimitedSizeDict

    checked = LimitedSizeDict.__setitem__
    LimitedSizeDict.__setitem__ = dict.__setitem__  # type: ignore[assignment]
    try:
        yield
    finally:
        LimitedSizeDict.__setitem__ = checked  # type: ignore[method-assign]


def _in_process_backend(table: str) -> Any:
    """moto's DynamoDB backend, when the bench's moto server runs in this process (as `make bench`
    runs it) and holds the table; else None."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID][os.environ.get("AWS_REGION", "us-east-1")]
    return backend if table in backend.tables else None


def _load(items: list[dict[str, Any]]) -> None:
    """Put the items. With the server in this process, through moto's backend: the `put_item` its
    BatchWriteItem handler makes for each item (validation, stream record and all), without the
    HTTP request and its parsing, which cost three times as much (100,000 tickets in some 25 s
    instead of 100). Otherwise BatchWriteItem over HTTP. (Nothing else uses the table meanwhile:
    the bench is sequential, so the server's turn-taking is not needed.)"""
    table = os.environ["TABLE_NAME"]
    backend = _in_process_backend(table)
    if backend is not None:
        with _size_checked_once():
            for item in items:
                backend.put_item(table, item)
        return
    import boto3
    from botocore.config import Config

    ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
                       config=Config(parameter_validation=False))
    for start in range(0, len(items), 25):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": i}} for i in items[start:start + 25]]}
        while request:
            request = ddb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}


def _write_tickets(now: dt.datetime) -> tuple[list[str], list[str]]:
    """100,000 tickets: all open and recently active (the last two days) but the due ones, spread
    among them. Returns (idle ids, snoozed ids).

    Written in key order, the recently active ones silent since times in that order too: moto sorts
    the whole table for every Query (and a GSI partition's items by their index keys), and input in
    order makes its sort linear. A sorted table is what DynamoDB holds anyway; the figure is unchanged."""
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.store.keys import ticket_pk

    customers = sorted(((customer_ticket_id(ACCOUNT, Channel.SMS, c), c) for c in
                        (f"+1650{i:07d}" for i in range(TICKETS))), key=lambda t: ticket_pk(ACCOUNT, t[0]))
    idle_since = _iso(now - dt.timedelta(days=4))
    snoozed_since, snooze_over = _iso(now - dt.timedelta(days=5)), _iso(now - dt.timedelta(minutes=1))
    active_from = now - dt.timedelta(days=2)
    idle: list[str] = []
    snoozed: list[str] = []
    items: list[dict[str, Any]] = []
    step = TICKETS // IDLE
    for i, (ticket_id, contact) in enumerate(customers):
        if i % step == 0:
            idle.append(ticket_id)
            item = _ticket(ticket_id, contact, "open", idle_since)
        elif i % step == step // 2:
            snoozed.append(ticket_id)  # silent for five days, snoozed for most of them
            item = _ticket(ticket_id, contact, "snoozed", snoozed_since, snooze_over)
        else:
            item = _ticket(ticket_id, contact, "open", _iso(active_from + dt.timedelta(seconds=i * 1.7)))
        if i < 2 * step:
            _same_as_the_model(item)
            if len(json.dumps(item)) > 1024:
                raise RuntimeError("a bench ticket over 1 KB")
        items.append(item)
    _load(items)
    return idle, snoozed


def _check(idle: list[str], snoozed: list[str]) -> None:
    """Every due ticket handled: the idle ones closed by the sweep, the snoozed ones open again."""
    from helpdesk.store.keys import ticket_pk
    from helpdesk.store.models import Ticket

    keys = [(ticket_pk(ACCOUNT, t), "TICKET") for t in idle + snoozed]
    found = {t.ticket_id: t for t in Ticket.batch_get(keys, consistent_read=True)}
    wrong = [t for t in idle if (found[t].status, found[t].auto_closed) != ("closed", True)]
    wrong += [t for t in snoozed
              if (found[t].status, found[t].snooze_until, found[t].auto_closed) != ("open", None, None)]
    if wrong:
        raise RuntimeError(f"the sweep left {len(wrong)} due tickets unhandled, e.g. {wrong[:3]}")


def measure() -> dict[str, float]:
    from helpdesk import account_settings, sweep
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import accounts

    started = time.perf_counter()
    accounts.put_account(ACCOUNT, "Bench Sweep")
    account_settings.change(AgentIdentity("bench-owner", ACCOUNT, ("owner",)),
                            {"auto_close": {"enabled": True, "after": AFTER}})
    # Millions of objects come into being at once (moto's items): the collector, run now and then
    # over all of them, would add a third to the load; none of them is garbage.
    gc.disable()
    try:
        idle, snoozed = _write_tickets(dt.datetime.now(dt.UTC))
    finally:
        gc.enable()
    log(f"sweep: {TICKETS} tickets written in {time.perf_counter() - started:.1f} s")

    reads = ItemsRead(ACCOUNT).install(_pynamodb_clients())
    swept_at = time.perf_counter()
    reads.active = True
    try:
        done = sweep.run()
    finally:
        reads.active = False
    log(f"sweep: run in {time.perf_counter() - swept_at:.1f} s: {done}; items read for the account "
        f"{reads.mine} {reads.by_operation}, for the whole deployment {reads.total}")
    if (done["woken"], done["auto_closed"]) != (SNOOZED, IDLE):
        raise RuntimeError(f"the sweep did {done}, expected {SNOOZED} woken and {IDLE} auto-closed")
    _check(idle, snoozed)
    return {"sweep_items_read_per_due_ticket": reads.mine / (IDLE + SNOOZED)}


def main() -> None:
    from tests.bench.bench import run_alone

    run_alone(measure)


if __name__ == "__main__":
    main()
