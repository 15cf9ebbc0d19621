"""Plans (SPEC §4, helpdesk/plans.py): what the free `inbox` plan lacks and the paid `helpdesk` plan
has, each gate checked on both plans through the surfaces that use it: the agent API with real
tokens, the signed SMS webhook, the web-chat widget, the worker over the table's stream, the Twilio
and Meta stand-ins, and the admin CLI. The plan is switched the way an owner switches it
(`PATCH /api/settings`), back and forth, with nothing migrated."""
from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import Member, add_agents, call, member, settle, text, ticket_id_of

PAID = ["autoresponders", "channels", "macros", "multi_agent", "profile_details", "spam_filtering"]
GIFT_CARD = "Congratulations! You have won a $1000 Amazon gift card, claim it now at bit.ly/4gFt2Qw"
TEMPLATE = "Thanks for texting {{organization_prefix}}! We answer in the morning."


def switch(api: Any, owner: Member, plan: str) -> dict[str, Any]:
    """The owner changes the plan; the process's account cache is dropped, as another Lambda
    container's would expire (the worker and the webhooks run in this process)."""
    from helpdesk.store import accounts

    status, settings = call(api, "PATCH", "/api/settings", owner, {"plan": plan})
    assert status == 200, settings
    accounts.forget_addresses()
    return dict(settings)


def refused_for_plan(status: int, body: Any, on: str = "inbox") -> bool:
    return status == 403 and "helpdesk plan" in body["error"] and f"on the {on} plan" in body["error"]


@pytest.fixture
def owner(aws: Aws, pool: Any, brand: Brand) -> Member:
    return member(aws, pool, brand.account_id, "owner")


# --- settings ---------------------------------------------------------------------------------------------

def test_settings_list_the_plans_features_and_switching_changes_only_the_plan(
        api: Any, owner: Member, brand: Brand) -> None:
    from helpdesk import openapi

    status, paid = call(api, "GET", "/api/settings", owner)
    assert status == 200 and (paid["plan"], paid["features"]) == ("helpdesk", PAID)
    free = switch(api, owner, "inbox")
    assert (free["plan"], free["features"]) == ("inbox", [])
    assert call(api, "GET", "/api/settings", owner)[1]["features"] == []
    # `features` is read only: a console sending it back is told so.
    status, refused = call(api, "PATCH", "/api/settings", owner, {"features": PAID})
    assert status == 400 and "features" in refused["error"]
    back = switch(api, owner, "helpdesk")
    assert back["features"] == PAID
    assert {k: v for k, v in back.items() if k not in ("plan", "features", "version")} == \
           {k: v for k, v in paid.items() if k not in ("plan", "features", "version")}
    # The OpenAPI document names every feature a plan can give.
    schema = openapi.document()["paths"]["/api/settings"]["get"]["responses"]["200"]["content"]["application/json"]
    assert schema["schema"]["properties"]["features"]["items"]["enum"] == PAID


# --- macros -----------------------------------------------------------------------------------------------

def test_macros_are_refused_on_inbox_and_back_untouched_on_helpdesk(
        api: Any, owner: Member, brand: Brand, standins: Any) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    status, macro = call(api, "POST", "/api/macros", owner, {"name": "Hello", "body": "Hi {{customer.first_name}}!"})
    assert status == 201, macro
    number = customer_number()
    accounts.put_customer(brand.account_id, Channel.SMS, number, "Jiwoo Kim", "subscribed")
    text(brand, number, "where is my order?")
    ticket_id = ticket_id_of(brand, number)

    switch(api, owner, "inbox")
    for method, path, body in [("GET", "/api/macros", None),
                               ("POST", "/api/macros", {"name": "x", "body": "y"}),
                               ("PATCH", f"/api/macros/{macro['id']}", {"name": "Renamed"}),
                               ("DELETE", f"/api/macros/{macro['id']}", None),
                               ("POST", f"/api/tickets/{ticket_id}/messages",
                                {"type": "reply", "macro_id": macro["id"]})]:
        status, refused = call(api, method, path, owner, body)
        assert refused_for_plan(status, refused) and "macros" in refused["error"], (method, path, refused)
    assert standins.outbox() == []

    switch(api, owner, "helpdesk")
    status, listed = call(api, "GET", "/api/macros", owner)
    assert status == 200 and [(m["id"], m["name"], m["body"]) for m in listed["items"]] == [
        (macro["id"], "Hello", "Hi {{customer.first_name}}!")]
    status, sent = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                        {"type": "reply", "macro_id": macro["id"]})
    assert status == 201 and sent["body"] == "Hi Jiwoo!"
    assert [(m["to"], m["body"]) for m in standins.outbox()] == [(number, "Hi Jiwoo!")]


