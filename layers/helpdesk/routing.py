"""Teams and routing rules (SPEC §5): which team a new or reopened ticket goes to, before round robin picks
one of its online members (helpdesk/assignment.py).

Rules are an ordered list; the first whose every condition holds wins: `tags_any` (one of the ticket's tags),
`segments_any` (one of its customer's segments, from the profile), `channel` (one of), `language` (the
customer's message: `ko` when it holds Hangul, else `en`), `office_hours` (`open` / `closed` now, by the
account's office hours). Its action: `team_id`, and optionally a `priority`. No rule matching: round robin
over everyone online, as without rules. Owners and admins change teams and rules; every role reads them.
"""
from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from helpdesk import roles
from helpdesk.auth import INTEGRATION_ROLE, AgentIdentity
from helpdesk.conversation import Channel
from helpdesk.errors import BadRequest, Conflict, NotFound
from helpdesk.observability import logger
from helpdesk.store import agents as agent_store
from helpdesk.store import routing as store
from helpdesk.store.models import Team

MAX_TEAMS, MAX_MEMBERS, MAX_RULES, MAX_VALUES = 50, 100, 50, 50
PRIORITIES = ("low", "normal", "high", "urgent")
CONDITIONS = ("tags_any", "segments_any", "channel", "language", "office_hours")
LANGUAGES = ("en", "ko")
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")


def language_of(text: str) -> str:
    """The customer's language as rules see it: Korean when the message holds Hangul, else English."""
    return "ko" if _HANGUL.search(text or "") else "en"


# --- matching -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Facts:
    """What the rules are matched against, for one ticket."""

    channel: str
    tags: tuple[str, ...] = ()
    segments: tuple[str, ...] = ()
    language: str = "en"
    office_open: bool = True


@dataclass(frozen=True)
class Route:
    rule: int | None  # the index of the rule that matched (None: no rule did)
    team_id: str | None
    priority: str | None = None


def _holds(condition: Mapping[str, Any], facts: Facts) -> bool:
    if "tags_any" in condition and not set(condition["tags_any"]) & set(facts.tags):
        return False
    if "segments_any" in condition and not set(condition["segments_any"]) & set(facts.segments):
        return False
    if "channel" in condition and facts.channel not in _as_list(condition["channel"]):
        return False
    if "language" in condition and facts.language not in _as_list(condition["language"]):
        return False
    return not ("office_hours" in condition and (condition["office_hours"] == "open") != facts.office_open)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def route(rules: Sequence[Mapping[str, Any]], facts: Facts, teams: Mapping[str, Team]) -> Route:
    """The first rule whose conditions all hold (and whose team still exists) decides."""
    for index, rule in enumerate(rules):
        if rule.get("team_id") in teams and _holds(rule.get("if") or {}, facts):
            return Route(index, str(rule["team_id"]), rule.get("priority"))
    return Route(None, None)


def parsed_rules(document: str) -> list[dict[str, Any]]:
    try:
        rules = json.loads(document or "[]")
    except ValueError:
        return []
    return rules if isinstance(rules, list) else []


# --- why an assignee --------------------------------------------------------------------------------------


def reason_json(reason: str | None) -> dict[str, Any] | None:
    """A ticket's `assignment_reason` as the API shows it: an object (`kind` round_robin, previous_assignee,
    manual, ...); older tickets' bare words become `{"kind": word}`."""
    if not reason:
        return None
    if reason.startswith("{"):
        try:
            value = json.loads(reason)
            return value if isinstance(value, dict) else {"kind": "unknown"}
        except ValueError:
            return {"kind": "unknown"}
    return {"kind": reason}


# --- the API --------------------------------------------------------------------------------------------


def team_json(team: Team) -> dict[str, Any]:
    return {"id": team.team_id, "name": team.name, "members": list(team.members or []),
            "created_at": team.created_at, "updated_at": team.updated_at}


def list_teams(who: AgentIdentity) -> dict[str, Any]:
    teams = store.routing_of(who.account_id).teams
    return {"items": sorted((team_json(t) for t in teams.values()), key=lambda t: (t["name"].lower(), t["id"]))}


def _name(value: Any) -> str:
    if not isinstance(value, str) or not 0 < len(value.strip()) <= 100:
        raise BadRequest("name must be 1 to 100 characters")
    return value.strip()


