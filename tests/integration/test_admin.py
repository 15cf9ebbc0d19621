"""Setting up a deployed stack by hand (infra/admin.py): a brand's account, an address and its first
owner, who then signs in and works through the agent API like any invited agent."""
from __future__ import annotations

import json
import os
import uuid
from typing import Any

import pytest

from infra import admin
from tests.conftest import Aws


def run(pool: Any, *argv: str) -> int:
    return admin.main(["--table", os.environ["TABLE_NAME"], "--user-pool", pool.pool_id, *argv])


def test_first_owner_of_a_new_account_signs_in_and_invites_the_next(aws: Aws, pool: Any, api: Any,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from infra.local import cognito

    account = "acct-" + uuid.uuid4().hex[:10]
    email = f"first-{uuid.uuid4().hex[:8]}@brand.example"
    assert run(pool, "account", account, "Brand Store", "--support-email", f"support@{account}.example") == 0
    assert run(pool, "address", account, "sms", "+14155550" + str(uuid.uuid4().int % 900 + 100)) == 0
    assert run(pool, "agent", account, email.upper(), "--role", "owner", "--name", "First", "--no-email") == 0
    assert f"account_id={account} role=owner user_created=True" in capsys.readouterr().out

    idp = aws.client("cognito-idp")
    idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=cognito.PASSWORD,
                                Permanent=True)
    headers = {"Authorization": "Bearer " + cognito.sign_in(idp, pool, email, "AccessToken"),
               "Content-Type": "application/json"}
    me = api.get("/api/agents/me", headers=headers)
    assert me.status_code == 200, me.body
    assert me.json_body["role"] == "owner" and me.json_body["name"] == "First"
    body = json.dumps({"email": f"next-{uuid.uuid4().hex[:6]}@brand.example", "role": "support"})
    invited = api.post("/api/agents", headers=headers, body=body.encode())
    assert invited.status_code == 201, invited.body


