"""Agents' actions on the orders and subscriptions of a ticket's customer (SPEC §4): their recent Shopify
orders and Recharge subscriptions beside the ticket, and, once the agent confirms, a change of an order's
quantities or its cancellation, or a skipped charge, cancellation or change of a subscription; every change
Shopify or Recharge accepted is noted on the ticket with who made it.

The customer is the one the ticket vouches for (`ticket_customer`), never one the caller names: an order or
subscription is acted on only when that customer's own lookup lists it, else 404 before anything changes.
Shopify's and Recharge's refusals come back in their own words as 409; their throttling or an outage, 503.

An `Idempotency-Key` makes a repeated request act once, by the outbox's mechanism (helpdesk/store/outbox.py):
a ref derived from the key, claimed by a conditional put before anything is sent, and the note stored
under a ref derived from it too, in the note's own transaction. A repeat finds the note and answers it; one
that finds the claim without a note is refused (the first is under way, or was cut off after Shopify may
have acted). A claim whose action provably changed nothing (refused, throttled) is given back.
"""
from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from helpdesk import order_changes, plans, replies, roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.conversation import Channel
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, NotFound, Transient
from helpdesk.observability import count, logger
from helpdesk.order_changes import Done, Target, TicketCustomer, recharge_connected
from helpdesk.providers import json_http
from helpdesk.providers.recharge import Recharge
from helpdesk.providers.shopify import Shopify
from helpdesk.skills.order_editing import shopify_connected
from helpdesk.store import accounts, outbox
from helpdesk.store import agents as agent_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.failures import applied, saved
from helpdesk.store.keys import ref_pk, ticket_pk
from helpdesk.store.models import Message, MessageRef, Ticket, plain_map

MAX_KEY = 128
CLAIMED, RELEASED = "order_action", "order_action_released"  # a claim's `event`
NOTE_ATTEMPTS = 5

PERFORM: dict[str, Callable[[Target], Done]] = {
    "set_quantities": order_changes.set_quantities, "cancel_order": order_changes.cancel_order,
    "skip_charge": order_changes.skip_charge, "cancel_subscription": order_changes.cancel_subscription,
    "change_subscription": order_changes.change_subscription,
}


def ticket_customer(ticket: Ticket) -> TicketCustomer | None:
    """Who the ticket says its customer is: its profile's email, else the address it came from (an email,
    an SMS or WhatsApp number), else the email a web-chat session proved. None: nobody known."""
    profile = accounts.get_profile(ticket.account_id, ticket.profile_id) if ticket.profile_id else None
    if profile is not None and profile.email:
        return TicketCustomer(email=profile.email)
    if ticket.channel == Channel.EMAIL.value:
        return TicketCustomer(email=ticket.contact)
    if ticket.channel in (Channel.SMS.value, Channel.WHATSAPP.value):
        return TicketCustomer(phone=ticket.contact)
    if ticket.channel == Channel.WEBCHAT.value and ticket.customer_email:
        # Set only from a session whose email the brand's site signed (helpdesk/webchat.py).
        return TicketCustomer(email=ticket.customer_email)
    return None


def _require_plan(who: AgentIdentity, what: str) -> None:
    plans.require(accounts.get_account(who.account_id), plans.PROFILE_DETAILS, what=what)


# --- GET /api/tickets/{id}/orders ----------------------------------------------------------------------


