"""The WhatsApp webhook Lambda (Meta WhatsApp Cloud API) against moto: verification handshake,
signed notifications, message types, keywords and bad input."""
from __future__ import annotations

import json
import os
import time
import uuid
from typing import Any

import pytest

from functions.webhooks import whatsapp
from helpdesk.auth import AgentIdentity
from helpdesk.conversation import Channel
from helpdesk.store import accounts
from helpdesk.store.tickets import get_ticket
from helpdesk.workspace import ticket_detail
from tests.conftest import Brand, customer_number
from tests.integration import tables
from tests.integration.agents import settle
from tests.integration.edits import update_ticket
from tests.providers import gateway_event, meta_signature, whatsapp_event, whatsapp_payload


def _secret() -> str:
    return os.environ["META_APP_SECRET"]


def post(payload: dict[str, Any] | bytes, **kwargs: Any) -> dict[str, Any]:
    return whatsapp.handler(whatsapp_event(_secret(), payload, **kwargs), None)


def send(brand: Brand, customer: str, message: dict[str, Any], name: str = "Kim") -> tuple[dict[str, Any], str]:
    """Post one customer message; the response and the message's wamid."""
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer.lstrip("+"),
                               message, name=name)
    response = post(payload)
    return response, payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]


def text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body}}


def assert_ok(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 200, response


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


def only_message(brand: Brand) -> dict[str, Any]:
    ticket = only_ticket(brand)
    found = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert len(found) == 1, found
    return found[0]


def agent(brand: Brand) -> AgentIdentity:
    return AgentIdentity(agent_id="agent-1", account_id=brand.account_id, roles=("support",))


# --- verification handshake ---------------------------------------------------------------------------

def verification(token: str, challenge: str = "1158201444") -> dict[str, Any]:
    return gateway_event("GET", "/webhooks/whatsapp", query={
        "hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": challenge})


def test_verification_with_the_right_token_echoes_the_challenge() -> None:
    response = whatsapp.handler(verification(os.environ["META_VERIFY_TOKEN"], "8675309"), None)
    assert response["statusCode"] == 200
    ctype = {k.lower(): v for k, v in response["headers"].items()}["content-type"]
    assert ctype.split(";")[0].strip() == "text/plain"
    assert response["body"] == "8675309"


def test_verification_with_a_wrong_token_is_403() -> None:
    response = whatsapp.handler(verification("guess"), None)
    assert response["statusCode"] == 403
    assert "1158201444" not in response["body"]


# --- message types ----------------------------------------------------------------------------------

def test_text_message_opens_a_ticket_and_names_the_contact(brand: Brand) -> None:
    customer = customer_number()
    response, wamid = send(brand, customer, text("Is the blue one back in stock?"), name="Ada Lovelace")
    assert_ok(response)
    ticket = only_ticket(brand)
    assert (ticket["status"], ticket["channel"], ticket["contact"]) == ("open", "whatsapp", customer)
    assert ticket["message_count"] == 1
    message = only_message(brand)
    assert message["body"] == "Is the blue one back in stock?"
    assert message["message_id"] == wamid and message["direction"] == "inbound"
    assert ticket["contact_name"] == "Ada Lovelace"
    events = settle(brand)  # the new customer's contact follows from the stream
    contact = accounts.get_contact(brand.account_id, Channel.WHATSAPP, customer)
    assert contact is not None and contact.name == "Ada Lovelace"
    assert [(e["type"], e["ticket_id"]) for e in events] == [("ticket.created", ticket["ticket_id"])]


def test_follow_up_joins_and_closed_ticket_reopens_the_same(brand: Brand) -> None:
    customer = customer_number()
    assert_ok(send(brand, customer, text("hello"))[0])
    ticket_id = only_ticket(brand)["ticket_id"]
    assert_ok(send(brand, customer, text("anyone there?"))[0])
    assert only_ticket(brand)["message_count"] == 2
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")
    assert_ok(send(brand, customer, text("one more thing"))[0])
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id and ticket["status"] == "open" and ticket["message_count"] == 3
    assert [m["body"] for m in ticket_detail(agent(brand), ticket_id)["messages"]] == [
        "hello", "anyone there?", "one more thing"]


def test_image_keeps_its_media_id_as_reference(brand: Brand) -> None:
    media_id = str(uuid.uuid4().int % 10**16)
    response, _ = send(brand, customer_number(), {"type": "image", "image": {
        "id": media_id, "mime_type": "image/jpeg", "sha256": "abc", "caption": "it arrived broken"}})
    assert_ok(response)
    message = only_message(brand)
    assert len(message["media"]) == 1
    assert media_id in message["media"][0]["url"]
    assert message["media"][0].get("content_type") == "image/jpeg"
    assert message["body"] == "it arrived broken"


def test_location_keeps_the_coordinates(brand: Brand) -> None:
    response, _ = send(brand, customer_number(), {"type": "location", "location": {
        "latitude": 37.483307, "longitude": -122.148981, "name": "Pablo Morales", "address": "1 Hacker Way"}})
    assert_ok(response)
    message = only_message(brand)
    kept = json.dumps(message, default=str)
    assert "37.483307" in kept and "-122.148981" in kept
    assert "1 Hacker Way" in kept


def test_interactive_button_reply_is_a_message_with_the_button_title(brand: Brand) -> None:
    response, _ = send(brand, customer_number(), {"type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": "track-order", "title": "Track my order"}}})
    assert_ok(response)
    assert only_message(brand)["body"] == "Track my order"


