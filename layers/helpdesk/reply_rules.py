"""When an agent may answer a customer, channel by channel (SPEC §3, the providers' own rules), and
how long the customer-service window has left. Pure: the consent half of the rules is a condition
of the write that stores the reply (helpdesk/store/outbox.py), so a STOP landing between the check
and the send cannot slip through.

- Every channel: the customer wrote first (a ticket is only ever started by the customer).
- SMS: only to profiles with SMS consent (a STOP since revokes it).
- WhatsApp: only within 24 hours of the customer's last message (after that Meta accepts templates
  only: error 131047); never after a STOP.
- Instagram: within 24 hours; up to 7 days with the HUMAN_AGENT tag when the account enables it
  (Meta must have approved the app for the tag; bots may never use it).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from helpdesk.clock import parse_iso

SERVICE_WINDOW = dt.timedelta(hours=24)
HUMAN_AGENT_WINDOW = dt.timedelta(days=7)
# Meta has answered 131047 to replies sent just inside the window (clock skew, its own timestamps):
# the window we offer closes a little before Meta's.
SAFETY_MARGIN = dt.timedelta(minutes=2)
WINDOWED = ("whatsapp", "instagram")


@dataclass(frozen=True)
class Window:
    """The customer-service window of a WhatsApp or Instagram ticket."""

    closes_at: dt.datetime  # when a normal reply stops being allowed
    human_agent_until: dt.datetime | None  # Instagram with the tag enabled: the longer window

    def hours_left(self, now: dt.datetime) -> float:
        end = self.human_agent_until or self.closes_at
        return max(0.0, round((end - now).total_seconds() / 3600, 1))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    reason: str | None = None
    human_agent: bool = False  # Instagram: send with the HUMAN_AGENT tag
    # What the reason says, for a console that shows it in the agent's language: no_customer_message,
    # window_closed, opted_out, not_subscribed.
    code: str | None = None


def customer_wrote_at(ticket: Any) -> str | None:
    """Where the windows start: when the customer sent their latest message (the provider's time, as
    intake keeps it), else when it arrived."""
    return getattr(ticket, "customer_wrote_at", None) or getattr(ticket, "last_inbound_at", None)


def window(channel: str, last_inbound_at: str | None, *, human_agent_tag: bool = False) -> Window | None:
    if channel not in WINDOWED or not last_inbound_at:
        return None
    last = parse_iso(last_inbound_at)
    longer = last + HUMAN_AGENT_WINDOW - SAFETY_MARGIN if channel == "instagram" and human_agent_tag else None
    return Window(last + SERVICE_WINDOW - SAFETY_MARGIN, longer)


def window_json(channel: str, last_inbound_at: str | None, now: dt.datetime, *,
                human_agent_tag: bool = False) -> dict[str, object] | None:
    """What the ticket shows an agent: when the window closes and how many hours are left."""
    w = window(channel, last_inbound_at, human_agent_tag=human_agent_tag)
    if w is None:
        return None
    out: dict[str, object] = {"closes_at": _iso(w.closes_at), "hours_left": w.hours_left(now),
                              "open": now < (w.human_agent_until or w.closes_at)}
    if w.human_agent_until is not None:
        out["human_agent_until"] = _iso(w.human_agent_until)
    return out


def check(channel: str, last_inbound_at: str | None, now: dt.datetime, *,
          human_agent_tag: bool = False) -> Verdict:
    """The rules that depend on the ticket alone (consent is checked where the reply is stored)."""
    if not last_inbound_at:
        return Verdict(False, "the customer has not written on this ticket: only a customer can start a conversation",
                       code="no_customer_message")
    w = window(channel, last_inbound_at, human_agent_tag=human_agent_tag)
    if w is None or now < w.closes_at:
        return Verdict(True)
    if w.human_agent_until is not None and now < w.human_agent_until:
        return Verdict(True, human_agent=True)
    if channel == "whatsapp":
        return Verdict(False, "WhatsApp's 24-hour customer-service window has closed: the customer "
                              "must write again before an agent can answer", code="window_closed")
    if human_agent_tag:
        return Verdict(False, "Instagram allows answers only within 7 days of the customer's last message",
                       code="window_closed")
    return Verdict(False, "Instagram's 24-hour messaging window has closed (turn on "
                          "instagram.human_agent_tag to answer for up to 7 days)", code="window_closed")


# The consent each channel's reply needs, as the profile records it (keywords set it).
CONSENT_FIELD = {"sms": "consent_sms", "whatsapp": "consent_whatsapp"}


def consent_refusal(channel: str, consent: str | None) -> str:
    """Why a reply was refused on consent, from the profile's value at the time."""
    if consent == "unsubscribed":
        return f"the customer opted out of {_name(channel)} (they sent STOP): no message may be sent"
    return "the customer has not subscribed to SMS: replies by SMS go only to SMS subscribers; " \
           "answer by email if you have their address"


def consent_refusal_code(consent: str | None) -> str:
    return "opted_out" if consent == "unsubscribed" else "not_subscribed"


def consent_ok(channel: str, consent: str | None) -> bool:
    if channel == "sms":
        return consent == "subscribed"
    return consent != "unsubscribed"


def _name(channel: str) -> str:
    return {"sms": "SMS", "whatsapp": "WhatsApp"}.get(channel, channel)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
