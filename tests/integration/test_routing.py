"""Teams, routing rules and load-aware round robin (SPEC §5), end to end: tickets come in through the signed
SMS and email webhooks, the table's stream carries their events to the assignment worker (`settle`), which
routes each by the account's rules to a team and gives it to the online member with the fewest open tickets
(within their capacity), recording why on the ticket."""
from __future__ import annotations

from typing import Any

import pytest

from helpdesk.auth import AgentIdentity
from helpdesk.routing import Facts, language_of, reason_json, route
from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import Member, add_agents, call, member, settle, text, ticket_id_of


@pytest.fixture
def team(aws: Aws, pool: Any, brand: Brand) -> dict[str, Member]:
    return {role: member(aws, pool, brand.account_id, role) for role in ("owner", "admin", "manager", "support")}


def owner(brand: Brand) -> AgentIdentity:
    return AgentIdentity("owner-" + brand.account_id, brand.account_id, ("owner",))


def ticket(brand: Brand, ticket_id: str) -> Any:
    from helpdesk.store import tickets as ticket_store

    return ticket_store.get_ticket(brand.account_id, ticket_id)


def sms(brand: Brand, body: str, number: str | None = None) -> str:
    number = number or customer_number()
    text(brand, number, body)
    settle(brand)
    return ticket_id_of(brand, number)


def make_team(brand: Brand, name: str, members: list[str]) -> str:
    from helpdesk import routing

    return str(routing.create_team(owner(brand), {"name": name, "members": members})["id"])


def set_rules(brand: Brand, rules: list[dict[str, Any]]) -> None:
    from helpdesk import routing

    routing.put_rules(owner(brand), {"rules": rules})


def go_offline(brand: Brand, agent_id: str) -> None:
    from helpdesk.store import agents as agent_store

    agent_store.sign_off(brand.account_id, agent_id)


def go_online(brand: Brand, agent_id: str) -> None:
    from helpdesk.agents import fresh_since
    from helpdesk.store import agents as agent_store

    agent_store.heartbeat(brand.account_id, agent_id, fresh_since())


# --- the API ----------------------------------------------------------------------------------------------


def test_owners_and_admins_keep_teams_and_rules_everyone_reads_them(api: Any, brand: Brand,
                                                                    team: dict[str, Member]) -> None:
    agents = [team["support"].agent_id, team["manager"].agent_id]
    status, made = call(api, "POST", "/api/teams", team["admin"], {"name": "Korean desk", "members": agents})
    assert status == 201 and made["members"] == agents and made["id"].startswith("team_")
    assert call(api, "POST", "/api/teams", team["manager"], {"name": "Mine"})[0] == 403
    status, answer = call(api, "POST", "/api/teams", team["owner"], {"name": "X", "members": ["nobody"]})
    assert status == 400 and "nobody" in answer["error"]
    status, listed = call(api, "GET", "/api/teams", team["support"])
    assert status == 200 and [t["name"] for t in listed["items"]] == ["Korean desk"]

    rules = [{"if": {"language": "ko"}, "team_id": made["id"], "priority": "high"}]
    status, stored = call(api, "PUT", "/api/routing/rules", team["owner"], {"rules": rules})
    normalised = [{**rules[0], "if": {"language": ["ko"]}}]  # a single value is stored as a list of one
    assert status == 200 and stored == {"rules": normalised, "version": 1}
    assert call(api, "GET", "/api/routing/rules", team["support"]) == (200, stored)
    assert call(api, "PUT", "/api/routing/rules", team["support"], {"rules": []})[0] == 403
    for bad in ([{"if": {"language": "fr"}, "team_id": made["id"]}], [{"if": {}, "team_id": "team_gone"}],
                [{"if": {"colour": "red"}, "team_id": made["id"]}], [{"team_id": made["id"], "priority": "asap"}]):
        status, answer = call(api, "PUT", "/api/routing/rules", team["owner"], {"rules": bad})
        assert status == 400 and answer["error"], bad
    assert call(api, "GET", "/api/routing/rules", team["support"]) == (200, stored)  # nothing changed

    status, answer = call(api, "DELETE", f"/api/teams/{made['id']}", team["owner"])
    assert status == 409 and "rule 1" in answer["error"]
    assert call(api, "PUT", "/api/routing/rules", team["owner"], {"rules": []})[0] == 200
    status, renamed = call(api, "PATCH", f"/api/teams/{made['id']}", team["owner"], {"name": "KO desk",
                                                                                     "members": agents[:1]})
    assert status == 200 and (renamed["name"], renamed["members"]) == ("KO desk", agents[:1])
    assert call(api, "DELETE", f"/api/teams/{made['id']}", team["owner"])[0] == 204
    assert call(api, "GET", "/api/teams", team["support"])[1]["items"] == []


