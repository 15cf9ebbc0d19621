"""The agent workspace: views, the ticket screen, agents' edits of tickets (ARCHITECTURE §6)."""
from __future__ import annotations

import datetime as dt
import re
from typing import Any

from helpdesk import reply_rules, roles, tagging
from helpdesk.attribution import attribution_json
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.conversation import Status
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, Transient
from helpdesk.observability import count, logger
from helpdesk.params import page_limit
from helpdesk.routing import reason_json
from helpdesk.store import agents as agent_store
from helpdesk.store import tickets as ticket_store
from helpdesk.store.models import Message, Profile, Ticket

VIEWS = ("mine", "all", "unassigned", "spam")
PAGE_SIZE = 25
MAX_TAGS, MAX_TAG_LENGTH = 50, 100
MAX_EDIT_ATTEMPTS = 8  # an edit re-read and reapplied this often before the agent is told to retry
MAX_BULK = 100


def ticket_json(t: Ticket, viewer: str | None = None) -> dict[str, Any]:
    """A ticket as the API shows it; `unread` is for `viewer`, the agent asking."""
    return {"unread": ticket_store.unread_for(t, viewer) if viewer else False,
            "id": t.ticket_id, "channel": t.channel, "status": t.status, "assignee_id": t.assignee_id,
            "tags": list(t.tags or []), "tag_details": tagging.details_json(t),
            "contact": t.contact, "profile_id": t.profile_id,
            # The customer's name as the channel gave it (when it did), and an email's subject.
            "contact_name": t.contact_name, "subject": t.subject, "preview": t.preview,
            "created_at": t.created_at, "updated_at": t.updated_at, "spam": bool(t.spam),
            "snooze_until": t.snooze_until, "last_inbound_at": t.last_inbound_at,
            "message_count": int(t.message_count or 0), "version": int(t.version or 0),
            # Why it has its assignee (rule, team, the agent's load, who else was eligible), and its routing.
            "assignment_reason": reason_json(t.assignment_reason), "team_id": t.team_id, "priority": t.priority,
            "auto_closed": bool(t.auto_closed),
            "first_response_at": t.first_response_at,  # a person's first reply (docs/metrics.md)
            # The campaign or flow whose message the ticket's first attributed SMS answered.
            "attribution": attribution_json(t.attribution),
            # WhatsApp and Instagram: when the customer-service window closes and the hours left.
            "reply_window": reply_rules.window_json(t.channel, reply_rules.customer_wrote_at(t),
                                                    dt.datetime.now(dt.UTC), human_agent_tag=_human_agent_tag(t))}


def _human_agent_tag(t: Ticket) -> bool:
    """Instagram's longer window, when the account turned it on (its settings are cached a minute)."""
    if t.channel != "instagram":
        return False
    from helpdesk import account_settings
    from helpdesk.store import accounts

    return bool(account_settings.of(accounts.get_account(t.account_id))["instagram"]["human_agent_tag"])


def message_json(m: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.message_id, "direction": m.direction, "body": m.body,
                           "created_at": m.created_at, "channel": m.channel,
                           "media": [dict(x.as_dict() if hasattr(x, "as_dict") else x) for x in m.media or []]}
    if m.attribution is not None:  # an inbound SMS, once decided: the source, or null for none
        out["attribution"] = attribution_json(m.attribution)
    if m.deleted:
        out["deleted"] = True
    if m.automatic:
        out["automatic"] = True
    if m.story:
        out["story"] = m.story.as_dict() if hasattr(m.story, "as_dict") else dict(m.story)
    extra = m.extra.as_dict() if hasattr(m.extra, "as_dict") else dict(m.extra or {})
    if isinstance(extra.get("card"), dict):  # the order skill's order card, as the customer saw it
        out["card"] = extra["card"]
    if m.direction == "outbound" and extra.get("delivery"):
        out["delivery"] = extra["delivery"]
        if extra.get("read_at"):
            out["read"] = True
        if extra["delivery"] == "failed" and extra.get("error"):
            out["delivery_error"] = extra["error"]
    return out


def list_tickets(who: AgentIdentity, params: dict[str, str]) -> dict[str, Any]:
    view = params.get("view") or "mine"
    if view not in VIEWS and not view.startswith("v_"):  # a saved view's id (helpdesk/views.py)
        raise BadRequest("view must be one of " + ", ".join(VIEWS) + ", or a saved view's id")
    status = params.get("status") or None
    if status is not None and status not in {s.value for s in Status}:  # query values are strings
        raise BadRequest("status must be open, snoozed or closed")
    limit = page_limit(params, PAGE_SIZE, 100)
    if view not in VIEWS:
        from helpdesk import views

        return views.page(who, view, status, params.get("next"), limit)
    items, cursor = ticket_store.view_query(who.account_id, view, status, who.agent_id,
                                            params.get("next"), limit)
    return {"items": [ticket_json(t, who.agent_id) for t in items], "next": cursor}