def _members(who: AgentIdentity, value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_MEMBERS or not all(isinstance(m, str) for m in value):
        raise BadRequest(f"members must be a list of at most {MAX_MEMBERS} agent ids")
    members = list(dict.fromkeys(value))
    known = {a.agent_id for a in agent_store.roster(who.account_id).agents if a.role != INTEGRATION_ROLE}
    unknown = [m for m in members if m not in known]
    if unknown:
        raise BadRequest(f"not agents of this account: {', '.join(unknown[:5])}")
    return members


def create_team(who: AgentIdentity, body: Any) -> dict[str, Any]:
    roles.require(who, roles.WRITE_SETTINGS)
    if not isinstance(body, dict) or set(body) - {"name", "members"} or "name" not in body:
        raise BadRequest('expected {"name", "members"?}')
    name, members = _name(body["name"]), _members(who, body.get("members", []))
    if len(store.routing_of(who.account_id).teams) >= MAX_TEAMS:
        raise Conflict(f"an account has at most {MAX_TEAMS} teams")
    team = store.put_team(who.account_id, "team_" + secrets.token_hex(6), name, members)
    if team is None:
        raise Conflict("try again")  # a 48-bit id taken: practically never
    logger.info("team created", extra={"account_id": who.account_id, "team_id": team.team_id, "by": who.agent_id})
    return team_json(team)


def _team(who: AgentIdentity, team_id: str, routing: store.Routing | None = None) -> Team:
    team = (routing or store.routing_of(who.account_id, consistent=True)).teams.get(team_id)
    if team is None:
        raise NotFound("no such team")
    return team


def change_team(who: AgentIdentity, team_id: str, body: Any) -> dict[str, Any]:
    roles.require(who, roles.WRITE_SETTINGS)
    if not isinstance(body, dict) or not body or set(body) - {"name", "members"}:
        raise BadRequest('expected any of {"name", "members"}')
    team = _team(who, team_id)
    name = _name(body["name"]) if "name" in body else None
    members = _members(who, body["members"]) if "members" in body else None
    if not store.change_team(team, name, members):
        raise NotFound("no such team")
    return team_json(_team(who, team_id))


def delete_team(who: AgentIdentity, team_id: str) -> None:
    roles.require(who, roles.WRITE_SETTINGS)
    routing = store.routing_of(who.account_id, consistent=True)
    _team(who, team_id, routing)
    used = [i for i, rule in enumerate(parsed_rules(routing.rules)) if rule.get("team_id") == team_id]
    if used:
        raise Conflict(f"routing rule {used[0] + 1} sends tickets to this team; change the rules first")
    if not store.delete_team(who.account_id, team_id, routing.version):
        raise Conflict("the routing rules changed meanwhile; try again")


def get_rules(who: AgentIdentity) -> dict[str, Any]:
    routing = store.routing_of(who.account_id)
    return {"rules": parsed_rules(routing.rules), "version": routing.version}


def _strings(name: str, value: Any, allowed: Sequence[str] | None = None) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_VALUES or not all(isinstance(v, str) and 0 < len(v) <= 100 for v in values):
        raise BadRequest(f"{name} must be a non-empty list of at most {MAX_VALUES} names")
    if allowed is not None and set(values) - set(allowed):
        raise BadRequest(f"{name} must be among {', '.join(allowed)}")
    return list(dict.fromkeys(values))


def _rule(index: int, rule: Any, teams: Mapping[str, Team]) -> dict[str, Any]:
    where = f"rules[{index}]"
    if not isinstance(rule, dict) or set(rule) - {"if", "team_id", "priority"} or "team_id" not in rule:
        raise BadRequest(f'{where}: expected {{"if", "team_id", "priority"?}}')
    if rule["team_id"] not in teams:
        raise BadRequest(f"{where}.team_id: no such team")
    condition = rule.get("if") or {}
    if not isinstance(condition, dict) or set(condition) - set(CONDITIONS):
        raise BadRequest(f"{where}.if: conditions are {', '.join(CONDITIONS)}")
    out: dict[str, Any] = {}
    for key in ("tags_any", "segments_any"):
        if key in condition:
            out[key] = _strings(f"{where}.if.{key}", condition[key])
    if "channel" in condition:
        out["channel"] = _strings(f"{where}.if.channel", condition["channel"], [c.value for c in Channel])
    if "language" in condition:
        out["language"] = _strings(f"{where}.if.language", condition["language"], LANGUAGES)
    if "office_hours" in condition:
        if condition["office_hours"] not in ("open", "closed"):
            raise BadRequest(f"{where}.if.office_hours must be open or closed")
        out["office_hours"] = condition["office_hours"]
    if "priority" in rule and rule["priority"] not in PRIORITIES:
        raise BadRequest(f"{where}.priority must be one of {', '.join(PRIORITIES)}")
    return {"if": out, "team_id": rule["team_id"], **({"priority": rule["priority"]} if "priority" in rule else {})}


def put_rules(who: AgentIdentity, body: Any, if_match: str | None = None) -> dict[str, Any]:
    """Replace the rules (`If-Match: <version>` refuses a stale editor's write with 409)."""
    roles.require(who, roles.WRITE_SETTINGS)
    if not isinstance(body, dict) or set(body) != {"rules"} or not isinstance(body["rules"], list):
        raise BadRequest('expected {"rules": [...]}')
    if len(body["rules"]) > MAX_RULES:
        raise BadRequest(f"at most {MAX_RULES} rules")
    routing = store.routing_of(who.account_id, consistent=True)
    if if_match is not None and if_match.strip('"') != str(routing.version):
        raise Conflict("the rules changed since you read them")
    rules = [_rule(i, rule, routing.teams) for i, rule in enumerate(body["rules"])]
    version = store.put_rules(who.account_id, json.dumps(rules, separators=(",", ":")), routing.version,
                              who.agent_id)
    if version is None:
        raise Conflict("the rules changed meanwhile; read them again")
    logger.info("routing rules changed", extra={"account_id": who.account_id, "rules": len(rules),
                                                "by": who.agent_id})
    return {"rules": rules, "version": version}
