"""The SMS automations the worker runs for each customer SMS stored (layers/helpdesk/automations.py),
and what the spam heuristics of intake (helpdesk.spam) do to a ticket: through the real Twilio
webhook, the table's stream played through the pipe onto the test's queue, the worker Lambda's
handler over those records (twice, where a redelivery is the point), the Twilio stand-in's outbox
for the texts sent and moto's SES for the emails."""
from __future__ import annotations

import datetime as dt
import email
import email.policy
import email.utils
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import (
    TWILIO_TOKEN,
    add_agents,
    drain,
    failed_ids,
    invoke_assignment,
    settle,
    text,
    ticket_id_of,
)
from tests.providers import gateway_event, whatsapp_event, whatsapp_payload

META_SECRET = "meta-test-secret"  # as tests/conftest.py sets META_APP_SECRET
BRAND_NAME = "Test Brand"  # as the `brand` fixture's accounts.put_account names it
TEMPLATE = "Thanks for texting {{organization_prefix}}! We answer texts in the morning; urgent? Write to {{email}}."
TEAM = ["lead@team.example", "night@team.example"]

KOREAN_SMISHING = ("[Web발신] 고객님의 택배가 도로명주소 불일치로 보관 중입니다. "
                   "아래 링크에서 주소를 수정하세요 bit.ly/3kQx9Zp")
GIFT_CARD = "Congratulations! You have won a $1000 Amazon gift card, claim it now at bit.ly/4gFt2Qw"
SCAMS = {"korean-smishing": KOREAN_SMISHING, "gift-card": GIFT_CARD}
TRACKING_QUESTION = ("Hi, my order #1042 has said in transit for a week: "
                     "https://www.ups.com/track?tracknum=1Z999AA10123456784 can you check?")



def texts_in(brand: Brand, body: str) -> tuple[str, str]:
    """A new customer texts the brand and the worker runs: their number and ticket."""
    number = customer_number()
    text(brand, number, body)
    settle(brand)
    return number, ticket_id_of(brand, number)

# --- the brand's settings, as an owner changes them (PATCH /api/settings) ---------------------------------

def owner(brand: Brand) -> Any:
    from helpdesk.auth import AgentIdentity

    return AgentIdentity("owner-1", brand.account_id, ("owner",))


def change_settings(brand: Brand, body: dict[str, Any]) -> None:
    from helpdesk import account_settings
    from helpdesk.store import accounts

    account_settings.change(owner(brand), body)
    accounts.forget_addresses()  # the worker runs in this process: it must read the change, not its cache


def autoresponder_on(brand: Brand, template: str = TEMPLATE) -> None:
    change_settings(brand, {"sms": {"autoresponder": {"enabled": True, "text": template}}})


def rendered(brand: Brand, template: str = TEMPLATE) -> str:
    return template.replace("{{organization_prefix}}", BRAND_NAME).replace("{{email}}", brand.support_email)


# --- what was sent and stored -----------------------------------------------------------------------------

def texts_to(standins: Any, number: str) -> list[dict[str, Any]]:
    """The SMS the Twilio stand-in accepted for `number`, oldest first."""
    return [m for m in standins.outbox() if m["channel"] == "sms" and m["to"] == number]


def all_texts(standins: Any) -> list[dict[str, Any]]:
    return [m for m in standins.outbox() if m["channel"] == "sms"]


