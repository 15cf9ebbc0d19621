"""Agents' replies and internal notes on a ticket, sent on the ticket's own channel under that
channel's rules (helpdesk/reply_rules.py), through the outbox (helpdesk/store/outbox.py)."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pynamodb.expressions.condition import Condition

from helpdesk import account_settings, links, macros, plans, reply_rules, senders
from helpdesk.attribution import attribution_json
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.conversation import Channel
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, Transient
from helpdesk.observability import count, logger
from helpdesk.providers.sending import SendRefused, Unconfirmed
from helpdesk.store import accounts, outbox
from helpdesk.store import mail as mail_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.keys import profile_pk, ticket_pk
from helpdesk.store.models import Link, Message, Ticket
from helpdesk.workspace import message_json

MAX_BODY = 10_000
MAX_LINKS = 90  # each is an item of the transaction that stores the reply (at most 100 items)
SEND_LEASE = dt.timedelta(minutes=2)  # a claimed send not reported back after this is taken again
AUTOMATIC_ATTEMPTS = 5  # writes of an automatic answer or a note while the ticket keeps changing


def _validate(body: Any) -> tuple[str, str | None, str | None]:
    """(type, body, macro id): a reply or note has a body, or a reply names a macro instead."""
    if not isinstance(body, dict):
        raise BadRequest('expected {"body": "...", "type": "reply" | "note"} or {"type": "reply", "macro_id": "..."}')
    kind = body.get("type", "reply")
    text, macro_id = body.get("body"), body.get("macro_id")
    if kind not in ("reply", "note"):
        raise BadRequest("type must be reply or note")
    if macro_id is not None:
        if kind != "reply" or text is not None or not isinstance(macro_id, str) or not macro_id:
            raise BadRequest("macro_id goes with a reply, instead of a body")
        return kind, None, macro_id
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_BODY:
        raise BadRequest(f"body must be non-empty text of at most {MAX_BODY} characters")
    return kind, text, None


def post(who: AgentIdentity, ticket_id: str, body: Any, idempotency_key: str | None = None) -> dict[str, Any]:
    """Add a note, or store and send a reply on the ticket's channel under that channel's rules
    (409 with the reason, nothing sent). With an idempotency key (the `Idempotency-Key` header or
    `client_message_id`), a repeated or concurrent request answers the same message and never sends
    twice; a reply whose send failed before reaching the provider is sent again by a retry, under
    the same id (never one the provider may have taken)."""
    kind, given, macro_id = _validate(body)
    key = idempotency_key or (body.get("client_message_id") if isinstance(body.get("client_message_id"), str)
                              else None)
    if key is not None and not 0 < len(key) <= 128:
        raise BadRequest("the idempotency key must be 1 to 128 characters")
    for _ in range(5):
        ticket = ticket_store.get_ticket(who.account_id, ticket_id)
        text = given if macro_id is None else macros.render(who, macro_id, ticket)
        if not text:
            raise BadRequest("the macro renders to nothing for this ticket")
        out = _outgoing(who, ticket, kind, text, key)
        fields: dict[str, Any] = {"updated_at": out.message.created_at}
        if kind == "reply":
            fields["last_outbound_at"] = out.message.created_at
        outcome = outbox.store_reply(ticket, out.message, out.refs, fields, consent=out.consent, links=out.links)
        if outcome == "changed":
            continue
        if outcome == "no_consent":
            raise Conflict(_consent_reason(ticket))
        # Stored now: the message was stored as claimed for sending, by this request. Stored before:
        # it is sent again only if that send failed before reaching the provider (see _claim_again),
        # and only by whichever request wins the conditional claim; the others answer it as it is.
        message, mine = out.message, outcome == "stored"
        if outcome == "duplicate":
            stored = outbox.outbound_message(who.account_id, ticket.channel, out.refs[0])
            if stored is None or stored.ticket_id != ticket_id:
                raise Conflict("that idempotency key belongs to another message")
            message = stored
            mine = out.send is not None and _claim_again(ticket, message, out)
        if out.send is not None and mine:
            _deliver(ticket, message, out.send)
        if outcome == "stored":
            count("reply_sent" if kind == "reply" else "note_added")
            logger.info("agent message", extra={"account_id": who.account_id, "ticket_id": ticket_id,
                                                "agent_id": who.agent_id, "type": kind, "channel": ticket.channel})
        return message_json(message)
    raise Transient("the ticket kept changing; try again")


def _claim_again(ticket: Ticket, message: Message, out: Outgoing) -> bool:
    """A retry of a stored reply: sent again only if its send failed before reaching the provider
    (an email also once its sender has been silent past the lease: our Message-ID makes a second copy
    the same mail), and only if the customer's consent still holds."""
    now = dt.datetime.now(dt.UTC)
    stale = _iso(now - SEND_LEASE) if ticket.channel == "email" else None
    profile = profile_pk(ticket.account_id, str(ticket.profile_id)) if out.consent is not None else None
    claim = outbox.claim_delivery(message, _iso(now), stale, consent=out.consent, profile_key=profile)
    if claim == "no_consent":
        raise Conflict(_consent_reason(ticket))
    extra = _extra(message)
    if claim == "not_claimable" and stale is None and extra.get("delivery") == "queued" \
            and str(extra.get("claimed_at") or "") < _iso(now - SEND_LEASE):
        # Its sender vanished mid-send (a crash, a timeout of the function): the provider may have
        # the message. Say so rather than send a second text.
        reason = "sending was interrupted: the message may have been sent; check before sending it again"
        outbox.record_failed(message, reason, unconfirmed=True)
        message.extra = {**extra, "delivery": "failed", "error": reason, "unconfirmed": "true"}
    return claim == "claimed"


