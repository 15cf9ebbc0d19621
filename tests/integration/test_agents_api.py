"""Agent management end to end (ARCHITECTURE §6b, Agents) through the in-process Chalice test client:
agents are real users of a moto Cognito pool, tickets come in through the signed SMS webhook (or
web chat), and what the pool and the table really hold is read back (tests.integration.tables reads
the table with plain boto3). Then the tenant walls: an agent of brand B reaching for brand A's
tickets, cursor, agents and web-chat conversations.

Two concurrency tests play two simultaneous requests as two Lambda instances would (each thread runs
what app.agent_route runs for a request: authenticate, then the route's function). They cannot go
through one Chalice app: Chalice keeps the request being served on the app object
(`app.current_request`), one at a time, as one Lambda instance does.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import (
    drain,
    invoke_assignment,
    text,
    ticket_id_of,
    ticket_records,
)

AGENT_FIELDS = {"id", "name", "email", "role", "status", "active", "presence_at", "capacity"}


# --- fixtures and helpers ----------------------------------------------------------------------------------

@pytest.fixture
def idp(aws: Aws) -> Any:
    return aws.client("cognito-idp")


@dataclass(frozen=True)
class User:
    """A signed-in user of the pool; `agent_id` is their sub."""

    username: str
    email: str
    agent_id: str
    account_id: str
    token: str  # ID token

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.token}


def agent(aws: Aws, pool: Any, account_id: str, role: str, *, online: bool = False) -> User:
    """A pool user in the role's group with an Agent item of `account_id` (as an invitation leaves)."""
    from helpdesk.store import agents as agent_store
    from infra.local import cognito

    username = f"{role}-{uuid.uuid4().hex[:10]}"
    email = f"{username}@brand.example"
    user = cognito.add_user(aws.client("cognito-idp"), pool, username, email, role)
    agent_store.put_agent(account_id, user.sub, name=username, email=email, role=role, online=online)
    return User(username, email, user.sub, account_id, user.token)


def call(api: Any, method: str, path: str, who: User | None = None, body: Any = None,
         raw: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """(status, JSON body) of one request."""
    all_headers = {**(who.headers if who else {}), **(headers or {})}
    if method == "GET":
        response = api.get(path, headers=all_headers)
    else:
        data = raw if raw is not None else json.dumps(body).encode()
        response = api.request(method, path, headers={**all_headers, "Content-Type": "application/json"},
                               body=data)
    return response.status_code, (json.loads(response.body) if response.body else None)


def assert_error(status: int, body: Any, expected: int) -> None:
    assert status == expected, (status, body)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], body


def agent_item(account_id: str, agent_id: str) -> dict[str, Any] | None:
    found = [i for i in tables.account_items(account_id) if i["pk"] == f"A#{account_id}"
             and i["sk"] == f"AGENT#{agent_id}"]
    return found[0] if found else None


def agent_items_of_user(agent_id: str, *account_ids: str) -> list[dict[str, Any]]:
    return [i for a in account_ids for i in tables.account_items(a) if i["sk"] == f"AGENT#{agent_id}"]


def membership_of(agent_id: str) -> str | None:
    """The account the user's Membership item names (read with plain boto3)."""
    import boto3

    item = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"]).get_item(
        TableName=os.environ["TABLE_NAME"], Key={"pk": {"S": f"USER#{agent_id}"}, "sk": {"S": "MEMBERSHIP"}},
        ConsistentRead=True).get("Item")
    return item["account_id"]["S"] if item else None


def pool_user(idp: Any, pool: Any, username: str) -> dict[str, Any] | None:
    try:
        return dict(idp.admin_get_user(UserPoolId=pool.pool_id, Username=username))
    except idp.exceptions.UserNotFoundException:
        return None


def groups_of(idp: Any, pool: Any, username: str) -> list[str]:
    found = idp.admin_list_groups_for_user(UserPoolId=pool.pool_id, Username=username)["Groups"]
    return sorted(g["GroupName"] for g in found)


def attribute(user: dict[str, Any], name: str) -> str | None:
    return next((a["Value"] for a in user.get("UserAttributes", []) if a["Name"] == name), None)


