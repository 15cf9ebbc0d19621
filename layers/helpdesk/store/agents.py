"""Agents, their presence, and the round-robin cursor that assignment moves."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PynamoDBException, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from helpdesk.clock import now_iso
from helpdesk.conversation import Status
from helpdesk.store.failures import read_cancellation, transient
from helpdesk.store.models import Agent, Item, Rota, Ticket, account_pk
from helpdesk.store.tickets import index_actions, index_keys, ticket_pk


@dataclass(frozen=True)
class Roster:
    """The agents of an account as one consistent read saw them, with the rota cursor."""

    agents: list[Agent]
    last_agent_id: str | None
    turns: int
    rota_exists: bool

    @property
    def online_ids(self) -> list[str]:
        return sorted(a.agent_id for a in self.agents if a.online)

    def is_online(self, agent_id: str | None) -> bool:
        return any(a.agent_id == agent_id and a.online for a in self.agents)


def roster(account_id: str) -> Roster:
    """Agents and cursor in one strongly consistent Query (the cursor's sort key follows `AGENT#`)."""
    try:
        items = list(Item.query(account_pk(account_id), Item.sk.startswith("AGENT"), consistent_read=True))
    except PynamoDBException as error:
        raise transient(error) from error
    agents = [i for i in items if isinstance(i, Agent)]
    rota = next((i for i in items if isinstance(i, Rota)), None)
    return Roster(agents, rota.last_agent_id if rota else None, int(rota.turns) if rota else 0, rota is not None)


def put_agent(account_id: str, agent_id: str, *, name: str | None = None, email: str | None = None,
              role: str | None = None, online: bool = False) -> Agent:
    agent = Agent(account_pk(account_id), f"AGENT#{agent_id}", agent_id=agent_id, name=name, email=email,
                  role=role, online=online, presence_at=now_iso())
    agent.save()
    return agent


def get_agent(account_id: str, agent_id: str) -> Agent | None:
    try:
        return Agent.get(account_pk(account_id), f"AGENT#{agent_id}", consistent_read=True)
    except Agent.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def set_presence(account_id: str, agent_id: str, online: bool, *, role: str | None = None,
                 email: str | None = None) -> Agent:
    """Set an agent's presence. A user of a helpdesk role who has no agent item yet (added to the
    user pool after setup) becomes an agent by going online: no separate provisioning step."""
    agent = Agent(account_pk(account_id), f"AGENT#{agent_id}")
    actions: list[Action] = [Agent.type.set(Agent), Agent.agent_id.set(agent_id), Agent.online.set(online),
                             Agent.presence_at.set(now_iso())]
    if role:
        actions.append(Agent.role.set(Agent.role | role))
    if email:
        actions.append(Agent.email.set(Agent.email | email))
    try:
        agent.update(actions=actions)
    except UpdateError as error:
        raise transient(error) from error
    return agent


@dataclass(frozen=True)
class AssignOutcome:
    assigned: bool
    ticket_changed: bool = False  # the ticket was not as observed: read it again
    retry: bool = False  # the cursor or the agent moved, or a conflict: read the roster again


def assign_next(ticket: Ticket, agent_id: str, seen: Roster) -> AssignOutcome:
    """Give `ticket` to `agent_id` and move the cursor to them, all or nothing: the cursor must be
    as `seen`, the agent still online, the ticket unchanged since read."""
    account_id = ticket.account_id
    now = now_iso()
    t = TransactWrite(connection=Item._get_connection().connection)
    t.condition_check(Agent, account_pk(account_id), f"AGENT#{agent_id}", condition=(Agent.online == True))  # noqa: E712
    rota_condition = (Rota.turns == seen.turns) if seen.rota_exists else Rota.pk.does_not_exist()
    t.update(Rota(account_pk(account_id), "AGENT~ROTA"),
             actions=[Rota.type.set(Rota), Rota.last_agent_id.set(agent_id), Rota.turns.set(seen.turns + 1)],
             condition=rota_condition)
    t.update(Ticket(ticket_pk(account_id, ticket.ticket_id), "TICKET"), actions=[
        Ticket.assignee_id.set(agent_id), Ticket.updated_at.set(now),
        *index_actions(index_keys(account_id, ticket.ticket_id, ticket.status, agent_id, bool(ticket.spam), now)),
    ], condition=(Ticket.updated_at == ticket.updated_at) & (Ticket.status == Status.OPEN.value)
        # updated_at alone can repeat (messages of one webhook batch share it): the assignee too.
        & ((Ticket.assignee_id == ticket.assignee_id) if ticket.assignee_id else Ticket.assignee_id.does_not_exist()))
    try:
        with t:
            pass
    except TransactWriteError as error:
        cancelled = read_cancellation(error)
        if cancelled.failed(2):
            return AssignOutcome(False, ticket_changed=True)
        if cancelled.failed(0) or cancelled.failed(1) or cancelled.retryable:
            return AssignOutcome(False, retry=True)
        raise transient(error) from error
    return AssignOutcome(True)