def customer_orders(who: AgentIdentity, ticket_id: str) -> dict[str, Any]:
    """The ticket's customer, their ten most recent Shopify orders (one request) and their Recharge
    subscriptions (when Recharge is connected); a ticket whose customer is unknown has `customer: null`."""
    _require_plan(who, "the customer's orders and subscriptions come")
    ticket = ticket_store.get_ticket(who.account_id, ticket_id)
    connected = {"shopify": shopify_connected(), "recharge": recharge_connected()}
    answer: dict[str, Any] = {"customer": None, "orders": [], "subscriptions": [], "connected": connected}
    customer = ticket_customer(ticket)
    if customer is None:
        return answer
    found = Shopify.from_settings().customer_orders(**customer.lookup()) if connected["shopify"] else None
    shop_customer = found.customer if found else None
    # A customer the ticket knows by phone is asked of Recharge (which finds customers by email only) by
    # the email their Shopify customer has: the phone the ticket vouches for found it.
    email = customer.email or (shop_customer.email if shop_customer else None)
    subscriptions = Recharge.from_settings().subscriptions_for(email) if connected["recharge"] and email else []
    answer["customer"] = {"email": email, "phone": customer.phone or (shop_customer.phone if shop_customer else None),
                          "name": shop_customer.name if shop_customer else None,
                          "shopify_customer_id": shop_customer.id if shop_customer else None}
    answer["orders"] = [order_changes.order_json(o) for o in found.orders] if found else []
    answer["subscriptions"] = [order_changes.subscription_json(s) for s in subscriptions]
    return answer


# --- POST /api/tickets/{id}/order-actions --------------------------------------------------------------


@dataclass(frozen=True)
class ActionRequest:
    action: str
    fields: dict[str, Any] = field(default_factory=dict)  # the body but `confirm`

    @property
    def fingerprint(self) -> str:
        text = json.dumps({"action": self.action, **self.fields}, sort_keys=True)
        return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def parse_request(body: Any) -> ActionRequest:
    """The action asked for, once the agent confirmed it. The shape is the OpenAPI schema's (checked by
    the route before this); what no schema says is checked here."""
    if not isinstance(body, dict) or body.get("action") not in PERFORM:
        raise BadRequest("action must be one of " + ", ".join(PERFORM))
    if body.get("confirm") is not True:
        raise BadRequest('the agent must confirm the action first: send "confirm": true once they have')
    return ActionRequest(str(body["action"]), {k: v for k, v in body.items() if k not in ("action", "confirm")})


def act(who: AgentIdentity, ticket_id: str, body: Any, idempotency_key: str | None = None) -> dict[str, Any]:
    """Do the confirmed action on the ticket customer's order or subscription and note it on the ticket:
    `{"action", "result", "note_id"}`. With an idempotency key, a repeat answers the first and acts never."""
    roles.require(who, roles.ORDER_ACTIONS)
    _require_plan(who, "order and subscription actions come")
    request = parse_request(body)
    if idempotency_key is not None and not 0 < len(idempotency_key) <= MAX_KEY:
        raise BadRequest(f"the idempotency key must be 1 to {MAX_KEY} characters")
    ticket = ticket_store.get_ticket(who.account_id, ticket_id)
    customer = ticket_customer(ticket)
    if customer is None:
        raise NotFound("the ticket's customer is not known (no email or phone number to look them up by): "
                       "there is no order or subscription of theirs to act on")
    agent = _agent_name(who)
    note_id, claim_id = _ids(who, ticket, idempotency_key)
    if claim_id is not None and not _take(ticket, claim_id):
        return _earlier(ticket, note_id, request)
    target = Target(customer, request.action, request.fields,
                    staff_note=f"From helpdesk ticket {ticket.ticket_id}, by {agent} (agent {who.agent_id})")
    try:
        done = PERFORM[request.action](target)
    except HelpdeskError as error:
        # No answer to a change: Shopify or Recharge may have acted, so the claim stays and a repeat does not
        # act again. Anything else changed nothing (a refusal, throttling, a lookup), so a retry may act.
        if claim_id is not None and not (isinstance(error, json_http.Unanswered) and target.changing):
            _release(ticket, claim_id)
        raise
    details = {"action": request.action, "agent_id": who.agent_id, "agent_name": agent,
               "request": request.fields, "request_hash": request.fingerprint, "result": done.result}
    if done.failure is not None:
        details["failure"] = {"status": done.failure.status, "reason": done.failure.reason}
    note = _note(who, ticket, note_id, f"{done.text} — by {agent}", details)
    count("order_action")
    logger.info("order action", extra={"account_id": who.account_id, "ticket_id": ticket.ticket_id,
                                       "agent_id": who.agent_id, "action": request.action,
                                       "partial": done.failure is not None})
    if done.failure is not None:
        raise done.failure
    return {"action": request.action, "result": done.result, "note_id": note.message_id}


