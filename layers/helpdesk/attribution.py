"""SMS reply attribution (SPEC §7): which campaign or flow message caused a customer's SMS.

The marketing system tells the helpdesk what it sent, one record per recipient
(`POST /api/outbound-messages`, `ingest`). Each customer SMS stored is then decided by the
attribution worker, from the table's stream (`on_change`), never by the webhook:
- attributed only within the account's window (`attribution.sms_window`, default PT24H) after the
  outbound message was received;
- to the last message the customer received before writing (a campaign, then a flow: the flow);
- only the first reply of a run: that message is claimed by the reply it is attributed to, so the
  replies after it in a row find it claimed and are attributed to nothing, until another message
  arrives.
The lookup is one Query (the customer's latest message, newest first, limit 1); the decision is one
transaction (the claim, the message's `attribution`, the ticket's first, the source's count), made
once per message: a redelivered record decides nothing twice.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from helpdesk import account_settings, roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.errors import BadRequest
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store import attribution as store
from helpdesk.store.models import Message
from helpdesk.store.stream import Change

KINDS = ("campaign", "flow")
CHANNELS = ("sms",)
MAX_BATCH = 500
MAX_ID = 200
FIELDS = ("channel", "to", "kind", "source_id", "message_id", "received_at")
FUTURE_SLACK = dt.timedelta(minutes=5)  # clocks differ; a message "received" later than that is a mistake


@dataclass(frozen=True)
class Outbound:
    channel: str
    to: str
    kind: str
    source_id: str
    message_id: str
    received_at: str


# --- what the marketing system sent --------------------------------------------------------------------


def _text(where: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_ID:
        raise BadRequest(f"{where} must be non-empty text of at most {MAX_ID} characters")
    return value.strip()


def _checked(where: str, record: Any, now: dt.datetime) -> Outbound:
    if not isinstance(record, dict):
        raise BadRequest(f"{where} must be an object with " + ", ".join(FIELDS))
    unknown = sorted(set(record) - set(FIELDS))
    if unknown:
        raise BadRequest(f"{where}.{unknown[0]} is not a field of an outbound message")
    missing = [f for f in FIELDS if f not in record]
    if missing:
        raise BadRequest(f"{where}.{missing[0]} is required")
    if record["channel"] not in CHANNELS:
        raise BadRequest(f"{where}.channel must be sms")
    if record["kind"] not in KINDS:
        raise BadRequest(f"{where}.kind must be campaign or flow")
    from helpdesk import phone  # phonenumbers' metadata: loaded by this route only, not by the API's cold start

    try:
        to = phone.to_e164(_text(f"{where}.to", record["to"]))
    except BadRequest as exc:
        raise BadRequest(f"{where}.to must be a phone number in E.164 form") from exc
    try:
        received = parse_iso(_text(f"{where}.received_at", record["received_at"]))
    except ValueError as exc:
        raise BadRequest(f"{where}.received_at must be an ISO 8601 time with a timezone") from exc
    if received.tzinfo is None:
        raise BadRequest(f"{where}.received_at must be an ISO 8601 time with a timezone")
    if received > now + FUTURE_SLACK:
        raise BadRequest(f"{where}.received_at is in the future")
    at = received.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return Outbound(record["channel"], to, record["kind"], _text(f"{where}.source_id", record["source_id"]),
                    _text(f"{where}.message_id", record["message_id"]), at)


def ingest(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """One record, or `{"messages": [...]}` (a bulk send, up to MAX_BATCH). Every record is checked
    before any is stored (a 400 names the bad one); a replay is counted in `duplicates`."""
    roles.require(who, roles.SEND_OUTBOUND_MESSAGES)
    now = dt.datetime.now(dt.UTC)
    if isinstance(body, dict) and set(body) == {"messages"}:
        if not isinstance(body["messages"], list) or not 0 < len(body["messages"]) <= MAX_BATCH:
            raise BadRequest(f"messages must be a list of 1 to {MAX_BATCH} outbound messages")
        records = [_checked(f"messages[{i}]", r, now) for i, r in enumerate(body["messages"])]
    else:
        records = [_checked("the body", body, now)]
    stamp = now_iso()
    stored = [store.put_outbound(who.account_id, r.channel, r.to, r.kind, r.source_id, r.message_id,
                                 r.received_at, stamp) for r in records]
    return {"accepted": stored.count(True), "duplicates": stored.count(False)}


# --- the worker -----------------------------------------------------------------------------------------


def window_seconds(account_id: str) -> int:
    settings = account_settings.of(accounts.get_account(account_id))
    return account_settings.duration_seconds(settings["attribution"]["sms_window"], "attribution.sms_window")


def on_change(change: Change) -> None:
    """A committed change of the table: a customer's SMS stored is decided; anything else is not ours."""
    message = change.new
    if change.event_name != "INSERT" or not isinstance(message, Message) or message.channel != "sms" \
            or message.direction != "inbound" or message.attribution is not None:
        return
    account_id = message.pk.split("#", 2)[1]
    sender = str(message.sender or "")
    outbound = store.last_outbound(account_id, "sms", sender, message.created_at) if sender else None
    if outbound is not None and outbound.replied_by not in (None, message.message_id):
        outbound = None  # an earlier reply of this run has it (the claim would refuse; no try needed)
    if outbound is not None:
        age = (parse_iso(message.created_at) - parse_iso(outbound.received_at)).total_seconds()
        if age > window_seconds(account_id):
            outbound = None  # too long after: it caused nothing
    attributed = store.attribute(account_id, message, outbound)
    count("sms_reply_attributed" if attributed else "sms_reply_not_attributed")
    logger.info("sms reply decided", extra={"account_id": account_id, "ticket_id": message.ticket_id,
                                            "message_id": message.message_id, "attributed": attributed,
                                            "source_id": outbound.source_id if attributed and outbound else None})


def attribution_json(value: Any) -> dict[str, Any] | None:
    """A message's or ticket's attribution as the API shows it: the source, or null for none."""
    plain = value.as_dict() if hasattr(value, "as_dict") else dict(value or {})
    return {k: plain[k] for k in ("kind", "source_id", "message_id")} if plain.get("source_id") else None
