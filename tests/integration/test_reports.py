"""Ticket reports (docs/metrics.md): the events each committed change of a ticket means, added once to
aggregate items by the reports worker from the table's stream, and read back by GET /api/reports/tickets.

Tickets live their lives through the real paths (the SMS webhook, agents' replies and edits, the sweep)
where the timing does not matter; where it does (days in the account's time zone, office hours, the
spread of durations), a ticket's changes are written as the stream records DynamoDB would send for
them, with chosen times, and handed to the worker. Judged by what the report answers and what the
aggregate items hold."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import random
import uuid
from typing import Any

import pytest

from helpdesk import reports
from helpdesk.auth import AgentIdentity
from helpdesk.errors import BadRequest
from helpdesk.store.models import Ticket
from infra.local import faults as fault_answers
from tests.conftest import Aws, Brand, customer_number, pump_reports
from tests.integration.agents import member, synthetic_record, text, ticket_id_of
from tests.integration.edits import update_ticket

TRANSACT = "DynamoDB_20120810.TransactWriteItems"
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:helpdesk-reports"
SEOUL_WEEKDAYS = {"timezone": "Asia/Seoul", "holidays": ["2026-12-25"],
                  "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}}
BOUND = reports.ALPHA + 1e-9


# --- the stream, as the reports worker receives it ----------------------------------------------------

TICKET_RECORDS = [{"dynamodb": {"NewImage": {"type": {"S": ["ticket"]}}}},
                  {"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"type": {"S": ["ticket"]}}}}]
_reader: list[Any] = []  # one reader of the module's stream: each call goes on where the last stopped


def _account_of(record: dict[str, Any]) -> str:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    parts = image.get("pk", {}).get("S", "").split("#")
    return parts[1] if len(parts) > 1 else ""


def new_ticket_records(aws: Aws, account_id: str) -> list[dict[str, Any]]:
    """The ticket records of the account the table's stream committed since the last call, as a pipe
    hands them on: for the tests that hand the same records to the worker again and again (the others
    use the module's table-changes pipe and bus, `pump_reports`)."""
    from infra.local.pipe import StreamPipe, stream_arn

    if not _reader:
        _reader.append(StreamPipe(aws.client("dynamodbstreams"), stream_arn(aws.client("dynamodb"), aws.table_name),
                                  None, None, patterns=TICKET_RECORDS))
    found: list[dict[str, Any]] = []
    _reader[0].pump(sink=lambda record: found.append(record) if _account_of(record) == account_id else None)
    return found


def bus_event(record: dict[str, Any]) -> dict[str, Any]:
    """The record as the table-changes bus delivers it to the reports queue: an EventBridge event whose
    detail is the record."""
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "table change", "source": "helpdesk.table",
            "account": "000000000000", "time": "2026-12-01T00:00:00Z", "region": "us-east-1", "resources": [],
            "detail": record}


