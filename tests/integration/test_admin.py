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