def emails(brand: Brand) -> list[dict[str, Any]]:
    """The emails moto's SES sent from the brand's support address (this test's mail only), parsed:
    {to: [addresses], subject, body}."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    found = []
    for message in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages:
        if getattr(message, "source", None) != brand.support_email:
            continue
        parsed = email.message_from_bytes(message.raw_data.encode("utf-8", "surrogateescape"),
                                          policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        found.append({"to": sorted(a for _, a in email.utils.getaddresses([str(parsed["To"])])),
                      # moto lists a raw message's header recipients besides its Destinations
                      "destinations": sorted(set(message.destinations)),
                      "subject": str(parsed["Subject"]),
                      "body": body.get_content() if body is not None else ""})  # type: ignore[attr-defined]
    return found


def messages(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return tables.messages_of(brand.account_id, ticket_id)


def autoresponses(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in messages(brand, ticket_id) if m["direction"] == "outbound"]


def profile_of(brand: Brand, ticket_id: str) -> Any:
    from helpdesk.store import accounts
    from helpdesk.store import tickets as ticket_store

    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    return accounts.get_profile(brand.account_id, str(ticket.profile_id))


def answered_yesterday(brand: Brand, ticket_id: str) -> None:
    """The customer's autoresponse went out yesterday (as if the day had turned since)."""
    from helpdesk.store.models import Profile

    profile = profile_of(brand, ticket_id)
    assert profile is not None and profile.sms_autoreplied_on == dt.datetime.now(dt.UTC).date().isoformat()
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    profile.update(actions=[Profile.sms_autoreplied_on.set(yesterday)])


def stored(brand: Brand, ticket_id: str) -> dict[str, Any]:
    found = tables.ticket_item(brand.account_id, ticket_id)
    assert found is not None, ticket_id
    return found


def view_ids(brand: Brand, view: str, agent_id: str = "") -> list[str]:
    from helpdesk.store import tickets as ticket_store

    items, _ = ticket_store.view_query(brand.account_id, view, None, agent_id, None, 100)
    return sorted(t.ticket_id for t in items)


def run_twice(records: list[dict[str, Any]]) -> None:
    """The worker over the same records twice: the queue redelivering every one of them."""
    for _ in range(2):
        for start in range(0, len(records), 10):
            assert failed_ids(invoke_assignment(records[start:start + 10])) == []


def inbound_sms_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def is_inbound_sms(record: dict[str, Any]) -> bool:
        image = json.loads(record["body"])["dynamodb"].get("NewImage") or {}
        return image.get("type", {}).get("S") == "message" and image.get("direction", {}).get("S") == "inbound"

    return [r for r in records if is_inbound_sms(r)]


# --- 1. the autoresponder -------------------------------------------------------------------------------

def test_a_customer_without_consent_gets_one_autoresponse_from_the_number_they_wrote_to(
        brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number, ticket_id = texts_in(brand, "hi, do you have the linen shirt in M?")

    [sent] = texts_to(standins, number)
    assert sent["body"] == rendered(brand)
    assert sent["body"] == (f"Thanks for texting Test Brand! We answer texts in the morning; urgent? "
                            f"Write to {brand.support_email}.")
    assert sent["from"] == brand.sms_number
    assert len(all_texts(standins)) == 1

    [kept] = autoresponses(brand, ticket_id)
    assert (kept["direction"], kept["automatic"], kept["sender"], kept["body"]) == (
        "outbound", True, "autoresponder", rendered(brand))
    assert kept["channel"] == "sms" and kept["extra"]["provider_id"] == sent["id"]

    # ... and the agent sees it in the ticket screen, after the customer's message.
    from helpdesk.workspace import ticket_detail

    shown = ticket_detail(owner(brand), ticket_id)["messages"]
    assert [(m["direction"], m["body"], m.get("automatic", False)) for m in shown] == [
        ("inbound", "hi, do you have the linen shirt in M?", False), ("outbound", rendered(brand), True)]


def test_more_texts_the_same_day_get_no_more_autoresponses_and_the_next_day_one_more(
        brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number, ticket_id = texts_in(brand, "hi, do you have the linen shirt in M?")
    text(brand, number, "also in navy?")
    settle(brand)
    text(brand, number, "hello??")
    settle(brand)
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert [m["direction"] for m in messages(brand, ticket_id)] == ["inbound", "outbound", "inbound", "inbound"]

    answered_yesterday(brand, ticket_id)
    text(brand, number, "good morning, any news?")
    settle(brand)
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)] * 2
    assert len(autoresponses(brand, ticket_id)) == 2