def _agent_name(who: AgentIdentity) -> str:
    agent = agent_store.get_agent(who.account_id, who.agent_id)
    return (agent.name if agent else None) or (agent.email if agent else None) or who.email or who.agent_id


def _ids(who: AgentIdentity, ticket: Ticket, key: str | None) -> tuple[str, str | None]:
    """The note's id and the claim's: derived from the key, so a repeat claims the same (as a reply's)."""
    if key is None:
        return "oa-" + secrets.token_hex(12), None
    token = hashlib.blake2b(f"order-action\x1f{who.agent_id}\x1f{ticket.ticket_id}\x1f{key}".encode(),
                            digest_size=12).hexdigest()
    return "oa-" + token, "oa-claim-" + token


def _claim_ref(ticket: Ticket, claim_id: str) -> MessageRef:
    return MessageRef(ref_pk(ticket.account_id, Channel(ticket.channel), claim_id), "REF")


def _take(ticket: Ticket, claim_id: str) -> bool:
    """Claim the key (a conditional put): False when another request holds it, or held it and acted."""
    claim = _claim_ref(ticket, claim_id)
    claim.ticket_id, claim.event, claim.created_at = ticket.ticket_id, CLAIMED, now_iso()
    return saved(claim, MessageRef.pk.does_not_exist() | (MessageRef.event == RELEASED))


def _release(ticket: Ticket, claim_id: str) -> None:
    """Give the key back: the action changed nothing (refused, throttled), so its retry may act."""
    applied(_claim_ref(ticket, claim_id), [MessageRef.event.set(RELEASED)], MessageRef.event == CLAIMED)


def _earlier(ticket: Ticket, note_id: str, request: ActionRequest) -> dict[str, Any]:
    """The answer of the request that held the key first: its note, if it got that far."""
    note = outbox.outbound_message(ticket.account_id, ticket.channel, note_id)
    if note is None:
        raise Conflict("an action with this Idempotency-Key is under way, or was cut off after Shopify or Recharge "
                       "may have acted: check the order or subscription before acting again with a new key")
    details = plain_map(plain_map(note.extra).get("order_action"))
    if details.get("request_hash") != request.fingerprint:
        raise Conflict("that Idempotency-Key was used for another action")
    failure = plain_map(details.get("failure"))
    if failure:  # the first was answered with the refusal of the change's second part: so is its repeat
        repeated = HelpdeskError(str(failure.get("reason")))
        repeated.status = int(failure.get("status") or Conflict.status)
        raise repeated
    return {"action": details.get("action"), "result": plain_map(details.get("result")), "note_id": note.message_id}


def _note(who: AgentIdentity, ticket: Ticket, note_id: str, text: str, details: dict[str, Any]) -> Message:
    """The action, noted on the ticket by the agent (stored once: its ref is claimed with it)."""
    now = now_iso()
    note = Message(ticket_pk(ticket.account_id, ticket.ticket_id), f"M#{now}#{note_id}", message_id=note_id,
                   ticket_id=ticket.ticket_id, channel=ticket.channel, direction="note", body=text, created_at=now,
                   sender=who.agent_id, extra={"order_action": details})
    try:
        replies.store_note(ticket, note, lambda _ticket: {"updated_at": now}, attempts=NOTE_ATTEMPTS)
    except Transient as changing:
        raise Transient("the action was done, but the ticket kept changing and it could not be noted there") \
            from changing
    return note