def invoke(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The reports Lambda with one SQS batch holding these stream records, as its queue delivers them
    (each message's id is its record's eventID: see `answer_id`)."""
    from functions import reports as reports_lambda

    batch = [{**synthetic_record(json.dumps(bus_event(r)), QUEUE_ARN), "messageId": r["eventID"]} for r in records]
    return reports_lambda.handler({"Records": batch}, None)  # type: ignore[no-any-return]


def answer_id(records: list[dict[str, Any]], ticket_id: str) -> str:
    """The SQS message id `invoke` gave the record of this ticket."""
    [record] = [r for r in records if ticket_id in r["dynamodb"]["NewImage"]["pk"]["S"]]
    return str(record["eventID"])


def record_of(old: Ticket | None, new: Ticket) -> dict[str, Any]:
    """The stream record DynamoDB sends for a write that took the ticket from `old` to `new`."""
    images: dict[str, Any] = {"Keys": {"pk": {"S": new.pk}, "sk": {"S": "TICKET"}}, "NewImage": new.serialize(),
                              "StreamViewType": "NEW_AND_OLD_IMAGES"}
    if old is not None:
        images["OldImage"] = old.serialize()
    return {"eventID": uuid.uuid4().hex, "eventName": "MODIFY" if old else "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": images}


def feed(old: Ticket | None, new: Ticket) -> None:
    from helpdesk.store.stream import change_of

    reports.on_change(change_of(record_of(old, new)))


class Life:
    """A ticket's images, one write after another, each handed to the worker as its stream record."""

    def __init__(self, brand: Brand, created_at: str, channel: str = "sms", **fields: Any):
        from helpdesk.store.keys import ticket_pk

        ticket_id = "t" + uuid.uuid4().hex[:12]
        self.ticket = Ticket(ticket_pk(brand.account_id, ticket_id), "TICKET", **{
            "account_id": brand.account_id, "ticket_id": ticket_id, "channel": channel, "contact": customer_number(),
            "status": "open", "tags": [], "spam": False, "created_at": created_at, "updated_at": created_at,
            "last_inbound_at": created_at, "version": 1, **fields})
        self.records = [record_of(None, self.ticket)]
        feed(None, self.ticket)

    def write(self, **fields: Any) -> Life:
        old = self.ticket
        new = Ticket.from_raw_data(old.serialize())
        for name, value in fields.items():
            setattr(new, name, value)
        new.version = int(old.version or 0) + 1
        self.records.append(record_of(old, new))
        feed(old, new)
        self.ticket = new
        return self


# --- reading the reports -----------------------------------------------------------------------------

def owner(brand: Brand) -> AgentIdentity:
    return AgentIdentity("owner-1", brand.account_id, ("owner",))


def report(brand: Brand, first: str, last: str, group_by: str = "day", **more: str) -> list[dict[str, Any]]:
    answer = reports.tickets(owner(brand), {"from": first, "to": last, "group_by": group_by, **more})
    assert answer["definitions"] == "2026-12-v2"
    return list(answer["rows"])


def row(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    [found] = [r for r in rows if r["key"] == key]
    return found


def volume(r: dict[str, Any]) -> tuple[int, int, int, int]:
    return r["created"], r["reopened"], r["closed"], r["auto_closed"]


def aggregates(brand: Brand) -> dict[tuple[str, str, str], dict[str, int]]:
    """Every aggregate item of the account: (dimension, day, value) -> its numbers."""
    from helpdesk.store import reports as report_store

    return {(dim, day, value): numbers for dim in ("day", "channel", "agent", "tag")
            for day, value, numbers in report_store.counts_between(brand.account_id, dim, "2000-01-01", "2100-12-31")}


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def kst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))


def within(estimate: int | None, exact: float) -> bool:
    """A report's duration against the exact one: within the stated bound (and the rounding to a second);
    under a second, 0."""
    if exact < 1:
        return estimate == 0
    return estimate is not None and abs(estimate - exact) <= BOUND * exact + 0.5


def set_office_hours(brand: Brand, hours: dict[str, Any] | None) -> None:
    from helpdesk import account_settings

    account_settings.change(owner(brand), {"office_hours": hours})


def _get(brand: Brand, ticket_id: str) -> Ticket:
    from helpdesk.store import tickets as ticket_store

    return ticket_store.get_ticket(brand.account_id, ticket_id)


def counting(request: dict[str, Any]) -> bool:
    """The transaction that counts a change (it puts the change's marks)."""
    return any(op.get("Put", {}).get("Item", {}).get("type", {}).get("S") == "report_mark"
               for op in request.get("TransactItems") or [])


# --- a ticket's life through the real paths -------------------------------------------------------------

