"""Agents: who belongs to which account with which role, their presence, and the round-robin
cursor that assignment moves."""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from helpdesk.clock import now_iso
from helpdesk.conversation import Status
from helpdesk.errors import Conflict, Forbidden
from helpdesk.store.counts import index_count
from helpdesk.store.failures import applied, transient
from helpdesk.store.keys import index_actions, index_keys, load_pk, ticket_pk, version_is
from helpdesk.store.models import Agent, Item, Membership, Rota, Ticket, account_pk
from helpdesk.store.transact import Transaction


def user_key(sub: str) -> str:
    return f"USER#{sub}"


def available(agent: Agent, fresh_since: str) -> bool:
    """Takes tickets: active, online, and heard from (a heartbeat) since `fresh_since`."""
    return bool(agent.active is not False and agent.online and (agent.presence_at or "") >= fresh_since)


def available_condition(fresh_since: str) -> Condition:
    return ((Agent.online == True) & (Agent.presence_at >= fresh_since)  # noqa: E712
            & (Agent.active.does_not_exist() | (Agent.active == True)))  # noqa: E712


ROTA = "AGENT~ROTA"  # everyone's rotation; a team's is ROTA#<team id>


def rota_sk(team_id: str | None) -> str:
    return f"{ROTA}#{team_id}" if team_id else ROTA


@dataclass(frozen=True)
class Roster:
    """The agents of an account as one consistent read saw them, with the rota cursors (everyone's, and
    each team's, by sort key)."""

    agents: list[Agent]
    last_agent_id: str | None
    turns: int
    rota_exists: bool
    fresh_since: str = ""  # presence older than this has expired
    rotas: dict[str, Rota] | None = None

    def cursor(self, sk: str) -> tuple[str | None, int, bool]:
        """(last agent, turns, exists) of the rota at `sk`."""
        rota = (self.rotas or {}).get(sk)
        return (rota.last_agent_id, int(rota.turns or 0), True) if rota else (None, 0, False)

    def agent(self, agent_id: str) -> Agent | None:
        return next((a for a in self.agents if a.agent_id == agent_id), None)

    @property
    def online_ids(self) -> list[str]:
        return sorted(a.agent_id for a in self.agents if available(a, self.fresh_since))

    def is_online(self, agent_id: str | None) -> bool:
        return any(a.agent_id == agent_id and available(a, self.fresh_since) for a in self.agents)


def roster(account_id: str, fresh_since: str = "") -> Roster:
    """Agents and cursor in one strongly consistent Query (the cursor's sort key follows `AGENT#`)."""
    try:
        items = list(Item.query(account_pk(account_id), Item.sk.startswith("AGENT"), consistent_read=True))
    except PynamoDBException as error:
        raise transient(error) from error
    agents = [i for i in items if isinstance(i, Agent)]
    rotas = {str(i.sk): i for i in items if isinstance(i, Rota)}
    rota = rotas.get(ROTA)
    return Roster(agents, rota.last_agent_id if rota else None, int(rota.turns) if rota else 0, rota is not None,
                  fresh_since, rotas)


def open_load(account_id: str, agent_id: str) -> int:
    """How many open tickets the agent has: one Select=COUNT Query of the keys-only load index (gsi7)."""
    return index_count("gsi7", load_pk(account_id, agent_id))


def put_agent(account_id: str, agent_id: str, *, name: str | None = None, email: str | None = None,
              role: str | None = None, online: bool = False, invited_by: str | None = None) -> Agent:
    """Make `agent_id` (a Cognito sub) an agent of the account, once: a user belongs to one account,
    which their Membership item, written with the Agent item, claims."""
    now = now_iso()
    agent = Agent(account_pk(account_id), f"AGENT#{agent_id}", agent_id=agent_id, account_id=account_id,
                  name=name, email=email, role=role, active=True, online=online, presence_at=now,
                  invited_by=invited_by, created_at=now)
    t = Transaction()
    t.put("membership", Membership(user_key(agent_id), "MEMBERSHIP", account_id=account_id, created_at=now),
          condition=Membership.pk.does_not_exist())
    t.put("agent", agent, condition=Agent.pk.does_not_exist())
    refused = t.commit()
    if refused is None:
        return agent
    if refused.failed_any():
        raise Conflict("that user is an agent already")
    raise transient(PynamoDBException("agent invitation kept conflicting"))


def get_agent(account_id: str, agent_id: str) -> Agent | None:
    try:
        return Agent.get(account_pk(account_id), f"AGENT#{agent_id}", consistent_read=True)
    except Agent.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def account_of_user(sub: str) -> str | None:
    """The account a signed-in user was invited to (None: not a helpdesk agent)."""
    try:
        return str(Membership.get(user_key(sub), "MEMBERSHIP", consistent_read=True).account_id)
    except Membership.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error


_ACTIVE = Agent.pk.exists() & (Agent.active.does_not_exist() | (Agent.active == True))  # noqa: E712


def _presence(account_id: str, agent_id: str, online: bool, condition: Condition) -> Agent:
    agent = Agent(account_pk(account_id), f"AGENT#{agent_id}")
    agent.update(actions=[Agent.online.set(online), Agent.presence_at.set(now_iso())], condition=condition)
    return agent


