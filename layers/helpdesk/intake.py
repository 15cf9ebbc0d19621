"""The intake service: one inbound message stored exactly once in the ticket the rules choose,
then a ticket event for assignment. Retries, replays and racing deliveries all end the same way."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from helpdesk import keywords
from helpdesk.conversation import (
    PER_CUSTOMER_CHANNELS,
    Action,
    Decision,
    InboundMessage,
    customer_ticket_id,
    decide,
)
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.store import accounts, events
from helpdesk.store.tickets import Contended, Duplicate, Mismatch, Stored, TicketStore

MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Ingested:
    ticket_id: str | None
    event: str  # created / reopened / message / keyword
    duplicate: bool = False


def ingest(account_id: str, msg: InboundMessage, store: TicketStore | None = None) -> Ingested:
    """Store `msg` once and send its ticket event. Safe to call again with the same message."""
    store = store or TicketStore()
    if msg.channel not in PER_CUSTOMER_CHANNELS:
        raise NotImplementedError(f"{msg.channel.value} intake")
    ticket_id = customer_ticket_id(account_id, msg.channel, msg.contact)
    # Optimistic first try: most messages follow up an open ticket, and that costs one request.
    decision = Decision(Action.JOIN, ticket_id)
    current = None
    for attempt in range(MAX_ATTEMPTS):
        if decision.action is Action.OPEN_NEW:
            outcome = store.open(account_id, ticket_id, msg)
        else:
            outcome = store.append(account_id, ticket_id, msg, current=current,
                                   wake=decision.action is Action.REOPEN)
        if isinstance(outcome, Stored):
            return _announce(account_id, ticket_id, outcome.event, msg, duplicate=False)
        if isinstance(outcome, Duplicate):
            # The message is stored already; its event may not have been sent (a crash between the
            # two), so send it again: assignment is idempotent.
            return _announce(account_id, outcome.ticket_id or ticket_id, outcome.event, msg, duplicate=True)
        if isinstance(outcome, Mismatch):
            current = outcome.current
            decision = decide(msg.channel, msg.contact, current, automatic=msg.automatic)
            if decision.action is Action.OPEN_NEW:
                current = None
            continue
        assert isinstance(outcome, Contended)
        time.sleep(random.uniform(0, 0.01 * 2 ** attempt))
    raise Transient("ticket kept changing; retry the delivery")


def _announce(account_id: str, ticket_id: str, event: str, msg: InboundMessage, *, duplicate: bool) -> Ingested:
    events.publish({"type": f"ticket.{event}", "account_id": account_id, "ticket_id": ticket_id,
                    "channel": msg.channel.value, "message_id": msg.provider_message_id})
    logger.info("inbound message stored", extra={"account_id": account_id, "ticket_id": ticket_id,
                                                 "channel": msg.channel.value, "event": event,
                                                 "duplicate": duplicate})
    if not duplicate and event in ("created", "reopened"):
        count(f"ticket_{event}")
    return Ingested(ticket_id, event, duplicate)


def handle_keyword(account_id: str, msg: InboundMessage, keyword: keywords.Keyword) -> Ingested:
    """A compliance keyword changes consent; it never becomes a ticket message."""
    if keyword is keywords.Keyword.HELP:
        logger.info("help keyword", extra={"account_id": account_id, "channel": msg.channel.value})
        return Ingested(None, "keyword")
    consent = "unsubscribed" if keyword is keywords.Keyword.OPT_OUT else "subscribed"
    first = accounts.set_consent(account_id, msg.channel, msg.contact, msg.provider_message_id, consent,
                                 msg.contact_name)
    logger.info("consent keyword", extra={"account_id": account_id, "channel": msg.channel.value,
                                          "consent": consent, "duplicate": not first})
    if first:
        count(f"consent_{consent}")
    return Ingested(None, "keyword", duplicate=not first)


def receive(msg: InboundMessage) -> Ingested:
    """Entry point of the webhooks: find the account, then keyword or ticket message."""
    address = accounts.channel_address(msg.channel, msg.account_address)
    keyword = keywords.classify(msg.body) if not msg.media else None
    if keyword is not None:
        return handle_keyword(address.account_id, msg, keyword)
    return ingest(address.account_id, msg)
