"""Agents' replies and internal notes on a ticket, sent on the ticket's channel where we can."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from typing import Any

from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, Transient
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.keys import ticket_pk
from helpdesk.store.models import Message, Ticket
from helpdesk.workspace import message_json

MAX_BODY = 10_000
# Channels whose replies this deployment can deliver: web chat (the widget reads them) and email (SES).
REPLY_CHANNELS = ("webchat", "email")


class NotSupported(HelpdeskError):
    status = 501


def _validate(body: Any) -> tuple[str, str]:
    if not isinstance(body, dict):
        raise BadRequest('expected {"body": "...", "type": "reply" | "note"}')
    kind = body.get("type", "reply")
    text = body.get("body")
    if kind not in ("reply", "note"):
        raise BadRequest("type must be reply or note")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_BODY:
        raise BadRequest(f"body must be non-empty text of at most {MAX_BODY} characters")
    return kind, text


SEND_LEASE = dt.timedelta(minutes=2)  # a claimed send not reported back after this is taken again


def post(who: AgentIdentity, ticket_id: str, body: Any, idempotency_key: str | None = None) -> dict[str, Any]:
    """Add a note, or store and send a reply. With an idempotency key (the `Idempotency-Key` header or
    `client_message_id`), a repeated or concurrent request answers the same message and never sends
    twice; a reply whose sending failed is sent again, under the same Message-ID."""
    kind, text = _validate(body)
    key = idempotency_key or (body.get("client_message_id") if isinstance(body.get("client_message_id"), str)
                              else None)
    if key is not None and not 0 < len(key) <= 128:
        raise BadRequest("the idempotency key must be 1 to 128 characters")
    for _ in range(5):
        ticket = ticket_store.get_ticket(who.account_id, ticket_id)
        if kind == "reply" and ticket.channel not in REPLY_CHANNELS:
            raise NotSupported(f"replies on {ticket.channel} are not available yet; add a note instead")
        message, refs, sender = _message(who, ticket, kind, text, key)
        fields: dict[str, Any] = {"updated_at": message.created_at}
        if kind == "reply":
            fields["last_outbound_at"] = message.created_at
        outcome = ticket_store.add_outbound(ticket, message, refs, **fields)
        if outcome == "changed":
            continue
        # Stored now: the message was stored as claimed for sending, by this request. Stored before:
        # it is sent again only if that send failed or was abandoned, and only by whichever request
        # wins the conditional claim; the other answers the message as it is.
        mine = outcome == "stored"
        if outcome == "duplicate":
            stored = ticket_store.outbound_message(who.account_id, ticket.channel, refs[0])
            if stored is None or stored.ticket_id != ticket_id:
                raise Conflict("that idempotency key belongs to another message")
            message = stored
            now = dt.datetime.now(dt.UTC)
            mine = sender is not None and ticket_store.claim_delivery(
                message, _iso(now), _iso(now - SEND_LEASE))
        if sender is not None and mine:
            _deliver(message, sender)
        if outcome == "stored":
            count("reply_sent" if kind == "reply" else "note_added")
            logger.info("agent message", extra={"account_id": who.account_id, "ticket_id": ticket_id,
                                                "agent_id": who.agent_id, "type": kind})
        return message_json(message)
    raise Transient("the ticket kept changing; try again")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _deliver(message: Message, send: Callable[[Message], None]) -> None:
    """Send, then record it; a failure is recorded too and answered (503 when a retry may cure it),
    so the agent's retry (same key) sends again rather than storing a second reply."""
    try:
        send(message)
    except HelpdeskError:
        ticket_store.set_delivery(message, "failed")
        raise
    ticket_store.set_delivery(message, "sent")
    message.extra["delivery"] = "sent"


def _message(who: AgentIdentity, ticket: Ticket, kind: str, text: str,
             key: str | None) -> tuple[Message, list[str], Callable[[Message], None] | None]:
    now = now_iso()
    # Derived from the key when there is one, so a repeated request claims the same ids.
    token = hashlib.blake2b(f"{who.agent_id}\x1f{ticket.ticket_id}\x1f{key}".encode(), digest_size=12).hexdigest() \
        if key else secrets.token_hex(12)
    message_id = "out-" + token
    sender = None
    extra: dict[str, str] = {}
    if kind == "reply" and ticket.channel == "email":
        account = accounts.get_account(who.account_id)
        if not account.support_email:
            raise Conflict("the account has no support email address to reply from")
        message_id, sender = _email_reply(account.support_email, ticket, token)
        extra = {"delivery": "queued", "claimed_at": now}  # stored as claimed by this request
    elif kind == "reply":
        extra = {"delivery": "sent"}  # web chat: the widget reads it from the conversation
    message = Message(ticket_pk(who.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                      message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                      direction="outbound" if kind == "reply" else "note", body=text, created_at=now,
                      sender=who.agent_id, extra=extra)
    return message, [message_id], sender


def _email_reply(support: str, ticket: Ticket, token: str) -> tuple[str, Callable[[Message], None]]:
    """Our Message-ID (claimed as a ref before sending) and the send itself, of the stored message's
    body. Replies carry a plus-addressed Reply-To naming the ticket, so answers thread even when a
    client drops headers."""
    local, domain = support.split("@", 1)
    message_id = f"{token}@{domain}"
    subject = ticket.subject or "Your request"
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"

    def send(message: Message) -> None:
        inbound = [m for m in ticket_store.latest_messages(ticket.account_id, ticket.ticket_id, 50)
                   if m.direction == "inbound"]
        last = inbound[-1].message_id if inbound else None
        mail_store.send(support, ticket.contact, subject, message.body, reply_to=f"{local}+{ticket.ticket_id}@{domain}",
                        in_reply_to=last, references=[last] if last else None, message_id=message_id)

    return message_id, send
