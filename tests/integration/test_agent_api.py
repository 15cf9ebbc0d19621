"""The agent API in-process through Chalice's test client: Cognito ID tokens from a moto user pool,
tickets made through the signed SMS webhook, events read back from the brand's queue."""
from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import (
    Member,
    bodies,
    drain,
    member,
    text,
    ticket_id_of,
)

TICKET_FIELDS = {"id", "channel", "status", "assignee_id", "tags", "contact", "created_at", "updated_at", "spam"}



@pytest.fixture
def support(aws: Aws, pool: Any, brand: Brand) -> Member:
    return member(aws, pool, brand.account_id, "support", online=True)


def _json(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def get(api: Any, path: str, who: Member | None = None, headers: dict[str, str] | None = None) -> Any:
    return api.get(path, headers=headers if headers is not None else (who.headers if who else {}))


def send(api: Any, method: str, path: str, who: Member, body: Any, raw: bytes | None = None) -> Any:
    data = raw if raw is not None else json.dumps(body).encode()
    return api.request(method, path, headers={**who.headers, "Content-Type": "application/json"}, body=data)


def ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.body
    return [t["id"] for t in _json(response)["items"]]


def new_ticket(brand: Brand, *messages: str) -> str:
    customer = customer_number()
    for body in messages or ("hello",):
        text(brand, customer, body)
    return ticket_id_of(brand, customer)


# --- authentication and roles -------------------------------------------------------------------------

def _tampered(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["owner"]
    claims["custom:account_id"] = "acct-someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    return f"{header}.{forged}.{signature}"


def test_missing_or_bad_token_is_401(aws: Aws, api: Any, brand: Brand, support: Member) -> None:
    assert get(api, "/api/tickets?view=all").status_code == 401
    assert get(api, "/api/tickets?view=all", headers={"Authorization": "Basic Zm9vOmJhcg=="}).status_code == 401
    assert get(api, "/api/tickets?view=all", headers={"Authorization": "Bearer not-a-jwt"}).status_code == 401
    tampered = {"Authorization": "Bearer " + _tampered(support.token)}
    response = get(api, "/api/tickets?view=all", headers=tampered)
    assert response.status_code == 401
    assert "error" in _json(response)
    assert get(api, "/api/tickets/anything", headers=tampered).status_code == 401
    assert send(api, "PUT", "/api/agents/me/presence", Member("x", "owner", "garbage", "x"),
                {"status": "online"}).status_code == 401


def test_a_role_that_may_not_use_the_helpdesk_is_403(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    analyst = member(aws, pool, brand.account_id, "analyst")
    response = get(api, "/api/tickets?view=all", analyst)
    assert response.status_code == 403
    assert "error" in _json(response)
    assert send(api, "PUT", "/api/agents/me/presence", analyst, {"status": "online"}).status_code == 403


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "support"])
def test_every_helpdesk_role_may_list_tickets(aws: Aws, pool: Any, api: Any, brand: Brand, role: str) -> None:
    who = member(aws, pool, brand.account_id, role)
    response = get(api, "/api/tickets?view=all", who)
    assert response.status_code == 200, response.body
    assert _json(response) == {"items": [], "next": None}


# --- views ----------------------------------------------------------------------------------------------

def test_views_mine_all_unassigned_with_status_filter(aws: Aws, pool: Any, api: Any, brand: Brand,
                                                       support: Member) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    mine_open, unassigned, mine_closed = new_ticket(brand), new_ticket(brand), new_ticket(brand)
    for ticket_id in (mine_open, mine_closed):
        assert send(api, "PATCH", f"/api/tickets/{ticket_id}", owner,
                    {"assignee_id": support.agent_id}).status_code == 200
    assert send(api, "PATCH", f"/api/tickets/{mine_closed}", support, {"status": "closed"}).status_code == 200

    assert ids(get(api, "/api/tickets?view=mine", support)) == [mine_open]
    assert ids(get(api, "/api/tickets", support)) == [mine_open]  # mine is the default view
    assert ids(get(api, "/api/tickets?view=mine&status=open", support)) == [mine_open]
    assert ids(get(api, "/api/tickets?view=mine&status=closed", support)) == [mine_closed]
    assert ids(get(api, "/api/tickets?view=mine", owner)) == []
    assert ids(get(api, "/api/tickets?view=unassigned", owner)) == [unassigned]
    assert ids(get(api, "/api/tickets?view=unassigned&status=closed", owner)) == []
    assert sorted(ids(get(api, "/api/tickets?view=all", owner))) == sorted([mine_open, unassigned, mine_closed])
    assert sorted(ids(get(api, "/api/tickets?view=all&status=open", owner))) == sorted([mine_open, unassigned])
    assert ids(get(api, "/api/tickets?view=all&status=closed", owner)) == [mine_closed]
    assert ids(get(api, "/api/tickets?view=all&status=snoozed", owner)) == []

    items = _json(get(api, "/api/tickets?view=all", owner))["items"]
    for item in items:
        assert TICKET_FIELDS <= set(item), item
        assert item["channel"] == "sms" and item["spam"] is False and item["contact"].startswith("+1650")


def test_pagination_follows_next_until_null_newest_first(aws: Aws, api: Any, brand: Brand, support: Member) -> None:
    created = []
    for _ in range(5):
        created.append(new_ticket(brand))
        time.sleep(0.003)  # distinct millisecond timestamps
    # An edit makes the oldest ticket the most recently updated one.
    assert send(api, "PATCH", f"/api/tickets/{created[0]}", support, {"tags": ["vip"]}).status_code == 200

    seen: list[dict[str, Any]] = []
    pages = 0
    cursor: str | None = None
    while True:
        path = "/api/tickets?view=all&limit=2" + (f"&next={cursor}" if cursor else "")
        response = get(api, path, support)
        assert response.status_code == 200, response.body
        page = _json(response)
        assert len(page["items"]) <= 2
        seen += page["items"]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
        assert pages < 10, "pagination does not end"

    assert sorted(t["id"] for t in seen) == sorted(created)
    assert len(seen) == len(created)  # every ticket exactly once
    assert [t["id"] for t in seen] == [created[0], *reversed(created[1:])]
    updated = [t["updated_at"] for t in seen]
    assert updated == sorted(updated, reverse=True)


@pytest.mark.parametrize("query", ["view=everything", "view=mine&status=pending", "view=all&limit=0",
                                   "view=all&limit=101", "view=all&limit=two", "view=all&next=not-a-cursor",
                                   "view=all&next=" + base64.urlsafe_b64encode(b"[1, 2]").decode(),
                                   "view=all&next=" + base64.urlsafe_b64encode(
                                       b'{"pk": {"S": "A#acct-other#T#t1"}, "sk": {"S": "TICKET"}}').decode()])
def test_bad_list_parameters_are_400(api: Any, brand: Brand, support: Member, query: str) -> None:
    response = get(api, "/api/tickets?" + query, support)
    assert response.status_code == 400, (query, response.body)
    assert "error" in _json(response)


# --- the ticket screen ----------------------------------------------------------------------------------

def test_ticket_detail_has_fields_and_messages_oldest_first(aws: Aws, api: Any, brand: Brand,
                                                            support: Member) -> None:
    ticket_id = new_ticket(brand, "first: where is my order?", "second: order #1001", "third: thanks")
    response = get(api, f"/api/tickets/{ticket_id}", support)
    assert response.status_code == 200, response.body
    ticket = _json(response)
    assert TICKET_FIELDS <= set(ticket)
    assert ticket["id"] == ticket_id and ticket["channel"] == "sms" and ticket["status"] == "open"
    assert ticket["assignee_id"] is None and ticket["tags"] == [] and ticket["spam"] is False
    assert ticket["contact"].startswith("+1650")
    assert ticket["created_at"] <= ticket["updated_at"]
    messages = ticket["messages"]
    assert [m["body"] for m in messages] == ["first: where is my order?", "second: order #1001", "third: thanks"]
    for message in messages:
        assert {"id", "direction", "body", "created_at"} <= set(message)
        assert message["direction"] == "inbound"
    assert [m["created_at"] for m in messages] == sorted(m["created_at"] for m in messages)
    assert len({m["id"] for m in messages}) == 3


def test_unknown_ticket_and_another_accounts_ticket_are_404(aws: Aws, pool: Any, api: Any, brand: Brand,
                                                            support: Member) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    assert get(api, "/api/tickets/tdoesnotexist", support).status_code == 404

    other = Brand("acct-" + uuid.uuid4().hex[:10], "+1415" + str(uuid.uuid4().int % 10**7).zfill(7), "", "",
                  brand.queue_url)
    accounts.put_account(other.account_id, "Other Brand")
    accounts.add_channel_address(other.account_id, Channel.SMS, other.sms_number)
    theirs = new_ticket(other, "private to the other brand")
    outsider = member(aws, pool, other.account_id, "owner")
    assert get(api, f"/api/tickets/{theirs}", outsider).status_code == 200

    response = get(api, f"/api/tickets/{theirs}", support)
    assert response.status_code == 404
    assert "private" not in response.body.decode()
    assert send(api, "PATCH", f"/api/tickets/{theirs}", support, {"status": "closed"}).status_code == 404
    assert theirs not in ids(get(api, "/api/tickets?view=all", support))
    assert theirs not in ids(get(api, "/api/tickets?view=unassigned", support))
    # Nor can a ticket be given to another account's agent.
    mine = new_ticket(brand)
    assert send(api, "PATCH", f"/api/tickets/{mine}", support,
                {"assignee_id": outsider.agent_id}).status_code == 400


# --- edits --------------------------------------------------------------------------------------------

def test_closing_moves_the_ticket_out_of_inbox_and_unassigned(aws: Aws, api: Any, brand: Brand,
                                                              support: Member) -> None:
    mine, unassigned = new_ticket(brand), new_ticket(brand)
    assert send(api, "PATCH", f"/api/tickets/{mine}", support, {"assignee_id": support.agent_id}).status_code == 200
    assert ids(get(api, "/api/tickets?view=mine", support)) == [mine]
    assert ids(get(api, "/api/tickets?view=unassigned", support)) == [unassigned]

    for ticket_id in (mine, unassigned):
        response = send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"status": "closed"})
        assert response.status_code == 200, response.body
        assert _json(response)["status"] == "closed"

    assert ids(get(api, "/api/tickets?view=mine", support)) == []
    assert ids(get(api, "/api/tickets?view=unassigned", support)) == []
    assert sorted(ids(get(api, "/api/tickets?view=all&status=closed", support))) == sorted([mine, unassigned])
    assert ids(get(api, "/api/tickets?view=all&status=open", support)) == []


