"""The order skill live on web chat, SMS, WhatsApp and email: each customer message stored on a ticket of
those channels (the table's stream, through the table-changes bus, to the order-lookup Lambda) is decided and
answered in the conversation, as an automatic message (reports never count it as a person's response).

It answers only where it may: the skill Live (every prerequisite holds) and the plan giving the channel;
the ticket open, not spam, not handed to a person already (the handoff tag), and not assigned to an agent
who has replied in it. Whose orders: on web chat the session's verified identity, else the customer is asked
to log in; on SMS and WhatsApp the phone number it came from (SMS: only a profile with SMS consent; WhatsApp:
one that has not opted out; the reply rules hold, checked again when the answer is stored); on email the
address it came from. Order data thus only goes to the owner of the identity it was looked up by: the answer
is sent to that number or address, whoever wrote. `none` (not about an order) says nothing and leaves
nothing on the ticket (only its claim, below): the message is not the skill's.

Exactly once per customer message: the decision is claimed first (a conditional put, helpdesk/skills/
records.py); a redelivered record finds the claim and does nothing, and the answer and the note each claim
an id derived from the message, so a retry after a failure stores neither twice. A decision that fails
(Shopify throttling, an outage) gives its claim back and is retried by the queue. An answer the provider
refuses is recorded on the message (delivery `failed`) and in the note, not retried.

Each decision is noted on the ticket (a `note`, visible in GET /api/tickets/{id}): intent, action, order,
whether it handed over and, for a handoff, the conversation so far and the team it goes to; the ticket
then carries the handoff tag (the human queue). Metrics: `skill_deflected`, `skill_handed_off`.
"""
from __future__ import annotations

import hashlib
from typing import Any

from helpdesk import plans, replies, reply_rules, tagging
from helpdesk.clock import now_iso
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.skills import ANSWERED, HANDED_OFF, handoff, records
from helpdesk.skills.order_editing import NAME, Decision, Identity, availability, decide
from helpdesk.store import accounts, outbox
from helpdesk.store import tickets as ticket_store
from helpdesk.store.keys import ticket_pk
from helpdesk.store.models import Account, Message, Ticket, plain_map
from helpdesk.store.stream import Change

CHANNELS = ("webchat", "sms", "whatsapp", "email")
SENDER = f"skill:{NAME}"  # the sender of its answers and notes: no agent's id
CONVERSATION = 20  # latest messages read: whether the assignee replied, and the handoff note's summary


def on_change(change: Change) -> None:
    """A committed change of the table: a customer's message stored on web chat or SMS is the skill's to
    consider; anything else is not."""
    message = change.new
    if change.event_name != "INSERT" or not isinstance(message, Message) or message.direction != "inbound" \
            or message.channel not in CHANNELS or message.automatic or message.deleted:
        return
    answer(message.pk.split("#", 2)[1], message)


Sent = replies.Automatic  # the answer as stored, and why it did not reach the customer


def answer(account_id: str, message: Message) -> Decision | None:
    """Decide and answer one customer message; the decision, or None when the skill stays out of it."""
    account = accounts.get_account(account_id)
    if not plans.allows_channel(account, message.channel) or not availability(account).live:
        return None
    ticket = ticket_store.get_ticket(account_id, message.ticket_id)
    conversation = ticket_store.latest_messages(account_id, ticket.ticket_id, CONVERSATION)
    customer = _customer(account_id, ticket, message)
    if customer is None or _someone_elses(ticket, conversation):
        return None
    if not records.claim(account_id, message, NAME):
        return None  # decided before: a redelivery
    try:
        decision = decide(account_id, message.body, message.channel, customer, account=account)
        if decision.action == "none":
            records.record(account_id, message, intent=decision.intent, action=decision.action, order=None,
                           handed_off=False, answer_id=None)
            return decision
        sent = _send(ticket, message, decision)
        _note(account, ticket, message, decision, sent, conversation)
        records.record(account_id, message, intent=decision.intent, action=decision.action, order=decision.order,
                       handed_off=decision.handed_off, answer_id=sent.message.message_id if sent.message else None)
    except Exception:
        records.release(account_id, message)
        raise
    count("skill_handed_off" if decision.handed_off else "skill_deflected")
    logger.info("skill decided", extra={"account_id": account_id, "ticket_id": ticket.ticket_id, "skill": NAME,
                                        "intent": decision.intent, "action": decision.action,
                                        "handed_off": decision.handed_off, "answered": sent.problem is None})
    return decision