def test_a_tickets_life_counts_each_transition_once(aws: Aws, swept: Brand, standins: Any) -> None:
    from helpdesk import account_settings, replies, sweep
    from helpdesk.clock import now_iso, parse_iso
    from tests.integration.test_replies_channels import reply, sms_customer

    brand = swept
    customer, ticket_id = sms_customer(brand)
    replies.post(AgentIdentity("agent-1", brand.account_id, ("support",)), ticket_id,
                 {"type": "note", "body": "checking the courier"})
    assert _get(brand, ticket_id).first_response_at is None  # a note is no response
    first = reply(brand, ticket_id, "It left the warehouse today.")
    reply(brand, ticket_id, "Tracking number: 1Z999.")
    ticket = _get(brand, ticket_id)
    assert (ticket.first_response_at, ticket.first_responder_id) == (first["created_at"], "agent-1")
    ticket = update_ticket(ticket, assignee_id="agent-2", tags=["shipping", "vip"])
    closed = update_ticket(ticket, status="closed")
    text(brand, customer, "it still has not come")  # reopens the ticket
    after_reopen = reply(brand, ticket_id, "We sent another one.")
    account_settings.change(owner(brand), {"auto_close": {"enabled": True, "after": "PT1S"}})
    swept_at = iso(parse_iso(now_iso()) + dt.timedelta(seconds=5))
    assert sweep.run(now=swept_at)["auto_closed"] == 1
    pump_reports()

    today = dt.datetime.now(dt.UTC).date()
    first_day, last_day = (today - dt.timedelta(days=1)).isoformat(), (today + dt.timedelta(days=1)).isoformat()
    created_at = parse_iso(ticket.created_at)
    by_channel = row(report(brand, first_day, last_day, "channel"), "sms")
    assert volume(by_channel) == (1, 1, 2, 1)  # closed twice, once by the sweep
    assert within(by_channel["first_response_seconds"]["median"],
                  (parse_iso(first["created_at"]) - created_at).total_seconds())
    # Resolution: the agent's close, and the auto-close at the reply that answered the reopening.
    resolutions = sorted([(parse_iso(str(closed.updated_at)) - created_at).total_seconds(),
                          (parse_iso(after_reopen["created_at"]) - created_at).total_seconds()])
    assert within(by_channel["resolution_seconds"]["median"], resolutions[0])
    assert within(by_channel["resolution_seconds"]["p90"], resolutions[0])  # (the lower of two, by rank)

    by_agent = report(brand, first_day, last_day, "agent")
    assert volume(row(by_agent, "unassigned")) == (1, 0, 0, 0)  # created before anyone had it
    assert volume(row(by_agent, "agent-2")) == (0, 1, 2, 1)  # the assignee at each close and reopening
    responder = row(by_agent, "agent-1")  # who wrote the first reply, not who has the ticket
    assert volume(responder) == (0, 0, 0, 0) and responder["first_response_seconds"]["median"] is not None
    assert row(by_agent, "agent-2")["first_response_seconds"]["median"] is None
    by_tag = report(brand, first_day, last_day, "tag")
    assert [r["key"] for r in by_tag] == ["shipping", "vip"]
    assert all(volume(r) == (0, 1, 2, 1) for r in by_tag)  # no tags when it was created
    by_day = report(brand, first_day, last_day)
    assert [r["key"] for r in by_day] == [first_day, today.isoformat(), last_day]  # every day, even empty
    assert tuple(map(sum, zip(*(volume(r) for r in by_day), strict=True))) == (1, 1, 2, 1)


def test_only_a_persons_reply_is_a_first_response(brand: Brand) -> None:
    """The web-chat autoresponder's message (as assignment.autorespond stores it) goes through the same
    outbox as an agent's reply; only the person's reply sets the ticket's first response, and only the
    first such reply."""
    from helpdesk.clock import now_iso
    from helpdesk.store import outbox
    from helpdesk.store.keys import ticket_pk
    from helpdesk.store.models import Message

    customer = customer_number()
    text(brand, customer, "hello?")
    ticket_id = ticket_id_of(brand, customer)

    def message(direction: str, sender: str, automatic: bool = False) -> Message:
        now, message_id = now_iso(), "m-" + uuid.uuid4().hex[:10]
        return Message(ticket_pk(brand.account_id, ticket_id), f"M#{now}#{message_id}", message_id=message_id,
                       ticket_id=ticket_id, channel="sms", direction=direction, body="...", created_at=now,
                       sender=sender, automatic=automatic, extra={"delivery": "sent"})

    auto = message("outbound", "autoresponder", automatic=True)
    assert outbox.store_reply(_get(brand, ticket_id), auto, [auto.message_id], {}) == "stored"
    note = message("note", "agent-1")
    assert outbox.store_reply(_get(brand, ticket_id), note, [note.message_id], {}) == "stored"
    assert _get(brand, ticket_id).first_response_at is None
    answer = message("outbound", "agent-7")
    assert outbox.store_reply(_get(brand, ticket_id), answer, [answer.message_id], {}) == "stored"
    later = message("outbound", "agent-3")
    assert outbox.store_reply(_get(brand, ticket_id), later, [later.message_id], {}) == "stored"
    ticket = _get(brand, ticket_id)
    assert (ticket.first_response_at, ticket.first_responder_id) == (answer.created_at, "agent-7")