def test_reopening_a_closed_ticket_sends_ticket_reopened(aws: Aws, api: Any, brand: Brand, support: Member) -> None:
    ticket_id = new_ticket(brand)
    assert send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"status": "closed"}).status_code == 200
    drain(aws, brand.queue_url)  # the ticket.created event

    response = send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"status": "open"})
    assert response.status_code == 200, response.body
    assert _json(response)["status"] == "open"
    events = bodies(drain(aws, brand.queue_url))
    assert [(e["type"], e["account_id"], e["ticket_id"]) for e in events] == [
        ("ticket.reopened", brand.account_id, ticket_id)]
    assert ids(get(api, "/api/tickets?view=unassigned", support)) == [ticket_id]

    # Opening an open ticket is no reopening.
    assert send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"status": "open"}).status_code == 200
    assert drain(aws, brand.queue_url) == []


def test_assigning_to_an_agent_of_the_account(aws: Aws, pool: Any, api: Any, brand: Brand, support: Member) -> None:
    manager = member(aws, pool, brand.account_id, "manager")
    ticket_id = new_ticket(brand)

    response = send(api, "PATCH", f"/api/tickets/{ticket_id}", manager, {"assignee_id": support.agent_id})
    assert response.status_code == 200, response.body
    assert _json(response)["assignee_id"] == support.agent_id
    assert _json(get(api, f"/api/tickets/{ticket_id}", manager))["assignee_id"] == support.agent_id
    assert ids(get(api, "/api/tickets?view=mine", support)) == [ticket_id]
    assert ids(get(api, "/api/tickets?view=unassigned", manager)) == []

    response = send(api, "PATCH", f"/api/tickets/{ticket_id}", manager, {"assignee_id": str(uuid.uuid4())})
    assert response.status_code == 400
    assert "error" in _json(response)
    assert _json(get(api, f"/api/tickets/{ticket_id}", manager))["assignee_id"] == support.agent_id

    # Unassigning puts it back in Unassigned.
    assert send(api, "PATCH", f"/api/tickets/{ticket_id}", manager, {"assignee_id": None}).status_code == 200
    assert ids(get(api, "/api/tickets?view=unassigned", manager)) == [ticket_id]
    assert ids(get(api, "/api/tickets?view=mine", support)) == []


