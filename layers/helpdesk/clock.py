"""The one clock of the domain: ISO 8601 UTC strings with milliseconds, which sort as they read."""
from __future__ import annotations

import datetime as dt


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_epoch_seconds(seconds: int | float) -> str:
    return dt.datetime.fromtimestamp(float(seconds), dt.UTC).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
