"""Agents' replies and internal notes on a ticket, sent on the ticket's channel where we can."""
from __future__ import annotations

import secrets
from typing import Any

from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.errors import BadRequest, Conflict, HelpdeskError
from helpdesk.observability import count, logger
from helpdesk.store import accounts
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.models import Message, Ticket

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


def post(who: AgentIdentity, ticket_id: str, body: Any) -> dict[str, Any]:
    kind, text = _validate(body)
    for _ in range(5):
        ticket = ticket_store.get_ticket(who.account_id, ticket_id)
        if kind == "reply" and ticket.channel not in REPLY_CHANNELS:
            raise NotSupported(f"replies on {ticket.channel} are not available yet; add a note instead")
        message, refs, email = _message(who, ticket, kind, text)
        fields: dict[str, Any] = {"updated_at": message.created_at}
        if kind == "reply":
            fields["last_outbound_at"] = message.created_at
        if ticket_store.add_outbound(ticket, message, refs, **fields):
            if email is not None:
                email()
            count("reply_sent" if kind == "reply" else "note_added")
            logger.info("agent message", extra={"account_id": who.account_id, "ticket_id": ticket_id,
                                                "agent_id": who.agent_id, "type": kind})
            return {"id": message.message_id, "direction": message.direction, "body": message.body,
                    "created_at": message.created_at}
    raise Conflict("the ticket kept changing; try again")


def _message(who: AgentIdentity, ticket: Ticket, kind: str, text: str) -> tuple[Message, list[str], Any]:
    now = now_iso()
    refs: list[str] = []
    email = None
    message_id = "out-" + secrets.token_hex(8)
    if kind == "reply" and ticket.channel == "email":
        account = accounts.get_account(who.account_id)
        if not account.support_email:
            raise Conflict("the account has no support email address to reply from")
        message_id, email = _email_reply(account.support_email, ticket, text)
        refs.append(message_id)
    message = Message(ticket_store.ticket_pk(who.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                      message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                      direction="outbound" if kind == "reply" else "note", body=text, created_at=now,
                      sender=who.agent_id)
    return message, refs, email


def _email_reply(support: str, ticket: Ticket, text: str) -> tuple[str, Any]:
    """Our Message-ID (claimed as a ref before sending) and the send itself. Replies carry a
    plus-addressed Reply-To naming the ticket, so answers thread even when a client drops headers."""
    local, domain = support.split("@", 1)
    message_id = f"{secrets.token_hex(12)}@{domain}"
    inbound = [m for m in ticket_store.latest_messages(ticket.account_id, ticket.ticket_id, 50)
               if m.direction == "inbound"]
    last = inbound[-1].message_id if inbound else None
    subject = ticket.subject or "Your request"
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"

    def send() -> None:
        mail_store.send(support, ticket.contact, subject, text, reply_to=f"{local}+{ticket.ticket_id}@{domain}",
                        in_reply_to=last, references=[last] if last else None, message_id=message_id)

    return message_id, send