# --- more than one agent ----------------------------------------------------------------------------------

def test_inbox_is_one_agent_no_invitation_or_reactivation_while_one_is_active(
        aws: Aws, pool: Any, api: Any, owner: Member, brand: Brand) -> None:
    idp = aws.client("cognito-idp")
    support = member(aws, pool, brand.account_id, "support")
    switch(api, owner, "inbox")
    # A downgrade deactivates nobody; deactivating is always allowed.
    status, changed = call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": False})
    assert status == 200 and changed["active"] is False

    email = f"next-{uuid.uuid4().hex[:8]}@brand.example"
    before = tables.snapshot(brand.account_id)
    status, refused = call(api, "POST", "/api/agents", owner, {"email": email, "role": "support"})
    assert refused_for_plan(status, refused) and "more than one agent" in refused["error"]
    status, refused = call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": True})
    assert refused_for_plan(status, refused) and "more than one agent" in refused["error"]
    # Nothing written, nobody made in the pool.
    assert tables.snapshot(brand.account_id) == before
    assert idp.list_users(UserPoolId=pool.pool_id, Filter=f'email = "{email}"')["Users"] == []
    # Other changes to the inactive agent are not a second agent.
    assert call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"name": "Still Away"})[0] == 200

    switch(api, owner, "helpdesk")
    status, changed = call(api, "PATCH", f"/api/agents/{support.agent_id}", owner, {"active": True})
    assert status == 200 and changed["active"] is True
    status, invited = call(api, "POST", "/api/agents", owner, {"email": email, "role": "support"})
    assert status == 201, invited


# --- channels ---------------------------------------------------------------------------------------------

def _sms_ticket(brand: Brand) -> tuple[str, str]:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    number = customer_number()
    accounts.put_customer(brand.account_id, Channel.SMS, number, "Kim", "subscribed")
    text(brand, number, "where is my order?")
    return "sms", ticket_id_of(brand, number)


def _whatsapp_ticket(brand: Brand) -> tuple[str, str]:
    from tests.integration.test_replies_channels import whatsapp_customer

    return "whatsapp", whatsapp_customer(brand)[1]


def _instagram_ticket(brand: Brand) -> tuple[str, str]:
    from tests.integration.test_replies_channels import instagram_customer

    return "instagram", instagram_customer(brand)[1]


def _email_ticket(brand: Brand) -> tuple[str, str]:
    from tests.integration.test_email_webhook import send

    sender = f"min.{uuid.uuid4().hex[:6]}@example.com"
    send(brand, sender, subject="Late parcel")
    [ticket] = [t for t in tables.tickets(brand.account_id) if t["contact"] == sender]
    return "email", ticket["ticket_id"]


@pytest.mark.parametrize("customer", [_sms_ticket, _whatsapp_ticket, _instagram_ticket, _email_ticket],
                         ids=["sms", "whatsapp", "instagram", "email"])
def test_on_inbox_a_reply_outside_web_chat_is_refused_before_anything_is_stored_or_sent(
        api: Any, owner: Member, brand: Brand, standins: Any, customer: Any) -> None:
    switch(api, owner, "inbox")
    channel, ticket_id = customer(brand)  # the customer's message is taken on the free plan too
    [inbound] = [m for m in tables.messages_of(brand.account_id, ticket_id) if m["direction"] == "inbound"]
    before = tables.snapshot(brand.account_id)
    status, refused = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                           {"type": "reply", "body": "Your order ships today."}, )
    assert refused_for_plan(status, refused) and f"replying on {channel}" in refused["error"]
    assert tables.snapshot(brand.account_id) == before and standins.outbox() == []
    # An internal note is no reply: it stays possible, and the ticket is there to read.
    assert call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner, {"type": "note", "body": "VIP"})[0] == 201
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert status == 200 and inbound["message_id"] in [m["id"] for m in detail["messages"]]

    switch(api, owner, "helpdesk")
    status, sent = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                        {"type": "reply", "body": "Your order ships today."})
    assert status == 201, sent
    if channel != "email":  # email goes through moto's SES, the rest through the stand-ins
        assert [m["channel"] for m in standins.outbox()] == [channel]


