"""What each helpdesk role may do: the one table every route asks (README, "Roles").

- owner: everything, and the only one who grants, changes or removes the owner role;
- admin: everything else: invites, changes and deactivates agents (not owners), the settings;
- manager: all ticket work, including routing tickets to any agent, and the reports;
- support: all ticket work on any ticket (read, reply, note, status, tags, snooze, spam, and the
  customer's orders and subscriptions: helpdesk/order_actions.py), but routes
  only to themselves: they take a ticket or let go of their own; giving a ticket to someone else,
  or taking it from someone else, is a manager's decision;
- integration: not a person but a system of the brand's (the marketing system) with a user of its
  own: it may call the integration routes (POST /api/profile-events) and nothing else. `auth` refuses
  it on every other route before any of this is asked.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from helpdesk.errors import Forbidden

if TYPE_CHECKING:
    from helpdesk.auth import AgentIdentity

ASSIGN_ANYONE = "tickets.assign_anyone"
MANAGE_AGENTS = "agents.manage"
MANAGE_OWNERS = "agents.manage_owners"
WRITE_SETTINGS = "settings.write"
SEND_PROFILE_EVENTS = "profiles.send_events"
READ_REPORTS = "reports.read"
SEND_OUTBOUND_MESSAGES = "attribution.send_outbound"
WRITE_KB = "kb.write"
PREVIEW_SKILLS = "skills.preview"
ORDER_ACTIONS = "orders.act"

MAY: dict[str, tuple[str, ...]] = {
    ASSIGN_ANYONE: ("owner", "admin", "manager"),
    MANAGE_AGENTS: ("owner", "admin"),
    MANAGE_OWNERS: ("owner",),
    WRITE_SETTINGS: ("owner", "admin"),
    SEND_PROFILE_EVENTS: ("owner", "admin", "integration"),
    SEND_OUTBOUND_MESSAGES: ("owner", "admin", "integration"),
    READ_REPORTS: ("owner", "admin", "manager"),
    WRITE_KB: ("owner", "admin"),
    PREVIEW_SKILLS: ("owner", "admin"),
    ORDER_ACTIONS: ("owner", "admin", "manager", "support"),
}
_WHY = {
    ASSIGN_ANYONE: "only an owner, admin or manager gives a ticket to another agent or takes it from one",
    MANAGE_AGENTS: "only an owner or admin manages agents",
    MANAGE_OWNERS: "only an owner may grant or change the owner role",
    WRITE_SETTINGS: "only an owner or admin changes the settings",
    SEND_PROFILE_EVENTS: "only an owner, an admin or an integration sends profile events",
    SEND_OUTBOUND_MESSAGES: "only an owner, an admin or an integration sends outbound messages",
    READ_REPORTS: "only an owner, admin or manager reads the reports",
    WRITE_KB: "only an owner or admin writes the knowledge base",
    PREVIEW_SKILLS: "only an owner or admin previews a skill",
    ORDER_ACTIONS: "only an owner, admin, manager or support agent changes a customer's orders and subscriptions",
}


def may(role: str, action: str) -> bool:
    return role in MAY[action]


def require(who: AgentIdentity, action: str) -> None:
    if not may(who.role, action):
        raise Forbidden(_WHY[action])


def require_assignment(who: AgentIdentity, current: str | None, new: str | None) -> None:
    """Moving a ticket from `current` to `new` assignee: anyone may take a ticket nobody has or let
    go of their own; anything else routes work between people."""
    if current == new or (new == who.agent_id and current is None) or (current == who.agent_id and new is None):
        return
    require(who, ASSIGN_ANYONE)