def test_a_stale_editor_cannot_overwrite_newer_rules(api: Any, brand: Brand, team: dict[str, Member]) -> None:
    made = call(api, "POST", "/api/teams", team["owner"], {"name": "VIP"})[1]
    first = {"rules": [{"if": {"segments_any": ["VIP"]}, "team_id": made["id"]}]}
    assert call(api, "PUT", "/api/routing/rules", team["owner"], first)[1]["version"] == 1
    import json

    stale = api.request("PUT", "/api/routing/rules", body=json.dumps({"rules": []}).encode(), headers={
        **team["admin"].headers, "Content-Type": "application/json", "If-Match": "0"})
    assert stale.status_code == 409
    assert call(api, "GET", "/api/routing/rules", team["owner"])[1]["rules"] == first["rules"]


def test_an_agents_capacity_is_set_by_an_owner_or_admin(api: Any, brand: Brand, team: dict[str, Member]) -> None:
    path = f"/api/agents/{team['support'].agent_id}"
    status, agent = call(api, "PATCH", path, team["admin"], {"capacity": 3})
    assert status == 200 and agent["capacity"] == 3
    assert call(api, "PATCH", path, team["admin"], {"capacity": -1})[0] == 400
    assert call(api, "PATCH", path, team["admin"], {"capacity": None})[1]["capacity"] is None


# --- matching -------------------------------------------------------------------------------------------


def test_the_first_matching_rule_wins() -> None:
    from helpdesk.store.models import Team

    teams = {t: Team("A#x", f"ROUTING#TEAM#{t}", team_id=t, name=t, members=[], created_at="", updated_at="")
             for t in ("vip", "ko", "email", "night")}
    rules = [{"if": {"segments_any": ["VIP"], "tags_any": ["returns"]}, "team_id": "vip", "priority": "urgent"},
             {"if": {"language": ["ko"]}, "team_id": "ko"},
             {"if": {"channel": ["email"], "office_hours": "open"}, "team_id": "email"},
             {"if": {"office_hours": "closed"}, "team_id": "night"}]
    assert route(rules, Facts("sms", ("returns",), ("VIP",), "ko"), teams).team_id == "vip"
    assert route(rules, Facts("sms", ("returns",), ("VIP",), "ko"), teams).priority == "urgent"
    assert route(rules, Facts("sms", ("shipping",), ("VIP",), "ko"), teams).team_id == "ko"  # every condition
    assert route(rules, Facts("email", (), (), "en", office_open=True), teams).team_id == "email"
    assert route(rules, Facts("email", (), (), "en", office_open=False), teams).team_id == "night"
    found = route(rules, Facts("sms", (), (), "en", office_open=True), teams)
    assert (found.rule, found.team_id) == (None, None)  # round robin over everyone
    del teams["vip"]  # a rule whose team is gone is passed over
    assert route(rules, Facts("sms", ("returns",), ("VIP",), "ko"), teams).team_id == "ko"
    assert (language_of("배송 언제 와요?"), language_of("where is it"), language_of("order #1001 취소")) == \
        ("ko", "en", "ko")


# --- routing and round robin --------------------------------------------------------------------------------


def test_tickets_go_to_the_team_a_rule_names_and_why_is_recorded(aws: Aws, brand: Brand) -> None:
    (a, b, c), _ = add_agents(brand.account_id, online=3)
    korean = make_team(brand, "Korean desk", [b])
    mail = make_team(brand, "Email", [a, c])
    set_rules(brand, [{"if": {"language": "ko"}, "team_id": korean, "priority": "high"},
                      {"if": {"channel": "email"}, "team_id": mail}])
    for _ in range(3):
        routed = ticket(brand, sms(brand, "주문 취소하고 싶어요"))
        assert (routed.assignee_id, routed.team_id, routed.priority) == (b, korean, "high")
    reason = reason_json(routed.assignment_reason)
    assert reason == {"kind": "round_robin", "rule": 0, "team_id": korean, "load": 2, "capacity": None,
                      "eligible": [{"id": b, "load": 2, "capacity": None}]}
    english = [ticket(brand, sms(brand, "where is my order?")) for _ in range(3)]
    assert {t.team_id for t in english} == {None}  # no rule: round robin over everyone, by load
    given = [t.assignee_id for t in english]  # b has three open tickets already: a and c first
    assert b not in given and {a, c} == set(given)
    first = reason_json(english[0].assignment_reason)
    assert first is not None and {e["id"] for e in first["eligible"]} == {a, b, c}


