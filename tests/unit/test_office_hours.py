"""Office hours: whether the team is in, in the account's own timezone, holidays included."""
from __future__ import annotations

import datetime as dt

import pytest

from helpdesk.errors import BadRequest
from helpdesk.office_hours import is_open, validate

SEOUL = {"timezone": "Asia/Seoul", "weekly": {"mon": [["09:00", "12:00"], ["13:00", "18:00"]]},
         "holidays": ["2026-11-30"]}


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)


@pytest.mark.parametrize("moment, expected", [
    ("2026-11-23T00:00:00", True),   # Monday 09:00 in Seoul
    ("2026-11-22T23:59:59", False),  # Monday 08:59:59 in Seoul (still Sunday in UTC)
    ("2026-11-23T03:30:00", False),  # 12:30 lunch gap
    ("2026-11-23T08:59:00", True),   # 17:59
    ("2026-11-23T09:00:00", False),  # 18:00: closes at the end of the span
    ("2026-11-24T02:00:00", False),  # Tuesday: no hours
    ("2026-11-30T02:00:00", False),  # a Monday that is a holiday
])
def test_is_open_reads_the_week_in_the_account_timezone(moment: str, expected: bool) -> None:
    assert is_open(SEOUL, utc(moment)) is expected


def test_no_office_hours_means_always_open() -> None:
    assert is_open(None, utc("2026-11-24T03:00:00")) is True


@pytest.mark.parametrize("hours", [
    "9-5", {"timezone": "Mars/Olympus"}, {"weekly": {"funday": []}},
    {"weekly": {"mon": [["18:00", "09:00"]]}}, {"weekly": {"mon": [["9am", "5pm"]]}},
    {"weekly": {"mon": [["09:00"]]}}, {"holidays": ["25/12/2026"]},
])
def test_malformed_office_hours_are_refused(hours: object) -> None:
    with pytest.raises(BadRequest):
        validate(hours)


def test_valid_office_hours_are_kept() -> None:
    assert validate(SEOUL) is SEOUL
