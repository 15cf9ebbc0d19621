"""Macros (SPEC §4): pre-written replies with variables, kept per account. Every agent lists and
applies them; owners and admins write them. A variable the helpdesk cannot fill is refused when the
macro is saved, never discovered when it is sent. Applying one sends through the normal reply path,
with all its rules. Plan `inbox` has none (403 naming the plan); they are kept, not deleted, so an
upgrade brings them back."""
from __future__ import annotations

import re
import secrets
from typing import Any

from pynamodb.exceptions import PynamoDBException

from helpdesk import plans, roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.errors import BadRequest, NotFound
from helpdesk.store import accounts
from helpdesk.store.failures import applied, transient
from helpdesk.store.models import Macro, Ticket, account_pk

VARIABLES = ("customer.first_name", "customer.last_name", "ticket.id", "agent.first_name", "store.name")
_VARIABLE = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
MAX_NAME, MAX_BODY = 100, 5_000


def _paid(who: AgentIdentity) -> None:
    plans.require(accounts.get_account(who.account_id), plans.MACROS)


def _checked(body: Any, partial: bool = False) -> dict[str, str]:
    if not isinstance(body, dict) or not body:
        raise BadRequest('expected {"name": "...", "body": "..."}')
    unknown = sorted(set(body) - {"name", "body"})
    if unknown:
        raise BadRequest(f"{unknown[0]} is not a field of a macro")
    out: dict[str, str] = {}
    for field, limit in (("name", MAX_NAME), ("body", MAX_BODY)):
        if field not in body:
            if not partial:
                raise BadRequest(f"{field} is required")
            continue
        value = body[field]
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise BadRequest(f"{field} must be non-empty text of at most {limit} characters")
        out[field] = value
    for name in _VARIABLE.findall(out.get("body", "")):
        if name not in VARIABLES:
            raise BadRequest(f"unknown variable {{{{{name}}}}}: use " + ", ".join("{{" + v + "}}" for v in VARIABLES))
    return out


def macro_json(m: Macro) -> dict[str, Any]:
    return {"id": m.macro_id, "name": m.name, "body": m.body, "variables": sorted(set(_VARIABLE.findall(m.body))),
            "created_at": m.created_at, "updated_at": m.updated_at}


def _get(who: AgentIdentity, macro_id: str) -> Macro:
    if not macro_id or len(macro_id) > 64:
        raise NotFound("no such macro")
    try:
        return Macro.get(account_pk(who.account_id), f"MACRO#{macro_id}", consistent_read=True)
    except Macro.DoesNotExist as exc:
        raise NotFound("no such macro") from exc
    except PynamoDBException as error:
        raise transient(error) from error


def list_macros(who: AgentIdentity) -> dict[str, Any]:
    _paid(who)
    try:
        found = [m for m in Macro.query(account_pk(who.account_id), Macro.sk.startswith("MACRO#"))
                 if isinstance(m, Macro)]
    except PynamoDBException as error:
        raise transient(error) from error
    return {"items": [macro_json(m) for m in sorted(found, key=lambda m: (m.name.lower(), m.macro_id))]}


def create(who: AgentIdentity, body: Any) -> dict[str, Any]:
    roles.require(who, roles.WRITE_SETTINGS)
    _paid(who)
    values = _checked(body)
    now, macro_id = now_iso(), "mac-" + secrets.token_hex(8)
    macro = Macro(account_pk(who.account_id), f"MACRO#{macro_id}", macro_id=macro_id, name=values["name"],
                  body=values["body"], created_by=who.agent_id, created_at=now, updated_at=now)
    try:
        macro.save(condition=Macro.pk.does_not_exist())
    except PynamoDBException as error:
        raise transient(error) from error
    return macro_json(macro)


def change(who: AgentIdentity, macro_id: str, body: Any) -> dict[str, Any]:
    roles.require(who, roles.WRITE_SETTINGS)
    _paid(who)
    values = _checked(body, partial=True)
    macro = _get(who, macro_id)
    now = now_iso()
    actions = [getattr(Macro, name).set(value) for name, value in values.items()] + [Macro.updated_at.set(now)]
    if not applied(macro, actions, Macro.pk.exists()):
        raise NotFound("no such macro")
    for name, value in values.items():
        setattr(macro, name, value)
    macro.updated_at = now
    return macro_json(macro)


def delete(who: AgentIdentity, macro_id: str) -> None:
    roles.require(who, roles.WRITE_SETTINGS)
    _paid(who)
    macro = _get(who, macro_id)
    try:
        macro.delete()
    except PynamoDBException as error:
        raise transient(error) from error


def render(who: AgentIdentity, macro_id: str, ticket: Ticket) -> str:
    """The macro's text for this ticket, every variable filled (an unknown name cannot be stored)."""
    from helpdesk.store import agents as agent_store

    _paid(who)
    macro = _get(who, macro_id)
    names = set(_VARIABLE.findall(macro.body))
    values: dict[str, str] = {"ticket.id": ticket.ticket_id}
    if names & {"customer.first_name", "customer.last_name"}:
        profile = accounts.get_profile(ticket.account_id, ticket.profile_id) if ticket.profile_id else None
        full = ((profile.name if profile else None) or ticket.contact_name or "").split()
        values["customer.first_name"] = full[0] if full else ""
        values["customer.last_name"] = " ".join(full[1:])
    if "agent.first_name" in names:
        agent = agent_store.get_agent(who.account_id, who.agent_id)
        values["agent.first_name"] = ((agent.name if agent else None) or "").split(" ")[0]
    if "store.name" in names:
        values["store.name"] = accounts.get_account(who.account_id).name or ""
    text = _VARIABLE.sub(lambda m: values.get(m.group(1), ""), macro.body)
    # "Hi {{customer.first_name}}," with no name known reads "Hi ,": tidy the gap.
    return re.sub(r"[ \t]+([,.!?])", r"\1", text).strip()


def preview(who: AgentIdentity, macro_id: str, ticket_id: str) -> dict[str, str]:
    """`GET /api/tickets/{id}/macros/{macro_id}/preview`: what a reply with the macro would say on this
    ticket (the console's preview before the agent sends or edits it); nothing is stored."""
    from helpdesk.store import tickets as ticket_store

    return {"text": render(who, macro_id, ticket_store.get_ticket(who.account_id, ticket_id))}
