"""`report_items_read_per_day_dimension` of `make bench`: one account, 100,000 tickets over 90 days, 10
agents; a 90-day ticket report by agent (`helpdesk.reports.tickets`, as GET /api/reports/tickets
answers it); the items it reads / (days x agents). Goal: at most 2 (one aggregate item per agent and
day, plus the `unassigned` value, under which a ticket is created before anyone has it).

How the aggregates get there. Feeding 100,000 tickets' changes through the reports worker (a
TransactWriteItems each, over HTTP to moto) would take this bench most of an hour. Instead each
ticket's life is built as the images its writes leave (created; assigned, tagged and answered;
closed, by an agent or by the sweep; for some, reopened and closed again), read into events and
aggregate increments by the worker's own pure functions (`helpdesk.reports.events_of` and
`increments`: the code that builds the worker's updates), summed in memory (what the worker's ADDs
would have summed to) and loaded as items (tests/bench/sweep.py `_load`: through moto's in-process
backend). Forty tickets go through the real worker too (`reports.on_change`, transactions and marks),
into an account of their own, and must leave exactly the items this bench builds for them.

Items read are counted as tests/bench/sweep.py counts them (a Query's ScannedCount), for the bench
account only. Call `measure()` with the bench's moto server up; `python -m tests.bench.reports` runs
it alone on a server of its own.
"""
from __future__ import annotations

import copy
import datetime as dt
import gc
import math
import random
import sys
import time
from collections.abc import Iterator
from typing import Any

from tests.bench.sweep import ItemsRead, _iso, _load, _pynamodb_clients

ACCOUNT = "bench-reports"
CHECK_ACCOUNT = "bench-reports-check"
TICKETS = 100_000
DAYS = 90
AGENTS = tuple(f"bench-agent-{i:02d}" for i in range(10))
CHANNELS = ("sms", "email", "webchat", "whatsapp", "instagram")
TAGS = ("shipping", "returns", "vip", "payment", "damaged", "address", "discount", "exchange", "wholesale",
        "complaint", "subscription", "gift")