def ticket_detail(who: AgentIdentity, ticket_id: str) -> dict[str, Any]:
    """The ticket screen: the ticket, its latest 50 messages (`messages_next` pages to older ones),
    the reply rules, and the customer beside the conversation (`profile`)."""
    from helpdesk import customers
    from helpdesk.store import accounts

    ticket = ticket_store.get_ticket(who.account_id, ticket_id)
    # Read once for the reply rules' consent and the customer panel.
    profile = accounts.get_profile(ticket.account_id, ticket.profile_id) if ticket.profile_id else None
    messages, older = ticket_store.messages_page(who.account_id, ticket_id, None, TICKET_MESSAGES)
    if ticket_store.unread_for(ticket, who.agent_id):
        ticket_store.mark_read(ticket, who.agent_id, now_iso())  # opened: read now (no write when it was)
    return {**ticket_json(ticket), **reply_state(ticket, profile),
            "messages": [message_json(m) for m in messages], "messages_next": older,
            "profile": customers.panel(ticket, profile)}


TICKET_MESSAGES = 50  # on the ticket screen; older ones a page at a time
MAX_MESSAGE_PAGE = 100


def older_messages(who: AgentIdentity, ticket_id: str, params: dict[str, str]) -> dict[str, Any]:
    """`GET /api/tickets/{id}/messages?before=<cursor>&limit=`: the messages before the cursor (the
    ticket screen's `messages_next`, or a page's `next`), oldest first; without one, the latest."""
    limit = page_limit(params, TICKET_MESSAGES, MAX_MESSAGE_PAGE)
    ticket_store.get_ticket(who.account_id, ticket_id)  # another account's, or none: 404
    messages, older = ticket_store.messages_page(who.account_id, ticket_id, params.get("before") or None, limit)
    return {"items": [message_json(m) for m in messages], "next": older}


def reply_state(ticket: Ticket, profile: Profile | None) -> dict[str, Any]:
    """Whether an agent may answer now and, if not, why: shown before anyone types (the same rules
    the reply itself is held to; the consent is read here, and checked again when the reply is stored)."""
    from helpdesk import account_settings
    from helpdesk.store import accounts

    tag = bool(account_settings.of(accounts.get_account(ticket.account_id))["instagram"]["human_agent_tag"])
    now = dt.datetime.now(dt.UTC)
    wrote_at = reply_rules.customer_wrote_at(ticket)
    verdict = reply_rules.check(ticket.channel, wrote_at, now, human_agent_tag=tag)
    field = reply_rules.CONSENT_FIELD.get(ticket.channel)
    if verdict.allowed and field and ticket.profile_id:
        consent = getattr(profile, field) if profile else None
        if not reply_rules.consent_ok(ticket.channel, consent):
            verdict = reply_rules.Verdict(False, reply_rules.consent_refusal(ticket.channel, consent),
                                          code=reply_rules.consent_refusal_code(consent))
    return {"reply_window": reply_rules.window_json(ticket.channel, wrote_at, now, human_agent_tag=tag),
            "can_reply": {"allowed": verdict.allowed, "reason": verdict.reason, "code": verdict.code}}


def _patch_values(who: AgentIdentity, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("expected a JSON object with status, assignee_id, snooze_until, tags or spam")
    unknown = set(body) - {"status", "assignee_id", "snooze_until", "tags", "add_tags", "remove_tags", "spam"}
    if unknown:
        raise BadRequest("unknown fields: " + ", ".join(sorted(unknown)))
    values: dict[str, Any] = {}
    if "status" in body:
        if not isinstance(body["status"], str) or body["status"] not in {s.value for s in Status}:
            raise BadRequest("status must be open, snoozed or closed")
        values["status"] = body["status"]
    if "assignee_id" in body:
        values["assignee_id"] = _assignee(who, body["assignee_id"])
    if "snooze_until" in body:
        values["snooze_until"] = _snooze_until(body["snooze_until"])
        # A time snoozes; null unsnoozes (back to open, unless a status is given).
        values.setdefault("status", Status.SNOOZED.value if values["snooze_until"] else Status.OPEN.value)
    if values.get("status") == Status.SNOOZED.value and not values.get("snooze_until"):
        raise BadRequest("snoozing needs snooze_until")
    values.update(_tag_values(body))
    if "spam" in body:  # "not spam" puts a ticket back in the views; spam takes it to the Spam view
        if not isinstance(body["spam"], bool):
            raise BadRequest("spam must be true or false")
        values["spam"] = body["spam"]
    return values


def _tag_values(body: dict[str, Any]) -> dict[str, list[str]]:
    """`tags` replaces the list; `add_tags` / `remove_tags` change it as it is (bulk "tag" adds one)."""
    out: dict[str, list[str]] = {f: _tags(body[f]) for f in ("tags", "add_tags", "remove_tags") if f in body}
    if "tags" in out and len(out) > 1:
        raise BadRequest("tags replaces the list: give it or add_tags/remove_tags, not both")
    return out


def _assignee(who: AgentIdentity, agent_id: Any) -> str | None:
    if agent_id is None:
        return None
    agent = agent_store.get_agent(who.account_id, agent_id) if isinstance(agent_id, str) and agent_id else None
    if agent is None or agent.active is False:
        raise BadRequest("assignee_id is not an active agent of this account")
    return str(agent_id)


MAX_SNOOZE = dt.timedelta(days=366)


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
    if until - now > MAX_SNOOZE:
        raise BadRequest(f"snooze_until must be within {MAX_SNOOZE.days} days")
    return until.astimezone(now.tzinfo).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _tags(tags: Any) -> list[str]:
    if (not isinstance(tags, list) or len(tags) > MAX_TAGS
            or not all(isinstance(t, str) and 0 < len(t.strip()) <= MAX_TAG_LENGTH for t in tags)):
        raise BadRequest(f"tags must be a list of at most {MAX_TAGS} short strings")
    return sorted({t.strip().lower() for t in tags})


def if_match_version(header: str | None) -> int | None:
    """The version an `If-Match` header asks for (`3`, `"3"` or `W/"3"`); None without one."""
    if header is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,12})"?\s*', header)
    if not match:
        raise BadRequest("If-Match must be a ticket version, as ticket JSON gives it")
    return int(match.group(1))


