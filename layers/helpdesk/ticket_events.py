"""What a committed change of the table means to the worker: a ticket created, a ticket reopened,
an agent come online (assignment); a customer's SMS stored (the SMS automations). Told apart from
the stream record's old and new images, so the writers (the webhooks, the agent API, the sweep)
announce nothing themselves: an event cannot be lost between "stored" and "sent", nor announce a
write that did not happen.

The EventBridge Pipe's filter (infra/merge-template.json) lets through only records that can be
one of these; this is the authority on what each means, and a test keeps the two agreeing.
"""
from __future__ import annotations

from dataclasses import dataclass

from helpdesk.conversation import Status
from helpdesk.store.models import Agent, Message, Ticket
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


@dataclass(frozen=True)
class InboundSms:
    """A customer's SMS stored in a ticket: the SMS automations' cue (autoresponder, team email)."""

    account_id: str
    ticket_id: str
    message_sk: str
    contact: str
    body: str
    spam: bool = False  # the message itself looked like spam (the heuristics in intake)


def event_of(change: Change) -> TicketEvent | AgentOnline | InboundSms | None:
    new, old = change.new, change.old
    if isinstance(new, Message) and change.event_name == "INSERT":
        if new.channel == "sms" and new.direction == "inbound":
            extra = new.extra.as_dict() if hasattr(new.extra, "as_dict") else dict(new.extra or {})
            return InboundSms(new.pk.split("#", 2)[1], new.ticket_id, new.sk, str(new.sender or ""), new.body,
                              bool(extra.get("spam")))
        return None
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
