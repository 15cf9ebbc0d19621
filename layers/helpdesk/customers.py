"""The customer beside the conversation (SPEC §4): the profile panel of the ticket screen, and what
the marketing system tells the helpdesk of its customers (their events, segments and predictive
analytics) through `POST /api/profile-events`.

Profile details are a paid feature: on plan `inbox` the panel shows who the customer is (id, name)
and why there is no more, and the event routes answer 403 naming the plan. Nothing is deleted on a
downgrade; it is only not shown.
"""
from __future__ import annotations

import datetime as dt
import json
import math
import time
from dataclasses import dataclass
from typing import Any

from helpdesk import plans, roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.errors import BadRequest, Forbidden, NotFound
from helpdesk.params import page_limit
from helpdesk.store import accounts
from helpdesk.store import profile_events as event_store
from helpdesk.store.accounts import Identity
from helpdesk.store.models import Account, Profile, ProfileEvent, Ticket

MAX_EVENTS = MAX_PROFILES = 100  # per call
MAX_EVENT_ID, MAX_METRIC = 200, 100
MAX_PROPERTIES_BYTES = 16 * 1024
MAX_SEGMENTS, MAX_SEGMENT = 100, 100
MAX_EMAIL = 254
MAX_PROFILE_ID = 64  # ours are 17 characters; a longer one names nothing
EARLIEST = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
FUTURE_SLACK = dt.timedelta(days=1)  # the marketing system's clock may run ahead a little, not more
PAGE_SIZE, MAX_PAGE = 25, 100
PREDICTIVE = ("lifetime_value", "order_count", "churn_risk", "expected_next_order_date")


# --- the panel of the ticket screen ------------------------------------------------------------------


def _withheld(account: Account) -> str | None:
    """Why the account does not get profile details (the 403 text naming the plan), or None."""
    try:
        plans.require(account, plans.PROFILE_DETAILS)
    except Forbidden as refusal:
        return refusal.reason
    return None


def panel(ticket: Ticket, profile: Profile | None) -> dict[str, Any] | None:
    """The ticket's customer as the ticket screen shows them; None for a ticket without a profile.
    A profile whose item is not made yet (an SMS ticket's, for the second after intake) shows as
    empty. On the free plan: `{"id", "name", "profile_details": "<why not, naming the plan>"}`."""
    if not ticket.profile_id:
        return None
    name = profile.name if profile else None
    reason = _withheld(accounts.get_account(ticket.account_id))
    if reason:
        return {"id": ticket.profile_id, "name": name, "profile_details": reason}
    return {"id": ticket.profile_id, "name": name, "email": profile.email if profile else None,
            "phone": profile.phone if profile else None,
            "consent": {"sms": profile.consent_sms if profile else None,
                        "whatsapp": profile.consent_whatsapp if profile else None,
                        "email": profile.consent_email if profile else None},
            "segments": list(profile.segments or []) if profile else [],
            "predictive": _predictive_json(profile),
            "ticket_count": accounts.profile_ticket_count(ticket.account_id, ticket.profile_id)}


def _predictive_json(profile: Profile | None) -> dict[str, Any] | None:
    raw = profile.predictive if profile else None
    values: dict[str, Any] = raw.as_dict() if raw is not None and hasattr(raw, "as_dict") else dict(raw or {})
    if not values:
        return None
    return {name: values.get(name) for name in PREDICTIVE}


# --- the marketing system's calls -------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    identity: Identity
    event: event_store.NewEvent


@dataclass(frozen=True)
class _Update:
    identity: Identity
    fields: dict[str, Any]  # segments and/or predictive, checked