def test_button_reply_titled_like_a_keyword_is_still_a_ticket_message(brand: Brand) -> None:
    """A tapped button is not a typed keyword: a "Yes" answer to "Did this help?" must reach the ticket
    and must not change the customer's consent."""
    customer = customer_number()
    response, _ = send(brand, customer, {"type": "interactive", "interactive": {
        "type": "button_reply", "button_reply": {"id": "helped-yes", "title": "Yes"}}})
    assert_ok(response)
    assert only_message(brand)["body"] == "Yes"


def test_statuses_of_unknown_messages_store_no_message(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    customer = customer_number().lstrip("+")
    statuses = [{"id": "wamid." + uuid.uuid4().hex, "status": s, "timestamp": "1700000000",
                 "recipient_id": customer} for s in ("sent", "delivered", "read")]
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer, statuses=statuses)
    assert_ok(post(payload))
    # No message, no ticket: a report of a message never recorded as ours is only parked on its
    # provider id (in case the record of the send is about to land), and expires in a day.
    added = [json.loads(i) for i in tables.snapshot(brand.account_id) - before]
    assert added and all(i["type"] == "message_ref" and i["event"] == "status" for i in added), added
    assert all(0 < int(i["expires_at"]) - time.time() <= 24 * 3600 for i in added)
    assert tables.queue_depth(brand.queue_url) == 0


def test_reply_keeps_the_context_message_id(brand: Brand) -> None:
    original = "wamid." + uuid.uuid4().hex
    response, _ = send(brand, customer_number(), {**text("yes, that one"), "context": {
        "from": brand.wa_display_number.lstrip("+"), "id": original}})
    assert_ok(response)
    message = only_message(brand)
    assert original in (message.get("extra") or {}).values()


# --- keywords ----------------------------------------------------------------------------------------

def whatsapp_consent(brand: Brand, customer: str) -> str | None:
    contact = accounts.get_contact(brand.account_id, Channel.WHATSAPP, customer)
    assert contact is not None
    profile = accounts.get_profile(brand.account_id, contact.profile_id)
    assert profile is not None
    return profile.consent_whatsapp


def test_stop_unsubscribes_and_creates_no_ticket(brand: Brand) -> None:
    customer = customer_number()
    assert_ok(send(brand, customer, text("STOP"))[0])
    assert whatsapp_consent(brand, customer) == "unsubscribed"
    assert tables.tickets(brand.account_id) == [] and tables.all_messages(brand.account_id) == []
    assert tables.queue_depth(brand.queue_url) == 0


def test_replayed_stop_after_start_does_not_undo_the_start(brand: Brand) -> None:
    customer = customer_number()
    stop = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer.lstrip("+"), text("stop"))
    assert_ok(post(stop))
    assert_ok(send(brand, customer, text("START"))[0])
    assert whatsapp_consent(brand, customer) == "subscribed"
    assert_ok(post(stop))
    assert whatsapp_consent(brand, customer) == "subscribed"
    assert tables.tickets(brand.account_id) == []


# --- bad input ----------------------------------------------------------------------------------------

def assert_refused(brand: Brand, before: frozenset[str], response: dict[str, Any], status: int) -> None:
    assert response["statusCode"] == status, response
    reason = json.loads(response["body"])
    assert isinstance(reason, dict) and reason.get("error") and len(str(reason["error"])) < 200
    assert tables.snapshot(brand.account_id) == before, "a refused request wrote to the table"
    assert tables.queue_depth(brand.queue_url) == 0


def a_message(brand: Brand) -> dict[str, Any]:
    return whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer_number().lstrip("+"),
                            text("refund me"))


def test_malformed_json_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post(b'{"object": "whatsapp_business_account", "entry": ['), 400)