def test_on_inbox_web_chat_replies_go_out(api: Any, owner: Member, brand: Brand, monkeypatch: Any) -> None:
    from tests.integration import test_webchat as chat

    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    switch(api, owner, "inbox")
    token = chat.session()["token"]
    said = chat.say(token, "is the linen shirt back?")
    status, sent = call(api, "POST", f"/api/tickets/{said['ticket_id']}/messages", owner,
                        {"type": "reply", "body": "It is, in every size."})
    assert status == 201, sent
    assert [m["body"] for m in chat.read_replies(token, said["conversation_id"])[1]["messages"]] == [
        "It is, in every size."]


# --- intake on inbox: stored, not screened, not autoresponded ------------------------------------------------

def ticket_of(brand: Brand, number: str) -> dict[str, Any]:
    found = tables.ticket_item(brand.account_id, ticket_id_of(brand, number))
    assert found is not None
    return found


def view(brand: Brand, name: str) -> list[str]:
    from helpdesk.store import tickets as ticket_store

    items, _ = ticket_store.view_query(brand.account_id, name, None, "", None, 100)
    return sorted(t.ticket_id for t in items)


def test_inbound_sms_on_inbox_is_stored_but_neither_spam_screened_nor_autoresponded(
        api: Any, owner: Member, brand: Brand, standins: Any) -> None:
    team = [f"lead@{brand.account_id}.example"]
    status, _ = call(api, "PATCH", "/api/settings", owner, {
        "sms": {"autoresponder": {"enabled": True, "text": TEMPLATE}, "notify_emails": team}})
    assert status == 200
    switch(api, owner, "inbox")
    scam, shopper = customer_number(), customer_number()
    text(brand, scam, GIFT_CARD)
    text(brand, shopper, "hi, do you have the linen shirt in M?")
    settle(brand)
    for number, body in ((scam, GIFT_CARD), (shopper, "hi, do you have the linen shirt in M?")):
        ticket = ticket_of(brand, number)
        assert ticket["spam"] is False
        [message] = tables.messages_of(brand.account_id, ticket["ticket_id"])  # no autoresponse beside it
        assert message["body"] == body and "spam" not in (message.get("extra") or {})
    assert view(brand, "spam") == [] and len(view(brand, "all")) == 2
    assert standins.outbox() == []  # no autoresponse (the team's email is not a paid feature: SES)

    # On the paid plan the same text is screened and the shopper answered; the inbox-plan tickets stay
    # as they were stored (screening is at intake).
    switch(api, owner, "helpdesk")
    scam2, shopper2 = customer_number(), customer_number()
    text(brand, scam2, GIFT_CARD)
    text(brand, shopper2, "hello, any news on my order?")
    settle(brand)
    assert ticket_of(brand, scam2)["spam"] is True and view(brand, "spam") == [ticket_id_of(brand, scam2)]
    assert ticket_of(brand, scam)["spam"] is False
    assert [m["to"] for m in standins.outbox()] == [shopper2]


def test_team_notification_emails_are_no_paid_feature(
        api: Any, owner: Member, brand: Brand, standins: Any) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    team = f"night@{brand.account_id}.example"
    assert call(api, "PATCH", "/api/settings", owner, {"sms": {"notify_emails": [team]}})[0] == 200
    switch(api, owner, "inbox")
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    sent = [m for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
            if getattr(m, "source", None) == brand.support_email and team in m.destinations]
    assert len(sent) == 1


def test_the_web_chat_autoresponder_waits_for_the_paid_plan(
        api: Any, owner: Member, brand: Brand, monkeypatch: Any) -> None:
    from helpdesk.assignment import handle
    from tests.integration import test_webchat as chat

    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    chat.configure(brand, open_now=True)  # (rewrites the account: on the paid plan, the default)
    switch(api, owner, "inbox")
    first = chat.say(chat.session()["token"], "hello?")
    handle(chat.created_event(brand, first["ticket_id"]))
    assert chat.bodies_of(brand, first["ticket_id"], "outbound") == []

    switch(api, owner, "helpdesk")
    second = chat.say(chat.session()["token"], "hello?")
    handle(chat.created_event(brand, second["ticket_id"]))
    assert chat.bodies_of(brand, second["ticket_id"], "outbound") == [chat.AUTORESPONDER["webchat"]["open"]]


