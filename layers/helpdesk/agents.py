"""Agent management (ARCHITECTURE §6b, Agents) and agents' presence.

Owners and admins invite users by email with a role; that invitation (the Agent item, keyed by the
user's Cognito sub) is what makes a user of the pool an agent of one account. Changing a role or
deactivating takes effect on the next request: every request reads the caller's Agent item.
"""
from __future__ import annotations

import datetime as dt
import os
import re
from typing import TYPE_CHECKING, Any

from helpdesk import plans, roles
from helpdesk.auth import HELPDESK_ROLES, INTEGRATION_ROLE, AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.errors import BadRequest, Conflict, Forbidden, NotFound
from helpdesk.observability import count, logger
from helpdesk.store import agents as agent_store
from helpdesk.store import users
from helpdesk.store.models import Agent

if TYPE_CHECKING:
    from pynamodb.expressions.update import Action

MANAGERS = roles.MAY[roles.MANAGE_AGENTS]  # who may invite and change agents
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def presence_ttl() -> dt.timedelta:
    """How long a heartbeat keeps an agent online (`AGENT_PRESENCE_SECONDS`, default 2 minutes)."""
    return dt.timedelta(seconds=float(os.environ.get("AGENT_PRESENCE_SECONDS") or 120))


def fresh_since(now: str | None = None) -> str:
    """Presence older than this has expired."""
    moment = parse_iso(now or now_iso()) - presence_ttl()
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_json(agent: Agent, since: str) -> dict[str, Any]:
    online = agent_store.available(agent, since)
    return {"id": agent.agent_id, "name": agent.name, "email": agent.email, "role": agent.role,
            "status": "online" if online else "offline", "active": agent.active is not False,
            "presence_at": agent.presence_at,
            "capacity": int(agent.capacity) if agent.capacity is not None else None}


def list_agents(who: AgentIdentity) -> dict[str, Any]:
    since = fresh_since()
    # The helpdesk's people: a system with the integration role is no agent.
    found = [a for a in agent_store.roster(who.account_id, since).agents if a.role != INTEGRATION_ROLE]
    return {"items": [agent_json(a, since) for a in sorted(found, key=lambda a: (a.name or a.email or "", a.agent_id))]}


def me(who: AgentIdentity) -> dict[str, Any]:
    from helpdesk import account_settings
    from helpdesk.store import accounts
    from helpdesk.store import tickets as ticket_store

    agent = agent_store.get_agent(who.account_id, who.agent_id)
    if agent is None:
        raise Forbidden("this user may not use the helpdesk")
    badge = bool(account_settings.of(accounts.get_account(who.account_id))["unread_badge"])
    # The badge: open tickets of mine with a customer message I have not opened since (0 when the
    # account turned the badge off).
    unread = ticket_store.unread_count(who.account_id, who.agent_id) if badge else 0
    return {**agent_json(agent, fresh_since()), "unread_count": unread, "unread_badge": badge}


def _role(value: Any) -> str:
    if value not in HELPDESK_ROLES:
        raise BadRequest("role must be one of " + ", ".join(HELPDESK_ROLES))
    return str(value)


def _may_manage(who: AgentIdentity, role: str) -> None:
    """Owners manage everyone; admins manage every role but owner."""
    roles.require(who, roles.MANAGE_AGENTS)
    if role == "owner":
        roles.require(who, roles.MANAGE_OWNERS)


def _manageable_by(who: AgentIdentity) -> tuple[str, ...]:
    return HELPDESK_ROLES if who.role == "owner" else tuple(r for r in HELPDESK_ROLES if r != "owner")


def _room_for_another_agent(who: AgentIdentity) -> None:
    """The free plan is one agent (SPEC §4): with an active agent already (on the API, the caller
    is one: every request reads its Agent item), inviting or reactivating another is a 403 naming
    the plan. A downgrade deactivates nobody: agents active then stay so until an admin decides."""
    from helpdesk.store import accounts

    account = accounts.get_account(who.account_id)
    if plans.allows(account, plans.MULTI_AGENT):
        return
    if any(a.active is not False and a.role != INTEGRATION_ROLE for a in agent_store.roster(who.account_id).agents):
        plans.require(account, plans.MULTI_AGENT)


