"""Office hours: a timezone, weekly opening times and holidays; whether the team is in now."""
from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.errors import BadRequest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def validate(hours: Any) -> dict[str, Any]:
    """Check an office-hours setting: {"timezone", "weekly": {"mon": [["09:00", "18:00"]], ...},
    "holidays": ["YYYY-MM-DD", ...]}."""
    if not isinstance(hours, dict):
        raise BadRequest("office hours must be an object")
    try:
        ZoneInfo(str(hours.get("timezone", "UTC")))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest("unknown timezone") from exc
    weekly = hours.get("weekly") or {}
    if not isinstance(weekly, dict) or set(weekly) - set(DAYS):
        raise BadRequest("weekly must map mon..sun to [[open, close], ...]")
    try:
        for spans in weekly.values():
            for opens, closes in spans:
                if dt.time.fromisoformat(closes) <= dt.time.fromisoformat(opens):
                    raise BadRequest("a span must close after it opens")
        for day in hours.get("holidays") or []:
            dt.date.fromisoformat(day)
    except (TypeError, ValueError) as exc:
        raise BadRequest("office hours: times as HH:MM, holidays as YYYY-MM-DD") from exc
    return hours


def is_open(hours: dict[str, Any] | None, moment: dt.datetime) -> bool:
    """Whether `moment` falls in office hours. No office hours configured: always open."""
    if not hours:
        return True
    local = moment.astimezone(ZoneInfo(str(hours.get("timezone", "UTC"))))
    if local.date().isoformat() in set(hours.get("holidays") or []):
        return False
    spans = (hours.get("weekly") or {}).get(DAYS[local.weekday()], [])
    now = local.time().replace(tzinfo=None)
    return any(dt.time.fromisoformat(a) <= now < dt.time.fromisoformat(b) for a, b in spans)


def _spans(hours: dict[str, Any], day: dt.date, zone: ZoneInfo) -> list[tuple[dt.datetime, dt.datetime]]:
    """The day's open spans as UTC instants, overlapping spans merged (nothing forbids setting
    them), none on a holiday. Wall times become instants in the zone, so a span on the day the clocks
    change is as long as it really was."""
    if day.isoformat() in set(hours.get("holidays") or []):
        return []
    spans = sorted((dt.datetime.combine(day, dt.time.fromisoformat(a), zone).astimezone(dt.UTC),
                    dt.datetime.combine(day, dt.time.fromisoformat(b), zone).astimezone(dt.UTC))
                   for a, b in (hours.get("weekly") or {}).get(DAYS[day.weekday()], []))
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for opens, closes in spans:
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def business_seconds(start: dt.datetime, end: dt.datetime, hours: dict[str, Any] | None) -> float:
    """How many seconds from `start` to `end` (aware) fall in office hours: the weekly spans of each
    day in the hours' own time zone, holidays (dates in that zone) closed all day. No office hours
    configured: every second counts, as `is_open` has the team always in. Pure: the reports'
    business-hours durations (docs/metrics.md)."""
    if end <= start:
        return 0.0
    if not hours:
        return (end - start).total_seconds()
    zone = ZoneInfo(str(hours.get("timezone") or "UTC"))
    day, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    total = 0.0
    while day <= last:
        for opens, closes in _spans(hours, day, zone):
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds()
        day += dt.timedelta(days=1)
    return total