def test_the_same_person_cannot_become_an_agent_of_two_accounts(pool: Any, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = ("acct-" + uuid.uuid4().hex[:10] for _ in range(2))
    email = f"twice-{uuid.uuid4().hex[:8]}@brand.example"
    for account in (first, second):
        assert run(pool, "account", account, "A Store") == 0
    assert run(pool, "agent", first, email, "--no-email") == 0
    capsys.readouterr()
    assert run(pool, "agent", second, email, "--no-email") == 1
    assert "refused: that user is an agent already" in capsys.readouterr().err


def test_an_agent_of_an_account_that_does_not_exist_is_refused(pool: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(pool, "agent", "acct-none-" + uuid.uuid4().hex[:6], f"x-{uuid.uuid4().hex[:6]}@brand.example",
               "--no-email") == 1
    assert "no such account" in capsys.readouterr().err


def test_file_idle_files_open_tickets_stored_before_auto_close_and_the_sweep_then_closes_them(
        pool: Any, swept: Any, capsys: pytest.CaptureFixture[str]) -> None:
    brand = swept
    from helpdesk import sweep
    from helpdesk.store import accounts
    from helpdesk.store.models import Ticket
    from tests.integration import tables
    from tests.integration.agents import new_customers, ticket_id_of

    old, recent = new_customers(brand, 2)
    for number in (old, recent):  # as a ticket stored by a version without the idle index looks
        Ticket(f"A#{brand.account_id}#T#{ticket_id_of(brand, number)}", "TICKET").update(
            actions=[Ticket.gsi5pk.remove(), Ticket.gsi5sk.remove()])
    Ticket(f"A#{brand.account_id}#T#{ticket_id_of(brand, old)}", "TICKET").update(
        actions=[Ticket.last_inbound_at.set("2026-01-01T00:00:00.000Z")])
    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {}, {"auto_close": {"enabled": True, "after": "P3D"}})
    sweep.run()
    assert [t["status"] for t in tables.tickets(brand.account_id)] == ["open", "open"]  # in no index yet

    assert run(pool, "file-idle", brand.account_id) == 0
    assert "filed=2" in capsys.readouterr().out
    assert run(pool, "file-idle", brand.account_id) == 0  # again: nothing left to file
    assert "filed=0" in capsys.readouterr().out
    sweep.run()
    status = {t["ticket_id"]: (t["status"], t.get("auto_closed")) for t in tables.tickets(brand.account_id)}
    assert status == {ticket_id_of(brand, old): ("closed", True), ticket_id_of(brand, recent): ("open", None)}


def test_file_loads_counts_tickets_stored_before_loads_were_indexed(
        aws: Aws, pool: Any, brand: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from helpdesk.store import agents as agent_store
    from helpdesk.store.models import Ticket
    from tests.integration.agents import new_customers, ticket_id_of

    agent_store.put_agent(brand.account_id, "a-old", name="Old Timer", role="support", email="old@brand.example")
    tickets = [ticket_id_of(brand, number) for number in new_customers(brand, 3)]
    for ticket_id in tickets:  # assigned by a version that kept no load index
        Ticket(f"A#{brand.account_id}#T#{ticket_id}", "TICKET").update(
            actions=[Ticket.assignee_id.set("a-old"), Ticket.gsi7pk.remove(), Ticket.gsi7sk.remove()])
    Ticket(f"A#{brand.account_id}#T#{tickets[2]}", "TICKET").update(actions=[Ticket.status.set("closed")])

    def load() -> int:
        return agent_store.open_load(brand.account_id, "a-old")

    assert load() == 0
    assert run(pool, "file-loads", brand.account_id) == 0
    assert "filed=2" in capsys.readouterr().out  # the closed one counts for nobody
    assert load() == 2
    assert run(pool, "file-loads", brand.account_id) == 0
    assert "filed=0" in capsys.readouterr().out


def test_an_integration_gets_credentials_of_its_own_posts_profile_events_and_is_no_agent(
        aws: Aws, pool: Any, api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The marketing system's credentials: a user of the pool with the integration role, made by the
    admin CLI even on the one-agent plan (a system is no agent), refused everywhere but its routes."""
    from infra.local import cognito

    account = "acct-" + uuid.uuid4().hex[:10]
    owner, system = (f"{who}-{uuid.uuid4().hex[:8]}@brand.example" for who in ("owner", "klaviyo"))
    assert run(pool, "account", account, "Free Store", "--plan", "inbox") == 0
    assert run(pool, "agent", account, owner, "--role", "owner", "--no-email") == 0
    assert run(pool, "agent", account, system, "--role", "integration", "--name", "Klaviyo", "--no-email") == 0
    idp = aws.client("cognito-idp")

    def headers(email: str) -> dict[str, str]:
        idp.admin_set_user_password(UserPoolId=pool.pool_id, Username=email, Password=cognito.PASSWORD,
                                    Permanent=True)
        return {"Authorization": "Bearer " + cognito.sign_in(idp, pool, email, "AccessToken"),
                "Content-Type": "application/json"}

    as_system, as_owner = headers(system), headers(owner)
    assert api.get("/api/tickets?view=all", headers=as_system).status_code == 403
    listed = api.get("/api/agents", headers=as_owner).json_body["items"]
    assert [a["email"] for a in listed] == [owner]  # the system is not one of the team
    event = {"events": [{"id": "ev-" + uuid.uuid4().hex, "metric": "Placed Order", "time": "2026-12-01T10:00:00Z",
                         "profile": {"email": "shopper@brand.example"}}]}
    # The free plan has no profile details: the system is let in, and the plan refuses it by name.
    answer = api.post("/api/profile-events", headers=as_system, body=json.dumps(event).encode())
    assert answer.status_code == 403 and "inbox plan" in answer.json_body["error"]
    assert run(pool, "agent", account, f"second-{uuid.uuid4().hex[:6]}@brand.example", "--role", "support",
               "--no-email") == 1  # a second person is refused on the free plan