def ingest(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """`{"events": [...], "profiles": [...]}` from the marketing system (owner, admin, integration).
    Everything is checked before anything is written: one bad field is a 400 naming it, and nothing
    is stored. A replayed event (same id) is counted in `duplicates` and stored once."""
    roles.require(who, roles.SEND_PROFILE_EVENTS)
    plans.require(accounts.get_account(who.account_id), plans.PROFILE_DETAILS)
    events, updates = _checked(body)
    profiles = accounts.profiles_of(who.account_id, [e.identity for e in events] + [u.identity for u in updates])
    for update in updates:
        accounts.set_marketing(who.account_id, profiles[update.identity], update.identity, **update.fields)
    received_at, now = now_iso(), int(time.time())
    stored = [event_store.put(who.account_id, profiles[e.identity], e.event, received_at, now) for e in events]
    return {"accepted": stored.count(True), "duplicates": stored.count(False), "profiles": len(updates)}


def _checked(body: Any) -> tuple[list[_Event], list[_Update]]:
    if not isinstance(body, dict) or set(body) - {"events", "profiles"}:
        raise BadRequest('expected {"events": [...], "profiles": [...]}')
    raw_events, raw_profiles = body.get("events", []), body.get("profiles", [])
    if not isinstance(raw_events, list) or len(raw_events) > MAX_EVENTS:
        raise BadRequest(f"events must be a list of at most {MAX_EVENTS}")
    if not isinstance(raw_profiles, list) or len(raw_profiles) > MAX_PROFILES:
        raise BadRequest(f"profiles must be a list of at most {MAX_PROFILES}")
    if not raw_events and not raw_profiles:
        raise BadRequest("nothing to store: give events or profiles")
    now = dt.datetime.now(dt.UTC)
    events = [_checked_event(f"events[{i}]", e, now) for i, e in enumerate(raw_events)]
    updates = [_checked_update(f"profiles[{i}]", p) for i, p in enumerate(raw_profiles)]
    return events, updates


def _object(where: str, value: Any, allowed: set[str], required: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{where} must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise BadRequest(f"{where}.{unknown[0]} is not a field")
    missing = sorted(required - set(value))
    if missing:
        raise BadRequest(f"{where}.{missing[0]} is required")
    return value


def _text(where: str, value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit or not value.isprintable():
        raise BadRequest(f"{where} must be printable text of 1 to {limit} characters")
    return value.strip()


def _checked_event(where: str, raw: Any, now: dt.datetime) -> _Event:
    e = _object(where, raw, {"id", "metric", "time", "properties", "profile"}, {"id", "metric", "time", "profile"})
    properties = e.get("properties", {})
    if not isinstance(properties, dict):
        raise BadRequest(f"{where}.properties must be an object")
    if len(json.dumps(properties, separators=(",", ":"), ensure_ascii=False).encode()) > MAX_PROPERTIES_BYTES:
        raise BadRequest(f"{where}.properties must be at most {MAX_PROPERTIES_BYTES // 1024} KB as JSON")
    return _Event(_identity(f"{where}.profile", e["profile"]), event_store.NewEvent(
        event_id=_text(f"{where}.id", e["id"], MAX_EVENT_ID), metric=_text(f"{where}.metric", e["metric"], MAX_METRIC),
        occurred_at=_time(f"{where}.time", e["time"], now), properties=properties))


def _time(where: str, value: Any, now: dt.datetime) -> str:
    """An ISO 8601 time with its offset, as UTC in the form every time of the table has (so the
    events' order in their indexes is time order)."""
    try:
        at = parse_iso(value) if isinstance(value, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise BadRequest(f"{where} must be an ISO 8601 time with a timezone")
    at = at.astimezone(dt.UTC)
    if not EARLIEST <= at <= now + FUTURE_SLACK:
        raise BadRequest(f"{where} must be between {EARLIEST.year} and now")
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _identity(where: str, raw: Any) -> Identity:
    p = _object(where, raw, {"email", "phone"}, set())
    email, phone = p.get("email"), p.get("phone")
    if email is None and phone is None:
        raise BadRequest(f"{where} needs an email or a phone")
    return Identity(_email(f"{where}.email", email) if email is not None else None,
                    _phone(f"{where}.phone", phone) if phone is not None else None)


def _email(where: str, value: Any) -> str:
    address = value.strip().lower() if isinstance(value, str) else ""
    local, _, domain = address.partition("@")
    if (not local or "." not in domain or "@" in domain or len(address) > MAX_EMAIL
            or any(c.isspace() or not c.isprintable() for c in address)):
        raise BadRequest(f"{where} must be an email address")
    return address


def _phone(where: str, value: Any) -> str:
    from helpdesk.phone import to_e164  # (phonenumbers: imported by the calls that need it, not every cold start)

    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise BadRequest(f"{where} must be a phone number in E.164 form")
    try:
        return to_e164(value)
    except BadRequest as exc:
        raise BadRequest(f"{where} must be a phone number in E.164 form") from exc


def _checked_update(where: str, raw: Any) -> _Update:
    p = _object(where, raw, {"email", "phone", "segments", "predictive"}, set())
    identity = _identity(where, {k: v for k, v in p.items() if k in ("email", "phone")})
    fields: dict[str, Any] = {}
    if "segments" in p:
        segments = p["segments"]
        if not isinstance(segments, list) or len(segments) > MAX_SEGMENTS:
            raise BadRequest(f"{where}.segments must be a list of at most {MAX_SEGMENTS}")
        fields["segments"] = list(dict.fromkeys(_text(f"{where}.segments[{i}]", s, MAX_SEGMENT)
                                                for i, s in enumerate(segments)))
    if "predictive" in p:
        fields["predictive"] = _predictive(f"{where}.predictive", p["predictive"])
    if not fields:
        raise BadRequest(f"{where} needs segments or predictive")
    return _Update(identity, fields)


def _predictive(where: str, raw: Any) -> dict[str, Any] | None:
    """The predictive analytics, its absent or null fields left out (null as a whole clears them)."""
    if raw is None:
        return None
    p = _object(where, raw, set(PREDICTIVE), set())
    out: dict[str, Any] = {}
    for name in ("lifetime_value", "churn_risk", "order_count"):
        value = p.get(name)
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        if (not number or value < 0 or (name == "churn_risk" and value > 1)
                or (name == "order_count" and value != int(value))):
            raise BadRequest(f"{where}.{name} must be " + {
                "lifetime_value": "a number of at least 0", "churn_risk": "a number from 0 to 1",
                "order_count": "a whole number of at least 0"}[name])
        out[name] = int(value) if name == "order_count" else value
    date = p.get("expected_next_order_date")
    if date is not None:
        try:
            valid = isinstance(date, str) and len(date) == 10 and dt.date.fromisoformat(date) is not None
        except ValueError:
            valid = False
        if not valid:
            raise BadRequest(f"{where}.expected_next_order_date must be a date, YYYY-MM-DD")
        out["expected_next_order_date"] = date
    return out or None


# --- the agents' reading ---------------------------------------------------------------------------


def event_json(e: ProfileEvent) -> dict[str, Any]:
    return {"id": e.event_id, "metric": e.metric, "time": e.occurred_at, "properties": json.loads(e.properties or "{}")}


def events(who: AgentIdentity, profile_id: str, params: dict[str, str]) -> dict[str, Any]:
    """`GET /api/profiles/{id}/events?metric=&next=&limit=`: the profile's events, newest first, of one
    metric or all. A profile of another account is no profile of this one: 404."""
    plans.require(accounts.get_account(who.account_id), plans.PROFILE_DETAILS)
    if not profile_id or len(profile_id) > MAX_PROFILE_ID or accounts.get_profile(who.account_id, profile_id) is None:
        raise NotFound("no such profile")
    metric = params.get("metric") or None
    if metric is not None:
        metric = _text("metric", metric, MAX_METRIC)
    limit = page_limit(params, PAGE_SIZE, MAX_PAGE)
    items, cursor = event_store.page(who.account_id, profile_id, metric, params.get("next"), limit)
    return {"items": [event_json(e) for e in items], "next": cursor}