def _extra(message: Message) -> dict[str, Any]:
    return message.extra.as_dict() if hasattr(message.extra, "as_dict") else dict(message.extra or {})


def _consent_reason(ticket: Ticket) -> str:
    profile = accounts.get_profile(ticket.account_id, str(ticket.profile_id))
    consent = getattr(profile, reply_rules.CONSENT_FIELD[ticket.channel]) if profile else None
    return reply_rules.consent_refusal(ticket.channel, consent)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


SendMessage = Callable[[Message], "str | None"]  # sends the stored message; the provider's id of it


@dataclass
class Outgoing:
    message: Message
    refs: list[str]
    send: SendMessage | None = None  # None: nothing to send (a note; web chat, which the widget reads)
    consent: Condition | None = None
    links: list[Link] = field(default_factory=list)


def _deliver(ticket: Ticket, message: Message, send: SendMessage) -> None:
    """Send, then record it; a failure is recorded too and answered (409 when the provider refused
    for good, 503 when a retry may cure it), so the agent's retry (same key) sends again rather than
    storing a second reply."""
    try:
        provider_id = send(message)
    except SendRefused as refused:
        outbox.record_failed(message, refused.reason)
        if refused.kind == "opted_out" and ticket.channel in ("sms", "whatsapp") and ticket.profile_id:
            accounts.revoke_consent(ticket.account_id, ticket.profile_id, Channel(ticket.channel))
        raise
    except HelpdeskError as error:
        # Nothing reached the provider (it was down, throttling, misconfigured): a retry may send it.
        outbox.record_failed(message, error.reason, retryable=error.status >= 500,
                             unconfirmed=isinstance(error, Unconfirmed))
        raise
    message.extra["delivery"] = outbox.record_sent(message, provider_id)
    if provider_id:
        message.extra["provider_id"] = provider_id