# --- exactly once ------------------------------------------------------------------------------------

def test_a_redelivered_record_adds_nothing(aws: Aws, brand: Brand) -> None:
    customer = customer_number()
    text(brand, customer, "where is it?")
    ticket_id = ticket_id_of(brand, customer)
    update_ticket(_get(brand, ticket_id), status="closed", tags=["late"])
    text(brand, customer, "hello again")  # reopens
    records = new_ticket_records(aws, brand.account_id)
    assert [r["eventName"] for r in records][:1] == ["INSERT"] and len(records) >= 3

    assert invoke(records) == {"batchItemFailures": []}
    counted = aggregates(brand)
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert volume(row(report(brand, today, today), today)) == (1, 1, 1, 0)
    # The same records again: the queue delivering twice, a retried batch, a replay of the stream.
    assert invoke(records + records) == {"batchItemFailures": []}
    assert invoke(records[::-1]) == {"batchItemFailures": []}
    assert aggregates(brand) == counted
    assert volume(row(report(brand, today, today), today)) == (1, 1, 1, 0)


def test_a_transaction_conflict_is_tried_again_and_counts_once(aws: Aws, brand: Brand, faults: Any) -> None:
    text(brand, customer_number(), "first")
    [created] = new_ticket_records(aws, brand.account_id)
    fault = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=2, when=counting)
    assert invoke([created]) == {"batchItemFailures": []}
    assert fault.hits == 2  # cancelled twice by a "concurrent writer", then through
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert row(report(brand, today, today), today)["created"] == 1


def test_a_conflict_that_persists_sends_the_record_back_and_its_redelivery_counts_it(
        aws: Aws, brand: Brand, faults: Any) -> None:
    first, second = customer_number(), customer_number()
    text(brand, first, "first")
    text(brand, second, "second")
    records = new_ticket_records(aws, brand.account_id)
    stuck = ticket_id_of(brand, first)
    faults.add(TRANSACT, fault_answers.transaction_conflict(), times=1000,
               when=lambda request: counting(request) and stuck in json.dumps(request))
    answer = invoke(records)
    # Its record back to the queue, for later; the other one of the batch is counted.
    assert [f["itemIdentifier"] for f in answer["batchItemFailures"]] == [answer_id(records, stuck)]
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert row(report(brand, today, today), today)["created"] == 1
    faults.clear()
    assert invoke(records) == {"batchItemFailures": []}
    assert row(report(brand, today, today), today)["created"] == 2


# --- time ---------------------------------------------------------------------------------------------

def test_days_are_the_accounts_in_its_time_zone(brand: Brand) -> None:
    late_monday_utc = "2026-11-30T15:30:00.000Z"  # 00:30 on Tuesday 1 December in Seoul
    Life(brand, late_monday_utc)  # no office hours: UTC
    set_office_hours(brand, SEOUL_WEEKDAYS)
    Life(brand, late_monday_utc)
    Life(brand, "2026-11-30T14:59:59.000Z")  # 23:59:59 on Monday in Seoul
    rows = report(brand, "2026-11-30", "2026-12-01")
    assert [(r["key"], r["created"]) for r in rows] == [("2026-11-30", 2), ("2026-12-01", 1)]


def test_business_hours_leave_out_nights_weekends_and_holidays(brand: Brand) -> None:
    set_office_hours(brand, SEOUL_WEEKDAYS)
    friday_evening = iso(kst("2026-11-27T17:00"))
    life = Life(brand, friday_evening)
    life.write(first_response_at=iso(kst("2026-11-30T10:00")), first_responder_id="agent-1",
               last_outbound_at=iso(kst("2026-11-30T10:00")), updated_at=iso(kst("2026-11-30T10:00")))
    life.write(status="closed", updated_at=iso(kst("2026-11-30T12:00")))
    # Christmas Eve (Thursday) to the Monday after: the Friday is a holiday, then a weekend.
    Life(brand, iso(kst("2026-12-24T17:30"))).write(status="closed", updated_at=iso(kst("2026-12-28T09:30")))

    calendar = report(brand, "2026-11-27", "2026-12-31", "channel")
    business = report(brand, "2026-11-27", "2026-12-31", "channel", business_hours="true")
    assert within(row(calendar, "sms")["first_response_seconds"]["median"], 65 * 3600)
    assert within(row(business, "sms")["first_response_seconds"]["median"], 2 * 3600)  # Fri 17-18, Mon 9-10
    # Resolution samples: 67 h calendar (4 h of office hours) and 88 h (1 h).
    assert within(row(calendar, "sms")["resolution_seconds"]["median"], 67 * 3600)
    assert within(row(calendar, "sms")["resolution_seconds"]["p90"], 67 * 3600)
    assert within(row(business, "sms")["resolution_seconds"]["median"], 1 * 3600)
    assert within(row(business, "sms")["resolution_seconds"]["p90"], 1 * 3600)
    assert volume(row(business, "sms")) == (2, 0, 2, 0)  # business hours change durations only


