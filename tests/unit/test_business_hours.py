"""Business seconds: the part of a span that falls in the account's office hours, in its own time zone,
across nights, weekends, holidays, lunch gaps and the days the clocks change; and always what
`is_open` says, minute by minute."""
from __future__ import annotations

import datetime as dt
import random

import pytest

from helpdesk.office_hours import business_seconds, is_open

WEEKDAYS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
SEOUL = {"timezone": "Asia/Seoul", "weekly": WEEKDAYS, "holidays": ["2026-12-25"]}
HOUR = 3600.0


def kst(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.mark.parametrize("start, end, expected", [
    ("2026-11-23T10:00", "2026-11-23T12:30", 2.5 * HOUR),  # Monday, inside the day
    ("2026-11-23T07:00", "2026-11-23T20:00", 9 * HOUR),  # before opening to after closing
    ("2026-11-23T17:00", "2026-11-24T10:00", 2 * HOUR),  # across a night
    ("2026-11-27T17:00", "2026-11-30T10:00", 2 * HOUR),  # Friday evening to Monday morning: the weekend is closed
    ("2026-11-28T09:00", "2026-11-29T23:00", 0.0),  # a whole weekend
    ("2026-12-24T17:00", "2026-12-28T10:00", 2 * HOUR),  # Thursday; the Friday is a holiday; Monday
    ("2026-11-23T19:00", "2026-11-23T23:00", 0.0),  # wholly after hours
    ("2026-11-23T10:00", "2026-11-30T10:00", 5 * 9 * HOUR),  # a week
])
def test_business_seconds_counts_only_the_open_hours(start: str, end: str, expected: float) -> None:
    assert business_seconds(kst(start), kst(end), SEOUL) == expected


def test_the_days_are_the_accounts_own_not_utcs() -> None:
    # Monday 08:00 to 10:00 in Seoul is Sunday 23:00 to Monday 01:00 in UTC: one open hour.
    start = dt.datetime(2026, 11, 22, 23, 0, tzinfo=dt.UTC)
    assert business_seconds(start, start + dt.timedelta(hours=2), SEOUL) == HOUR


def test_a_lunch_gap_and_overlapping_spans() -> None:
    hours = {"timezone": "UTC", "weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"], ["17:00", "19:00"]]}}
    monday = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    # 09-12 and 13-19 (the last two spans overlap: counted once)
    assert business_seconds(monday, monday + dt.timedelta(days=1), hours) == 9 * HOUR


def test_the_day_the_clocks_go_forward_has_an_hour_less() -> None:
    # New York, 8 March 2026: 02:00 EST becomes 03:00 EDT. Open 01:00-04:00 is two real hours.
    hours = {"timezone": "America/New_York", "weekly": {"sun": [["01:00", "04:00"]]}}
    day = dt.datetime(2026, 3, 8, 5, 0, tzinfo=dt.UTC)  # 00:00 EST
    assert business_seconds(day, day + dt.timedelta(hours=6), hours) == 2 * HOUR


def test_without_office_hours_every_second_counts() -> None:
    start = kst("2026-11-28T09:00")  # a Saturday
    assert business_seconds(start, start + dt.timedelta(hours=30), None) == 30 * HOUR


def test_an_empty_or_backward_span_is_zero() -> None:
    start = kst("2026-11-23T10:00")
    assert business_seconds(start, start, SEOUL) == 0.0
    assert business_seconds(start, start - dt.timedelta(hours=1), SEOUL) == 0.0


def test_it_agrees_with_is_open_minute_by_minute() -> None:
    """Spans on whole minutes, a span from minute to minute: each minute is open or closed as a whole,
    so the business seconds are 60 x the open minutes `is_open` finds."""
    hours = {"timezone": "Europe/Berlin", "holidays": ["2026-10-26"],
             "weekly": {"mon": [["08:30", "12:00"], ["12:45", "17:15"]], "wed": [["00:00", "23:59"]],
                        "sat": [["10:00", "14:00"]]}}
    rng = random.Random(7)
    base = dt.datetime(2026, 10, 20, tzinfo=dt.UTC)  # Berlin leaves summer time on the 25th
    for _ in range(12):
        start = base + dt.timedelta(minutes=rng.randrange(0, 14 * 24 * 60))
        minutes = rng.randrange(0, 4 * 24 * 60)
        open_minutes = sum(is_open(hours, start + dt.timedelta(minutes=m)) for m in range(minutes))
        assert business_seconds(start, start + dt.timedelta(minutes=minutes), hours) == 60 * open_minutes
