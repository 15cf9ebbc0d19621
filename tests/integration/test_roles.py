"""What each role may do (helpdesk/roles.py, README "Roles"), through the agent API with real tokens
of the moto user pool: support takes tickets and lets go of its own, managers route work between
people, owners and admins manage agents. Judged by the answer and by the stored ticket."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import Member, member, text, ticket_id_of


def patch(api: Any, who: Member, ticket_id: str, body: dict[str, Any]) -> tuple[int, Any]:
    import json

    response = api.patch(f"/api/tickets/{ticket_id}", headers={**who.headers, "Content-Type": "application/json"},
                         body=json.dumps(body))
    return response.status_code, json.loads(response.body)


def new_ticket(brand: Brand) -> str:
    phone = customer_number()
    text(brand, phone, "hello")
    return ticket_id_of(brand, phone)


def assignee(brand: Brand, ticket_id: str) -> str | None:
    return tables.ticket_item(brand.account_id, ticket_id).get("assignee_id")  # type: ignore[union-attr]


@pytest.fixture
def team(aws: Aws, pool: Any, brand: Brand) -> dict[str, Member]:
    return {role: member(aws, pool, brand.account_id, role) for role in ("owner", "admin", "manager", "support")}


def test_support_takes_an_unassigned_ticket_and_lets_go_of_its_own(api: Any, brand: Brand,
                                                                  team: dict[str, Member]) -> None:
    support, ticket_id = team["support"], new_ticket(brand)
    assert patch(api, support, ticket_id, {"assignee_id": support.agent_id})[0] == 200
    assert assignee(brand, ticket_id) == support.agent_id
    assert patch(api, support, ticket_id, {"assignee_id": None})[0] == 200
    assert assignee(brand, ticket_id) is None


def test_support_cannot_route_work_to_or_from_someone_else(api: Any, brand: Brand, team: dict[str, Member]) -> None:
    support, manager, ticket_id = team["support"], team["manager"], new_ticket(brand)
    status, body = patch(api, support, ticket_id, {"assignee_id": manager.agent_id})
    assert status == 403 and body["error"]
    assert assignee(brand, ticket_id) is None
    assert patch(api, manager, ticket_id, {"assignee_id": manager.agent_id})[0] == 200
    for change in ({"assignee_id": support.agent_id}, {"assignee_id": None}):
        assert patch(api, support, ticket_id, change)[0] == 403
    assert assignee(brand, ticket_id) == manager.agent_id
    # Everything else on someone else's ticket is ticket work anyone does.
    status, body = patch(api, support, ticket_id, {"status": "closed", "tags": ["vip"]})
    assert status == 200 and (body["status"], body["tags"], body["assignee_id"]) == ("closed", ["vip"],
                                                                                     manager.agent_id)


@pytest.mark.parametrize("role", ["owner", "admin", "manager"])
def test_owners_admins_and_managers_route_tickets_to_anyone(api: Any, brand: Brand, team: dict[str, Member],
                                                            role: str) -> None:
    ticket_id = new_ticket(brand)
    assert patch(api, team[role], ticket_id, {"assignee_id": team["support"].agent_id})[0] == 200
    assert patch(api, team[role], ticket_id, {"assignee_id": None})[0] == 200


def test_bulk_assignment_by_support_is_refused_per_ticket(api: Any, brand: Brand, team: dict[str, Member]) -> None:
    import json

    ids = [new_ticket(brand) for _ in range(2)]
    response = api.post("/api/tickets/bulk", headers={**team["support"].headers, "Content-Type": "application/json"},
                        body=json.dumps({"ids": ids, "changes": {"assignee_id": team["manager"].agent_id}}))
    assert response.status_code == 200
    assert [r["status"] for r in json.loads(response.body)["results"]] == [403, 403]
    assert [assignee(brand, i) for i in ids] == [None, None]


@pytest.mark.parametrize("role, allowed", [("owner", True), ("admin", True), ("manager", False), ("support", False)])
def test_only_owners_and_admins_invite(api: Any, team: dict[str, Member], role: str, allowed: bool) -> None:
    import json
    import uuid

    response = api.post("/api/agents", headers={**team[role].headers, "Content-Type": "application/json"},
                        body=json.dumps({"email": f"r-{uuid.uuid4().hex[:8]}@brand.example", "role": "support"}))
    assert response.status_code == (201 if allowed else 403), response.body