def test_a_subscribed_customer_gets_no_autoresponse(brand: Brand, standins: Any) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    autoresponder_on(brand)
    number = customer_number()
    accounts.put_customer(brand.account_id, Channel.SMS, number, "Kim", "subscribed")
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    assert all_texts(standins) == []
    assert autoresponses(brand, ticket_id_of(brand, number)) == []


def test_a_customer_who_texted_stop_is_never_autoresponded_and_stop_is_no_ticket_message(
        brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number = customer_number()
    text(brand, number, "STOP")
    settle(brand)
    assert tables.ticket_item(brand.account_id, ticket_id_of(brand, number)) is None  # a keyword makes no ticket
    text(brand, number, "wait, one last question: do you ship to Canada?")
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    assert [(m["direction"], m["body"]) for m in messages(brand, ticket_id)] == [
        ("inbound", "wait, one last question: do you ship to Canada?")]
    assert all_texts(standins) == []
    assert profile_of(brand, ticket_id).consent_sms == "unsubscribed"


def test_stop_after_an_autoresponse_stops_the_next_days_autoresponse(brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number, ticket_id = texts_in(brand, "hi, do you have the linen shirt in M?")
    text(brand, number, "stop")
    settle(brand)
    answered_yesterday(brand, ticket_id)
    text(brand, number, "actually, is it back in stock?")
    settle(brand)
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert [(m["direction"], m["body"]) for m in messages(brand, ticket_id)] == [
        ("inbound", "hi, do you have the linen shirt in M?"), ("outbound", rendered(brand)),
        ("inbound", "actually, is it back in stock?")]


def test_the_help_keyword_is_answered_inline_never_by_the_autoresponder(brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number = customer_number()
    text(brand, number, "HELP")
    settle(brand)
    assert all_texts(standins) == []
    assert tables.ticket_item(brand.account_id, ticket_id_of(brand, number)) is None


@pytest.mark.parametrize("setting", [
    None,  # the default: off
    {"enabled": False, "text": TEMPLATE},
    {"enabled": True, "text": "   "},
], ids=["default", "disabled", "blank-text"])
def test_no_autoresponse_when_the_autoresponder_is_off(
        brand: Brand, standins: Any, setting: dict[str, Any] | None) -> None:
    if setting is not None:
        change_settings(brand, {"sms": {"autoresponder": setting}})
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    assert all_texts(standins) == []
    assert autoresponses(brand, ticket_id_of(brand, number)) == []


def test_the_inbox_plan_has_no_autoresponder_whatever_its_settings(brand: Brand, standins: Any) -> None:
    change_settings(brand, {"plan": "inbox", "sms": {"autoresponder": {"enabled": True, "text": TEMPLATE}}})
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    assert all_texts(standins) == []
    assert autoresponses(brand, ticket_id_of(brand, number)) == []
    # The setting waits for the paid plan: back on it, the next customer is answered.
    change_settings(brand, {"plan": "helpdesk"})
    other = customer_number()
    text(brand, other, "hello?")
    settle(brand)
    assert [(m["to"], m["body"]) for m in all_texts(standins)] == [(other, rendered(brand))]


def test_a_redelivered_event_sends_no_second_autoresponse(aws: Aws, brand: Brand, standins: Any) -> None:
    autoresponder_on(brand)
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    assert len(inbound_sms_records(records)) == 1
    run_twice(records)
    run_twice(inbound_sms_records(records))
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert len(autoresponses(brand, ticket_id_of(brand, number))) == 1


def test_twilio_refusing_an_opted_out_customer_records_the_opt_out_and_stores_nothing(
        brand: Brand, standins: Any) -> None:
    """The customer texted STOP to another number of the same Messaging Service: Twilio refuses (21610)."""
    autoresponder_on(brand)
    number = customer_number()
    standins.control(twilio_opted_out=[number])
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    assert all_texts(standins) == [] and autoresponses(brand, ticket_id) == []
    assert profile_of(brand, ticket_id).consent_sms == "unsubscribed"


# --- 2. the team notification ---------------------------------------------------------------------------

def notify(brand: Brand, addresses: list[str]) -> None:
    change_settings(brand, {"sms": {"notify_emails": addresses}})


def test_each_inbound_sms_emails_the_team_once(brand: Brand, standins: Any) -> None:
    notify(brand, TEAM)
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    text(brand, number, "also in navy?")
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    sent = emails(brand)
    assert [(m["to"], m["destinations"], m["subject"]) for m in sent] == [
        (TEAM, TEAM, f"New SMS from {number}")] * 2
    assert "hi, do you have the linen shirt in M?" in sent[0]["body"] and "navy" not in sent[0]["body"]
    assert "also in navy?" in sent[1]["body"] and "linen" not in sent[1]["body"]
    assert all(ticket_id in m["body"] for m in sent)
    assert all_texts(standins) == []  # the autoresponder is off: notifying the team texts nobody


def test_a_redelivered_event_emails_the_team_no_second_time(aws: Aws, brand: Brand) -> None:
    notify(brand, TEAM)
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    run_twice(records)
    run_twice(inbound_sms_records(records))
    assert [(m["to"], m["subject"]) for m in emails(brand)] == [(TEAM, f"New SMS from {number}")]


@pytest.mark.parametrize("addresses", [None, []], ids=["default", "emptied"])
def test_no_team_email_without_addresses(brand: Brand, addresses: list[str] | None) -> None:
    if addresses is not None:
        notify(brand, TEAM)
        notify(brand, addresses)
    text(brand, customer_number(), "hi, do you have the linen shirt in M?")
    settle(brand)
    assert emails(brand) == []


@contextmanager
def ses_unreachable(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SES does not answer: its endpoint refuses connections. (infra/local/faults.py answers only
    requests that carry an X-Amz-Target header, JSON-protocol services; SES speaks the query protocol,
    so the outage is made at the connection instead.) One attempt, so botocore does not spend
    seconds retrying a refused connection."""
    from helpdesk.store import mail as mail_store

    with monkeypatch.context() as patch:
        patch.setenv("AWS_ENDPOINT_URL_SES", "http://127.0.0.1:9")
        patch.setenv("AWS_MAX_ATTEMPTS", "1")
        mail_store._ses.cache_clear()
        try:
            yield
        finally:
            mail_store._ses.cache_clear()  # the next client is built on the real endpoint again


def test_an_ses_outage_fails_the_record_and_the_redelivery_emails_the_team_once(
        aws: Aws, brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.store.models import Message

    notify(brand, TEAM)
    autoresponder_on(brand)
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    [sms_record] = inbound_sms_records(records)
    with ses_unreachable(monkeypatch):
        assert failed_ids(invoke_assignment(records)) == [sms_record["messageId"]]
    assert emails(brand) == []
    ticket_id = ticket_id_of(brand, number)
    [inbound] = [m for m in messages(brand, ticket_id) if m["direction"] == "inbound"]
    assert "notified_at" not in inbound  # the claim was given back for the redelivery

    assert failed_ids(invoke_assignment([sms_record])) == []  # the queue redelivers the failed record
    assert failed_ids(invoke_assignment([sms_record])) == []  # ... and, at least once, again
    assert [(m["to"], m["subject"]) for m in emails(brand)] == [(TEAM, f"New SMS from {number}")]
    # The autoresponder, after the notification in the same record, ran once, on the redelivery.
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert Message.get(inbound["pk"], inbound["sk"], consistent_read=True).notified_at is not None


def test_a_notification_refused_for_good_is_not_retried(aws: Aws, brand: Brand) -> None:
    """SES refusing the sender (an identity no longer verified) is no outage: the record succeeds,
    nothing is sent, and a redelivery, even once the identity is back, does not try again."""
    notify(brand, TEAM)
    text(brand, customer_number(), "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    aws.client("ses").delete_identity(Identity=brand.support_email)
    try:
        for start in range(0, len(records), 10):
            assert failed_ids(invoke_assignment(records[start:start + 10])) == []
        assert emails(brand) == []
    finally:
        aws.client("ses").verify_email_identity(EmailAddress=brand.support_email)
    run_twice(records)
    assert emails(brand) == []


# --- 3. spam --------------------------------------------------------------------------------------------

@pytest.fixture
def everything_on(brand: Brand) -> list[str]:
    """Autoresponder and team notification on, two agents online (their coming online handled)."""
    change_settings(brand, {"sms": {"autoresponder": {"enabled": True, "text": TEMPLATE}, "notify_emails": TEAM}})
    online, _ = add_agents(brand.account_id, online=2)
    settle(brand)
    return online


@pytest.mark.parametrize("scam", list(SCAMS.values()), ids=list(SCAMS))
def test_a_scam_text_waits_in_the_spam_view_unassigned_unanswered_and_untold(
        brand: Brand, standins: Any, everything_on: list[str], scam: str) -> None:
    from helpdesk import workspace

    number = customer_number()
    text(brand, number, scam)
    settle(brand)
    ticket_id = ticket_id_of(brand, number)

    assert view_ids(brand, "spam") == [ticket_id]
    assert view_ids(brand, "all") == [] and view_ids(brand, "unassigned") == []
    assert all(view_ids(brand, "mine", agent) == [] for agent in everything_on)
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert stored is not None and stored["spam"] is True and stored.get("assignee_id") is None
    [message] = messages(brand, ticket_id)
    assert message["body"] == scam and "url_shortener" in message["extra"]["spam"]
    assert all_texts(standins) == []
    assert emails(brand) == []
    listed = workspace.list_tickets(owner(brand), {"view": "spam"})["items"]
    assert [(t["id"], t["spam"]) for t in listed] == [(ticket_id, True)]

    # "Not spam": back in All and Unassigned, out of the Spam view.
    assert workspace.patch_ticket(owner(brand), ticket_id, {"spam": False})["spam"] is False
    assert view_ids(brand, "spam") == []
    assert view_ids(brand, "all") == [ticket_id] and view_ids(brand, "unassigned") == [ticket_id]
    settle(brand)
    assert all_texts(standins) == [] and emails(brand) == []  # nothing is answered or told after the fact


def test_a_shoppers_text_with_a_tracking_link_is_no_spam(
        brand: Brand, standins: Any, everything_on: list[str]) -> None:
    number = customer_number()
    text(brand, number, TRACKING_QUESTION)
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    assert view_ids(brand, "spam") == []
    assert view_ids(brand, "all") == [ticket_id]
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert stored is not None and stored["spam"] is False and stored["assignee_id"] in everything_on
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert [(m["to"], m["subject"]) for m in emails(brand)] == [(TEAM, f"New SMS from {number}")]
    assert "ups.com/track" in emails(brand)[0]["body"]


def test_a_scam_text_in_a_customers_open_ticket_tells_nobody(
        brand: Brand, standins: Any, everything_on: list[str]) -> None:
    """The ticket stays where it is (a real customer's), but the spam message itself is not mailed
    to the team."""
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    text(brand, number, GIFT_CARD)
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    assert view_ids(brand, "spam") == [] and view_ids(brand, "all") == [ticket_id]
    assert [m["subject"] for m in emails(brand)] == [f"New SMS from {number}"]
    assert "linen" in emails(brand)[0]["body"]
    assert len(texts_to(standins, number)) == 1


def whatsapp_says(brand: Brand, body: str) -> str:
    from functions.webhooks import whatsapp
    from helpdesk.conversation import Channel, customer_ticket_id

    wa_id = "1650" + str(uuid.uuid4().int % 10**7).zfill(7)
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, wa_id,
                               {"type": "text", "text": {"body": body}})
    assert whatsapp.handler(whatsapp_event(META_SECRET, payload), None)["statusCode"] == 200
    return customer_ticket_id(brand.account_id, Channel.WHATSAPP, "+" + wa_id)


def test_whatsapp_spam_goes_to_the_spam_view_unassigned(brand: Brand, everything_on: list[str]) -> None:
    from helpdesk import workspace

    scam = "[코인 리딩방] 원금 보장! 하루 평균 300만원 수익, 지금 바로 가입하세요 ▶ open.kakao.com/o/gAbC123"
    spam_ticket = whatsapp_says(brand, scam)
    real_ticket = whatsapp_says(brand, "is the blue one back in stock?")
    settle(brand)
    assert view_ids(brand, "spam") == [spam_ticket]
    assert view_ids(brand, "all") == [real_ticket] and view_ids(brand, "unassigned") == []
    assert stored(brand, real_ticket)["assignee_id"] in everything_on
    assert stored(brand, spam_ticket).get("assignee_id") is None
    workspace.patch_ticket(owner(brand), spam_ticket, {"spam": False})
    assert view_ids(brand, "spam") == [] and view_ids(brand, "unassigned") == [spam_ticket]


def chat(brand: Brand, body: str) -> str:
    from functions.webhooks import webchat

    def call(path: str, payload: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        response = webchat.handler(gateway_event("POST", path, json.dumps(payload), headers), None)
        assert 200 <= response["statusCode"] < 300, response
        return dict(json.loads(response["body"]))

    token = call("/webchat/sessions", {})["token"]
    answer = call("/webhooks/webchat", {"type": "message", "message_id": uuid.uuid4().hex, "text": body}, token)
    return str(answer["ticket_id"])


def test_web_chat_spam_gets_no_autoresponse_and_no_agent(
        brand: Brand, everything_on: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    welcome = "Thanks! An agent will be with you shortly."
    change_settings(brand, {"webchat": {"autoresponder": {"open": welcome, "closed": welcome}}})
    spam_ticket = chat(brand, GIFT_CARD)
    real_ticket = chat(brand, "hi, quick question about sizes")
    settle(brand)
    assert view_ids(brand, "spam") == [spam_ticket] and view_ids(brand, "all") == [real_ticket]
    assert [m["body"] for m in autoresponses(brand, real_ticket)] == [welcome]
    assert autoresponses(brand, spam_ticket) == []
    assert stored(brand, real_ticket)["assignee_id"] in everything_on
    assert stored(brand, spam_ticket).get("assignee_id") is None


# --- more: the autoresponder's send failing, its delivery reports, two workers at once ----------------

def test_twilio_throttling_the_autoresponse_fails_the_record_and_the_redelivery_sends_it_once(
        aws: Aws, brand: Brand, standins: Any) -> None:
    change_settings(brand, {"sms": {"autoresponder": {"enabled": True, "text": TEMPLATE}, "notify_emails": TEAM}})
    number = customer_number()
    text(brand, number, "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    [sms_record] = inbound_sms_records(records)
    standins.control(throttle={"twilio": 1})
    assert failed_ids(invoke_assignment(records)) == [sms_record["messageId"]]
    assert texts_to(standins, number) == [] and autoresponses(brand, ticket_id_of(brand, number)) == []
    assert len(emails(brand)) == 1  # the team was told before the text was tried

    run_twice([sms_record])
    assert [m["body"] for m in texts_to(standins, number)] == [rendered(brand)]
    assert len(autoresponses(brand, ticket_id_of(brand, number))) == 1
    assert len(emails(brand)) == 1


def sms_status(brand: Brand, number: str, sid: str, status: str, error: str | None = None) -> None:
    """A Twilio status callback of one of our messages, signed, to the status route."""
    from functions.webhooks import sms
    from tests.providers import sms_event

    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": "AC" + "7" * 32, "From": brand.sms_number, "To": number,
              "ApiVersion": "2010-04-01", **({"ErrorCode": error} if error else {})}
    assert sms.handler(sms_event(TWILIO_TOKEN, params, path="/webhooks/sms/status"), None)["statusCode"] == 200


@pytest.mark.parametrize(("status", "error", "shown"), [
    ("delivered", None, "delivered"), ("undelivered", "30006", "failed")])
def test_twilios_delivery_reports_reach_the_autoresponse(
        brand: Brand, standins: Any, status: str, error: str | None, shown: str) -> None:
    """Twilio reports on the autoresponse as on any message sent with a StatusCallback; the agent
    sees on the ticket screen whether the customer got it (a landline never does)."""
    from helpdesk.workspace import ticket_detail

    autoresponder_on(brand)
    number, ticket_id = texts_in(brand, "hi, do you have the linen shirt in M?")
    [sent] = texts_to(standins, number)
    sms_status(brand, number, sent["id"], "sent")
    sms_status(brand, number, sent["id"], status, error)
    [auto] = [m for m in ticket_detail(owner(brand), ticket_id)["messages"] if m["direction"] == "outbound"]
    assert auto["delivery"] == shown
    if error:
        assert "landline" in auto["delivery_error"]


def test_a_record_handled_by_two_workers_at_once_texts_and_emails_once(
        aws: Aws, brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from aws_lambda_powertools.utilities.batch import EventType

    from functions import assignment as worker
    from helpdesk.store import mail as mail_store
    from helpdesk.store.models import Item
    from tests.integration.agents import PerThreadProcessor

    monkeypatch.setattr(worker, "processor", PerThreadProcessor(EventType.SQS))
    Item._get_connection().connection.client  # noqa: B018  (boto3 builds clients unsafely across threads)
    mail_store._ses()
    change_settings(brand, {"sms": {"autoresponder": {"enabled": True, "text": TEMPLATE}, "notify_emails": TEAM}})
    numbers = [customer_number() for _ in range(3)]
    for number in numbers:
        text(brand, number, "hi, do you have the linen shirt in M?")
    records = drain(aws, brand.queue_url, sms_cues=True)
    start = threading.Barrier(4)

    def instance(_: int) -> list[str]:
        start.wait(timeout=10)
        return failed_ids(invoke_assignment(records))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(instance, range(4))) == [[]] * 4
    assert sorted(m["to"] for m in all_texts(standins)) == sorted(numbers)
    assert sorted(m["subject"] for m in emails(brand)) == sorted(f"New SMS from {n}" for n in numbers)
    assert all(len(autoresponses(brand, ticket_id_of(brand, n))) == 1 for n in numbers)


def test_a_delivery_report_that_overtakes_the_recording_of_the_autoresponse_is_kept(
        brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio reports `delivered` before the worker has written the autoresponse it just sent."""
    from helpdesk.providers import twilio_api
    from helpdesk.workspace import ticket_detail

    real = twilio_api.send_message
    number = customer_number()

    def fast_carrier(*args: Any, **kwargs: Any) -> Any:
        sent = real(*args, **kwargs)
        sms_status(brand, number, sent.provider_id, "delivered")
        return sent

    monkeypatch.setattr(twilio_api, "send_message", fast_carrier)
    autoresponder_on(brand)
    text(brand, number, "hi, do you have the linen shirt in M?")
    settle(brand)
    [auto] = [m for m in ticket_detail(owner(brand), ticket_id_of(brand, number))["messages"]
              if m["direction"] == "outbound"]
    assert (auto["body"], auto["delivery"]) == (rendered(brand), "delivered")


def test_the_team_notification_says_it_is_automatic(brand: Brand) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    notify(brand, TEAM)
    text(brand, customer_number(), "hi, do you have the linen shirt in M?")
    settle(brand)
    [raw] = [m.raw_data for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
             if getattr(m, "source", None) == brand.support_email]
    assert email.message_from_string(raw)["Auto-Submitted"] == "auto-generated"