def _outgoing(who: AgentIdentity, ticket: Ticket, kind: str, text: str, key: str | None) -> Outgoing:
    """The message to store, the ids to claim for it, and how it is sent, after the channel's rules."""
    now = now_iso()
    # Derived from the key when there is one, so a repeated request claims the same ids.
    token = hashlib.blake2b(f"{who.agent_id}\x1f{ticket.ticket_id}\x1f{key}".encode(), digest_size=12).hexdigest() \
        if key else secrets.token_hex(12)
    message_id = "out-" + token
    out = Outgoing(Message(ticket_pk(who.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                           message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                           direction="outbound" if kind == "reply" else "note", body=text, created_at=now,
                           sender=who.agent_id, extra={}), [message_id])
    if kind != "reply":
        return out
    account = accounts.get_account(who.account_id)
    # The free plan answers on web chat only (a 403 naming the plan, before anything is stored or
    # sent); the customer's messages on the other channels are still taken, for after an upgrade.
    plans.require_channel(account, ticket.channel)
    config = account_settings.of(account)
    verdict = reply_rules.check(ticket.channel, reply_rules.customer_wrote_at(ticket), dt.datetime.now(dt.UTC),
                                human_agent_tag=bool(config["instagram"]["human_agent_tag"]))
    if not verdict.allowed:
        raise Conflict(verdict.reason or "this ticket cannot be answered")
    if ticket.channel == "webchat":
        out.message.extra = {"delivery": "sent"}  # the widget reads it from the conversation
        return out
    # Stored as claimed by this request: only it sends (see helpdesk/store/outbox.py).
    out.message.extra = {"delivery": "queued", "claimed_at": now, "delivery_rank": outbox.RANK["queued"]}
    if ticket.channel == "email":
        if not account.support_email:
            raise Conflict("the account has no support email address to reply from")
        email_id, out.send = _email_reply(account.support_email, ticket, token)
        out.refs = [email_id]
        out.message.message_id = email_id
        return out
    sent_text = text
    if ticket.channel == "sms" and config["sms"]["shorten_links"] and links.find_links(text):
        source = attribution_json(ticket.attribution) or {}  # the campaign or flow that caused the ticket
        sent_text, out.links = links.shortened(text, account_id=ticket.account_id, base_url=links.base_url(),
                                               ticket_id=ticket.ticket_id, message_id=message_id,
                                               source_kind=source.get("kind"), source_id=source.get("source_id"))
    if len(out.links) > MAX_LINKS:
        raise BadRequest(f"an SMS reply holds at most {MAX_LINKS} different links")
    problem = senders.too_long(ticket.channel, sent_text)
    if problem:
        raise BadRequest(problem)
    if sent_text != text:
        out.message.extra["sent_body"] = sent_text  # what the customer received; `body` is what the agent wrote
    send = senders.sender(ticket, human_agent=verdict.human_agent)
    out.send = lambda message: send(_sent_text(message)).provider_id
    out.consent = outbox.consent_condition(ticket.channel)
    return out


def store_note(ticket: Ticket, note: Message, fields_for: Callable[[Ticket], dict[str, Any]],
               attempts: int = AUTOMATIC_ATTEMPTS) -> None:
    """Store a note (its id claimed with it: stored once, however often asked) and move the ticket
    (`fields_for` the ticket as read), all or nothing, reading the ticket again while something else writes
    it; Transient when it keeps changing."""
    for _ in range(attempts):
        if outbox.store_reply(ticket, note, [note.message_id], fields_for(ticket)) in ("stored", "duplicate"):
            return
        ticket = ticket_store.get_ticket(ticket.account_id, ticket.ticket_id)
    raise Transient("the ticket kept changing while a note was stored on it")


@dataclass(frozen=True)
class Automatic:
    """An automatic answer as stored: its message (None when none was stored) and why it did not reach the
    customer (None: it did)."""

    message: Message | None
    problem: str | None = None


def send_automatic(ticket: Ticket, text: str, *, sender: str, key: str,
                   extra: dict[str, Any] | None = None) -> Automatic:
    """Store and send an answer nobody typed (the order skill's) through the agents' own outbound path: the
    channel's rules and the plan, the consent condition, short links on SMS, the delivery record. Marked
    `automatic` (reports never count it as a person's response), signed by `sender` (no agent's id) and
    stored under an id derived from `key`: stored and sent once, however often it is asked. The channel's
    rules or the provider refusing is an answer (`problem`), not an error; a ticket that keeps changing
    under it is Transient."""
    who = AgentIdentity(sender, ticket.account_id, ())
    for _ in range(AUTOMATIC_ATTEMPTS):
        try:
            out = _outgoing(who, ticket, "reply", text, key)
        except HelpdeskError as refused:  # the channel's rules, the plan, a text too long for the channel
            return Automatic(None, refused.reason)
        out.message.automatic = True
        for name, value in (extra or {}).items():
            out.message.extra[name] = value
        outcome = outbox.store_reply(ticket, out.message, out.refs, {}, consent=out.consent, links=out.links)
        if outcome == "changed":
            ticket = ticket_store.get_ticket(ticket.account_id, ticket.ticket_id)
            continue
        if outcome == "duplicate":
            return Automatic(outbox.outbound_message(ticket.account_id, ticket.channel, out.refs[0]))
        if outcome == "no_consent":
            return Automatic(None, reply_rules.consent_refusal(ticket.channel, None))
        if out.send is None:
            return Automatic(out.message)
        try:
            _deliver(ticket, out.message, out.send)
        except HelpdeskError as failed:  # recorded on the message (delivery `failed`) by _deliver
            return Automatic(out.message, failed.reason)
        return Automatic(out.message)
    raise Transient("the ticket kept changing while an automatic answer was stored")


def _sent_text(message: Message) -> str:
    """What the customer receives: the text with its links shortened, or as the agent wrote it."""
    return str(_extra(message).get("sent_body") or message.body)


def _email_reply(support: str, ticket: Ticket, token: str) -> tuple[str, SendMessage]:
    """Our Message-ID (claimed as a ref before sending) and the send itself, of the stored message's
    body. Replies carry a plus-addressed Reply-To naming the ticket, so answers thread even when a
    client drops headers."""
    local, domain = support.split("@", 1)
    message_id = f"{token}@{domain}"
    subject = ticket.subject or "Your request"
    subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"

    def send(message: Message) -> str | None:
        inbound = [m for m in ticket_store.latest_messages(ticket.account_id, ticket.ticket_id, 50)
                   if m.direction == "inbound"]
        last = inbound[-1].message_id if inbound else None
        mail_store.send(support, ticket.contact, subject, message.body, reply_to=f"{local}+{ticket.ticket_id}@{domain}",
                        in_reply_to=last, references=[last] if last else None, message_id=message_id)
        return None

    return message_id, send