def invite(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """`{"email", "role", "name"?}`: the user is created in the pool (Cognito emails them a temporary
    password) and becomes an agent of the caller's account."""
    if not isinstance(body, dict) or set(body) - {"email", "role", "name"}:
        raise BadRequest('expected {"email", "role", "name"?}')
    email = body.get("email")
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        raise BadRequest("email must be an email address")
    role = _role(body.get("role"))
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or not 0 < len(name.strip()) <= 100):
        raise BadRequest("name must be at most 100 characters")
    _may_manage(who, role)
    _room_for_another_agent(who)
    address = email.strip().lower()
    sub, created = users.create_user(address, send_invitation=os.environ.get("COGNITO_SEND_INVITATIONS", "on") != "off")
    if not created and agent_store.account_of_user(sub):
        raise Conflict("that user is an agent already")
    agent = agent_store.put_agent(who.account_id, sub, name=name.strip() if name else None, email=address,
                                  role=role, online=False, invited_by=who.agent_id)
    users.set_group(address if created else users.username_of(sub), role)
    count("agent_invited")
    logger.info("agent invited", extra={"account_id": who.account_id, "agent_id": sub, "by": who.agent_id,
                                        "role": role})
    return agent_json(agent, fresh_since())


MAX_CAPACITY = 1000


def _capacity(body: dict[str, Any]) -> list[Action]:
    """`capacity`: at most this many open tickets from the rotation (null: no limit)."""
    if "capacity" not in body:
        return []
    value = body["capacity"]
    if value is None:
        return [Agent.capacity.remove()]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_CAPACITY:
        raise BadRequest(f"capacity must be a whole number from 0 to {MAX_CAPACITY}, or null")
    return [Agent.capacity.set(value)]


def _change_request(body: Any) -> tuple[str | None, bool | None, str | None]:
    if not isinstance(body, dict) or not body or set(body) - {"role", "active", "name", "capacity"}:
        raise BadRequest('expected any of {"role", "active", "name", "capacity"}')
    role = _role(body["role"]) if "role" in body else None
    active = body.get("active")
    if "active" in body and not isinstance(active, bool):
        raise BadRequest("active must be true or false")
    name = body.get("name")
    if "name" in body and (not isinstance(name, str) or not 0 < len(name.strip()) <= 100):
        raise BadRequest("name must be at most 100 characters")
    return role, active, name.strip() if isinstance(name, str) else None


def _may_change(who: AgentIdentity, target: Agent, role: str | None, active: bool | None) -> None:
    """The caller's roles allow it, and a reactivation finds room on the account's plan."""
    _may_manage(who, str(target.role))
    if role:
        _may_manage(who, role)
    if active is True and target.active is False:
        _room_for_another_agent(who)


def change(who: AgentIdentity, agent_id: str, body: Any) -> dict[str, Any]:
    """`{"role"?, "active"?, "name"?, "capacity"?}` for an agent of the caller's account."""
    role, active, name = _change_request(body)
    target = agent_store.get_agent(who.account_id, agent_id) if agent_id else None
    if target is None:
        raise NotFound("no such agent")
    if agent_id == who.agent_id and (role is not None or active is False):
        raise Conflict("you cannot change your own role or deactivate yourself; ask another owner or admin")
    _may_change(who, target, role, active)
    actions: list[Action] = _capacity(body)
    if role:
        actions.append(Agent.role.set(role))
    if name is not None:
        actions.append(Agent.name.set(name))
    if active is not None:
        actions.append(Agent.active.set(active))
        if not active:
            actions.append(Agent.online.set(False))  # out of the rotation at once
    # Decided on the roles as read; the write checks they still hold (the caller's too).
    by_roles = ("owner",) if "owner" in (role, target.role) else MANAGERS
    if not agent_store.change_agent(who.account_id, agent_id, actions, by=who.agent_id, by_roles=by_roles,
                                    target_roles=_manageable_by(who)):
        raise Conflict("the agent, or your own role, changed meanwhile; read them again")
    if role and role != target.role:
        users.set_group(users.username_of(agent_id), role, old_role=target.role)
    if active is False and target.active is not False:
        users.disable(agent_id)
    elif active is True and target.active is False:
        users.enable(agent_id)
    logger.info("agent changed", extra={"account_id": who.account_id, "agent_id": agent_id, "by": who.agent_id,
                                        "fields": sorted(body)})
    changed = agent_store.get_agent(who.account_id, agent_id)
    assert changed is not None
    return agent_json(changed, fresh_since())


def set_presence(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """A heartbeat (`online`, sent again within AGENT_PRESENCE_SECONDS to stay online) or `offline`.
    Coming online hands the agent the waiting tickets: the stream carries the change to assignment."""
    if not isinstance(body, dict) or body.get("status") not in ("online", "offline"):
        raise BadRequest('expected {"status": "online" | "offline"}')
    if body["status"] == "online":
        agent = agent_store.heartbeat(who.account_id, who.agent_id, fresh_since())
    else:
        agent = agent_store.sign_off(who.account_id, who.agent_id)
    logger.info("presence", extra={"account_id": who.account_id, "agent_id": who.agent_id,
                                   "status": body["status"]})
    return {"agent_id": who.agent_id, "status": body["status"], "updated_at": agent.presence_at,
            "expires_in": int(presence_ttl().total_seconds()) if body["status"] == "online" else None}
