"""The agent workspace: views, the ticket screen, agents' edits and presence (ARCHITECTURE §6)."""
from __future__ import annotations

from typing import Any

from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.conversation import Status
from helpdesk.errors import BadRequest
from helpdesk.observability import count, logger
from helpdesk.store import agents as agent_store
from helpdesk.store import events
from helpdesk.store import tickets as ticket_store
from helpdesk.store.models import Message, Ticket

VIEWS = ("mine", "all", "unassigned", "spam")
PAGE_SIZE = 25
MAX_TAGS, MAX_TAG_LENGTH = 50, 64


def ticket_json(t: Ticket) -> dict[str, Any]:
    return {"id": t.ticket_id, "channel": t.channel, "status": t.status, "assignee_id": t.assignee_id,
            "tags": list(t.tags or []), "contact": t.contact, "profile_id": t.profile_id,
            "created_at": t.created_at, "updated_at": t.updated_at, "spam": bool(t.spam),
            "snooze_until": t.snooze_until, "last_inbound_at": t.last_inbound_at,
            "message_count": int(t.message_count or 0)}


def message_json(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.message_id, "direction": m.direction, "body": m.body,
                           "created_at": m.created_at, "channel": m.channel,
                           "media": [dict(x.as_dict() if hasattr(x, "as_dict") else x) for x in m.media or []]}
    if m.deleted:
        out["deleted"] = True
    if m.automatic:
        out["automatic"] = True
    if m.story:
        out["story"] = m.story.as_dict() if hasattr(m.story, "as_dict") else dict(m.story)
    return out


def list_tickets(who: AgentIdentity, params: dict[str, str]) -> dict[str, Any]:
    view = params.get("view") or "mine"
    if view not in VIEWS:
        raise BadRequest("view must be one of " + ", ".join(VIEWS))
    status = params.get("status") or None
    if status is not None and status not in {s.value for s in Status}:  # query values are strings
        raise BadRequest("status must be open, snoozed or closed")
    try:
        limit = int(params.get("limit") or PAGE_SIZE)
    except ValueError as exc:
        raise BadRequest("limit must be a number") from exc
    if not 1 <= limit <= 100:
        raise BadRequest("limit must be between 1 and 100")
    items, cursor = ticket_store.view_query(who.account_id, view, status, who.agent_id,
                                            params.get("next"), limit)
    return {"items": [ticket_json(t) for t in items], "next": cursor}


def ticket_detail(who: AgentIdentity, ticket_id: str) -> dict[str, Any]:
    ticket = ticket_store.get_ticket(who.account_id, ticket_id)
    messages = ticket_store.latest_messages(who.account_id, ticket_id, 50)
    return {**ticket_json(ticket), "messages": [message_json(m) for m in messages]}


def _patch_values(who: AgentIdentity, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("expected a JSON object with status, assignee_id, snooze_until, tags or spam")
    unknown = set(body) - {"status", "assignee_id", "snooze_until", "tags", "spam"}
    if unknown:
        raise BadRequest("unknown fields: " + ", ".join(sorted(unknown)))
    values: dict[str, Any] = {}
    if "status" in body:
        if not isinstance(body["status"], str) or body["status"] not in {s.value for s in Status}:
            raise BadRequest("status must be open, snoozed or closed")
        values["status"] = body["status"]
    if "assignee_id" in body:
        agent_id = body["assignee_id"]
        if agent_id is not None and (not isinstance(agent_id, str)
                                     or agent_store.get_agent(who.account_id, agent_id) is None):
            raise BadRequest("assignee_id is not an agent of this account")
        values["assignee_id"] = agent_id
    if "snooze_until" in body:
        values["snooze_until"] = _snooze_until(body["snooze_until"])
        # A time snoozes; null unsnoozes (back to open, unless a status is given).
        values.setdefault("status", Status.SNOOZED.value if values["snooze_until"] else Status.OPEN.value)
    if values.get("status") == Status.SNOOZED.value and not values.get("snooze_until"):
        raise BadRequest("snoozing needs snooze_until")
    if "tags" in body:
        values["tags"] = _tags(body["tags"])
    if "spam" in body:  # "not spam" puts a ticket back in the views; spam takes it to the Spam view
        if not isinstance(body["spam"], bool):
            raise BadRequest("spam must be true or false")
        values["spam"] = body["spam"]
    return values


def _snooze_until(value: Any) -> str | None:
    if value is None:
        return None
    try:
        until = parse_iso(str(value))
    except ValueError as exc:
        raise BadRequest("snooze_until must be an ISO 8601 time") from exc
    now = parse_iso(now_iso())
    if until.tzinfo is None or until <= now:
        raise BadRequest("snooze_until must be a future time with a timezone")
    return until.astimezone(now.tzinfo).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tags(tags: Any) -> list[str]:
    if (not isinstance(tags, list) or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= MAX_TAG_LENGTH for t in tags)):
        raise BadRequest(f"tags must be a list of at most {MAX_TAGS} short strings")
    return sorted({t.strip().lower() for t in tags})


def patch_ticket(who: AgentIdentity, ticket_id: str, body: Any) -> dict[str, Any]:
    values = _patch_values(who, body)
    ticket = ticket_store.get_ticket(who.account_id, ticket_id)
    before = ticket.status
    reopened = before != Status.OPEN.value and values.get("status") == Status.OPEN.value
    if reopened:
        # The event before the write: if sending fails nothing has changed and the agent retries;
        # if the write then fails, assignment finds the ticket not open and does nothing.
        events.publish({"type": "ticket.reopened", "account_id": who.account_id, "ticket_id": ticket_id,
                        "channel": ticket.channel})
    ticket = ticket_store.update_ticket(ticket, **values)
    if reopened:
        count("ticket_reopened")
    if ticket.status == Status.CLOSED.value and before != Status.CLOSED.value:
        count("ticket_closed")
    logger.info("ticket edited", extra={"account_id": who.account_id, "ticket_id": ticket_id,
                                        "agent_id": who.agent_id, "fields": sorted(values)})
    return ticket_json(ticket)


def set_presence(who: AgentIdentity, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or body.get("status") not in ("online", "offline"):
        raise BadRequest('expected {"status": "online" | "offline"}')
    agent = agent_store.set_presence(who.account_id, who.agent_id, body["status"] == "online", role=who.role,
                                     email=who.email)
    if agent.online:
        # Tickets that came in while nobody was online wait in Unassigned: hand them out now.
        events.publish({"type": "agent.online", "account_id": who.account_id, "agent_id": who.agent_id})
    logger.info("presence", extra={"account_id": who.account_id, "agent_id": who.agent_id,
                                   "status": body["status"]})
    return {"agent_id": who.agent_id, "status": "online" if agent.online else "offline",
            "updated_at": agent.presence_at}
