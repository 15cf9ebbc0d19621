"""Ticket reports (SPEC §6; the definitions, versioned, are docs/metrics.md, version `DEFINITIONS`).

Kept incrementally by the reports worker from the table's stream: each committed change of a ticket
(its old and new images) is read as events (`events_of`: created, reopened, closed, a first response),
each dated in the account's time zone and counted under the day total, the ticket's channel, an agent
and each of the ticket's tags (`increments`), and added to aggregate items exactly once
(helpdesk/store/reports.py). A report reads the aggregates of one dimension, one Query, and merges
them: counters by sum, durations by their histograms, which add up bucket by bucket.

Durations go into log-spaced buckets (`GAMMA` apart): a bucket's value stands for every duration in
it within a relative error of `ALPHA` (DDSketch's scheme), so a median or p90 read from merged buckets
is within `ALPHA` of the exact one of the same samples. Calendar and business-hours durations are kept
side by side.

The pure parts (`events_of`, `increments`, the histogram) are what the bench (tests/bench/reports.py)
builds its aggregates with, too.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk import office_hours, roles
from helpdesk.clock import parse_iso
from helpdesk.conversation import Status
from helpdesk.errors import BadRequest, HelpdeskError
from helpdesk.skills import ANSWERED, HANDED_OFF
from helpdesk.store import reports as report_store
from helpdesk.store.models import Ticket
from helpdesk.store.stream import Change

if TYPE_CHECKING:
    from helpdesk.auth import AgentIdentity

DEFINITIONS = "2026-12-v2"

# --- histograms -----------------------------------------------------------------------------------

GAMMA = 1.1
ALPHA = (GAMMA - 1) / (GAMMA + 1)  # 0.0476...: the relative error of a bucket's value
_LOG_GAMMA = math.log(GAMMA)
ZERO = "z"  # durations under a second (a reply at once; a span wholly out of office hours: 0)
FIRST_RESPONSE, FIRST_RESPONSE_BUSINESS = "frc", "frb"
RESOLUTION, RESOLUTION_BUSINESS = "rsc", "rsb"
HISTOGRAMS = (FIRST_RESPONSE, FIRST_RESPONSE_BUSINESS, RESOLUTION, RESOLUTION_BUSINESS)
COUNTERS = ("created", "reopened", "closed", "auto_closed", "skill_answered", "skill_handed_off", "skill_resolved")


def bucket_of(seconds: float) -> str:
    """The bucket of a duration: `z` under a second, else i with GAMMA^(i-1) < seconds <= GAMMA^i."""
    if seconds < 1:
        return ZERO
    return str(max(0, math.ceil(math.log(seconds) / _LOG_GAMMA)))


def bucket_value(bucket: str) -> float:
    """What a bucket's durations are read as: the point whose relative distance to both of its ends
    is ALPHA (0 for `z`)."""
    if bucket == ZERO:
        return 0.0
    return 2 * GAMMA ** int(bucket) / (GAMMA + 1)


def _order(bucket: str) -> int:
    return -1 if bucket == ZERO else int(bucket)


def quantile(buckets: Mapping[str, int], q: float) -> float | None:
    """The q-quantile of the samples counted in `buckets`: the value of the bucket holding the sample
    at rank floor(q * (n - 1)) of n, sorted (the lower middle one for a median of an even count).
    Within ALPHA of that sample, relatively (under a second: 0). None without samples."""
    n = sum(c for c in buckets.values() if c > 0)
    if n == 0:
        return None
    rank = math.floor(q * (n - 1))
    seen = 0
    for bucket in sorted((b for b, c in buckets.items() if c > 0), key=_order):
        seen += buckets[bucket]
        if seen > rank:
            return bucket_value(bucket)
    raise AssertionError("the ranks add up to n")


# --- events ---------------------------------------------------------------------------------------

UNASSIGNED = "unassigned"  # the agent value of an event of a ticket nobody has (agent ids are Cognito subs)
MAX_TAGS_PER_EVENT = 20  # keeps a change within one transaction (a ticket may hold 50 tags)
CREATED, REOPENED, CLOSED, FIRST = "created", "reopened", "closed", "first_response"
# The order skill's (helpdesk/skills/live.py sets a ticket's skill_outcome): it answered the customer itself,
# it handed the ticket to a person, a ticket it answered closed without a person's response (a deflection).
SKILL_ANSWERED, SKILL_HANDED_OFF, SKILL_RESOLVED = "skill_answered", "skill_handed_off", "skill_resolved"


@dataclass(frozen=True)
class Event:
    """One thing that happened to a ticket, as the reports count it."""

    kind: str  # created / reopened / closed / first_response
    at: dt.datetime  # when, UTC
    mark: str  # its ReportMark's sort key: counted once
    channel: str
    agent: str | None  # whom it counts for (None: nobody has the ticket)
    tags: tuple[str, ...]  # the ticket's tags at the event (the first MAX_TAGS_PER_EVENT)
    auto: bool = False  # a close by the sweep (auto-close)
    seconds: float | None = None  # the sample: first response or resolution time, calendar
    business_seconds: float | None = None  # ... and in office hours


def _tags(ticket: Ticket) -> tuple[str, ...]:
    return tuple(dict.fromkeys(str(t) for t in ticket.tags or []))[:MAX_TAGS_PER_EVENT]


def _sample(start: str, end: str, hours: dict[str, Any] | None) -> tuple[float, float]:
    a, b = parse_iso(start), parse_iso(end)
    return max(0.0, (b - a).total_seconds()), office_hours.business_seconds(a, b, hours)


def _resolved_at(ticket: Ticket) -> str | None:
    """Where a close stops the resolution clock. An agent's close: at the close (the write sets
    `updated_at` to its moment). The sweep's close for the customer's silence: at the agent's last
    reply, when it answered the customer's last message (the customer had their answer and went
    quiet); when the customer was left waiting, nothing was resolved: no sample."""
    if not ticket.auto_closed:
        return ticket.updated_at
    replied, wrote = ticket.last_outbound_at, ticket.last_inbound_at
    if replied and (not wrote or replied >= wrote) and replied >= ticket.created_at:
        return replied
    return None


def events_of(old: Ticket | None, new: Ticket, hours: dict[str, Any] | None) -> list[Event]:
    """What a change of a ticket (its images before and after; no old one: just created) means to the
    reports. Spam is never counted: a ticket that is spam at the change has no events."""
    if new.spam:
        return []
    version = int(new.version or 0)
    tags = _tags(new)
    out: list[Event] = []

    def event(kind: str, at: str, agent: str | None, mark: str | None = None, **more: Any) -> None:
        out.append(Event(kind, parse_iso(at), mark or f"{kind}#{version}", new.channel, agent, tags, **more))

    if old is None or (old.spam and not new.spam):
        # A ticket is created once: the one mark without a version. (Spam on arrival, the provider's
        # verdict, that an agent says is not: counted then, on the day it came.)
        event(CREATED, new.created_at, new.assignee_id, mark=CREATED)
    if old is None:
        return out
    was_closed = old.status == Status.CLOSED.value
    is_closed = new.status == Status.CLOSED.value
    if was_closed and not is_closed:
        event(REOPENED, new.updated_at, new.assignee_id)
    if is_closed and not was_closed:
        end = _resolved_at(new)
        seconds, business = _sample(new.created_at, end, hours) if end else (None, None)
        event(CLOSED, new.updated_at, new.assignee_id, auto=bool(new.auto_closed), seconds=seconds,
              business_seconds=business)
    if new.first_response_at and not old.first_response_at:
        seconds, business = _sample(new.created_at, new.first_response_at, hours)
        event(FIRST, new.first_response_at, new.first_responder_id, seconds=seconds, business_seconds=business)
    skill_events(old, new, event)
    return out


def skill_events(old: Ticket, new: Ticket, event: Any) -> None:
    """The order skill's part of a change: its first own answer, its handoff (each once a ticket), a close of
    a ticket it answered that no person responded in and that was not handed over (each close)."""
    at = new.skill_outcome_at or new.updated_at
    if new.skill_outcome == ANSWERED and old.skill_outcome is None:
        event(SKILL_ANSWERED, at, new.assignee_id, mark=SKILL_ANSWERED)
    if new.skill_outcome == HANDED_OFF and old.skill_outcome != HANDED_OFF:
        event(SKILL_HANDED_OFF, at, new.assignee_id, mark=SKILL_HANDED_OFF)
    closed_now = new.status == Status.CLOSED.value and old.status != Status.CLOSED.value
    if closed_now and new.skill_outcome == ANSWERED and not new.first_response_at:
        event(SKILL_RESOLVED, new.updated_at, new.assignee_id)


def zone_of(hours: Mapping[str, Any] | None) -> ZoneInfo:
    """The account's time zone (its office hours'), UTC when it set none (or one no longer known)."""
    try:
        return ZoneInfo(str((hours or {}).get("timezone") or "UTC"))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def dimensions(event: Event) -> list[tuple[str, str]]:
    """The (dimension, value) pairs an event counts under."""
    return [("day", "all"), ("channel", event.channel), ("agent", event.agent or UNASSIGNED),
            *(("tag", tag) for tag in event.tags)]


def numbers_of(event: Event) -> dict[str, int]:
    """The counters and histogram buckets one event adds to each aggregate it counts under."""
    if event.kind == FIRST:
        assert event.seconds is not None and event.business_seconds is not None
        return {f"{FIRST_RESPONSE}_{bucket_of(event.seconds)}": 1,
                f"{FIRST_RESPONSE_BUSINESS}_{bucket_of(event.business_seconds)}": 1}
    numbers = {event.kind: 1}
    if event.auto:
        numbers["auto_closed"] = 1
    if event.seconds is not None and event.business_seconds is not None:
        numbers[f"{RESOLUTION}_{bucket_of(event.seconds)}"] = 1
        numbers[f"{RESOLUTION_BUSINESS}_{bucket_of(event.business_seconds)}"] = 1
    return numbers


def increments(account_id: str, events: Iterable[Event], zone: ZoneInfo) -> dict[report_store.Key, dict[str, int]]:
    """What the events add to which aggregate item: {(pk, sk): {counter or bucket: n}}, each item
    once (a transaction names an item once). Days are the account's, in `zone`."""
    out: dict[report_store.Key, dict[str, int]] = {}
    for event in events:
        day = event.at.astimezone(zone).date().isoformat()
        numbers = numbers_of(event)
        for dimension, value in dimensions(event):
            key = (report_store.report_pk(account_id, dimension), report_store.report_sk(day, value))
            into = out.setdefault(key, {})
            for name, n in numbers.items():
                into[name] = into.get(name, 0) + n
    return out