def test_tags(api: Any, brand: Brand, support: Member) -> None:
    ticket_id = new_ticket(brand)
    response = send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"tags": ["returns", "shipping"]})
    assert response.status_code == 200, response.body
    assert sorted(_json(response)["tags"]) == ["returns", "shipping"]
    assert sorted(_json(get(api, f"/api/tickets/{ticket_id}", support))["tags"]) == ["returns", "shipping"]
    assert send(api, "PATCH", f"/api/tickets/{ticket_id}", support, {"tags": []}).status_code == 200
    assert _json(get(api, f"/api/tickets/{ticket_id}", support))["tags"] == []


@pytest.mark.parametrize("raw", [b"{not json", b'{"status": "closed", "priority": "high"}', b'{"status": "pending"}',
                                 b'{"status": 1}', b"[]", b"{}", b'"closed"', b'{"tags": "vip"}',
                                 b'{"assignee_id": 42}'])
def test_bad_edits_are_400_and_change_nothing(api: Any, brand: Brand, support: Member, raw: bytes) -> None:
    ticket_id = new_ticket(brand)
    before = _json(get(api, f"/api/tickets/{ticket_id}", support))
    response = send(api, "PATCH", f"/api/tickets/{ticket_id}", support, None, raw=raw)
    assert response.status_code == 400, (raw, response.body)
    assert _json(get(api, f"/api/tickets/{ticket_id}", support)) == before