def sign_in(idp: Any, pool: Any, username: str) -> dict[str, Any]:
    """The whole authentication result (ID, access and refresh tokens) of a password sign-in."""
    from infra.local import cognito

    return dict(idp.admin_initiate_auth(
        UserPoolId=pool.pool_id, ClientId=pool.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": cognito.PASSWORD})["AuthenticationResult"])


def new_email(prefix: str = "new.agent") -> str:
    return f"{prefix}.{uuid.uuid4().hex[:10]}@brand.example"


def new_ticket(brand: Brand, body: str = "where is my order?") -> str:
    customer = customer_number()
    text(brand, customer, body)
    return ticket_id_of(brand, customer)


def other_brand(brand: Brand) -> Brand:
    """Brand B: another account of the deployment with its own SMS number and web chat."""
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    other = Brand("acct-" + uuid.uuid4().hex[:10], "+1415" + str(uuid.uuid4().int % 10**7).zfill(7), "", "",
                  brand.queue_url)
    accounts.put_account(other.account_id, "Brand B")
    accounts.add_channel_address(other.account_id, Channel.SMS, other.sms_number)
    accounts.add_channel_address(other.account_id, Channel.WEBCHAT, other.account_id)
    return other


def in_route(token: str, view: Callable[..., Any], *args: Any) -> int:
    """What app.agent_route does with one request, answered as its HTTP status."""
    from helpdesk import auth
    from helpdesk.errors import HelpdeskError

    try:
        view(auth.authenticate("Bearer " + token), *args)
        return 200
    except HelpdeskError as error:
        return error.status


# --- listing and me ----------------------------------------------------------------------------------------

def test_list_agents_shows_the_accounts_agents_with_presence(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support", online=True)
    other = other_brand(brand)
    outsider = agent(aws, pool, other.account_id, "support", online=True)

    status, body = call(api, "GET", "/api/agents", support)
    assert status == 200, body
    assert set(body) == {"items"}
    items = {i["id"]: i for i in body["items"]}
    assert set(items) == {owner.agent_id, support.agent_id}
    assert outsider.agent_id not in items
    for item in body["items"]:
        assert set(item) == AGENT_FIELDS, item
        assert item["active"] is True and isinstance(item["presence_at"], str)
    assert items[support.agent_id] | {"presence_at": None} == {
        "id": support.agent_id, "name": support.username, "email": support.email, "role": "support",
        "status": "online", "active": True, "presence_at": None, "capacity": None}
    assert items[owner.agent_id]["status"] == "offline" and items[owner.agent_id]["role"] == "owner"


def test_me_is_the_caller(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    manager = agent(aws, pool, brand.account_id, "manager", online=True)
    agent(aws, pool, brand.account_id, "owner")
    status, me = call(api, "GET", "/api/agents/me", manager)
    assert status == 200, me
    _, listed = call(api, "GET", "/api/agents", manager)
    [mine] = [i for i in listed["items"] if i["id"] == manager.agent_id]
    assert {k: me[k] for k in AGENT_FIELDS} == mine
    assert me["id"] == manager.agent_id and me["role"] == "manager" and me["status"] == "online"


@pytest.mark.parametrize("role", ["owner", "admin", "manager", "support"])
def test_every_helpdesk_role_may_list_agents(aws: Aws, pool: Any, api: Any, brand: Brand, role: str) -> None:
    who = agent(aws, pool, brand.account_id, role)
    status, body = call(api, "GET", "/api/agents", who)
    assert status == 200, body
    assert [i["id"] for i in body["items"]] == [who.agent_id]


def test_presence_heartbeat_keeps_an_agent_online_until_it_expires(
        aws: Aws, pool: Any, api: Any, brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.agents import fresh_since
    from helpdesk.store import agents as agent_store

    monkeypatch.setenv("AGENT_PRESENCE_SECONDS", "1")
    who = agent(aws, pool, brand.account_id, "support")
    status, body = call(api, "PUT", "/api/agents/me/presence", who, {"status": "online"})
    assert status == 200, body
    assert body["status"] == "online" and body["expires_in"] == 1
    assert call(api, "GET", "/api/agents/me", who)[1]["status"] == "online"
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == [who.agent_id]

    time.sleep(1.2)  # no heartbeat
    assert call(api, "GET", "/api/agents/me", who)[1]["status"] == "offline"
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == []
    assert call(api, "PUT", "/api/agents/me/presence", who, {"status": "online"})[0] == 200
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == [who.agent_id]


# --- inviting ------------------------------------------------------------------------------------------------

def test_owner_invites_a_user_who_signs_in_and_works_in_the_owners_account(
        aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    from infra.local import cognito

    owner = agent(aws, pool, brand.account_id, "owner")
    ours = new_ticket(brand)
    other = other_brand(brand)
    new_ticket(other)
    email = new_email("New.Agent").replace("brand.example", "Brand.Example")
    address = email.lower()

    status, invited = call(api, "POST", "/api/agents", owner, {"email": email, "role": "support", "name": "Nia New"})
    assert status == 201, invited
    assert set(invited) == AGENT_FIELDS
    assert invited | {"id": None, "presence_at": None} == {
        "id": None, "name": "Nia New", "email": address, "role": "support", "status": "offline",
        "active": True, "presence_at": None, "capacity": None}

    # The pool: a user named by the lower-cased email, whose sub is the agent id, in the role's group.
    user = pool_user(idp, pool, address)
    assert user is not None
    assert attribute(user, "sub") == invited["id"] and attribute(user, "email") == address
    assert user["Enabled"] is True and user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert groups_of(idp, pool, address) == ["support"]
    # The table: the Agent item of the owner's account, found by the user's sub.
    item = agent_item(brand.account_id, invited["id"])
    assert item is not None
    assert (item["role"], item["active"], item["email"], item["invited_by"]) == (
        "support", True, address, owner.agent_id)
    assert membership_of(invited["id"]) == brand.account_id
    assert agent_items_of_user(invited["id"], other.account_id) == []
    assert invited["id"] in [i["id"] for i in call(api, "GET", "/api/agents", owner)[1]["items"]]

    # They set a password and sign in: their token works, in the owner's account only.
    idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=address, Password=cognito.PASSWORD,
                                Permanent=True)
    token = cognito.sign_in(idp, pool, address)
    headers = {"Authorization": "Bearer " + token}
    status, me = call(api, "GET", "/api/agents/me", headers=headers)
    assert status == 200, me
    assert me["id"] == invited["id"] and me["role"] == "support"
    status, listed = call(api, "GET", "/api/tickets?view=all", headers=headers)
    assert status == 200, listed
    assert [t["id"] for t in listed["items"]] == [ours]


def test_admin_invites_a_support_agent(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    admin = agent(aws, pool, brand.account_id, "admin")
    email = new_email()
    status, invited = call(api, "POST", "/api/agents", admin, {"email": email, "role": "support"})
    assert status == 201, invited
    assert invited["role"] == "support" and invited["email"] == email
    assert groups_of(idp, pool, email) == ["support"]
    item = agent_item(brand.account_id, invited["id"])
    assert item is not None and item["role"] == "support" and item["invited_by"] == admin.agent_id


def test_owner_may_invite_an_owner(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    email = new_email()
    status, invited = call(api, "POST", "/api/agents", owner, {"email": email, "role": "owner"})
    assert status == 201, invited
    assert groups_of(idp, pool, email) == ["owner"]
    item = agent_item(brand.account_id, invited["id"])
    assert item is not None and item["role"] == "owner"


def test_admin_cannot_invite_an_owner(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    admin = agent(aws, pool, brand.account_id, "admin")
    email = new_email()
    before = tables.snapshot(brand.account_id)
    assert_error(*call(api, "POST", "/api/agents", admin, {"email": email, "role": "owner"}), 403)
    assert pool_user(idp, pool, email) is None
    assert tables.snapshot(brand.account_id) == before


@pytest.mark.parametrize("role", ["manager", "support"])
def test_manager_and_support_cannot_invite(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand, role: str) -> None:
    who = agent(aws, pool, brand.account_id, role)
    before = tables.snapshot(brand.account_id)
    for invited_role in ("support", role):
        email = new_email()
        assert_error(*call(api, "POST", "/api/agents", who, {"email": email, "role": invited_role}), 403)
        assert pool_user(idp, pool, email) is None
    assert tables.snapshot(brand.account_id) == before


BAD_INVITATIONS = {
    "not an email": lambda e: {"email": "not-an-email", "role": "support"},
    "email not a string": lambda e: {"email": 42, "role": "support"},
    "no email": lambda e: {"role": "support"},
    "no role": lambda e: {"email": e},
    "a role that may not use the helpdesk": lambda e: {"email": e, "role": "analyst"},
    "an unknown role": lambda e: {"email": e, "role": "superuser"},
    "empty name": lambda e: {"email": e, "role": "support", "name": "  "},
    "long name": lambda e: {"email": e, "role": "support", "name": "x" * 101},
    "name not a string": lambda e: {"email": e, "role": "support", "name": ["Nia"]},
    "another account named": lambda e: {"email": e, "role": "support", "account_id": "acct-other"},
    "a list": lambda e: [{"email": e, "role": "support"}],
    "not json": lambda e: None,
}


@pytest.mark.parametrize("case", sorted(BAD_INVITATIONS))
def test_bad_invitation_is_400_and_creates_nothing(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand,
                                                    case: str) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    email = new_email()
    body = BAD_INVITATIONS[case](email)
    before = tables.snapshot(brand.account_id)
    raw = f'{{"email": "{email}", "role": "support"'.encode() if body is None else None
    assert_error(*call(api, "POST", "/api/agents", owner, body, raw=raw), 400)
    assert pool_user(idp, pool, email) is None
    assert tables.snapshot(brand.account_id) == before


def test_inviting_an_agent_again_is_409_from_any_account(aws: Aws, pool: Any, api: Any, idp: Any,
                                                         brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    other = other_brand(brand)
    their_owner = agent(aws, pool, other.account_id, "owner")
    email = new_email()
    status, invited = call(api, "POST", "/api/agents", owner, {"email": email, "role": "support"})
    assert status == 201, invited
    ours, theirs = tables.snapshot(brand.account_id), tables.snapshot(other.account_id)

    assert_error(*call(api, "POST", "/api/agents", owner, {"email": email, "role": "admin"}), 409)
    assert_error(*call(api, "POST", "/api/agents", owner, {"email": email.upper(), "role": "support"}), 409)
    assert_error(*call(api, "POST", "/api/agents", their_owner, {"email": email, "role": "owner"}), 409)

    assert tables.snapshot(brand.account_id) == ours and tables.snapshot(other.account_id) == theirs
    assert agent_items_of_user(invited["id"], brand.account_id, other.account_id) == [
        agent_item(brand.account_id, invited["id"])]
    assert groups_of(idp, pool, email) == ["support"]


def test_the_same_email_invited_by_two_accounts_at_once_joins_one(
        aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both invitations read "not an agent yet" before either writes (the barrier holds them there):
    a user belongs to one account, so one of them must be refused."""
    from helpdesk import agents
    from helpdesk.store import agents as agent_store
    from helpdesk.store import users

    owner = agent(aws, pool, brand.account_id, "owner")
    other = other_brand(brand)
    their_owner = agent(aws, pool, other.account_id, "owner")
    email = new_email()
    users._idp()  # the lazily made client, made before threads race to make it

    pool_lock = threading.Lock()  # the real user pool takes one username once; moto's may race
    barrier = threading.Barrier(2, timeout=5)
    create_user, put_agent = users.create_user, agent_store.put_agent

    def create_user_in_turn(*args: Any, **kwargs: Any) -> Any:
        with pool_lock:
            return create_user(*args, **kwargs)

    def put_agent_together(*args: Any, **kwargs: Any) -> Any:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass  # the other invitation was refused before writing: fine
        return put_agent(*args, **kwargs)

    monkeypatch.setattr(users, "create_user", create_user_in_turn)
    monkeypatch.setattr(agent_store, "put_agent", put_agent_together)
    with ThreadPoolExecutor(max_workers=2) as threads:
        statuses = list(threads.map(lambda who: in_route(who.token, agents.invite, {"email": email,
                                                                                   "role": "support"}),
                                    [owner, their_owner]))

    user = pool_user(idp, pool, email)
    assert user is not None
    items = agent_items_of_user(str(attribute(user, "sub")), brand.account_id, other.account_id)
    assert len(items) == 1, (statuses, [i["pk"] for i in items])
    assert sorted(statuses) == [200, 409], statuses


# --- changing roles ------------------------------------------------------------------------------------------

def test_demoted_admin_loses_admin_rights_on_the_next_request(aws: Aws, pool: Any, api: Any, idp: Any,
                                                             brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    admin = agent(aws, pool, brand.account_id, "admin")
    assert call(api, "POST", "/api/agents", admin, {"email": new_email(), "role": "support"})[0] == 201

    status, changed = call(api, "PATCH", f"/api/agents/{admin.agent_id}", owner, {"role": "support"})
    assert status == 200, changed
    assert changed["id"] == admin.agent_id and changed["role"] == "support" and changed["active"] is True

    email = new_email()
    assert_error(*call(api, "POST", "/api/agents", admin, {"email": email, "role": "support"}), 403)
    assert pool_user(idp, pool, email) is None
    assert call(api, "GET", "/api/agents/me", admin)[1]["role"] == "support"
    item = agent_item(brand.account_id, admin.agent_id)
    assert item is not None and item["role"] == "support"
    assert groups_of(idp, pool, admin.username) == ["support"]


def test_promoted_support_may_invite_on_the_next_request(aws: Aws, pool: Any, api: Any, idp: Any,
                                                         brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support")
    assert_error(*call(api, "POST", "/api/agents", support, {"email": new_email(), "role": "support"}), 403)
    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"role": "admin"})[0] == 200
    assert call(api, "POST", "/api/agents", support, {"email": new_email(), "role": "support"})[0] == 201
    assert groups_of(idp, pool, support.username) == ["admin"]


def test_nobody_changes_their_own_role_or_deactivates_themselves(aws: Aws, pool: Any, api: Any, idp: Any,
                                                                brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    admin = agent(aws, pool, brand.account_id, "admin")
    before = tables.snapshot(brand.account_id)
    for who, change in [(owner, {"role": "admin"}), (owner, {"active": False}), (owner, {"role": "owner"}),
                        (admin, {"role": "support"}), (admin, {"active": False}),
                        (admin, {"role": "support", "name": "Still Me"})]:
        assert_error(*call(api, "PATCH", f"/api/agents/{who.agent_id}", who, change), 409)
    assert tables.snapshot(brand.account_id) == before
    assert groups_of(idp, pool, owner.username) == ["owner"] and groups_of(idp, pool, admin.username) == ["admin"]
    # Their own name they may change.
    status, changed = call(api, "PATCH", f"/api/agents/{admin.agent_id}", admin, {"name": "Ada Admin"})
    assert status == 200, changed
    assert changed["name"] == "Ada Admin" and changed["role"] == "admin"


def test_admin_cannot_change_an_owner_or_grant_owner(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    admin = agent(aws, pool, brand.account_id, "admin")
    support = agent(aws, pool, brand.account_id, "support")
    before = tables.snapshot(brand.account_id)
    for change in ({"role": "support"}, {"active": False}, {"name": "Renamed"}):
        assert_error(*call(api, "PATCH", f"/api/agents/{owner.agent_id}", admin, change), 403)
    assert_error(*call(api, "PATCH", f"/api/agents/{support.agent_id}", admin, {"role": "owner"}), 403)
    assert tables.snapshot(brand.account_id) == before
    assert groups_of(idp, pool, owner.username) == ["owner"] and groups_of(idp, pool, support.username) == ["support"]
    assert pool_user(idp, pool, owner.username)["Enabled"] is True  # type: ignore[index]
    # What an admin may do: change a support agent.
    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", admin, {"role": "manager"})[0] == 200


@pytest.mark.parametrize("role", ["manager", "support"])
def test_manager_and_support_cannot_change_agents(aws: Aws, pool: Any, api: Any, brand: Brand, role: str) -> None:
    who = agent(aws, pool, brand.account_id, role)
    target = agent(aws, pool, brand.account_id, "support")
    before = tables.snapshot(brand.account_id)
    for change in ({"role": "manager"}, {"active": False}, {"name": "Renamed"}):
        assert_error(*call(api, "PATCH", f"/api/agents/{target.agent_id}", who, change), 403)
    assert tables.snapshot(brand.account_id) == before


def test_changing_an_unknown_agent_is_404(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from infra.local import cognito

    owner = agent(aws, pool, brand.account_id, "owner")
    not_an_agent = cognito.add_user(aws.client("cognito-idp"), pool, "user-" + uuid.uuid4().hex[:10],
                                    new_email(), None)
    before = tables.snapshot(brand.account_id)
    for agent_id in (str(uuid.uuid4()), not_an_agent.sub):
        assert_error(*call(api, "PATCH", f"/api/agents/{agent_id}", owner, {"active": False}), 404)
        assert_error(*call(api, "PATCH", f"/api/agents/{agent_id}", owner, {"role": "support"}), 404)
    assert tables.snapshot(brand.account_id) == before


BAD_CHANGES = {
    "a role that may not use the helpdesk": b'{"role": "analyst"}',
    "role null": b'{"role": null}',
    "active as a string": b'{"active": "false"}',
    "active null": b'{"active": null}',
    "empty name": b'{"name": "   "}',
    "long name": json.dumps({"name": "x" * 101}).encode(),
    "nothing": b"{}",
    "an unknown field": b'{"email": "someone@else.example"}',
    "a good field and an unknown one": b'{"role": "manager", "account_id": "acct-other"}',
    "a list": b'[{"role": "manager"}]',
    "not json": b'{"role": "manager"',
}


@pytest.mark.parametrize("case", sorted(BAD_CHANGES))
def test_bad_change_is_400_and_changes_nothing(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand,
                                               case: str) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    target = agent(aws, pool, brand.account_id, "support")
    before = tables.snapshot(brand.account_id)
    assert_error(*call(api, "PATCH", f"/api/agents/{target.agent_id}", owner, None, raw=BAD_CHANGES[case]), 400)
    assert tables.snapshot(brand.account_id) == before
    assert groups_of(idp, pool, target.username) == ["support"]


# --- deactivating --------------------------------------------------------------------------------------------

def test_deactivated_agents_still_valid_token_is_403_on_the_very_next_request(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support", online=True)
    ticket = new_ticket(brand)
    assert call(api, "GET", "/api/tickets?view=all", support)[0] == 200

    status, changed = call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": False})
    assert status == 200, changed
    assert changed["active"] is False and changed["status"] == "offline"

    before = tables.snapshot(brand.account_id)
    assert_error(*call(api, "GET", "/api/tickets?view=all", support), 403)
    assert_error(*call(api, "GET", f"/api/tickets/{ticket}", support), 403)
    assert_error(*call(api, "PATCH", f"/api/tickets/{ticket}", support, {"status": "closed"}), 403)
    assert_error(*call(api, "GET", "/api/agents/me", support), 403)
    assert tables.snapshot(brand.account_id) == before
    item = agent_item(brand.account_id, support.agent_id)
    assert item is not None and item["active"] is False and item["online"] is False


def test_deactivated_agent_leaves_the_rotation_at_once(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.agents import fresh_since
    from helpdesk.store import agents as agent_store

    owner = agent(aws, pool, brand.account_id, "owner")
    leaving = agent(aws, pool, brand.account_id, "support", online=True)
    staying = agent(aws, pool, brand.account_id, "support", online=True)
    drain(aws, brand.queue_url)

    # Both take tickets while both are active.
    before = [new_ticket(brand) for _ in range(2)]
    assert invoke_assignment(ticket_records(drain(aws, brand.queue_url))) == {"batchItemFailures": []}
    assignees = sorted(str(tables.ticket_item(brand.account_id, t)["assignee_id"]) for t in before)  # type: ignore[index]
    assert assignees == sorted([leaving.agent_id, staying.agent_id])

    assert call(api, "PATCH", f"/api/agents/{leaving.agent_id}", owner, {"active": False})[0] == 200
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == [staying.agent_id]

    after = [new_ticket(brand) for _ in range(3)]
    records = ticket_records(drain(aws, brand.queue_url))
    assert len(records) == 3
    assert invoke_assignment(records) == {"batchItemFailures": []}
    for ticket_id in after:
        item = tables.ticket_item(brand.account_id, ticket_id)
        assert item is not None and item["assignee_id"] == staying.agent_id, item


def test_deactivated_agent_cannot_come_back_online(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.agents import fresh_since
    from helpdesk.store import agents as agent_store

    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support", online=True)
    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": False})[0] == 200
    before = tables.snapshot(brand.account_id)
    assert_error(*call(api, "PUT", "/api/agents/me/presence", support, {"status": "online"}), 403)
    assert_error(*call(api, "PUT", "/api/agents/me/presence", support, {"status": "offline"}), 403)
    assert tables.snapshot(brand.account_id) == before
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == []
    [listed] = [i for i in call(api, "GET", "/api/agents", owner)[1]["items"] if i["id"] == support.agent_id]
    assert listed["status"] == "offline" and listed["active"] is False


def test_deactivation_disables_the_cognito_user_and_signs_them_out(aws: Aws, pool: Any, api: Any, idp: Any,
                                                                   brand: Brand) -> None:
    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support")
    session = sign_in(idp, pool, support.username)
    assert idp.get_user(AccessToken=session["AccessToken"])["Username"] == support.username  # signed in

    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": False})[0] == 200

    assert pool_user(idp, pool, support.username)["Enabled"] is False  # type: ignore[index]
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.get_user(AccessToken=session["AccessToken"])  # signed out everywhere
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        idp.admin_initiate_auth(UserPoolId=pool.pool_id, ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH",
                                AuthParameters={"REFRESH_TOKEN": session["RefreshToken"]})
    with pytest.raises(idp.exceptions.NotAuthorizedException):
        sign_in(idp, pool, support.username)
    assert_error(*call(api, "GET", "/api/tickets?view=all", headers={"Authorization": "Bearer " + session["IdToken"]}),
                 403)


def test_reactivation_restores_access(aws: Aws, pool: Any, api: Any, idp: Any, brand: Brand) -> None:
    from helpdesk.agents import fresh_since
    from helpdesk.store import agents as agent_store

    owner = agent(aws, pool, brand.account_id, "owner")
    support = agent(aws, pool, brand.account_id, "support", online=True)
    ticket = new_ticket(brand)
    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": False})[0] == 200
    assert call(api, "GET", "/api/tickets?view=all", support)[0] == 403

    status, changed = call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": True})
    assert status == 200, changed
    assert changed["active"] is True and changed["status"] == "offline"  # online again only by a heartbeat
    assert pool_user(idp, pool, support.username)["Enabled"] is True  # type: ignore[index]
    fresh = sign_in(idp, pool, support.username)["IdToken"]
    for token in (support.token, fresh):
        status, listed = call(api, "GET", "/api/tickets?view=all", headers={"Authorization": "Bearer " + token})
        assert status == 200, listed
        assert [t["id"] for t in listed["items"]] == [ticket]
    assert call(api, "PUT", "/api/agents/me/presence", support, {"status": "online"})[0] == 200
    assert agent_store.roster(brand.account_id, fresh_since()).online_ids == [support.agent_id]


def test_two_owners_deactivating_each_other_at_once_leave_one_active_owner(
        aws: Aws, pool: Any, idp: Any, brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each request has read both owners active and decided before either writes (the barrier holds
    them there): the write must decide, and only one of them may win."""
    from helpdesk import agents
    from helpdesk.store import agents as agent_store
    from helpdesk.store import users

    first = agent(aws, pool, brand.account_id, "owner")
    second = agent(aws, pool, brand.account_id, "owner")
    users._idp()  # the lazily made client, made before threads race to make it
    barrier = threading.Barrier(2, timeout=10)
    change_agent = agent_store.change_agent

    def change_together(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return change_agent(*args, **kwargs)

    monkeypatch.setattr(agent_store, "change_agent", change_together)
    with ThreadPoolExecutor(max_workers=2) as threads:
        statuses = list(threads.map(lambda pair: in_route(pair[0].token, agents.change, pair[1].agent_id,
                                                          {"active": False}),
                                    [(first, second), (second, first)]))

    assert sorted(statuses) == [200, 409], statuses
    winner, loser = (first, second) if statuses[0] == 200 else (second, first)
    owners = [i for i in tables.items_of_type(brand.account_id, "agent") if i.get("role") == "owner"]
    assert sorted((i["agent_id"], i["active"]) for i in owners) == sorted(
        [(winner.agent_id, True), (loser.agent_id, False)])
    assert pool_user(idp, pool, winner.username)["Enabled"] is True  # type: ignore[index]
    assert pool_user(idp, pool, loser.username)["Enabled"] is False  # type: ignore[index]


# --- brand B against brand A ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tenants:
    a: Brand
    b: Brand
    a_owner: User
    a_support: User
    b_owner: User
    a_ticket: str  # an SMS ticket of A
    b_ticket: str  # an SMS ticket of B


@pytest.fixture
def tenants(aws: Aws, pool: Any, brand: Brand) -> Tenants:
    b = other_brand(brand)
    return Tenants(brand, b, agent(aws, pool, brand.account_id, "owner"),
                   agent(aws, pool, brand.account_id, "support"), agent(aws, pool, b.account_id, "owner"),
                   new_ticket(brand, "A's private question"), new_ticket(b, "B's question"))


def test_another_accounts_agent_cannot_read_or_change_a_ticket(api: Any, tenants: Tenants) -> None:
    t = tenants
    before = tables.snapshot(t.a.account_id)
    status, body = call(api, "GET", f"/api/tickets/{t.a_ticket}", t.b_owner)
    assert_error(status, body, 404)
    assert "private" not in json.dumps(body)
    assert_error(*call(api, "PATCH", f"/api/tickets/{t.a_ticket}", t.b_owner,
                       {"status": "closed", "tags": ["b-was-here"]}), 404)
    assert_error(*call(api, "PATCH", f"/api/tickets/{t.a_ticket}", t.b_owner, {"assignee_id": t.b_owner.agent_id}),
                 404)
    assert_error(*call(api, "PATCH", f"/api/tickets/{t.a_ticket}", t.b_owner, {"status": "closed"},
                       headers={"If-Match": "1"}), 404)
    assert t.a_ticket not in [i["id"] for i in call(api, "GET", "/api/tickets?view=all", t.b_owner)[1]["items"]]
    assert tables.snapshot(t.a.account_id) == before
    assert call(api, "GET", f"/api/tickets/{t.a_ticket}", t.a_owner)[0] == 200  # A's own agent reads it


def test_another_accounts_agent_cannot_reply_to_or_note_a_ticket(api: Any, tenants: Tenants) -> None:
    t = tenants
    before = tables.snapshot(t.a.account_id)
    for body, headers in [({"type": "reply", "body": "from B"}, None), ({"type": "note", "body": "from B"}, None),
                          ({"type": "note", "body": "from B"}, {"Idempotency-Key": "k-" + uuid.uuid4().hex})]:
        assert_error(*call(api, "POST", f"/api/tickets/{t.a_ticket}/messages", t.b_owner, body, headers=headers),
                     404)
    assert tables.snapshot(t.a.account_id) == before
    assert [m["body"] for m in tables.messages_of(t.a.account_id, t.a_ticket)] == ["A's private question"]
    # The route itself works: A's agent adds a note.
    status, note = call(api, "POST", f"/api/tickets/{t.a_ticket}/messages", t.a_owner, {"type": "note", "body": "ok"})
    assert status == 201, note


def test_bulk_change_of_another_accounts_ticket_is_404_for_that_id(api: Any, tenants: Tenants) -> None:
    t = tenants
    before = tables.snapshot(t.a.account_id)
    status, body = call(api, "POST", "/api/tickets/bulk", t.b_owner,
                        {"ids": [t.a_ticket, t.b_ticket], "changes": {"status": "closed", "tags": ["bulk"]}})
    assert status == 200, body
    results = {r["id"]: r for r in body["results"]}
    assert set(results) == {t.a_ticket, t.b_ticket}
    assert results[t.a_ticket]["status"] == 404 and results[t.a_ticket].get("error")
    assert results[t.b_ticket]["status"] == 200
    assert tables.snapshot(t.a.account_id) == before
    mine = tables.ticket_item(t.b.account_id, t.b_ticket)
    assert mine is not None and mine["status"] == "closed" and mine["tags"] == ["bulk"]


def test_another_accounts_list_cursor_is_400(api: Any, tenants: Tenants) -> None:
    t = tenants
    new_ticket(t.a)
    status, page = call(api, "GET", "/api/tickets?view=all&limit=1", t.a_owner)
    assert status == 200, page
    assert len(page["items"]) == 1 and page["next"]
    for view in ("all", "unassigned", "mine"):
        assert_error(*call(api, "GET", f"/api/tickets?view={view}&limit=1&next={page['next']}", t.b_owner), 400)
    # The cursor is a good one for A.
    status, rest = call(api, "GET", f"/api/tickets?view=all&limit=1&next={page['next']}", t.a_owner)
    assert status == 200 and len(rest["items"]) == 1 and rest["items"][0]["id"] != page["items"][0]["id"]


def test_another_accounts_agents_are_out_of_sight_and_reach(aws: Aws, pool: Any, api: Any, idp: Any,
                                                            tenants: Tenants) -> None:
    t = tenants
    status, listed = call(api, "GET", "/api/agents", t.b_owner)
    assert status == 200, listed
    assert [i["id"] for i in listed["items"]] == [t.b_owner.agent_id]

    before = tables.snapshot(t.a.account_id)
    for target in (t.a_support, t.a_owner):
        for change in ({"active": False}, {"role": "owner"}, {"role": "support"}, {"name": "Renamed by B"}):
            assert_error(*call(api, "PATCH", f"/api/agents/{target.agent_id}", t.b_owner, change), 404)
    assert tables.snapshot(t.a.account_id) == before
    assert agent_items_of_user(t.a_support.agent_id, t.b.account_id) == []
    assert pool_user(idp, pool, t.a_support.username)["Enabled"] is True  # type: ignore[index]
    assert groups_of(idp, pool, t.a_support.username) == ["support"]
    assert call(api, "GET", "/api/tickets?view=all", t.a_support)[0] == 200


# --- web chat: a session of brand B against brand A's conversation -----------------------------------------------

MESSAGES_ROUTE = "/webhooks/webchat/{conversation_id}/messages"


def webchat(event: dict[str, Any]) -> tuple[int, Any]:
    from functions.webhooks import webchat as handler

    response = handler.handler(event, None)
    return response["statusCode"], (json.loads(response["body"]) if response.get("body") else None)


def chat_session(account_id: str, email: str) -> dict[str, Any]:
    """A verified web-chat session of the account's widget (each token carries its account)."""
    from tests.providers import gateway_event

    identity = hmac.new(os.environ["WEBCHAT_SECRET"].encode(), email.strip().lower().encode(),
                        hashlib.sha256).hexdigest()
    status, body = webchat(gateway_event("POST", "/webchat/sessions", json.dumps(
        {"account_id": account_id, "email": email, "identity_hash": identity}), {"Content-Type": "application/json"}))
    assert status == 201, body
    return dict(body)


def chat_post(token: str, body: dict[str, Any]) -> tuple[int, Any]:
    from tests.providers import gateway_event

    return webchat(gateway_event("POST", "/webhooks/webchat", json.dumps(body),
                                 {"Content-Type": "application/json", "Authorization": "Bearer " + token}))


def chat_read(token: str, conversation_id: str) -> tuple[int, Any]:
    from tests.providers import gateway_event

    event = gateway_event("GET", f"/webhooks/webchat/{conversation_id}/messages",
                          headers={"Authorization": "Bearer " + token})
    event["resource"] = event["requestContext"]["resourcePath"] = MESSAGES_ROUTE
    event["pathParameters"] = {"conversation_id": conversation_id}
    return webchat(event)


@dataclass(frozen=True)
class Chats:
    a_session: dict[str, Any]
    b_session: dict[str, Any]
    conversation_id: str  # A's
    ticket_id: str  # A's


@pytest.fixture
def chats(api: Any, tenants: Tenants) -> Chats:
    """The same customer (one email) chats with both brands; A's conversation has A's agent's reply."""
    email = f"kim.{uuid.uuid4().hex[:8]}@customer.example"
    a_session, b_session = chat_session(tenants.a.account_id, email), chat_session(tenants.b.account_id, email)
    assert a_session["visitor_id"] != b_session["visitor_id"]
    status, said = chat_post(a_session["token"], {"type": "message", "message_id": "m-1",
                                                  "text": "my address is 1 Secret Lane"})
    assert status == 200, said
    status, reply = call(api, "POST", f"/api/tickets/{said['ticket_id']}/messages", tenants.a_owner,
                         {"type": "reply", "body": "A's answer about your order"})
    assert status == 201, reply
    status, read = chat_read(a_session["token"], said["conversation_id"])
    assert status == 200 and [m["body"] for m in read["messages"]] == ["A's answer about your order"]
    return Chats(a_session, b_session, said["conversation_id"], said["ticket_id"])


def test_webchat_session_of_another_brand_cannot_read_a_conversation(tenants: Tenants, chats: Chats) -> None:
    before = tables.snapshot(tenants.a.account_id)
    status, body = chat_read(chats.b_session["token"], chats.conversation_id)
    assert_error(status, body, 404)
    assert "A's answer" not in json.dumps(body) and "Secret Lane" not in json.dumps(body)
    status, body = chat_post(chats.b_session["token"], {"type": "presence", "conversation_id": chats.conversation_id,
                                                        "state": "offline"})
    assert_error(status, body, 404)
    assert tables.snapshot(tenants.a.account_id) == before


def test_webchat_session_of_another_brand_posting_to_a_conversation_gets_its_own(
        tenants: Tenants, chats: Chats) -> None:
    before = tables.snapshot(tenants.a.account_id)
    status, said = chat_post(chats.b_session["token"], {"type": "message", "conversation_id": chats.conversation_id,
                                                        "message_id": "m-1", "text": "B's customer writes"})
    assert 200 <= status < 300, said
    assert said["ticket_id"] != chats.ticket_id
    theirs = tables.ticket_item(tenants.b.account_id, said["ticket_id"])
    assert theirs is not None and theirs["contact"] == chats.b_session["visitor_id"]
    assert [m["body"] for m in tables.messages_of(tenants.b.account_id, said["ticket_id"])] == ["B's customer writes"]
    assert tables.ticket_item(tenants.a.account_id, said["ticket_id"]) is None
    assert tables.snapshot(tenants.a.account_id) == before
    bodies = [m["body"] for m in tables.messages_of(tenants.a.account_id, chats.ticket_id)]
    assert "B's customer writes" not in bodies and bodies[0] == "my address is 1 Secret Lane"
