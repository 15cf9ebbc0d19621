"""What a committed change of the table means to assignment: a ticket created, a ticket reopened,
an agent come online. Told apart from the stream record's old and new images, so the writers (the
webhooks, the agent API, the sweep) announce nothing themselves: an event cannot be lost between
"stored" and "sent", nor announce a write that did not happen.

The EventBridge Pipe's filter (infra/merge-template.json) lets through only records that can be
one of these; this is the authority on what each means, and a test keeps the two agreeing.
"""
from __future__ import annotations

from dataclasses import dataclass

from helpdesk.conversation import Status
from helpdesk.store.models import Agent, Ticket
from helpdesk.store.stream import Change

CREATED, REOPENED, UNASSIGNED = "ticket.created", "ticket.reopened", "ticket.unassigned"


@dataclass(frozen=True)
class TicketEvent:
    type: str  # ticket.created / ticket.reopened / ticket.unassigned (a backlog hand-out)
    account_id: str
    ticket_id: str
    version: int = 0  # the ticket's version that the change left: later decisions win over it
    channel: str = ""


@dataclass(frozen=True)
class AgentOnline:
    account_id: str
    agent_id: str


def event_of(change: Change) -> TicketEvent | AgentOnline | None:
    new, old = change.new, change.old
    if isinstance(new, Ticket):
        version = int(new.version or 0)
        if change.event_name == "INSERT":
            return TicketEvent(CREATED, new.account_id, new.ticket_id, version, new.channel)
        if isinstance(old, Ticket) and new.status == Status.OPEN.value and old.status != Status.OPEN.value:
            return TicketEvent(REOPENED, new.account_id, new.ticket_id, version, new.channel)
        return None
    if isinstance(new, Agent) and new.online and new.active is not False:
        if old is None or (isinstance(old, Agent) and not old.online):
            return AgentOnline(new.account_id or new.pk.removeprefix("A#"), new.agent_id)
    return None