def test_wrong_object_type_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    payload = {**a_message(brand), "object": "page"}
    assert_refused(brand, before, post(payload), 400)


def test_wrong_content_type_is_415(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    event = whatsapp_event(_secret(), a_message(brand))
    event["headers"]["Content-Type"] = "text/plain"
    assert_refused(brand, before, whatsapp.handler(event, None), 415)


def test_bad_signature_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    payload = a_message(brand)
    forged = meta_signature("not-the-app-secret", json.dumps(payload).encode())
    assert_refused(brand, before, post(payload, signature=forged), 403)


def test_signature_of_another_body_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    other = meta_signature(_secret(), json.dumps(a_message(brand)).encode())
    assert_refused(brand, before, post(a_message(brand), signature=other), 403)


def test_missing_signature_is_401(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    event = whatsapp_event(_secret(), a_message(brand))
    del event["headers"]["X-Hub-Signature-256"]
    assert_refused(brand, before, whatsapp.handler(event, None), 401)


def test_unknown_phone_number_id_is_404_and_writes_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    payload = whatsapp_payload("999" + str(uuid.uuid4().int % 10**12), "+12125550000",
                               customer_number().lstrip("+"), text("hello"))
    assert_refused(brand, before, post(payload), 404)


@pytest.mark.parametrize("unknown_first", [False, True])
def test_unknown_number_beside_a_known_one_stores_the_known_ones_message(brand: Brand, unknown_first: bool) -> None:
    known = a_message(brand)
    unknown = whatsapp_payload("999" + str(uuid.uuid4().int % 10**12), "+12125550000",
                               customer_number().lstrip("+"), text("hello"))
    entries = unknown["entry"] + known["entry"] if unknown_first else known["entry"] + unknown["entry"]
    response = post({"object": "whatsapp_business_account", "entry": entries})
    assert_ok(response)  # a retry could not make the unknown number known: nothing to retry for
    assert json.loads(response["body"])["skipped"] == 1
    assert only_message(brand)["body"] == "refund me"


def test_a_batch_only_to_unknown_numbers_is_404_and_writes_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    unknown = whatsapp_payload("999" + str(uuid.uuid4().int % 10**12), "+12125550000",
                               customer_number().lstrip("+"), text("hello"))
    assert_refused(brand, before, post(unknown), 404)


def test_a_malformed_message_beside_good_ones_is_left_out_and_the_rest_stored(brand: Brand) -> None:
    good = a_message(brand)
    value = good["entry"][0]["changes"][0]["value"]
    value["messages"] = [{"type": "text", "text": {"body": "no sender"}, "id": "wamid.bad"}, *value["messages"]]
    response = post(good)
    assert_ok(response)
    assert json.loads(response["body"])["skipped"] == 1
    assert only_message(brand)["body"] == "refund me"


@pytest.mark.parametrize("message", [{"type": "text", "text": {"body": "x"}, "from": ""},
                                     {"type": "image", "image": {"mime_type": "image/png"}}])
def test_unusable_message_is_400_and_writes_nothing(brand: Brand, message: dict[str, Any]) -> None:
    before = tables.snapshot(brand.account_id)
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number,
                               customer_number().lstrip("+"), message)
    assert_refused(brand, before, post(payload), 400)


def test_messages_delivered_out_of_order_keep_the_customers_order(brand: Brand) -> None:
    """Meta may deliver a later message first (a retry of an earlier one, or a batch out of order):
    the conversation shows them as the customer sent them."""
    import time as _time

    customer = customer_number()
    sent = int(_time.time())
    for body, at in (("second", sent - 5), ("first", sent - 60)):  # the later one arrives first
        payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer.lstrip("+"),
                                   {**text(body), "timestamp": str(at)})
        assert_ok(post(payload))
    ticket = only_ticket(brand)
    assert [m["body"] for m in tables.messages_of(brand.account_id, ticket["ticket_id"])] == ["first", "second"]


def test_a_provider_time_ahead_of_the_arrival_does_not_jump_the_queue(brand: Brand) -> None:
    import time as _time

    customer = customer_number()
    now = int(_time.time())
    # The first phone's clock is an hour ahead: its message sorts at its arrival, not in the future,
    # so the next one (a few seconds ahead: it too sorts at its arrival) still comes after it.
    for body, at in (("from a skewed phone", now + 3600), ("after it", now + 5)):
        payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer.lstrip("+"),
                                   {**text(body), "timestamp": str(at)})
        assert_ok(post(payload))
    ticket = only_ticket(brand)
    assert [m["body"] for m in tables.messages_of(brand.account_id, ticket["ticket_id"])] == [
        "from a skewed phone", "after it"]
