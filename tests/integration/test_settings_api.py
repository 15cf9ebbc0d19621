"""`GET/PATCH /api/settings` through the agent API with real tokens: everyone reads, owners and admins
change, a change merges and is checked field by field (400 naming the field, nothing written)."""
from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import Aws, Brand
from tests.integration.agents import Member, member


def call(api: Any, method: str, who: Member, body: Any = None) -> tuple[int, Any]:
    headers = {**who.headers, "Content-Type": "application/json"}
    response = getattr(api, method.lower())("/api/settings", headers=headers,
                                            **({"body": json.dumps(body)} if body is not None else {}))
    return response.status_code, json.loads(response.body)


@pytest.fixture
def team(aws: Aws, pool: Any, brand: Brand) -> dict[str, Member]:
    return {role: member(aws, pool, brand.account_id, role) for role in ("owner", "admin", "manager", "support")}


def test_everyone_reads_the_settings_with_their_defaults(api: Any, team: dict[str, Member]) -> None:
    for who in team.values():
        status, settings = call(api, "GET", who)
        assert status == 200, settings
        assert settings["auto_close"] == {"enabled": False, "after": "P3D"}
        assert settings["sms"]["shorten_links"] is True and settings["unread_badge"] is True
        assert settings["attribution"] == {"sms_window": "PT24H"} and settings["plan"] in ("inbox", "helpdesk")


@pytest.mark.parametrize("role, allowed", [("owner", True), ("admin", True), ("manager", False), ("support", False)])
def test_only_owners_and_admins_change_them(api: Any, team: dict[str, Member], role: str, allowed: bool) -> None:
    before = call(api, "GET", team["owner"])[1]
    status, answer = call(api, "PATCH", team[role], {"auto_close": {"enabled": True, "after": "PT30S"}})
    assert status == (200 if allowed else 403), answer
    after = call(api, "GET", team["owner"])[1]
    if allowed:
        assert after["auto_close"] == {"enabled": True, "after": "PT30S"}
        assert after["version"] == before["version"] + 1
    else:
        assert after == before


@pytest.mark.parametrize("body, field", [
    ({"auto_close": {"enabled": False, "after": "soon"}}, "auto_close.after"),
    ({"auto_close": {"after": "P0D"}}, "auto_close.after"),
    ({"auto_close": {"enabled": "yes"}}, "auto_close.enabled"),
    ({"attribution": {"sms_window": "24 hours"}}, "attribution.sms_window"),
    ({"sms": {"notify_emails": ["not an address"]}}, "sms.notify_emails"),
    ({"sms": {"autoresponder": {"tone": "friendly"}}}, "sms.autoresponder.tone"),
    ({"plan": "enterprise"}, "plan"),
    ({"colour": "blue"}, "settings.colour"),
    ({"office_hours": {"timezone": "Mars/Olympus"}}, "timezone"),
])
def test_a_bad_value_is_400_naming_the_field_and_changes_nothing(api: Any, team: dict[str, Member],
                                                                 body: dict[str, Any], field: str) -> None:
    before = call(api, "GET", team["owner"])[1]
    status, answer = call(api, "PATCH", team["owner"], body)
    assert status == 400 and field in answer["error"], answer
    assert call(api, "GET", team["owner"])[1] == before


def test_a_change_merges_with_what_is_there(api: Any, team: dict[str, Member]) -> None:
    owner = team["owner"]
    assert call(api, "PATCH", owner, {"auto_close": {"enabled": True, "after": "P2D"}})[0] == 200
    status, settings = call(api, "PATCH", owner, {"sms": {"notify_emails": ["Lead@Brand.example"]},
                                                   "auto_close": {"after": "P5D"}})
    assert status == 200, settings
    assert settings["auto_close"] == {"enabled": True, "after": "P5D"}
    assert settings["sms"]["notify_emails"] == ["lead@brand.example"]
    assert settings["sms"]["shorten_links"] is True  # a default it did not name


def test_the_web_chat_autoresponder_and_office_hours_are_the_ones_assignment_uses(
        api: Any, team: dict[str, Member], brand: Brand) -> None:
    from helpdesk.store import accounts

    hours = {"timezone": "Asia/Seoul", "weekly": {"mon": [["09:00", "18:00"]]}, "holidays": []}
    status, settings = call(api, "PATCH", team["admin"], {
        "office_hours": hours, "webchat": {"autoresponder": {"closed": "We are closed; back at 9."}}})
    assert status == 200, settings
    account = accounts.get_account(brand.account_id, fresh=True)
    assert account.office_hours is not None and account.office_hours.as_dict()["timezone"] == "Asia/Seoul"
    assert account.autoresponder is not None
    assert account.autoresponder.as_dict()["webchat"]["closed"] == "We are closed; back at 9."


def test_a_change_overtaken_by_another_is_reapplied_on_top(api: Any, team: dict[str, Member],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.store import accounts

    real = accounts.change_settings
    overtaken = [False]

    def other_admin_first(account: Any, attributes: Any, settings: Any) -> bool:
        if not overtaken[0]:
            overtaken[0] = True
            assert real(accounts.get_account(account.account_id, fresh=True), {},
                        {"unread_badge": False})  # another admin's change lands in between
        return real(account, attributes, settings)

    monkeypatch.setattr(accounts, "change_settings", other_admin_first)
    status, settings = call(api, "PATCH", team["owner"], {"auto_close": {"enabled": True}})
    assert status == 200, settings
    assert settings["auto_close"]["enabled"] is True and settings["unread_badge"] is False
