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