def test_medians_and_p90_of_merged_days_and_agents_are_within_the_bound(brand: Brand) -> None:
    rng = random.Random(11)
    start = dt.datetime(2026, 10, 5, tzinfo=dt.UTC)
    waits: dict[str, list[float]] = {"agent-a": [], "agent-b": [], "agent-c": []}
    for i in range(45):
        agent = ("agent-a", "agent-b", "agent-c")[i % 3]
        created = start + dt.timedelta(days=i % 4, minutes=rng.randrange(0, 600))
        wait = rng.lognormvariate(math.log(1800), 1.5)
        waits[agent].append(wait)
        Life(brand, iso(created)).write(first_response_at=iso(created + dt.timedelta(seconds=wait)),
                                        first_responder_id=agent)
    rows = report(brand, "2026-10-01", "2026-10-31", "agent")
    for agent, samples in waits.items():
        ranked = sorted(samples)
        for q, name in ((0.5, "median"), (0.9, "p90")):
            exact = ranked[math.floor(q * (len(ranked) - 1))]
            # (the sample itself has millisecond times: compare with what was stored)
            assert within(row(rows, agent)["first_response_seconds"][name], exact), (agent, name)


# --- what counts ---------------------------------------------------------------------------------------

def test_transitions_and_what_each_counts(brand: Brand) -> None:
    at = "2026-09-01T10:00:00.000Z"
    snoozed = Life(brand, at, channel="email")
    snoozed.write(status="snoozed", updated_at="2026-09-01T11:00:00.000Z")
    snoozed.write(status="open", updated_at="2026-09-02T11:00:00.000Z")  # a snooze over: no reopening
    closed = Life(brand, at, channel="email")
    closed.write(status="closed", updated_at="2026-09-01T12:00:00.000Z")
    closed.write(status="snoozed", updated_at="2026-09-02T12:00:00.000Z")  # out of closed: reopened
    closed.write(tags=["x"], updated_at="2026-09-02T13:00:00.000Z")  # a change that is no event
    # Auto-closed while the customer waited for an answer: a close, but nothing was resolved.
    Life(brand, at, channel="email").write(status="closed", auto_closed=True, updated_at="2026-09-05T10:00:00.000Z")
    spam = Life(brand, at, channel="email", spam=True)
    spam.write(status="closed", updated_at="2026-09-01T12:00:00.000Z")  # spam: never counted
    Life(brand, at, channel="email", spam=True).write(spam=False).write(spam=True).write(spam=False)

    rows = report(brand, "2026-09-01", "2026-09-30", "channel")
    email = row(rows, "email")
    assert volume(email) == (4, 1, 2, 1)  # the spam that was not: created once, however often it flips
    assert within(email["resolution_seconds"]["median"], 2 * 3600)  # the agent's close alone
    days = report(brand, "2026-09-01", "2026-09-05")
    assert [volume(r) for r in days] == [(4, 0, 1, 0), (0, 1, 0, 0), (0, 0, 0, 0), (0, 0, 0, 0), (0, 0, 1, 1)]


def test_an_auto_close_after_an_answer_resolves_at_the_answer(brand: Brand) -> None:
    life = Life(brand, "2026-08-03T09:00:00.000Z")
    life.write(first_response_at="2026-08-03T09:30:00.000Z", first_responder_id="agent-1",
               last_outbound_at="2026-08-03T10:00:00.000Z")
    life.write(status="closed", auto_closed=True, updated_at="2026-08-06T10:00:00.000Z")
    sms = row(report(brand, "2026-08-01", "2026-08-31", "channel"), "sms")
    assert volume(sms) == (1, 0, 1, 1)
    assert within(sms["resolution_seconds"]["median"], 3600)  # to the reply, not to the sweep