def _hours(account_id: str) -> dict[str, Any] | None:
    from helpdesk.store import accounts

    try:
        account = accounts.get_account(account_id)  # cached a minute: the hours in force at the event
    except HelpdeskError as error:
        if error.status >= 500:
            raise
        return None  # an account gone: its tickets count in UTC, every hour open
    hours = account.office_hours
    return dict(hours.as_dict() if hasattr(hours, "as_dict") else hours) if hours else None


def on_change(change: Change) -> None:
    """A committed change of the table, as the reports worker receives it: its events added to the
    aggregates, once however often the record comes."""
    new = change.new
    if change.event_name == "REMOVE" or not isinstance(new, Ticket):
        return
    old = change.old if isinstance(change.old, Ticket) else None
    if change.event_name == "MODIFY" and old is None:
        return  # a modify without its old image: nothing to tell what changed
    if not events_of(old, new, None):  # (nothing to count: no need to read the account)
        return
    hours = _hours(new.account_id)
    events = events_of(old, new, hours)
    report_store.add(new.account_id, new.ticket_id, [e.mark for e in events],
                     increments(new.account_id, events, zone_of(hours)))


# --- the report ------------------------------------------------------------------------------------

GROUPS = ("day", "agent", "tag", "channel")
MAX_DAYS = 366
CSV_COLUMNS = ("key", "created", "reopened", "closed", "auto_closed", "first_response_median_seconds",
               "first_response_p90_seconds", "resolution_median_seconds", "resolution_p90_seconds",
               "skill_answered", "skill_handed_off", "skill_resolved")


