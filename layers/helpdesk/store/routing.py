"""Teams and routing rules: kept under the account's `ROUTING#` sort keys, so that one Query (`routing_of`)
reads every team and the rules together, as assignment needs them for each decision."""
from __future__ import annotations

from dataclasses import dataclass, field

from pynamodb.exceptions import DeleteError, PynamoDBException

from helpdesk.clock import now_iso
from helpdesk.store.failures import applied, saved, transient
from helpdesk.store.models import Item, RoutingRules, Team, account_pk
from helpdesk.store.transact import Transaction

PREFIX = "ROUTING#"
RULES_SK = "ROUTING#RULES"


def team_sk(team_id: str) -> str:
    return f"ROUTING#TEAM#{team_id}"


@dataclass(frozen=True)
class Routing:
    """An account's teams (by id) and its rules document, as one read saw them."""

    teams: dict[str, Team] = field(default_factory=dict)
    rules: str = "[]"
    version: int = 0


def routing_of(account_id: str, *, consistent: bool = False) -> Routing:
    try:
        items = list(Item.query(account_pk(account_id), Item.sk.startswith(PREFIX), consistent_read=consistent))
    except PynamoDBException as error:
        raise transient(error) from error
    teams = {str(i.team_id): i for i in items if isinstance(i, Team)}
    rules = next((i for i in items if isinstance(i, RoutingRules)), None)
    return Routing(teams, str(rules.rules) if rules else "[]", int(rules.version or 0) if rules else 0)


def put_team(account_id: str, team_id: str, name: str, members: list[str]) -> Team | None:
    """A new team; None when the id is taken."""
    now = now_iso()
    team = Team(account_pk(account_id), team_sk(team_id), team_id=team_id, name=name, members=members,
                created_at=now, updated_at=now)
    return team if saved(team, Team.pk.does_not_exist()) else None


def change_team(team: Team, name: str | None, members: list[str] | None) -> bool:
    """False when the team is gone."""
    actions = [Team.updated_at.set(now_iso())]
    if name is not None:
        actions.append(Team.name.set(name))
    if members is not None:
        actions.append(Team.members.set(members))  # type: ignore[arg-type]  # (pynamodb types the items)
    return applied(team, actions, Team.pk.exists())


def delete_team(account_id: str, team_id: str, rules_version: int) -> bool:
    """Delete a team on condition that the rules are still those read (none of which named it); False
    when they changed meanwhile."""
    t = Transaction()
    t.delete("team", Team(account_pk(account_id), team_sk(team_id)))
    condition = (RoutingRules.version == rules_version) if rules_version else RoutingRules.pk.does_not_exist()
    t.check("rules", RoutingRules, account_pk(account_id), RULES_SK, condition=condition)
    refused = t.commit()
    if refused is None:
        return True
    if refused.failed("rules"):
        return False
    raise transient(DeleteError("team deletion kept conflicting"))


def put_rules(account_id: str, rules_json: str, seen_version: int, by: str) -> int | None:
    """Replace the rules if they are still at `seen_version`; the new version, or None when they moved."""
    item = RoutingRules(account_pk(account_id), RULES_SK, rules=rules_json, version=seen_version + 1,
                        updated_at=now_iso(), updated_by=by)
    condition = (RoutingRules.version == seen_version) if seen_version else RoutingRules.pk.does_not_exist()
    return seen_version + 1 if saved(item, condition) else None
