"""The Instagram webhook Lambda (Meta Instagram Messaging) against moto: verification handshake, signed
notifications in Meta's envelope, the Instagram ticket rule (a new ticket while none is open, follow-ups
join, closed means the next message opens a new one), story replies and mentions, echoes, deletes, bad
input, and exactly once under replays and races. Judged by what the table and the queue hold."""
from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.webhooks import instagram
from helpdesk.auth import AgentIdentity
from helpdesk.store.tickets import get_ticket
from helpdesk.workspace import ticket_detail
from tests.conftest import Brand
from tests.integration import tables
from tests.integration.edits import update_ticket
from tests.providers import gateway_event, meta_signature

PATH = "/webhooks/instagram"


def _secret() -> str:
    return os.environ["META_APP_SECRET"]


@pytest.fixture(autouse=True)
def _warm_clients(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the product's lazily built AWS clients before threads race to build them (boto3's default
    session is not thread-safe while it makes a client; a Lambda instance never serves two requests
    at once)."""
    from helpdesk.store.models import Item

    Item._get_connection().connection.client  # noqa: B018


# --- what Meta sends ------------------------------------------------------------------------------------

def igsid() -> str:
    """An Instagram-scoped user id: a long decimal string."""
    return str(10**15 + uuid.uuid4().int % 10**16)


def new_mid() -> str:
    return "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOj" + uuid.uuid4().hex


def messaging(sender: str, recipient: str, message: dict[str, Any] | None = None,
              **other: Any) -> dict[str, Any]:
    """One `entry[].messaging[]` item; `message` gets a fresh `mid` unless it has one."""
    event: dict[str, Any] = {"sender": {"id": sender}, "recipient": {"id": recipient},
                             "timestamp": int(time.time() * 1000), **other}
    if message is not None:
        event["message"] = {"mid": new_mid(), **message}
    return event


def envelope(brand_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {"object": "instagram",
            "entry": [{"time": int(time.time() * 1000), "id": brand_id, "messaging": list(items)}]}


def signed_event(payload: dict[str, Any] | bytes, signature: str | None = None,
                 content_type: str = "application/json") -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = {"Content-Type": content_type, "X-Hub-Signature-256": signature or meta_signature(_secret(), raw)}
    return gateway_event("POST", PATH, raw, headers)


def post(payload: dict[str, Any] | bytes, **kwargs: Any) -> dict[str, Any]:
    return instagram.handler(signed_event(payload, **kwargs), None)


def dm_payload(brand: Brand, customer: str, text: str = "hi", **message: Any) -> dict[str, Any]:
    return envelope(brand.instagram_id, messaging(customer, brand.instagram_id, {"text": text, **message}))


def mid_of(payload: dict[str, Any]) -> str:
    return str(payload["entry"][0]["messaging"][0]["message"]["mid"])


def dm(brand: Brand, customer: str, text: str = "hi", **message: Any) -> str:
    """Post one customer DM; asserts it was taken; returns its mid."""
    payload = dm_payload(brand, customer, text, **message)
    assert_ok(post(payload))
    return mid_of(payload)


def echo(brand: Brand, customer: str, text: str) -> dict[str, Any]:
    """The brand's own message (sent from the Instagram app) echoed back to us."""
    return post(envelope(brand.instagram_id,
                         messaging(brand.instagram_id, customer, {"text": text, "is_echo": True})))


def assert_ok(response: dict[str, Any]) -> None:
    assert response["statusCode"] == 200, response


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


def tickets_by_age(brand: Brand) -> list[dict[str, Any]]:
    return sorted(tables.tickets(brand.account_id), key=lambda t: t["created_at"])


def agent(brand: Brand) -> AgentIdentity:
    return AgentIdentity(agent_id="agent-1", account_id=brand.account_id, roles=("owner",))


