"""The ticket reports' items (helpdesk/reports.py decides what they hold; docs/metrics.md defines it).

Aggregates: `ReportCounts`, one per (dimension, day, value), changed only by ADD. Each change of a
ticket adds its events in ONE TransactWriteItems together with a `ReportMark` per event, put on
condition that it does not exist: a stream record delivered twice (SQS is at-least-once, a batch is
retried whole, a replay re-reads the stream) finds its marks and adds nothing, and a transaction
cancelled for a conflict with another writer of the same aggregates (every ticket of a day adds to the
same day-total item) is simply tried again, since nothing of it was written.

Read back with one Query per report: the dimension's partition, sort key between the first and last
day. The histogram buckets are attributes no model declares (they are named by the bucket), so the
items are read raw.
"""
from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.operand import Path

from helpdesk.errors import Transient
from helpdesk.store.failures import transient
from helpdesk.store.models import ReportCounts, ReportMark, account_pk
from helpdesk.store.transact import Transaction

MAX_TRANSACTION_ITEMS = 100  # DynamoDB's limit on one TransactWriteItems
MARK_SECONDS = 35 * 24 * 3600  # past SQS's 14 days of retention and the stream's 24 hours
ATTEMPTS = 6  # conflicting transactions tried this often before the record goes back to its queue

Key = tuple[str, str]  # (pk, sk) of a ReportCounts item
Increments = Mapping[Key, Mapping[str, int]]


def report_pk(account_id: str, dimension: str) -> str:
    return f"{account_pk(account_id)}#RPT#{dimension}"


def report_sk(day: str, value: str) -> str:
    return f"{day}#{value}"


def mark_pk(account_id: str, ticket_id: str) -> str:
    return f"{account_pk(account_id)}#RPTMARK#{ticket_id}"


def _updates(key: Key, counts: Mapping[str, int]) -> list[Any]:
    """The update actions of one aggregate: its identity (set, the same every time) and an ADD per
    counter or bucket."""
    pk, sk = key
    day, value = sk.split("#", 1)
    return [ReportCounts.type.set(ReportCounts), ReportCounts.dimension.set(pk.rsplit("#RPT#", 1)[1]),
            ReportCounts.day.set(day), ReportCounts.value.set(value),
            *(Path(name).add(n) for name, n in sorted(counts.items()) if n)]


def add(account_id: str, ticket_id: str, marks: list[str], increments: Increments, *,
        now: float | None = None) -> bool:
    """Add `increments` to the aggregates and put the events' `marks`, all in one transaction. True
    when it was added now; False when it had been (a mark exists: this change was counted before).
    A TransactionConflict (or throttling) is tried again, a few times; then Transient, and the record
    comes back from its queue later."""
    if not marks:
        raise ValueError("a change is counted under at least one mark")
    if len(marks) + len(increments) > MAX_TRANSACTION_ITEMS:
        raise ValueError(f"{len(marks) + len(increments)} items: more than one transaction holds")
    expires = int(now if now is not None else time.time()) + MARK_SECONDS
    for attempt in range(ATTEMPTS):
        t = Transaction()
        for i, mark in enumerate(marks):
            t.put(f"mark{i}", ReportMark(mark_pk(account_id, ticket_id), mark, expires_at=expires),
                  condition=ReportMark.pk.does_not_exist())
        for j, key in enumerate(sorted(increments)):
            t.update(f"counts{j}", ReportCounts(*key), actions=_updates(key, increments[key]))
        refused = t.commit()
        if refused is None:
            return True
        if any(refused.failed(f"mark{i}") for i in range(len(marks))):
            return False  # counted before; whatever else the cancellation says, nothing is owed
        if not refused.retryable:
            raise Transient("the report counts were refused for no stated reason")
        time.sleep(random.uniform(0, 0.02 * 2 ** attempt))  # apart from the other writer of the same day
    raise Transient("the report counts kept conflicting with other writers")


def _number(value: dict[str, Any]) -> int | None:
    text = value.get("N")
    return int(text) if isinstance(text, str) and text.lstrip("-").isdigit() else None


def counts_between(account_id: str, dimension: str, first_day: str, last_day: str) -> Iterator[
        tuple[str, str, dict[str, int]]]:
    """(day, value, numbers) of every aggregate of the dimension from `first_day` to `last_day`
    (YYYY-MM-DD, both included), day by day: one Query, page after page. `numbers` holds the
    counters and the histogram buckets."""
    connection = ReportCounts._get_connection()
    # `#` sorts before `$`: every `<last_day>#<value>` is below `<last_day>$`.
    condition = ReportCounts.sk.between(f"{first_day}#", f"{last_day}$")
    start: dict[str, Any] | None = None
    while True:
        try:
            page = connection.query(report_pk(account_id, dimension), range_key_condition=condition,
                                    exclusive_start_key=start)
        except PynamoDBException as error:
            raise transient(error) from error
        for raw in page.get("Items") or []:
            day, value = raw["sk"]["S"].split("#", 1)
            numbers = {name: n for name, v in raw.items() if isinstance(v, dict) and (n := _number(v)) is not None}
            yield day, value, numbers
        start = page.get("LastEvaluatedKey")
        if not start:
            return