HOURS = {"timezone": "Asia/Seoul", "holidays": ["2026-10-03", "2026-10-09"],
         "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
FIRST_DAY = dt.date(2026, 9, 1)  # the report's 90 days, in the account's time zone


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _lives(account_id: str, count: int, seed: int) -> Iterator[list[Any]]:
    """Each ticket's images, oldest first: what the table's stream would carry for it (the writes that
    change nothing the reports read, messages and the like, left out)."""
    from zoneinfo import ZoneInfo

    from helpdesk.store.keys import ticket_pk
    from helpdesk.store.models import Ticket

    rng = random.Random(seed)
    start = dt.datetime.combine(FIRST_DAY, dt.time(), ZoneInfo(HOURS["timezone"])).astimezone(dt.UTC)
    span = DAYS * 86_400

    def later(moment: dt.datetime, median_seconds: float) -> dt.datetime:
        return moment + dt.timedelta(seconds=rng.lognormvariate(math.log(median_seconds), 1.2))

    for i in range(count):
        ticket_id = f"t{seed}-{i:06d}"
        created = start + dt.timedelta(seconds=rng.uniform(0, span))
        channel, agent = rng.choice(CHANNELS), rng.choice(AGENTS)
        tags = rng.sample(TAGS, rng.choice((0, 1, 1, 2)))
        fields: dict[str, Any] = {
            "account_id": account_id, "ticket_id": ticket_id, "channel": channel, "contact": f"+1650{i:07d}",
            "status": "open", "tags": [], "spam": False, "created_at": _iso(created), "updated_at": _iso(created),
            "last_inbound_at": _iso(created), "message_count": 1, "version": 1}
        images = [Ticket(ticket_pk(account_id, ticket_id), "TICKET", **fields)]
        write = _writer(images)

        answered = later(created, 1800)
        responder = agent if rng.random() < 0.9 else rng.choice(AGENTS)
        write(assignee_id=agent, tags=tags, first_response_at=_iso(answered), first_responder_id=responder,
              last_outbound_at=_iso(answered), updated_at=_iso(answered))
        if rng.random() < 0.05:
            yield images  # still open
            continue
        if rng.random() < 0.1:  # the customer went quiet: the sweep closes it three days on
            write(status="closed", auto_closed=True, updated_at=_iso(answered + dt.timedelta(days=3)))
        else:
            closed = later(answered, 6 * 3600)
            write(status="closed", updated_at=_iso(closed))
            if rng.random() < 0.1:
                wrote = later(closed, 86_400)
                write(status="open", last_inbound_at=_iso(wrote), updated_at=_iso(wrote))
                write(status="closed", updated_at=_iso(later(wrote, 3 * 3600)))
        yield images


def _writer(images: list[Any]) -> Any:
    """A write of the ticket: appends the image it leaves, the latest one with the write's attributes and
    the next version (copied, not built anew: pynamodb's constructor would be half of this bench's time)."""

    def write(**change: Any) -> None:
        before = images[-1]
        after = copy.copy(before)
        after.attribute_values = dict(before.attribute_values)
        for name, value in {**change, "version": int(before.version or 0) + 1}.items():
            setattr(after, name, value)
        images.append(after)

    return write


def _increments(account_id: str, lives: Iterator[list[Any]]) -> dict[tuple[str, str], dict[str, int]]:
    """The lives' changes read into aggregate increments by the worker's own functions, summed."""
    from helpdesk import reports

    zone = reports.zone_of(HOURS)
    merged: dict[tuple[str, str], dict[str, int]] = {}
    for images in lives:
        for old, new in zip([None, *images], images, strict=False):
            for key, numbers in reports.increments(account_id, reports.events_of(old, new, HOURS), zone).items():
                into = merged.setdefault(key, {})
                for name, n in numbers.items():
                    into[name] = into.get(name, 0) + n
    return merged


def _items(merged: dict[tuple[str, str], dict[str, int]]) -> list[dict[str, Any]]:
    """The ReportCounts items those increments leave (DynamoDB JSON), as the worker's updates write
    them (helpdesk/store/reports.py `_updates`): identity set, every number added."""
    items = []
    for (pk, sk), numbers in sorted(merged.items()):
        day, value = sk.split("#", 1)
        items.append({"pk": {"S": pk}, "sk": {"S": sk}, "type": {"S": "report_counts"},
                      "dimension": {"S": pk.rsplit("#RPT#", 1)[1]}, "day": {"S": day}, "value": {"S": value},
                      **{name: {"N": str(n)} for name, n in numbers.items() if n}})
    return items


def _stored(account_id: str) -> list[dict[str, Any]]:
    """Every ReportCounts item of the account, raw."""
    from helpdesk.store import reports as report_store
    from helpdesk.store.models import ReportCounts

    connection = ReportCounts._get_connection()
    found = []
    for dimension in ("day", "channel", "agent", "tag"):
        start = None
        while True:
            page = connection.query(report_store.report_pk(account_id, dimension), exclusive_start_key=start)
            found += page.get("Items") or []
            start = page.get("LastEvaluatedKey")
            if not start:
                break
    return sorted(found, key=lambda item: (item["pk"]["S"], item["sk"]["S"]))


def _same_as_the_worker() -> None:
    """Forty tickets through the real worker (each change one transaction, with its marks) leave the
    items this bench builds for the same tickets."""
    from helpdesk import reports
    from helpdesk.store.stream import Change

    lives = list(_lives(CHECK_ACCOUNT, 40, seed=7))
    for images in lives:
        for n, (old, new) in enumerate(zip([None, *images], images, strict=False)):
            reports.on_change(Change(f"check-{new.ticket_id}-{n}", "MODIFY" if old else "INSERT", new, old))
    built = _items(_increments(CHECK_ACCOUNT, iter(lives)))
    stored = _stored(CHECK_ACCOUNT)
    if stored != built:
        wrong = next((b, s) for b, s in zip(built, stored, strict=False) if b != s) if stored else (built[:1], [])
        raise RuntimeError(f"the bench builds other items than the worker writes ({len(built)} vs {len(stored)}), "
                           f"e.g. {wrong}")


def measure() -> dict[str, float]:
    from helpdesk import account_settings, reports
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import accounts

    started = time.perf_counter()
    for account_id in (ACCOUNT, CHECK_ACCOUNT):
        accounts.put_account(account_id, "Bench Reports")
        account_settings.change(AgentIdentity("bench-owner", account_id, ("owner",)), {"office_hours": HOURS})
    _same_as_the_worker()
    gc.disable()  # hundreds of thousands of short-lived images, none of them in a cycle
    try:
        merged = _increments(ACCOUNT, _lives(ACCOUNT, TICKETS, seed=2026))
    finally:
        gc.enable()
    items = _items(merged)
    _load(items)
    log(f"reports: {TICKETS} tickets read into {len(items)} aggregate items in {time.perf_counter() - started:.1f} s")

    reads = ItemsRead(ACCOUNT).install(_pynamodb_clients())
    last_day = FIRST_DAY + dt.timedelta(days=DAYS - 1)
    owner = AgentIdentity("bench-owner", ACCOUNT, ("owner",))
    reads.active = True
    try:
        answer = reports.tickets(owner, {"from": FIRST_DAY.isoformat(), "to": last_day.isoformat(),
                                         "group_by": "agent"})
    finally:
        reads.active = False
    rows = {r["key"]: r for r in answer["rows"]}
    if set(rows) != {*AGENTS, reports.UNASSIGNED} or sum(r["created"] for r in rows.values()) != TICKETS:
        raise RuntimeError(f"the report is not the bench's tickets: {sorted(rows)}, "
                           f"{sum(r['created'] for r in rows.values())} created")
    log(f"reports: a {DAYS}-day report by agent read {reads.mine} items {reads.by_operation}; e.g. "
        f"{AGENTS[0]}: {rows[AGENTS[0]]}")
    return {"report_items_read_per_day_dimension": reads.mine / (DAYS * len(AGENTS))}


def main() -> None:
    from tests.bench.bench import run_alone

    run_alone(measure)


if __name__ == "__main__":
    main()
