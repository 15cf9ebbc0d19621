"""Round-robin assignment: new and reopened tickets spread evenly over the agents who are online.

Driven by ticket events from the table's stream. Every decision is taken on the ticket as it is now
and written on condition that it is still so (its version): a redelivered event, or one that an
agent's own decision overtook, changes nothing.
"""
from __future__ import annotations

import random
import time

from helpdesk.agents import fresh_since
from helpdesk.clock import now_iso
from helpdesk.conversation import Channel, Status
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.store import agents as agent_store
from helpdesk.store import outbox
from helpdesk.store import tickets as ticket_store
from helpdesk.store.inbound import TicketStore
from helpdesk.store.keys import ticket_pk
from helpdesk.store.models import Message, Ticket
from helpdesk.ticket_events import CREATED, REOPENED, UNASSIGNED, AgentOnline, TicketEvent

MAX_ATTEMPTS = 12


def next_agent(online_ids: list[str], last_agent_id: str | None) -> str:
    """The online agent after `last_agent_id` in id order, wrapping around: a true rotation even
    while agents come and go."""
    for agent_id in online_ids:
        if last_agent_id is None or agent_id > last_agent_id:
            return agent_id
    return online_ids[0]


def needs_agent(ticket: Ticket, event: TicketEvent, roster: agent_store.Roster) -> bool:
    """What the rules say: an open ticket nobody has goes to the next agent; so does a new or
    reopened one whose assignee is not available, unless its assignee was set after the event (by
    a person, or by the rotation for a later event): that decision stands."""
    if ticket.status != Status.OPEN.value or ticket.spam:
        return False
    if not ticket.assignee_id:
        return True
    if event.type not in (CREATED, REOPENED) or int(ticket.assigned_version or 0) > event.version:
        return False
    return not roster.is_online(ticket.assignee_id)


def handle(event: TicketEvent) -> str | None:
    """Autorespond to a new ticket, then assign it if it needs an agent; returns the agent id, or
    None. Idempotent: a redelivered event changes nothing more."""
    if event.type in (CREATED, REOPENED):
        # Counted here, from the stream, as every channel's tickets are (a redelivered event counts
        # again: metrics are at-least-once).
        count(event.type.replace(".", "_"))
    if event.type == CREATED:
        link_customer(event)
        autorespond(event)
    for attempt in range(MAX_ATTEMPTS):
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
        roster = agent_store.roster(event.account_id, fresh_since())
        if not needs_agent(ticket, event, roster):
            return None
        online = roster.online_ids
        if not online:
            logger.info("no agent online; ticket stays unassigned",
                        extra={"account_id": event.account_id, "ticket_id": event.ticket_id})
            return None
        agent_id = next_agent(online, roster.last_agent_id)
        outcome = agent_store.assign_next(ticket, agent_id, roster)
        if outcome.assigned:
            logger.info("ticket assigned", extra={"account_id": event.account_id,
                                                  "ticket_id": event.ticket_id, "agent_id": agent_id})
            count("ticket_assigned")
            return agent_id
        time.sleep(random.uniform(0, 0.005 * 2 ** min(attempt, 6)))
    raise Transient("assignment kept conflicting")


def link_customer(event: TicketEvent) -> None:
    """An SMS or WhatsApp ticket is created by the webhook without its contact and profile (the
    lightest write, on the path the provider waits on): they are made here, idempotently, and the
    ticket points at the contact's profile should the contact already have another one."""
    if event.channel not in (Channel.SMS.value, Channel.WHATSAPP.value):
        return
    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    profile_id = TicketStore.link_customer(ticket)
    for _ in range(MAX_ATTEMPTS):
        if ticket.profile_id == profile_id or ticket_store.change(ticket, profile_id=profile_id):
            return
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    raise Transient("ticket kept changing while linking its customer")


def autorespond(event: TicketEvent) -> bool:
    """The account's web-chat autoresponder by availability (office hours), once per ticket."""
    import datetime as dt

    from helpdesk import office_hours, plans
    from helpdesk.store import accounts

    if event.channel and event.channel != "webchat":
        return False
    account = accounts.get_account(event.account_id)
    if not plans.allows(account, plans.AUTORESPONDERS):
        return False  # the free plan: the texts wait, as set, for the paid plan
    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    settings = (account.autoresponder.as_dict() if account.autoresponder else {}).get(ticket.channel) or {}
    hours = account.office_hours.as_dict() if account.office_hours else None
    text = settings.get("open" if office_hours.is_open(hours, dt.datetime.now(dt.UTC)) else "closed")
    if ticket.channel != "webchat" or not text or ticket.status != Status.OPEN.value or ticket.spam:
        return False  # (closed or marked spam before the event came: nobody is waiting for an answer)
    now = now_iso()
    message_id = f"auto-{ticket.ticket_id}"
    message = Message(ticket_pk(event.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                      message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                      direction="outbound", body=str(text), created_at=now, sender="autoresponder",
                      automatic=True, extra={"delivery": "sent"})
    # The ref `auto-<ticket>` is claimed with the message: a redelivered event cannot answer twice.
    for _ in range(5):
        # Not an agent's reply: it moves no `last_outbound_at`, so it never earns a follow-up email.
        outcome = outbox.store_reply(ticket, message, [message_id], {})
        if outcome == "stored":
            count("autoresponse_sent")
            return True
        if outcome == "duplicate":
            return False
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    raise Transient("autoresponder kept conflicting")


def hand_out_backlog(account_id: str, page: int = 100, pages: int = 50) -> int:
    """An agent came online: give the waiting unassigned tickets out, oldest first, page by page
    while there are agents online to take them."""
    assigned = 0
    for _ in range(pages):
        waiting = ticket_store.unassigned_tickets(account_id, page)
        given = sum(1 for t in waiting
                    if handle(TicketEvent(UNASSIGNED, account_id, t.ticket_id, int(t.version or 0), t.channel)))
        assigned += given
        if len(waiting) < page or given == 0:
            break
    return assigned


def on_event(event: TicketEvent | AgentOnline) -> None:
    if isinstance(event, AgentOnline):
        hand_out_backlog(event.account_id)
    else:
        handle(event)