def test_on_inbox_web_chat_spam_is_not_screened(api: Any, owner: Member, brand: Brand, monkeypatch: Any) -> None:
    from tests.integration import test_webchat as chat

    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    switch(api, owner, "inbox")
    kept = chat.say(chat.session()["token"], GIFT_CARD)
    switch(api, owner, "helpdesk")
    screened = chat.say(chat.session()["token"], GIFT_CARD)
    assert chat.ticket(brand, kept["ticket_id"])["spam"] is False
    assert chat.ticket(brand, screened["ticket_id"])["spam"] is True


# --- the hot path: the plan costs a follow-up SMS no request ------------------------------------------------

@contextmanager
def aws_requests() -> Iterator[list[str]]:
    """The operations this thread sends to AWS (botocore's last step before the wire)."""
    from botocore.endpoint import Endpoint

    original = Endpoint._do_get_response
    seen: list[str] = []
    me = threading.get_ident()

    def counted(self: Any, request: Any, operation_model: Any, context: Any) -> Any:
        if threading.get_ident() == me:
            seen.append(operation_model.name)
        return original(self, request, operation_model, context)

    Endpoint._do_get_response = counted  # type: ignore[method-assign]
    try:
        yield seen
    finally:
        Endpoint._do_get_response = original  # type: ignore[method-assign]


@pytest.mark.parametrize("plan", ["inbox", "helpdesk"])
def test_the_plan_is_read_for_a_message_the_heuristics_call_spam_only(
        api: Any, owner: Member, brand: Brand, plan: str) -> None:
    """`make bench` aws_calls_per_inbound_sms stays 1: a follow-up is one transaction whatever the plan,
    the account cache cold; only a text the heuristics call spam reads the account, to learn whether
    the plan screens it."""
    from helpdesk.store import accounts

    switch(api, owner, plan)
    number = customer_number()
    text(brand, number, "where is my order?")  # the ticket exists; the address lookup is cached
    accounts._account_cache.clear()
    with aws_requests() as follow_up:
        text(brand, number, "order number is 10482")
    assert follow_up == ["TransactWriteItems"]
    with aws_requests() as spam:
        text(brand, number, GIFT_CARD)
    assert spam == ["GetItem", "TransactWriteItems"]


# --- the admin CLI ----------------------------------------------------------------------------------------

def test_the_admin_cli_connects_only_web_chat_to_an_inbox_account_and_makes_one_agent(
        pool: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts
    from infra import admin

    def run(*argv: str) -> int:
        return admin.main(["--table", os.environ["TABLE_NAME"], "--user-pool", pool.pool_id, *argv])

    account = "acct-" + uuid.uuid4().hex[:10]
    number = "+14155550" + str(uuid.uuid4().int % 900 + 100)
    assert run("account", account, "Small Shop", "--plan", "inbox") == 0
    assert "plan=inbox" in capsys.readouterr().out
    assert run("address", account, "sms", number) == 1
    error = capsys.readouterr().err
    assert "refused: sms is not connected" in error and "helpdesk plan" in error and "inbox plan" in error
    assert accounts.channel_addresses(account, Channel.SMS) == []
    assert run("address", account, "webchat", account) == 0
    assert accounts.channel_addresses(account, Channel.WEBCHAT) == [account]

    assert run("agent", account, f"first-{uuid.uuid4().hex[:6]}@shop.example", "--no-email") == 0
    capsys.readouterr()
    assert run("agent", account, f"second-{uuid.uuid4().hex[:6]}@shop.example", "--no-email") == 1
    assert "more than one agent comes with the helpdesk plan" in capsys.readouterr().err

    # The paid plan connects every channel.
    paid = "acct-" + uuid.uuid4().hex[:10]
    assert run("account", paid, "Big Shop") == 0
    assert run("address", paid, "sms", number) == 0
    assert accounts.channel_addresses(paid, Channel.SMS) == [number]


def test_round_robin_on_a_downgraded_account_keeps_its_active_agents(
        api: Any, owner: Member, brand: Brand) -> None:
    """What a downgrade does with several agents active: nothing (no migration); the rotation goes on
    over them, and the free plan only keeps a second one from being added or reactivated."""
    online, _ = add_agents(brand.account_id, online=2)
    settle(brand)
    switch(api, owner, "inbox")
    numbers = [customer_number() for _ in range(2)]
    for number in numbers:
        text(brand, number, "hello?")
    settle(brand)
    assert sorted(ticket_of(brand, n)["assignee_id"] for n in numbers) == online