def _day(params: Mapping[str, str], name: str) -> dt.date:
    text = params.get(name)
    if not text:
        raise BadRequest(f"{name} is required, as YYYY-MM-DD")
    try:
        if len(text) != 10:
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise BadRequest(f"{name} must be a date, YYYY-MM-DD") from exc


def _flag(params: Mapping[str, str], name: str) -> bool:
    text = params.get(name, "false").lower()
    if text not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false")
    return text == "true"


@dataclass(frozen=True)
class Query:
    first: dt.date
    last: dt.date
    group_by: str
    business_hours: bool
    csv: bool


def parse(params: Mapping[str, str]) -> Query:
    """The report asked for; BadRequest naming what is wrong."""
    first, last = _day(params, "from"), _day(params, "to")
    if last < first:
        raise BadRequest("to must not be before from")
    if (last - first).days + 1 > MAX_DAYS:
        raise BadRequest(f"a report covers at most {MAX_DAYS} days")
    group_by = params.get("group_by", "day")
    if group_by not in GROUPS:
        raise BadRequest(f"group_by must be one of {', '.join(GROUPS)}")
    fmt = params.get("format", "json")
    if fmt not in ("json", "csv"):
        raise BadRequest("format must be json or csv")
    return Query(first, last, group_by, _flag(params, "business_hours"), fmt == "csv")