def _customer(account_id: str, ticket: Ticket, message: Message) -> Identity | None:
    """Who wrote, as the channel vouches for them; None when the skill may not answer them (SMS without
    consent)."""
    extra = plain_map(message.extra)
    if message.channel == "webchat":
        verified = extra.get("authenticated") == "true" and bool(extra.get("email"))
        return Identity(email=str(extra["email"]) if verified else None, authenticated=verified)
    if message.channel == "email":
        # Whoever wrote, the answer goes to the address the orders are looked up by: a forged From gets its
        # sender nothing (the owner of the address reads it), as an SMS answer goes to the number.
        return Identity(email=ticket.contact, authenticated=True)
    if not ticket.profile_id:
        # The assignment worker links an SMS or WhatsApp ticket's customer within moments of its creation.
        raise Transient("the ticket's customer is not linked yet")
    profile = accounts.get_profile(account_id, ticket.profile_id)
    consent = (profile.consent_sms if message.channel == "sms" else profile.consent_whatsapp) if profile else None
    if not reply_rules.consent_ok(message.channel, consent):
        return None  # not the skill's to answer (on SMS: the autoresponder's customer, without consent)
    return Identity(phone=ticket.contact, authenticated=True)


def _someone_elses(ticket: Ticket, conversation: list[Message]) -> bool:
    """The ticket is a person's already: closed or snoozed by one, spam, handed over, or its assignee has
    answered in it."""
    if ticket.status != "open" or ticket.spam or handoff.TAG in (ticket.tags or []):
        return True
    return bool(ticket.assignee_id) and any(outbox.by_person(m) and m.sender == ticket.assignee_id
                                            for m in conversation)


def _send(ticket: Ticket, inbound: Message, decision: Decision) -> Sent:
    """The answer, stored as an automatic message and sent through the agents' own outbound path, under an
    id derived from the customer's message: stored and sent once."""
    extra: dict[str, Any] = {"skill": NAME}
    if decision.card and ticket.channel == "webchat":
        extra["card"] = decision.card
    return replies.send_automatic(ticket, decision.text, sender=SENDER, key=f"{NAME}:{inbound.message_id}",
                                  extra=extra)


def _note_id(inbound: Message) -> str:
    return "skill-note-" + hashlib.blake2b(f"{NAME}\x1f{inbound.message_id}".encode(), digest_size=12).hexdigest()


def note_text(decision: Decision, sent: Sent, team: str, conversation: list[Message]) -> str:
    """What the agent reads on the ticket: what the skill decided and said, and for a handoff why, to whom,
    and the conversation so far."""
    order = decision.order
    lines = [f"Order skill: {decision.action}" + (" (handed off to a person)" if decision.handed_off else ""),
             f"Intent: {decision.intent}. Order: " + (f"{order['name']} ({order['state']})" if order else "none") + "."]
    if decision.reason:
        lines.append(f"Why: {decision.reason}.")
    lines.append(f'Answered: "{decision.text}"' if sent.problem is None else f"Not answered: {sent.problem}")
    if decision.handed_off:
        lines.append(f"For: {team or 'the team'} (the ticket is tagged {handoff.TAG}).")
        lines += ["Conversation so far:", *handoff.summary(conversation)]
    return "\n".join(lines)


def skill_outcome(before: str | None, decision: Decision, sent: Sent) -> str | None:
    """The ticket's `skill_outcome` after a decision: a handoff is final; an answer that reached the customer
    makes a ticket the skill has not handed over `answered`."""
    if before == HANDED_OFF or decision.handed_off:
        return HANDED_OFF
    return ANSWERED if sent.problem is None and sent.message is not None else before


def _note(account: Account, ticket: Ticket, inbound: Message, decision: Decision, sent: Sent,
          conversation: list[Message]) -> None:
    """The decision, noted on the ticket; a handoff also tags the ticket for the human queue and moves it
    up the views. Stored once (its id is the customer message's)."""
    skills = handoff.config(account)
    note_id, now = _note_id(inbound), now_iso()
    shown = [*conversation, *([sent.message] if sent.message and sent.problem is None else [])]
    note = Message(ticket_pk(ticket.account_id, ticket.ticket_id), f"M#{now}#{note_id}", message_id=note_id,
                   ticket_id=ticket.ticket_id, channel=ticket.channel, direction="note", created_at=now,
                   body=note_text(decision, sent, str(skills.get("handoff_team") or ""), shown), sender=SENDER,
                   automatic=True, extra={"skill": {
                       "name": NAME, "intent": decision.intent, "action": decision.action,
                       "order": decision.order, "handed_off": decision.handed_off,
                       "answered": sent.problem is None, "message_id": inbound.message_id}})

    def fields_for(ticket: Ticket) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        if decision.handed_off:  # tagged for the human queue, the tag recorded as an automation's (`rule`)
            fields = {"updated_at": now, **tagging.rule_fields(ticket, handoff.TAG)}
        outcome = skill_outcome(ticket.skill_outcome, decision, sent)
        if outcome != ticket.skill_outcome:
            fields.update(skill_outcome=outcome, skill_outcome_at=now)
        return fields

    replies.store_note(ticket, note, fields_for)
