"""Round-robin assignment: new and reopened tickets spread evenly over the agents who are online."""
from __future__ import annotations

import random
import time
from dataclasses import dataclass

from helpdesk.clock import now_iso
from helpdesk.conversation import Status
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.store import agents as agent_store
from helpdesk.store import tickets as ticket_store

MAX_ATTEMPTS = 12


@dataclass(frozen=True)
class TicketEvent:
    type: str
    account_id: str
    ticket_id: str
    automatic: bool = False


def next_agent(online_ids: list[str], last_agent_id: str | None) -> str:
    """The online agent after `last_agent_id` in id order, wrapping around: a true rotation even
    while agents come and go."""
    for agent_id in online_ids:
        if last_agent_id is None or agent_id > last_agent_id:
            return agent_id
    return online_ids[0]


def needs_agent(ticket: ticket_store.Ticket, event_type: str, roster: agent_store.Roster) -> bool:
    if ticket.status != Status.OPEN.value or ticket.spam:
        return False
    if not ticket.assignee_id:
        return True
    # A reopened ticket whose assignee went offline goes back into the rotation.
    return event_type in ("ticket.reopened", "ticket.created") and not roster.is_online(ticket.assignee_id)


def handle(event: TicketEvent) -> str | None:
    """Autorespond to a new ticket, then assign it if it needs an agent; returns the agent id, or
    None. Idempotent: a redelivered event changes nothing more."""
    if event.type == "ticket.created" and not event.automatic:
        autorespond(event)
    for attempt in range(MAX_ATTEMPTS):
        ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
        roster = agent_store.roster(event.account_id)
        if not needs_agent(ticket, event.type, roster):
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


def autorespond(event: TicketEvent) -> bool:
    """The account's web-chat autoresponder by availability (office hours), once per ticket."""
    import datetime as dt

    from helpdesk import office_hours
    from helpdesk.store import accounts
    from helpdesk.store.models import Message

    ticket = ticket_store.get_ticket(event.account_id, event.ticket_id)
    account = accounts.get_account(event.account_id)
    settings = (account.autoresponder.as_dict() if account.autoresponder else {}).get(ticket.channel) or {}
    hours = account.office_hours.as_dict() if account.office_hours else None
    text = settings.get("open" if office_hours.is_open(hours, dt.datetime.now(dt.UTC)) else "closed")
    if ticket.channel != "webchat" or not text:
        return False
    now = now_iso()
    message_id = f"auto-{ticket.ticket_id}"
    message = Message(ticket_store.ticket_pk(event.account_id, ticket.ticket_id), f"M#{now}#{message_id}",
                      message_id=message_id, ticket_id=ticket.ticket_id, channel=ticket.channel,
                      direction="outbound", body=str(text), created_at=now, sender="autoresponder",
                      automatic=True)
    # The ref `auto-<ticket>` is claimed with the message: a redelivered event cannot answer twice.
    for _ in range(5):
        # Not an agent's reply: it moves no `last_outbound_at`, so it never earns a follow-up email.
        outcome = ticket_store.add_outbound(ticket, message, [message_id])
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
        given = sum(1 for t in waiting if handle(TicketEvent("ticket.unassigned", account_id, t.ticket_id)))
        assigned += given
        if len(waiting) < page or given == 0:
            break
    return assigned