def _seconds(buckets: Mapping[str, int]) -> dict[str, int | None]:
    def rounded(value: float | None) -> int | None:
        return None if value is None else round(value)

    return {"median": rounded(quantile(buckets, 0.5)), "p90": rounded(quantile(buckets, 0.9))}


def _row(key: str, numbers: Mapping[str, int], business: bool) -> dict[str, Any]:
    def histogram(name: str) -> dict[str, int]:
        prefix = name + "_"
        return {k[len(prefix):]: n for k, n in numbers.items() if k.startswith(prefix)}

    return {"key": key, **{c: int(numbers.get(c, 0)) for c in COUNTERS},
            "first_response_seconds": _seconds(histogram(FIRST_RESPONSE_BUSINESS if business else FIRST_RESPONSE)),
            "resolution_seconds": _seconds(histogram(RESOLUTION_BUSINESS if business else RESOLUTION))}


def rows(query: Query, aggregates: Iterable[tuple[str, str, Mapping[str, int]]]) -> list[dict[str, Any]]:
    """Report rows from (day, value, numbers) aggregates of the query's dimension: by day, every day
    of the range (zeros and nulls where nothing happened); else one row per value seen, merged over
    the days (histograms add bucket by bucket), sorted by key."""
    merged: dict[str, dict[str, int]] = {}
    if query.group_by == "day":
        day = query.first
        while day <= query.last:
            merged[day.isoformat()] = {}
            day += dt.timedelta(days=1)
    for day_text, value, numbers in aggregates:
        into = merged.setdefault(day_text if query.group_by == "day" else value, {})
        for name, n in numbers.items():
            into[name] = into.get(name, 0) + n
    return [_row(key, merged[key], query.business_hours) for key in sorted(merged)]


def tickets(who: AgentIdentity, params: Mapping[str, str]) -> dict[str, Any]:
    """GET /api/reports/tickets: one Query of the dimension's aggregates over the range."""
    roles.require(who, roles.READ_REPORTS)
    query = parse(params)
    found = report_store.counts_between(who.account_id, query.group_by, query.first.isoformat(),
                                        query.last.isoformat())
    return {"rows": rows(query, found), "definitions": DEFINITIONS}


def _cell(value: Any) -> str:
    """A CSV cell; text a spreadsheet would take for a formula (a tag named `=HYPERLINK(...)`) is
    quoted as text."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(report: Mapping[str, Any]) -> str:
    """The report as CSV: a header line, then one line per row (empty where JSON has null)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in report["rows"]:
        writer.writerow([_cell(row["key"]), row["created"], row["reopened"], row["closed"], row["auto_closed"],
                         *(_cell(row[m][q]) for m in ("first_response_seconds", "resolution_seconds")
                           for q in ("median", "p90")),
                         row["skill_answered"], row["skill_handed_off"], row["skill_resolved"]])
    return out.getvalue()
