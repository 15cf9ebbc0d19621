"""When a ticket next needs the sweep: a snooze ending, or the web-chat follow-up email (one, three
minutes after the last agent reply, while the customer is away and has not read it)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from helpdesk.clock import parse_iso

FOLLOWUP_DELAY = dt.timedelta(minutes=3)


@dataclass(frozen=True)
class TicketTimes:
    channel: str
    status: str
    snooze_until: str | None = None
    customer_email: str | None = None
    customer_online: bool | None = None
    customer_read_at: str | None = None
    last_outbound_at: str | None = None
    last_inbound_at: str | None = None
    followup_sent_for: str | None = None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def followup_due(t: TicketTimes) -> str | None:
    """When the follow-up email of the latest agent reply is due, or None when none is owed."""
    if t.channel != "webchat" or not t.customer_email or not t.last_outbound_at:
        return None
    if t.customer_online is not False or t.followup_sent_for == t.last_outbound_at:
        return None
    if t.customer_read_at and t.customer_read_at >= t.last_outbound_at:
        return None  # read it first
    if t.last_inbound_at and t.last_inbound_at >= t.last_outbound_at:
        return None  # came back and wrote after the reply
    return _iso(parse_iso(t.last_outbound_at) + FOLLOWUP_DELAY)


def next_due(t: TicketTimes) -> str | None:
    candidates = [d for d in (t.snooze_until if t.status == "snoozed" else None, followup_due(t)) if d]
    return min(candidates) if candidates else None
