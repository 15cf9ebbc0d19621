"""Exactly once: replays in sequence and at once, racing first messages, and a crash right after a
message was stored. Judged by what the table holds and what its stream, through the pipe, puts on
the queue."""
from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from functions.webhooks import sms, whatsapp
from helpdesk.store.tickets import get_ticket
from tests.conftest import Brand, customer_number
from tests.integration import tables
from tests.integration.agents import settle
from tests.integration.edits import update_ticket
from tests.providers import sms_event, sms_params, whatsapp_event, whatsapp_payload


def post_sms(params: dict[str, str]) -> dict[str, Any]:
    # A fresh event each time, as each redelivery is a new HTTP request (new idempotency token).
    return sms.handler(sms_event(os.environ["TWILIO_AUTH_TOKEN"], params), None)


def post_whatsapp(payload: dict[str, Any]) -> dict[str, Any]:
    return whatsapp.handler(whatsapp_event(os.environ["META_APP_SECRET"], payload), None)


def wa_text(brand: Brand, customer: str, body: str) -> dict[str, Any]:
    return whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, customer.lstrip("+"),
                            {"type": "text", "text": {"body": body}})


def all_at_once(calls: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture(autouse=True)
def _warm_clients(brand: Brand) -> None:
    """Create the product's lazily made AWS clients before threads race to make them: boto3's default
    session is not thread-safe while it builds a client, and a Lambda never runs two requests at once.
    (Needs `brand`: the clients must be made after the moto server is up.)"""
    from helpdesk.store.models import Item

    Item._get_connection().connection.client  # noqa: B018


# --- replays ----------------------------------------------------------------------------------------

def test_delivery_replayed_five_times_in_sequence_stores_one_message(brand: Brand) -> None:
    params = sms_params(customer_number(), brand.sms_number, "my parcel is lost")
    for _ in range(5):
        assert post_sms(params)["statusCode"] == 200
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 1
    assert [m["message_id"] for m in tables.messages_of(brand.account_id, ticket["ticket_id"])] == [
        params["MessageSid"]]
    assert len(tables.all_messages(brand.account_id)) == 1
    assert {e["ticket_id"] for e in tables.drain(brand.queue_url)} == {ticket["ticket_id"]}


def test_delivery_replayed_ten_times_at_once_stores_one_message(brand: Brand) -> None:
    params = sms_params(customer_number(), brand.sms_number, "hello?")
    responses = all_at_once([lambda: post_sms(params)] * 10)
    assert [r["statusCode"] for r in responses] == [200] * 10
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 1
    assert len(tables.all_messages(brand.account_id)) == 1
    assert [e["type"] for e in settle(brand)] == ["ticket.created"]
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1


def test_replay_after_success_writes_nothing_and_announces_nothing(brand: Brand) -> None:
    params = sms_params(customer_number(), brand.sms_number, "first")
    assert post_sms(params)["statusCode"] == 200
    ticket_id = only_ticket(brand)["ticket_id"]
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.created", ticket_id)]
    before = tables.snapshot(brand.account_id)

    assert post_sms(params)["statusCode"] == 200
    assert tables.snapshot(brand.account_id) == before
    assert tables.drain(brand.queue_url) == []


def test_whatsapp_delivery_replayed_at_once_stores_one_message(brand: Brand) -> None:
    payload = wa_text(brand, customer_number(), "hi there")
    responses = all_at_once([lambda: post_whatsapp(payload)] * 10)
    assert [r["statusCode"] for r in responses] == [200] * 10
    assert only_ticket(brand)["message_count"] == 1
    assert len(tables.all_messages(brand.account_id)) == 1


# --- racing first messages ---------------------------------------------------------------------------

def assert_one_ticket_holding(brand: Brand, bodies: set[str]) -> None:
    ticket = only_ticket(brand)
    stored = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert sorted(m["body"] for m in stored) == sorted(bodies)
    assert ticket["message_count"] == len(bodies)
    assert ticket["status"] == "open"
    assert len(tables.all_messages(brand.account_id)) == len(bodies)
    sent = settle(brand)  # the worker makes the new customer's contact and profile
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    assert len(tables.items_of_type(brand.account_id, "profile")) == 1
    assert {e["ticket_id"] for e in sent} == {ticket["ticket_id"]}
    assert [e["type"] for e in sent].count("ticket.created") == 1


def test_twenty_concurrent_first_sms_make_one_ticket_with_twenty_messages(brand: Brand) -> None:
    customer = customer_number()
    bodies = {f"message {i}" for i in range(20)}
    responses = all_at_once([lambda b=b: post_sms(sms_params(customer, brand.sms_number, b)) for b in bodies])
    assert [r["statusCode"] for r in responses] == [200] * 20
    assert_one_ticket_holding(brand, bodies)


def test_twenty_concurrent_first_whatsapp_messages_make_one_ticket_with_twenty_messages(brand: Brand) -> None:
    customer = customer_number()
    bodies = {f"message {i}" for i in range(20)}
    responses = all_at_once([lambda b=b: post_whatsapp(wa_text(brand, customer, b)) for b in bodies])
    assert [r["statusCode"] for r in responses] == [200] * 20
    assert_one_ticket_holding(brand, bodies)


def test_concurrent_messages_reopen_a_closed_ticket_once(brand: Brand) -> None:
    customer = customer_number()
    assert post_sms(sms_params(customer, brand.sms_number, "first"))["statusCode"] == 200
    ticket_id = only_ticket(brand)["ticket_id"]
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")
    tables.drain(brand.queue_url)

    responses = all_at_once([lambda i=i: post_sms(sms_params(customer, brand.sms_number, f"again {i}"))
                             for i in range(10)])
    assert [r["statusCode"] for r in responses] == [200] * 10
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == ticket_id and ticket["status"] == "open"
    assert ticket["message_count"] == 11 and ticket["reopen_count"] == 1
    assert [e["type"] for e in tables.drain(brand.queue_url)].count("ticket.reopened") == 1


def test_five_customers_four_messages_each_at_once(brand: Brand) -> None:
    customers = [customer_number() for _ in range(5)]
    calls = [lambda c=c, i=i: post_sms(sms_params(c, brand.sms_number, f"{c} #{i}"))
             for c in customers for i in range(4)]
    responses = all_at_once(calls)
    assert [r["statusCode"] for r in responses] == [200] * 20
    found = tables.tickets(brand.account_id)
    assert sorted(t["contact"] for t in found) == sorted(customers)
    for ticket in found:
        stored = tables.messages_of(brand.account_id, ticket["ticket_id"])
        assert sorted(m["body"] for m in stored) == sorted(f"{ticket['contact']} #{i}" for i in range(4))
        assert ticket["message_count"] == 4
    assert len(tables.all_messages(brand.account_id)) == 20


# --- a crash right after the write ----------------------------------------------------------------------

class Crash(BaseException):
    """The Lambda's process dying: nothing after it runs, and nothing catches it."""


@pytest.mark.parametrize("before_crash", [0, 1], ids=["new-ticket", "follow-up"])
def test_a_crash_after_the_write_loses_no_event_and_the_retry_duplicates_nothing(
        brand: Brand, monkeypatch: pytest.MonkeyPatch, before_crash: int) -> None:
    from helpdesk import intake

    customer = customer_number()
    for i in range(before_crash):
        assert post_sms(sms_params(customer, brand.sms_number, f"earlier {i}"))["statusCode"] == 200
    tables.drain(brand.queue_url)

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise Crash()

    monkeypatch.setattr(intake, "_announce", crash)  # dies between the commit and the answer
    params = sms_params(customer, brand.sms_number, "the one that crashed")
    with pytest.raises(Crash):
        post_sms(params)
    monkeypatch.undo()
    # Twilio saw no answer and delivers again.
    assert post_sms(params)["statusCode"] == 200
    ticket = only_ticket(brand)
    assert ticket["message_count"] == before_crash + 1
    stored = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert [m["body"] for m in stored].count("the one that crashed") == 1
    # The ticket event followed from the commit itself, once: not from the request that crashed.
    expected = [("ticket.created", ticket["ticket_id"])] if before_crash == 0 else []
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == expected


def test_a_write_that_did_not_happen_announces_nothing(brand: Brand, faults: Any) -> None:
    """Throttled on every try: the webhook answers 503 (Twilio retries), and no event says otherwise."""
    from infra.local import faults as fault_answers

    fault = faults.add("DynamoDB_20120810.TransactWriteItems", fault_answers.throttled(), times=100)
    params = sms_params(customer_number(), brand.sms_number, "hello?")
    first = post_sms(params)
    faults.clear()
    assert first["statusCode"] == 503, first
    assert fault.hits >= 2  # botocore retried the throttled request before giving up
    assert tables.tickets(brand.account_id) == [] and tables.drain(brand.queue_url) == []
    assert post_sms(params)["statusCode"] == 200
    assert [e["type"] for e in tables.drain(brand.queue_url)] == ["ticket.created"]