def heartbeat(account_id: str, agent_id: str, fresh_since: str) -> Agent:
    """Online, or still online. Coming online (from offline, or from a presence that had expired)
    is written as a change from offline to online, which the stream carries to assignment; a
    heartbeat of an agent who is online already is one write that the pipe filters out."""
    try:
        return _presence(account_id, agent_id, True,
                         _ACTIVE & (Agent.online == True) & (Agent.presence_at >= fresh_since))  # noqa: E712
    except UpdateError as error:
        if error.cause_response_code != "ConditionalCheckFailedException":
            raise transient(error) from error
    try:
        _presence(account_id, agent_id, False, _ACTIVE)
        return _presence(account_id, agent_id, True, _ACTIVE)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Forbidden("not an active agent of this account") from error
        raise transient(error) from error


def keep_online(account_id: str, agent_id: str, seen_presence_at: str) -> Agent | None:
    """A heartbeat on an online agent's behalf (the local stack's demo agents) that holds only if nobody
    wrote their presence since `seen_presence_at`: None when someone did, so the agent's own switch to
    offline made meanwhile is never undone (`heartbeat` would bring them back online)."""
    try:
        return _presence(account_id, agent_id, True,
                         _ACTIVE & (Agent.online == True) & (Agent.presence_at == seen_presence_at))  # noqa: E712
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise transient(error) from error


def sign_off(account_id: str, agent_id: str) -> Agent:
    try:
        return _presence(account_id, agent_id, False, _ACTIVE)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise Forbidden("not an active agent of this account") from error
        raise transient(error) from error


def expire_presence(agent: Agent) -> bool:
    """Mark an agent whose heartbeats stopped offline, unless a heartbeat came meanwhile. Their next
    heartbeat then counts as coming online (and hands them the waiting tickets)."""
    return applied(agent, [Agent.online.set(False)],
                   (Agent.online == True) & (Agent.presence_at == agent.presence_at))  # noqa: E712


def change_agent(account_id: str, agent_id: str, actions: list[Action], *, by: str, by_roles: tuple[str, ...],
                 target_roles: tuple[str, ...]) -> bool:
    """Change an agent, on condition that the one who asks (`by`) is still an active agent in one of
    `by_roles`, and the target still has one of `target_roles` (what the permission was decided on):
    two owners demoting each other at once cannot both succeed. False when a condition failed."""
    t = Transaction()
    if by != agent_id:
        t.check("by", Agent, account_pk(account_id), f"AGENT#{by}",
                condition=Agent.role.is_in(*by_roles) & (Agent.active.does_not_exist() | (Agent.active == True)))  # noqa: E712
        target_condition = Agent.role.is_in(*target_roles)
    else:
        target_condition = Agent.role.is_in(*by_roles) & (Agent.active.does_not_exist() | (Agent.active == True))  # noqa: E712
    t.update("agent", Agent(account_pk(account_id), f"AGENT#{agent_id}"), actions=actions,
             condition=Agent.pk.exists() & target_condition)
    refused = t.commit()
    if refused is None:
        return True
    if refused.retryable and not refused.failed_any():
        raise transient(PynamoDBException("agent change kept conflicting"))
    return False


@dataclass(frozen=True)
class AssignOutcome:
    assigned: bool
    ticket_changed: bool = False  # the ticket was not as observed: read it again
    retry: bool = False  # the cursor or the agent moved, or a conflict: read the roster again


def assign_next(ticket: Ticket, agent_id: str, seen: Roster, *, rota: str = ROTA, reason: str = "round_robin",
                team_id: str | None = None, priority: str | None = None) -> AssignOutcome:
    """Give `ticket` to `agent_id` (with why, and the team and priority routing chose) and move the
    rotation's cursor (`rota`) to them, all or nothing: the cursor must be as `seen`, the agent still
    available, the ticket at the version read."""
    account_id = ticket.account_id
    now = now_iso()
    version = int(ticket.version or 0) + 1
    last, turns, exists = seen.cursor(rota)
    t = Transaction()
    t.check("agent", Agent, account_pk(account_id), f"AGENT#{agent_id}",
            condition=available_condition(seen.fresh_since))
    rota_condition = (Rota.turns == turns) if exists else Rota.pk.does_not_exist()
    t.update("rota", Rota(account_pk(account_id), rota),
             actions=[Rota.type.set(Rota), Rota.last_agent_id.set(agent_id), Rota.turns.set(turns + 1)],
             condition=rota_condition)
    routed: list[Action] = [Ticket.team_id.set(team_id) if team_id else Ticket.team_id.remove()]
    if priority:
        routed.append(Ticket.priority.set(priority))
    t.update("ticket", Ticket(ticket_pk(account_id, ticket.ticket_id), "TICKET"), actions=[
        Ticket.assignee_id.set(agent_id), Ticket.updated_at.set(now), Ticket.version.add(1),
        Ticket.assigned_version.set(version), Ticket.assignment_reason.set(reason), *routed,
        *index_actions(index_keys(account_id, ticket.ticket_id, ticket.status, agent_id, bool(ticket.spam), now)),
    ], condition=version_is(ticket.version) & (Ticket.status == Status.OPEN.value))
    refused = t.commit()
    if refused is None:
        return AssignOutcome(True)
    if refused.failed("ticket"):
        return AssignOutcome(False, ticket_changed=True)
    return AssignOutcome(False, retry=True)