# --- presence -----------------------------------------------------------------------------------------

def test_presence_online_and_offline(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.store import agents as agent_store

    who = member(aws, pool, brand.account_id, "support", online=False)
    response = send(api, "PUT", "/api/agents/me/presence", who, {"status": "online"})
    assert response.status_code == 200, response.body
    assert _json(response)["status"] == "online"
    assert agent_store.roster(brand.account_id).online_ids == [who.agent_id]

    response = send(api, "PUT", "/api/agents/me/presence", who, {"status": "offline"})
    assert response.status_code == 200, response.body
    assert _json(response)["status"] == "offline"
    assert agent_store.roster(brand.account_id).online_ids == []
    assert agent_store.roster(brand.account_id).is_online(who.agent_id) is False

    for raw in (b'{"status": "away"}', b"{}", b"{not json", b'"online"', b'{"status": true}'):
        response = send(api, "PUT", "/api/agents/me/presence", who, None, raw=raw)
        assert response.status_code == 400, (raw, response.body)
    assert agent_store.roster(brand.account_id).online_ids == []


# --- the API description ------------------------------------------------------------------------------

def test_openapi_document(api: Any) -> None:
    response = api.get("/api/openapi.json")
    assert response.status_code == 200
    # Without a Content-Type, API Gateway's proxy integration answers application/json.
    content_type = {k.lower(): v for k, v in response.headers.items()}.get("content-type")
    assert content_type is None or "json" in str(content_type)
    document = _json(response)
    assert str(document["openapi"]).startswith("3.")
    assert {"title", "version"} <= set(document["info"])
    paths = document["paths"]
    from app import app

    for route, methods in app.routes.items():  # every route the app serves is described
        if route.startswith("/api/") and route != "/api/openapi.json":
            assert route in paths and {m.lower() for m in methods} <= set(paths[route]), (route, methods)
    for path, method in [("/api/tickets", "get"), ("/api/tickets/{ticket_id}", "get"),
                         ("/api/tickets/{ticket_id}", "patch"), ("/api/agents/me/presence", "put")]:
        matching = [p for p in paths if p.replace("{id}", "{ticket_id}") == path]
        assert matching and method in paths[matching[0]], (path, method, sorted(paths))


def test_the_openapi_document_describes_exactly_the_routes_the_deployment_serves(api: Any) -> None:
    """Both ways, so it cannot drift: every route of the Chalice API and of the webhook API (the
    merge template's Api events, which the local gateway serves too) is in the document with its
    methods, and the document names no route or method that nothing serves."""
    from app import app
    from infra.local.gateway import webhook_routes

    paths = _json(api.get("/api/openapi.json"))["paths"]
    served: dict[str, set[str]] = {}
    for route, methods in app.routes.items():
        served.setdefault(route, set()).update(m.lower() for m in methods)
    for method, route in webhook_routes(app):
        if method != "OPTIONS":  # the widget's CORS preflights: answered by the stage, no operation
            served.setdefault(route, set()).add(method.lower())
    described = {route: {m for m in ops if m in ("get", "post", "put", "patch", "delete")}
                 for route, ops in paths.items()}
    assert described == served