def test_tags_counted_per_event_are_capped_and_the_change_stays_one_transaction(brand: Brand) -> None:
    tags = [f"tag-{i:02d}" for i in range(50)]  # as many as a ticket may hold
    life = Life(brand, "2026-07-01T09:00:00.000Z").write(tags=tags)
    life.write(status="closed", updated_at="2026-07-01T10:00:00.000Z")
    rows = report(brand, "2026-07-01", "2026-07-01", "tag")
    assert [r["key"] for r in rows] == tags[:reports.MAX_TAGS_PER_EVENT]
    assert all(r["closed"] == 1 for r in rows)


# --- the API ---------------------------------------------------------------------------------------------

def test_the_report_over_http_as_json_and_csv(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    manager = member(aws, pool, brand.account_id, "manager")
    Life(brand, "2026-06-01T09:00:00.000Z").write(
        tags=["=HYPERLINK(\"http://evil\")", "returns"], first_response_at="2026-06-01T09:10:00.000Z",
        first_responder_id="agent-1")
    path = "/api/reports/tickets?from=2026-06-01&to=2026-06-02&group_by=tag"
    answer = api.get(path, headers=manager.headers)
    assert answer.status_code == 200, answer.body
    body = json.loads(answer.body)
    assert body["definitions"] == "2026-12-v2"
    assert [r["key"] for r in body["rows"]] == ["=HYPERLINK(\"http://evil\")", "returns"]
    assert body["rows"][1]["resolution_seconds"] == {"median": None, "p90": None}

    as_csv = api.get(path + "&format=csv", headers=manager.headers)
    assert as_csv.status_code == 200
    assert as_csv.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(as_csv.body.decode() if isinstance(as_csv.body, bytes) else as_csv.body)))
    assert lines[0] == list(reports.CSV_COLUMNS)
    assert lines[1][0] == "'=HYPERLINK(\"http://evil\")"  # a spreadsheet shows it, never runs it
    assert lines[2][:5] == ["returns", "0", "0", "0", "0"]
    assert within(int(lines[2][5]), 600) and lines[2][7:9] == ["", ""] and lines[2][9:] == ["0", "0", "0"]
    assert len(lines) == 3


@pytest.mark.parametrize("role, status", [("owner", 200), ("admin", 200), ("manager", 200), ("support", 403)])
def test_who_reads_the_reports(aws: Aws, pool: Any, api: Any, brand: Brand, role: str, status: int) -> None:
    who = member(aws, pool, brand.account_id, role)
    answer = api.get("/api/reports/tickets?from=2026-06-01&to=2026-06-30", headers=who.headers)
    assert answer.status_code == status, answer.body
    if status == 403:
        assert "reports" in json.loads(answer.body)["error"]


@pytest.mark.parametrize("query", [
    "", "from=2026-06-01", "to=2026-06-01", "from=2026-6-1&to=2026-06-02", "from=2026-06-01&to=tomorrow",
    "from=2026-06-02&to=2026-06-01", "from=2025-06-01&to=2026-06-02", "from=2026-06-01&to=2026-06-02&group_by=week",
    "from=2026-06-01&to=2026-06-02&business_hours=yes", "from=2026-06-01&to=2026-06-02&format=xlsx",
])
def test_bad_parameters_are_400(aws: Aws, pool: Any, api: Any, brand: Brand, query: str) -> None:
    who = member(aws, pool, brand.account_id, "owner")
    answer = api.get("/api/reports/tickets?" + query, headers=who.headers)
    assert answer.status_code == 400, (query, answer.body)
    assert json.loads(answer.body)["error"]


def test_a_year_is_the_longest_range(brand: Brand) -> None:
    assert report(brand, "2024-01-01", "2024-12-31")[-1]["key"] == "2024-12-31"  # 366 days: a leap year
    assert report(brand, "2025-01-01", "2026-01-01")[-1]["key"] == "2026-01-01"  # 366 days
    with pytest.raises(BadRequest, match="366"):
        report(brand, "2025-01-01", "2026-01-02")