def detail_messages(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return list(ticket_detail(agent(brand), ticket_id)["messages"])


def close(brand: Brand, ticket_id: str) -> None:
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")


def all_at_once(calls: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


# --- verification handshake -------------------------------------------------------------------------------

def verification(token: str, challenge: str = "1158201444") -> dict[str, Any]:
    return gateway_event("GET", PATH, query={"hub.mode": "subscribe", "hub.verify_token": token,
                                             "hub.challenge": challenge})


def test_verification_with_the_right_token_echoes_the_challenge_as_plain_text() -> None:
    response = instagram.handler(verification(os.environ["META_VERIFY_TOKEN"], "424242"), None)
    assert response["statusCode"] == 200
    ctype = {k.lower(): v for k, v in response["headers"].items()}["content-type"]
    assert ctype.split(";")[0].strip() == "text/plain"
    assert response["body"] == "424242"


def test_verification_with_a_wrong_token_is_403() -> None:
    response = instagram.handler(verification("guess"), None)
    assert response["statusCode"] == 403
    assert "1158201444" not in response["body"]


# --- the ticket rule ------------------------------------------------------------------------------------

def test_dm_opens_a_ticket_whose_contact_is_the_igsid(brand: Brand) -> None:
    customer = igsid()
    mid = dm(brand, customer, "Do you ship to Busan?")
    ticket = only_ticket(brand)
    assert (ticket["channel"], ticket["status"], ticket["contact"]) == ("instagram", "open", customer)
    assert ticket["message_count"] == 1
    [message] = detail_messages(brand, ticket["ticket_id"])
    assert (message["id"], message["direction"], message["body"]) == (mid, "inbound", "Do you ship to Busan?")
    sent = tables.drain(brand.queue_url)
    assert [(e["type"], e["ticket_id"]) for e in sent] == [("ticket.created", ticket["ticket_id"])]


def test_follow_ups_join_the_open_ticket(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "hello")
    dm(brand, customer, "anyone there?")
    dm(brand, customer, "my order is late")
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 3 and ticket["status"] == "open"
    assert [m["body"] for m in detail_messages(brand, ticket["ticket_id"])] == [
        "hello", "anyone there?", "my order is late"]
    assert [e["type"] for e in tables.drain(brand.queue_url)].count("ticket.created") == 1


def test_customers_get_tickets_of_their_own(brand: Brand) -> None:
    first, second = igsid(), igsid()
    dm(brand, first, "one")
    dm(brand, second, "two")
    assert sorted(t["contact"] for t in tables.tickets(brand.account_id)) == sorted([first, second])


def test_a_message_wakes_a_snoozed_ticket(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "hello")
    ticket_id = only_ticket(brand)["ticket_id"]
    update_ticket(get_ticket(brand.account_id, ticket_id), status="snoozed", snooze_until="2999-01-01T00:00:00.000Z")
    tables.drain(brand.queue_url)
    dm(brand, customer, "still waiting")
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id
    assert ticket["status"] == "open" and not ticket.get("snooze_until")
    assert ticket["message_count"] == 2
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.reopened", ticket_id)]


def test_after_close_the_next_message_opens_a_new_ticket(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "first question")
    first_id = only_ticket(brand)["ticket_id"]
    close(brand, first_id)
    tables.drain(brand.queue_url)

    dm(brand, customer, "second question")
    dm(brand, customer, "and a follow-up")
    old, new = tickets_by_age(brand)
    assert old["ticket_id"] == first_id and old["status"] == "closed" and old["message_count"] == 1
    assert new["ticket_id"] != first_id and new["status"] == "open" and new["contact"] == customer
    assert [m["body"] for m in detail_messages(brand, new["ticket_id"])] == ["second question", "and a follow-up"]
    assert sorted((e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)) == [
        ("ticket.created", new["ticket_id"])]

    close(brand, new["ticket_id"])
    dm(brand, customer, "third time")
    assert len(tables.tickets(brand.account_id)) == 3
    assert sorted(t["status"] for t in tables.tickets(brand.account_id)) == ["closed", "closed", "open"]


# --- story replies, mentions, attachments ---------------------------------------------------------------

def test_story_reply_keeps_the_story_reference(brand: Brand) -> None:
    story = {"id": "17858893269000001", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=1"}
    mid = dm(brand, igsid(), "where can I buy this?", reply_to={"story": story})
    ticket = only_ticket(brand)
    [message] = detail_messages(brand, ticket["ticket_id"])
    assert message["id"] == mid and message["body"] == "where can I buy this?"
    assert message["story"] == story


def test_story_mention_keeps_its_reference(brand: Brand) -> None:
    url = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=987654321&signature=abc"
    payload = envelope(brand.instagram_id, messaging(igsid(), brand.instagram_id, {
        "attachments": [{"type": "story_mention", "payload": {"url": url}}]}))
    assert_ok(post(payload))
    ticket = only_ticket(brand)
    [message] = detail_messages(brand, ticket["ticket_id"])
    assert message["id"] == mid_of(payload) and message["direction"] == "inbound"
    assert message["story"]["url"] == url


def test_image_attachment_is_kept_as_a_reference(brand: Brand) -> None:
    url = "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=555&signature=xyz"
    dm(brand, igsid(), "", attachments=[{"type": "image", "payload": {"url": url}}])
    [message] = detail_messages(brand, only_ticket(brand)["ticket_id"])
    assert [m["url"] for m in message["media"]] == [url]


# --- echoes -----------------------------------------------------------------------------------------------

def test_echo_is_stored_as_outbound_on_the_customers_open_ticket(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "is it in stock?")
    ticket = only_ticket(brand)
    tables.drain(brand.queue_url)
    assert_ok(echo(brand, customer, "Yes, ships tomorrow"))
    after = only_ticket(brand)
    assert after["ticket_id"] == ticket["ticket_id"] and after["status"] == "open"
    messages = detail_messages(brand, ticket["ticket_id"])
    assert [(m["direction"], m["body"]) for m in messages] == [
        ("inbound", "is it in stock?"), ("outbound", "Yes, ships tomorrow")]
    assert after["last_inbound_at"] == ticket["last_inbound_at"], "an echo is not customer activity"
    assert tables.queue_depth(brand.queue_url) == 0, "an echo queues no ticket event"


def test_echo_without_a_ticket_opens_nothing_and_shows_nowhere(brand: Brand) -> None:
    assert_ok(echo(brand, igsid(), "Hi! Thanks for following us"))
    assert tables.tickets(brand.account_id) == []
    assert tables.queue_depth(brand.queue_url) == 0


def test_an_echo_that_overtakes_its_customers_message_is_kept_in_the_conversation(brand: Brand) -> None:
    """Meta delivers the brand's reply (sent from the Instagram app) before the customer's message:
    the reply is kept and shows in the ticket the customer's message then opens."""
    customer = igsid()
    reply = envelope(brand.instagram_id,
                     messaging(brand.instagram_id, customer, {"text": "Yes, ships tomorrow", "is_echo": True}))
    for _ in range(2):  # Meta's redelivery of the echo changes nothing
        assert_ok(post(reply))
    assert tables.tickets(brand.account_id) == []
    dm(brand, customer, "is it in stock?")
    ticket = only_ticket(brand)
    assert sorted((m["direction"], m["body"]) for m in detail_messages(brand, ticket["ticket_id"])) == [
        ("inbound", "is it in stock?"), ("outbound", "Yes, ships tomorrow")]
    assert ticket["status"] == "open"


def test_echo_never_reopens_a_closed_ticket_nor_opens_one(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "thanks, all good")
    ticket_id = only_ticket(brand)["ticket_id"]
    close(brand, ticket_id)
    tables.drain(brand.queue_url)
    assert_ok(echo(brand, customer, "Glad we could help!"))
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id and ticket["status"] == "closed"
    assert tables.queue_depth(brand.queue_url) == 0


def test_echo_after_close_is_kept_on_the_closed_ticket(brand: Brand) -> None:
    """The brand's message is not lost because the ticket was closed: it lands on the customer's ticket
    as outbound, and the ticket stays closed."""
    customer = igsid()
    dm(brand, customer, "thanks, all good")
    ticket_id = only_ticket(brand)["ticket_id"]
    close(brand, ticket_id)
    assert_ok(echo(brand, customer, "Glad we could help!"))
    assert [(m["direction"], m["body"]) for m in detail_messages(brand, ticket_id)] == [
        ("inbound", "thanks, all good"), ("outbound", "Glad we could help!")]
    assert only_ticket(brand)["status"] == "closed"


def test_echo_keeps_a_snoozed_ticket_snoozed(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "I'll check back")
    ticket_id = only_ticket(brand)["ticket_id"]
    update_ticket(get_ticket(brand.account_id, ticket_id), status="snoozed", snooze_until="2999-01-01T00:00:00.000Z")
    tables.drain(brand.queue_url)
    assert_ok(echo(brand, customer, "Sure, take your time"))
    ticket = only_ticket(brand)
    assert ticket["status"] == "snoozed" and ticket["message_count"] == 2
    assert detail_messages(brand, ticket_id)[-1]["direction"] == "outbound"
    assert tables.queue_depth(brand.queue_url) == 0


def test_customer_message_after_an_echo_still_joins(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "hello")
    assert_ok(echo(brand, customer, "hi, how can we help?"))
    dm(brand, customer, "my parcel")
    ticket = only_ticket(brand)
    assert [m["direction"] for m in detail_messages(brand, ticket["ticket_id"])] == [
        "inbound", "outbound", "inbound"]


# --- deletes, reads, reactions ----------------------------------------------------------------------------

def test_delete_marks_the_message_deleted(brand: Brand) -> None:
    customer = igsid()
    mid = dm(brand, customer, "my card number is 4111 1111 1111 1111")
    dm(brand, customer, "oops")
    ticket_id = only_ticket(brand)["ticket_id"]
    assert_ok(post(dm_payload(brand, customer, "", mid=mid, is_deleted=True)))
    first, second = detail_messages(brand, ticket_id)
    assert first["id"] == mid and first.get("deleted") is True and first["body"] == ""
    assert "4111" not in json.dumps(tables.messages_of(brand.account_id, ticket_id))
    assert second["body"] == "oops" and not second.get("deleted")
    assert len(tables.tickets(brand.account_id)) == 1


def test_a_delete_that_overtakes_its_message_keeps_the_message_from_ever_showing(brand: Brand) -> None:
    customer = igsid()
    mid = new_mid()
    assert_ok(post(dm_payload(brand, customer, "", mid=mid, is_deleted=True)))
    assert tables.tickets(brand.account_id) == []
    assert tables.queue_depth(brand.queue_url) == 0
    # The message itself arrives late (Meta retried it): the customer unsent it, so it is not stored.
    assert_ok(post(dm_payload(brand, customer, "oops, wrong chat", mid=mid)))
    assert tables.tickets(brand.account_id) == []
    assert tables.queue_depth(brand.queue_url) == 0


def test_read_and_reaction_events_store_nothing(brand: Brand) -> None:
    customer = igsid()
    mid = dm(brand, customer, "hello")
    tables.drain(brand.queue_url)
    before = tables.snapshot(brand.account_id)
    payload = envelope(
        brand.instagram_id,
        messaging(customer, brand.instagram_id, read={"mid": mid}),
        messaging(customer, brand.instagram_id, reaction={"mid": mid, "action": "react", "reaction": "love",
                                                          "emoji": "\u2764\ufe0f"}),
        messaging(customer, brand.instagram_id, reaction={"mid": mid, "action": "unreact"}))
    assert_ok(post(payload))
    assert tables.snapshot(brand.account_id) == before
    assert tables.queue_depth(brand.queue_url) == 0


# --- bad input ----------------------------------------------------------------------------------------

def assert_refused(brand: Brand, before: frozenset[str], response: dict[str, Any], status: int) -> None:
    assert response["statusCode"] == status, response
    reason = json.loads(response["body"])
    assert isinstance(reason, dict) and reason.get("error") and len(str(reason["error"])) < 200
    assert tables.snapshot(brand.account_id) == before, "a refused request wrote to the table"
    assert tables.queue_depth(brand.queue_url) == 0


def test_bad_signature_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    payload = dm_payload(brand, igsid(), "refund me")
    forged = meta_signature("not-the-app-secret", json.dumps(payload).encode())
    assert_refused(brand, before, post(payload, signature=forged), 403)


def test_signature_of_another_body_is_403(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    other = meta_signature(_secret(), json.dumps(dm_payload(brand, igsid())).encode())
    assert_refused(brand, before, post(dm_payload(brand, igsid()), signature=other), 403)


def test_missing_signature_is_401(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    event = signed_event(dm_payload(brand, igsid()))
    del event["headers"]["X-Hub-Signature-256"]
    assert_refused(brand, before, instagram.handler(event, None), 401)


def test_malformed_json_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post(b'{"object": "instagram", "entry": [{"messaging": ['), 400)


def test_wrong_object_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post({**dm_payload(brand, igsid()), "object": "page"}), 400)


def test_wrong_content_type_is_415(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post(dm_payload(brand, igsid()), content_type="text/plain"), 415)


def test_message_without_mid_is_400(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    payload = dm_payload(brand, igsid())
    del payload["entry"][0]["messaging"][0]["message"]["mid"]
    assert_refused(brand, before, post(payload), 400)


def test_unknown_recipient_id_is_404_and_writes_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    stranger = "9" + str(uuid.uuid4().int % 10**16)
    payload = envelope(stranger, messaging(igsid(), stranger, {"text": "hello"}))
    assert_refused(brand, before, post(payload), 404)


def test_unknown_recipient_beside_a_known_one_stores_the_known_ones_message(brand: Brand) -> None:
    stranger = "9" + str(uuid.uuid4().int % 10**16)
    for n, first_known in enumerate((True, False)):
        known = messaging(igsid(), brand.instagram_id, {"text": f"hello {n}"})
        unknown = messaging(igsid(), stranger, {"text": "hello"})
        order = (known, unknown) if first_known else (unknown, known)
        payload = {"object": "instagram", "entry": [
            {"id": m["recipient"]["id"], "time": int(time.time() * 1000), "messaging": [m]} for m in order]}
        response = post(payload)
        assert_ok(response)
        assert json.loads(response["body"])["skipped"] == 1
    assert sorted(m["body"] for m in tables.all_messages(brand.account_id)) == ["hello 0", "hello 1"]


def test_a_malformed_event_beside_a_good_one_is_left_out_and_the_rest_stored(brand: Brand) -> None:
    good = messaging(igsid(), brand.instagram_id, {"text": "is this leather?"})
    bad = {"recipient": {"id": brand.instagram_id}, "message": {"mid": new_mid(), "text": "no sender"}}
    payload = {"object": "instagram", "entry": [{"id": brand.instagram_id, "time": int(time.time() * 1000),
                                                 "messaging": [bad, good]}]}
    response = post(payload)
    assert_ok(response)
    assert json.loads(response["body"])["skipped"] == 1
    assert [m["body"] for m in tables.all_messages(brand.account_id)] == ["is this leather?"]


# --- exactly once ---------------------------------------------------------------------------------------

def test_delivery_replayed_three_times_in_sequence_stores_one_message(brand: Brand) -> None:
    payload = dm_payload(brand, igsid(), "is this real leather?")
    for _ in range(3):
        assert_ok(post(payload))
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 1
    assert [m["message_id"] for m in tables.all_messages(brand.account_id)] == [mid_of(payload)]
    sent = tables.drain(brand.queue_url)
    assert {e["ticket_id"] for e in sent} == {ticket["ticket_id"]}
    assert {e["type"] for e in sent} == {"ticket.created"}


def test_delivery_replayed_three_times_at_once_stores_one_message(brand: Brand) -> None:
    payload = dm_payload(brand, igsid(), "hello?")
    responses = all_at_once([lambda: post(payload)] * 3)
    assert [r["statusCode"] for r in responses] == [200] * 3
    assert only_ticket(brand)["message_count"] == 1
    assert len(tables.all_messages(brand.account_id)) == 1
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1


def test_echo_replayed_at_once_is_stored_once(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "hello")
    payload = envelope(brand.instagram_id, messaging(brand.instagram_id, customer, {"text": "hi!", "is_echo": True}))
    responses = all_at_once([lambda: post(payload)] * 3)
    assert [r["statusCode"] for r in responses] == [200] * 3
    assert only_ticket(brand)["message_count"] == 2
    assert len(tables.all_messages(brand.account_id)) == 2


def assert_one_ticket_holding(brand: Brand, ticket: dict[str, Any], bodies: set[str]) -> None:
    stored = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert sorted(m["body"] for m in stored) == sorted(bodies)
    assert ticket["message_count"] == len(bodies) and ticket["status"] == "open"


def test_twenty_concurrent_first_dms_make_one_ticket_with_twenty_messages(brand: Brand) -> None:
    customer = igsid()
    bodies = {f"message {i}" for i in range(20)}
    responses = all_at_once([lambda b=b: post(dm_payload(brand, customer, b)) for b in bodies])
    assert [r["statusCode"] for r in responses] == [200] * 20
    ticket = only_ticket(brand)
    assert_one_ticket_holding(brand, ticket, bodies)
    assert len(tables.all_messages(brand.account_id)) == 20
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    assert len(tables.items_of_type(brand.account_id, "profile")) == 1
    sent = tables.drain(brand.queue_url)
    assert {e["ticket_id"] for e in sent} == {ticket["ticket_id"]}
    assert [e["type"] for e in sent].count("ticket.created") == 1


def test_twenty_concurrent_messages_after_close_make_exactly_one_new_ticket(brand: Brand) -> None:
    customer = igsid()
    dm(brand, customer, "first")
    closed_id = only_ticket(brand)["ticket_id"]
    close(brand, closed_id)
    tables.drain(brand.queue_url)

    bodies = {f"again {i}" for i in range(20)}
    responses = all_at_once([lambda b=b: post(dm_payload(brand, customer, b)) for b in bodies])
    assert [r["statusCode"] for r in responses] == [200] * 20
    found = tables.tickets(brand.account_id)
    assert len(found) == 2, found
    [old] = [t for t in found if t["ticket_id"] == closed_id]
    [new] = [t for t in found if t["ticket_id"] != closed_id]
    assert old["status"] == "closed" and old["message_count"] == 1
    assert_one_ticket_holding(brand, new, bodies)
    sent = tables.drain(brand.queue_url)
    assert {e["ticket_id"] for e in sent} == {new["ticket_id"]}
    assert [e["type"] for e in sent].count("ticket.created") == 1