def test_the_agent_with_the_fewest_open_tickets_is_next_within_their_capacity(aws: Aws, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store
    from helpdesk.store.models import Agent

    (a, b), _ = add_agents(brand.account_id, online=2)
    go_offline(brand, b)
    busy = [sms(brand, "hi") for _ in range(3)]  # all to a, the only one online
    assert {ticket(brand, t).assignee_id for t in busy} == {a}
    go_online(brand, b)
    settle(brand)
    later = [ticket(brand, sms(brand, "hello again")).assignee_id for _ in range(4)]
    assert later[:3] == [b, b, b]  # b catches up, one ticket at a time, before the rotation resumes
    assert later[3] in (a, b)
    loads = {x: agent_store.open_load(brand.account_id, x) for x in (a, b)}
    assert sorted(loads.values()) in ([3, 4], [4, 4]) and loads[b] >= 3
    agent_store.change_agent(brand.account_id, b, [Agent.capacity.set(loads[b])], by=b, by_roles=("support",),
                             target_roles=("support",))
    for _ in range(2):  # b is full: a takes the next ones, even past b's load
        nxt = ticket(brand, sms(brand, "one more"))
        assert nxt.assignee_id == a
    reason = reason_json(nxt.assignment_reason)
    assert reason is not None and {"id": b, "load": loads[b], "capacity": loads[b]} in reason["eligible"]


def test_a_team_with_nobody_online_keeps_its_tickets_until_a_member_comes_online(aws: Aws, brand: Brand) -> None:
    (a, b), _ = add_agents(brand.account_id, online=2)
    vip = make_team(brand, "VIP", [b])
    set_rules(brand, [{"if": {"channel": "sms"}, "team_id": vip}])
    go_offline(brand, b)
    waiting = ticket(brand, sms(brand, "where is my parcel"))
    assert (waiting.assignee_id, waiting.team_id) == (None, vip)  # a, online, is not in the team
    go_online(brand, b)
    settle(brand)  # coming online hands out the team's waiting ticket
    assert ticket(brand, waiting.ticket_id).assignee_id == b


def test_everyone_at_capacity_leaves_the_ticket_waiting(aws: Aws, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store
    from helpdesk.store.models import Agent

    (a,), _ = add_agents(brand.account_id, online=1)
    agent_store.change_agent(brand.account_id, a, [Agent.capacity.set(1)], by=a, by_roles=("support",),
                             target_roles=("support",))
    first = ticket(brand, sms(brand, "hi"))
    second = ticket(brand, sms(brand, "hello"))
    assert (first.assignee_id, second.assignee_id) == (a, None)


def test_a_reopened_ticket_goes_back_to_its_team_when_its_assignee_is_away(aws: Aws, brand: Brand) -> None:
    from tests.integration.edits import update_ticket as edit

    def update_ticket(account_id: str, ticket_id: str, **edits: Any) -> None:
        edit(ticket(brand, ticket_id), **edits)

    (a, b, c), _ = add_agents(brand.account_id, online=3)
    desk = make_team(brand, "Desk", [a, b])
    set_rules(brand, [{"if": {"channel": "sms"}, "team_id": desk}])
    number = customer_number()
    first = ticket(brand, sms(brand, "my order is late", number))
    assert first.assignee_id in (a, b)
    update_ticket(brand.account_id, first.ticket_id, status="closed")
    set_rules(brand, [])  # the team the ticket was routed to still holds on a reopen
    text(brand, number, "still not here")  # reopens it
    settle(brand)
    assert ticket(brand, first.ticket_id).assignee_id == first.assignee_id  # online: back to them
    update_ticket(brand.account_id, first.ticket_id, status="closed")
    go_offline(brand, str(first.assignee_id))
    text(brand, number, "hello??")
    settle(brand)
    reopened = ticket(brand, first.ticket_id)
    other = ({a, b} - {first.assignee_id}).pop()
    assert (reopened.assignee_id, reopened.team_id) == (other, desk)  # never c: round robin in the team


def test_the_customers_message_is_read_once_for_the_tagger_and_a_language_rule(
        aws: Aws, brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.store import tickets as ticket_store

    (agent,), _ = add_agents(brand.account_id, online=1)
    korean = make_team(brand, "Korean desk", [agent])
    set_rules(brand, [{"if": {"language": "ko"}, "team_id": korean}])
    settle(brand)  # the agent's coming online handled first (it hands out waiting tickets: an event of its own)
    reads: list[str] = []
    real = ticket_store.latest_messages

    def counted(account_id: str, ticket_id: str, limit: int) -> Any:
        reads.append(ticket_id)
        return real(account_id, ticket_id, limit)

    monkeypatch.setattr(ticket_store, "latest_messages", counted)
    routed = ticket(brand, sms(brand, "배송이 너무 늦어요 주문 취소할게요"))
    assert routed.team_id == korean and routed.tags  # tagged, and routed by the message's language
    assert reads.count(routed.ticket_id) == 1  # one event handled, one read
