"""The SMS webhook Lambda (Twilio Messaging) against moto: what it answers, and what it leaves in the
table and on the assignment queue."""
from __future__ import annotations

import base64
import json
import os
import time
import urllib.parse
import uuid
from typing import Any

import pytest

from functions.webhooks import sms
from helpdesk.auth import AgentIdentity
from helpdesk.conversation import Channel
from helpdesk.store import accounts
from helpdesk.store.tickets import get_ticket
from helpdesk.workspace import list_tickets, ticket_detail
from tests.conftest import Brand, customer_number
from tests.integration import tables
from tests.integration.agents import settle
from tests.integration.edits import update_ticket
from tests.providers import PUBLIC_HOST, gateway_event, sms_event, sms_params, twilio_signature


def _token() -> str:
    return os.environ["TWILIO_AUTH_TOKEN"]


def post(params: dict[str, str], **kwargs: Any) -> dict[str, Any]:
    return sms.handler(sms_event(_token(), params, **kwargs), None)


def agent(brand: Brand) -> AgentIdentity:
    return AgentIdentity(agent_id="agent-1", account_id=brand.account_id, roles=("support",))


def assert_twiml(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 200, response
    ctype = {k.lower(): v for k, v in response["headers"].items()}["content-type"]
    assert ctype.split(";")[0].strip() in ("text/xml", "application/xml"), ctype
    assert "<Response" in response["body"]


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


def consent(brand: Brand, number: str, channel: Channel = Channel.SMS) -> str | None:
    contact = accounts.get_contact(brand.account_id, channel, number)
    assert contact is not None, "the keyword left no contact to hang consent on"
    profile = accounts.get_profile(brand.account_id, contact.profile_id)
    assert profile is not None
    return profile.consent_sms if channel is Channel.SMS else profile.consent_whatsapp


# --- tickets ------------------------------------------------------------------------------------

def test_first_message_opens_follow_up_joins_and_closed_ticket_reopens_the_same(brand: Brand) -> None:
    customer = customer_number()
    assert_twiml(post(sms_params(customer, brand.sms_number, "where is my order?")))

    ticket = only_ticket(brand)
    ticket_id = ticket["ticket_id"]
    assert (ticket["status"], ticket["channel"], ticket["contact"]) == ("open", "sms", customer)
    assert ticket["message_count"] == 1
    stored = tables.messages_of(brand.account_id, ticket_id)
    assert [(m["body"], m["direction"]) for m in stored] == [("where is my order?", "inbound")]
    listed = list_tickets(agent(brand), {"view": "all"})["items"]
    assert [(t["id"], t["status"], t["contact"]) for t in listed] == [(ticket_id, "open", customer)]
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.created", ticket_id)]

    assert_twiml(post(sms_params(customer, brand.sms_number, "order #1001")))
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id and ticket["status"] == "open" and ticket["message_count"] == 2
    assert tables.drain(brand.queue_url) == []  # a follow-up to an open ticket: nothing for assignment

    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")
    assert tables.ticket_item(brand.account_id, ticket_id)["status"] == "closed"

    assert_twiml(post(sms_params(customer, brand.sms_number, "it never came")))
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id
    assert ticket["status"] == "open" and ticket["message_count"] == 3
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.reopened", ticket_id)]
    detail = ticket_detail(agent(brand), ticket_id)
    assert detail["status"] == "open"
    assert [m["body"] for m in detail["messages"]] == ["where is my order?", "order #1001", "it never came"]
    assert len(tables.all_messages(brand.account_id)) == 3


def test_answers_twiml_with_an_xml_content_type(brand: Brand) -> None:
    response = post(sms_params(customer_number(), brand.sms_number, "hi"))
    assert_twiml(response)
    assert response["body"].lstrip().startswith(("<?xml", "<Response"))


def test_media_message_keeps_every_media_reference(brand: Brand) -> None:
    customer = customer_number()
    urls = [f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM{i}/Media/ME{uuid.uuid4().hex}"
            for i in range(2)]
    params = sms_params(customer, brand.sms_number, "", NumMedia="2", MediaUrl0=urls[0], MediaUrl1=urls[1],
                        MediaContentType0="image/jpeg", MediaContentType1="image/png")
    assert_twiml(post(params))

    ticket = only_ticket(brand)
    [message] = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert [(m["url"], m.get("content_type")) for m in message["media"]] == [
        (urls[0], "image/jpeg"), (urls[1], "image/png")]
    detail = ticket_detail(agent(brand), ticket["ticket_id"])
    assert [m["url"] for m in detail["messages"][0]["media"]] == urls


def test_status_callback_of_an_unknown_message_stores_no_message_and_answers_twiml(brand: Brand) -> None:
    customer = customer_number()
    before = tables.snapshot(brand.account_id)
    # A status callback reports one of our own messages: from our number to the customer.
    params = sms_params(brand.sms_number, customer, "", MessageStatus="delivered", SmsStatus="delivered")
    assert_twiml(post(params))
    # No message, no ticket: a report of a message never recorded as ours is only parked on its
    # provider id (in case the record of the send is about to land), and expires in a day.
    added = [json.loads(i) for i in tables.snapshot(brand.account_id) - before]
    assert added and all(i["type"] == "message_ref" and i["event"] == "status" for i in added), added
    assert all(0 < int(i["expires_at"]) - time.time() <= 24 * 3600 for i in added)
    assert tables.queue_depth(brand.queue_url) == 0


@pytest.mark.parametrize("shape", ["{n}", "({a}) {b}-{c}", "{a}-{b}-{c}", "1{n}"])
def test_national_looking_from_is_normalised_to_e164(brand: Brand, shape: str) -> None:
    customer = customer_number()  # +1650xxxxxxx; Twilio says FromCountry=US
    national = customer[2:]
    raw = shape.format(n=national, a=national[:3], b=national[3:6], c=national[6:])
    response = post(sms_params(raw, brand.sms_number, "hello"))
    assert_twiml(response)
    ticket = only_ticket(brand)
    assert ticket["contact"] == customer
    settle(brand)  # the new customer's contact follows from the stream
    assert accounts.get_contact(brand.account_id, Channel.SMS, customer) is not None


# --- compliance keywords ----------------------------------------------------------------------------

def assert_no_ticket_and_no_message(brand: Brand) -> None:
    assert tables.tickets(brand.account_id) == []
    assert tables.all_messages(brand.account_id) == []
    assert tables.queue_depth(brand.queue_url) == 0


@pytest.mark.parametrize("word", ["STOP", "stop", " Stop "])
def test_stop_unsubscribes_and_creates_no_ticket(brand: Brand, word: str) -> None:
    customer = customer_number()
    assert_twiml(post(sms_params(customer, brand.sms_number, word)))
    assert consent(brand, customer) == "unsubscribed"
    assert_no_ticket_and_no_message(brand)


def test_start_subscribes_again(brand: Brand) -> None:
    customer = customer_number()
    assert_twiml(post(sms_params(customer, brand.sms_number, "STOP")))
    assert consent(brand, customer) == "unsubscribed"
    assert_twiml(post(sms_params(customer, brand.sms_number, "START")))
    assert consent(brand, customer) == "subscribed"
    assert_no_ticket_and_no_message(brand)


def test_help_creates_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    assert_twiml(post(sms_params(customer_number(), brand.sms_number, "HELP")))
    assert_no_ticket_and_no_message(brand)
    assert tables.snapshot(brand.account_id) == before


def test_stop_inside_a_sentence_is_a_normal_message(brand: Brand) -> None:
    customer = customer_number()
    assert_twiml(post(sms_params(customer, brand.sms_number, "stop texting me")))
    ticket = only_ticket(brand)
    assert ticket["contact"] == customer
    assert [m["body"] for m in tables.messages_of(brand.account_id, ticket["ticket_id"])] == ["stop texting me"]
    settle(brand)
    assert consent(brand, customer) is None


def test_replayed_stop_after_a_later_start_does_not_undo_the_start(brand: Brand) -> None:
    customer = customer_number()
    stop = sms_params(customer, brand.sms_number, "STOP")
    assert_twiml(post(stop))
    assert_twiml(post(sms_params(customer, brand.sms_number, "START")))
    assert consent(brand, customer) == "subscribed"
    assert_twiml(post(stop))  # Twilio retries the old STOP (same MessageSid)
    assert consent(brand, customer) == "subscribed"
    assert_no_ticket_and_no_message(brand)


# --- bad input ----------------------------------------------------------------------------------------

def assert_refused(brand: Brand, before: frozenset[str], response: dict[str, Any], status: int) -> None:
    assert response["statusCode"] == status, response
    reason = json.loads(response["body"])
    assert isinstance(reason, dict) and reason.get("error") and len(str(reason["error"])) < 200
    assert tables.snapshot(brand.account_id) == before, "a refused request wrote to the table"
    assert tables.queue_depth(brand.queue_url) == 0


def signed_raw(body: bytes, params: dict[str, str], content_type: str = "application/x-www-form-urlencoded",
               ) -> dict[str, Any]:
    sig = twilio_signature(_token(), f"https://{PUBLIC_HOST}/webhooks/sms", params)
    return gateway_event("POST", "/webhooks/sms", body, {"Content-Type": content_type, "X-Twilio-Signature": sig})


def test_wrong_content_type_is_415(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    params = sms_params(customer_number(), brand.sms_number, "hi")
    event = signed_raw(json.dumps(params).encode(), params, content_type="application/json")
    assert_refused(brand, before, sms.handler(event, None), 415)


@pytest.mark.parametrize("body", [b"MessageSid=SM1&From", b"a=1&&=&", b"Body=%FF%FE&From=x"])
def test_malformed_form_body_is_400(brand: Brand, body: bytes) -> None:
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, sms.handler(signed_raw(body, {}), None), 400)


@pytest.mark.parametrize("missing", ["MessageSid", "From", "To"])
def test_missing_required_field_is_400(brand: Brand, missing: str) -> None:
    before = tables.snapshot(brand.account_id)
    params = sms_params(customer_number(), brand.sms_number, "hi")
    drop = {"MessageSid", "SmsSid", "SmsMessageSid"} if missing == "MessageSid" else {missing}
    params = {k: v for k, v in params.items() if k not in drop}
    assert_refused(brand, before, post(params), 400)


def test_oversize_body_is_413(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    params = sms_params(customer_number(), brand.sms_number, "x" * (65 * 1024))
    assert len(urllib.parse.urlencode(params)) > 64 * 1024
    assert_refused(brand, before, post(params), 413)


def test_body_flagged_base64_that_is_not_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    event = sms_event(_token(), sms_params(customer_number(), brand.sms_number, "hi"))
    event["body"] = "this is %% not base64 !!"
    assert_refused(brand, before, sms.handler(event, None), 400)


def test_forged_signature_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    params = sms_params(customer_number(), brand.sms_number, "send me a refund")
    forged = twilio_signature("not-the-auth-token", f"https://{PUBLIC_HOST}/webhooks/sms", params)
    assert_refused(brand, before, post(params, signature=forged), 403)


def test_signature_of_other_parameters_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    params = sms_params(customer_number(), brand.sms_number, "hello")
    event = sms_event(_token(), params)
    tampered = {**params, "Body": "send me a refund"}
    event["body"] = base64.b64encode(urllib.parse.urlencode(tampered).encode()).decode()
    assert_refused(brand, before, sms.handler(event, None), 403)


def test_missing_signature_is_401(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    event = sms_event(_token(), sms_params(customer_number(), brand.sms_number, "hi"))
    del event["headers"]["X-Twilio-Signature"]
    assert_refused(brand, before, sms.handler(event, None), 401)


def test_number_of_no_account_is_404_and_writes_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    nobody = "+1212" + str(uuid.uuid4().int % 10**7).zfill(7)
    customer = customer_number()
    assert_refused(brand, before, post(sms_params(customer, nobody, "hello")), 404)
    assert_refused(brand, before, post(sms_params(customer, nobody, "STOP")), 404)