def apply_edit(who: AgentIdentity, ticket_id: str, values: dict[str, Any],
               expected_version: int | None = None) -> Any:
    """Apply the agent's intent to the ticket as it is now: when something else wrote it meanwhile
    (a customer's message, assignment, the autoresponder), read it again and reapply. Only a
    client that asked for a version (`If-Match`) is told, with 409, that it is gone."""
    for attempt in range(MAX_EDIT_ATTEMPTS):
        ticket = ticket_store.get_ticket(who.account_id, ticket_id)
        if expected_version is not None and int(ticket.version or 0) != expected_version:
            raise Conflict(f"the ticket is at version {int(ticket.version or 0)}, not {expected_version}; "
                           "read it again")
        if "assignee_id" in values:  # decided on the ticket as it is now, as the write is
            roles.require_assignment(who, ticket.assignee_id, values["assignee_id"])
        edits = _tags_now(ticket, values)
        # (The account's own names: a renamed tag added by hand is a miss like any other; its settings are cached.)
        feedback = tagging.Feedback.of(ticket, edits["tags"], _account(who)) if "tags" in edits else None
        if "tags" in edits:  # the agent's tags are theirs; what they removed the tagger never adds back
            edits = {**edits, **tagging.agent_fields(ticket, edits["tags"])}
        before = ticket.status
        if ticket_store.edit_ticket(ticket, edits, now_iso()) is not None:
            if feedback is not None:
                feedback.count()
            # (ticket_reopened is counted by the assignment worker, from the stream)
            if ticket.status == Status.CLOSED.value and before != Status.CLOSED.value:
                count("ticket_closed")
            logger.info("ticket edited", extra={"account_id": who.account_id, "ticket_id": ticket_id,
                                                "agent_id": who.agent_id, "fields": sorted(values),
                                                "attempt": attempt})
            return ticket
    raise Transient("the ticket kept changing; try again")


def _account(who: AgentIdentity) -> Any:
    from helpdesk.store import accounts

    return accounts.get_account(who.account_id)


def _tags_now(ticket: Ticket, values: dict[str, Any]) -> dict[str, Any]:
    """`add_tags` / `remove_tags` applied to the ticket's tags as read now (each attempt reads anew)."""
    if "add_tags" not in values and "remove_tags" not in values:
        return values
    edits = {k: v for k, v in values.items() if k not in ("add_tags", "remove_tags")}
    tags = (set(ticket.tags or []) | set(values.get("add_tags", []))) - set(values.get("remove_tags", []))
    if len(tags) > MAX_TAGS:
        raise BadRequest(f"a ticket has at most {MAX_TAGS} tags")
    edits["tags"] = sorted(tags)
    return edits


def patch_ticket(who: AgentIdentity, ticket_id: str, body: Any, if_match: str | None = None) -> dict[str, Any]:
    values = _patch_values(who, body)
    return ticket_json(apply_edit(who, ticket_id, values, if_match_version(if_match)), who.agent_id)


def bulk_edit(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """`{"ids": [...], "changes": {<PATCH fields>}}`: the same change to each ticket, each applied
    as a PATCH would be; one ticket's failure does not stop the others."""
    if not isinstance(body, dict) or set(body) != {"ids", "changes"}:
        raise BadRequest('expected {"ids": [...], "changes": {...}}')
    ids = body["ids"]
    if not isinstance(ids, list) or not 0 < len(ids) <= MAX_BULK or not all(
            isinstance(i, str) and 0 < len(i) <= 64 for i in ids):
        raise BadRequest(f"ids must be a list of 1 to {MAX_BULK} ticket ids")
    values = _patch_values(who, body["changes"])
    results = []
    for ticket_id in dict.fromkeys(ids):
        try:
            apply_edit(who, ticket_id, values)
            results.append({"id": ticket_id, "status": 200})
        except HelpdeskError as error:
            results.append({"id": ticket_id, "status": error.status, "error": error.reason})
    return {"results": results}
