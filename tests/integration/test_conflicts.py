"""Every retry path under the conflicts AWS really produces: transactions cancelled by a concurrent
writer (TransactionConflict), throttling, and writes that land between a read and the write that
relies on it. The moto server serves DynamoDB one request at a time, so none of this happens by
itself: each conflict is injected on the wire (infra/local/faults.py) or forced by interleaving
(a monkeypatched step that lets another writer in, or threads released together). Judged by what
the table holds, what its stream puts on the queue, and what was really sent."""
from __future__ import annotations

import datetime as dt
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest

from functions.webhooks import sms, whatsapp
from helpdesk.errors import Transient
from infra.local import faults as fault_answers
from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import Member, member, module_pool, settle, ticket_records, use_pool
from tests.integration.agents import drain as drain_records
from tests.integration.edits import update_ticket
from tests.integration.test_email_webhook import customer as email_customer
from tests.integration.test_email_webhook import handle as post_email
from tests.integration.test_email_webhook import mime, mime_route
from tests.providers import sms_event, sms_params, whatsapp_event, whatsapp_payload

TRANSACT = "DynamoDB_20120810.TransactWriteItems"
Request = dict[str, Any]


@pytest.fixture(autouse=True)
def _warm_clients(aws: Aws, brand: Brand) -> None:
    """Build the product's lazily made AWS clients before threads race to build them (boto3's default
    session is not thread-safe while it builds one); after `brand`, so the moto server is up."""
    from helpdesk.store import files
    from helpdesk.store import mail as mail_store
    from helpdesk.store.models import Item

    Item._get_connection().connection.client  # noqa: B018
    mail_store._ses()
    files._s3()


# --- what a transaction on the wire holds ------------------------------------------------------------

def _entries(request: Request) -> list[tuple[str, dict[str, Any]]]:
    return [next(iter(e.items())) for e in request.get("TransactItems") or [] if len(e) == 1]


def _put_items(request: Request, kind: str) -> list[dict[str, Any]]:
    return [op["Item"] for name, op in _entries(request)
            if name == "Put" and op.get("Item", {}).get("type", {}).get("S") == kind]


def _is_ticket(name: str, op: dict[str, Any]) -> bool:
    key = op.get("Item") if name == "Put" else op.get("Key")
    return bool(key) and key.get("sk", {}).get("S") == "TICKET"


def _ticket_update(request: Request) -> dict[str, Any] | None:
    return next((op for name, op in _entries(request) if name == "Update" and _is_ticket(name, op)), None)


def storing(body: str) -> Callable[[Request], bool]:
    """The transaction that stores the message whose text holds `body` (whatever else it does)."""
    return lambda request: any(body in m.get("body", {}).get("S", "") for m in _put_items(request, "message"))


def opening(body: str) -> Callable[[Request], bool]:
    """...and opens a new ticket with it."""
    return lambda request: storing(body)(request) and bool(_put_items(request, "ticket"))


def appending(body: str) -> Callable[[Request], bool]:
    """...and adds it to an existing ticket."""
    return lambda request: storing(body)(request) and _ticket_update(request) is not None


def waking(body: str) -> Callable[[Request], bool]:
    """...and reopens the ticket it joins (the write that counts a reopen)."""

    def matches(request: Request) -> bool:
        update = _ticket_update(request)
        return (storing(body)(request) and update is not None
                and "reopen_count" in (update.get("ExpressionAttributeNames") or {}).values())

    return matches


def conflict_on_ticket() -> Callable[[Request], tuple[int, dict[str, Any]]]:
    """TransactionConflict on the ticket's item alone (the others: None), as DynamoDB answers when
    another request was writing that ticket."""

    def answer(request: Request) -> tuple[int, dict[str, Any]]:
        at = [i for i, (name, op) in enumerate(_entries(request)) if _is_ticket(name, op)]
        assert at, "the transaction holds no ticket"
        return fault_answers.transaction_conflict(at)(request)

    return answer


CONFLICTS = {"every-item": lambda: fault_answers.transaction_conflict(), "ticket-item": conflict_on_ticket}


# --- customers on each channel, whose deliveries can be replayed -----------------------------------------

@dataclass
class Customer:
    """One customer of the brand on one channel. `delivery(body)` is one provider delivery (its own
    provider message id); calling it again is the provider retrying that same delivery."""

    brand: Brand
    channel: str
    address: str = ""
    thread: str | None = field(default=None, repr=False)  # email: the Message-ID the next mail answers

    def __post_init__(self) -> None:
        self.address = email_customer() if self.channel == "email" else customer_number()

    @property
    def contact(self) -> str:
        return self.address.lower()

    def delivery(self, body: str) -> Callable[[], int]:
        if self.channel == "sms":
            params = sms_params(self.address, self.brand.sms_number, body)
            return lambda: sms.handler(sms_event(os.environ["TWILIO_AUTH_TOKEN"], params), None)["statusCode"]
        if self.channel == "whatsapp":
            payload = whatsapp_payload(self.brand.wa_phone_number_id, self.brand.wa_display_number,
                                       self.address.lstrip("+"), {"type": "text", "text": {"body": body}})
            return lambda: whatsapp.handler(whatsapp_event(os.environ["META_APP_SECRET"], payload),
                                            None)["statusCode"]
        assert self.channel == "email"
        support = self.brand.support_email
        if self.thread is None:
            raw, mid = mime(self.address, support, "Where is my order?", body)
            self.thread = mid
        else:
            raw, _ = mime(self.address, support, "Re: Where is my order?", body, in_reply_to=self.thread,
                          references=[self.thread])
        return lambda: post_email(mime_route(raw, support, self.address))["statusCode"]

    def says(self, body: str) -> None:
        assert self.delivery(body)() == 200


CHANNELS = ["sms", "whatsapp", "email"]


def unique(text: str) -> str:
    return f"{text} [{uuid.uuid4().hex[:8]}]"


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


def bodies_in(brand: Brand, ticket_id: str) -> list[str]:
    return [m["body"] for m in tables.messages_of(brand.account_id, ticket_id)]


def events(brand: Brand) -> list[tuple[str, str]]:
    """The ticket events the writes so far put on the stream, after the worker handled them (which
    also makes a new SMS/WhatsApp customer's contact and profile)."""
    return sorted((e["type"], e["ticket_id"]) for e in settle(brand) if e["type"].startswith("ticket."))


def said_before(brand: Brand, who: Customer, follow_up: bool) -> list[str]:
    """For a follow-up, the customer's earlier message, stored and its events handled; else nothing."""
    earlier = [unique("earlier")] if follow_up else []
    for text in earlier:
        who.says(text)
    events(brand)
    return earlier


def assert_stored_once(brand: Brand, who: Customer, bodies: list[str]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """One ticket, of this customer, holding exactly `bodies` (each once), counted right, with one
    contact and profile once the worker ran; returns it and the ticket events announced (`events`)."""
    announced = events(brand)
    ticket = only_ticket(brand)
    assert (ticket["channel"], ticket["contact"], ticket["status"]) == (who.channel, who.contact, "open")
    assert sorted(bodies_in(brand, ticket["ticket_id"])) == sorted(bodies)
    assert ticket["message_count"] == len(bodies)
    assert len(tables.all_messages(brand.account_id)) == len(bodies)
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    assert len(tables.items_of_type(brand.account_id, "profile")) == 1
    return ticket, announced


# --- 1. intake --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("conflict", list(CONFLICTS))
@pytest.mark.parametrize("times", [1, 4])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_first_message_whose_transaction_conflicts_is_stored_once_and_announced_once(
        brand: Brand, faults: Any, channel: str, times: int, conflict: str) -> None:
    who = Customer(brand, channel)
    body = unique("hi, where is my order?")
    fault = faults.add(TRANSACT, CONFLICTS[conflict](), times=times, when=opening(body))
    assert who.delivery(body)() == 200
    assert fault.hits == times  # each cancelled try was tried again by intake itself
    ticket, announced = assert_stored_once(brand, who, [body])
    assert ticket["reopen_count"] == 0
    assert announced == [("ticket.created", ticket["ticket_id"])]


@pytest.mark.parametrize("conflict", list(CONFLICTS))
@pytest.mark.parametrize("times", [1, 4])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_follow_up_whose_transaction_conflicts_is_stored_once(
        brand: Brand, faults: Any, channel: str, times: int, conflict: str) -> None:
    who = Customer(brand, channel)
    first = unique("first")
    who.says(first)
    ticket_id = only_ticket(brand)["ticket_id"]
    events(brand)
    body = unique("any news?")
    fault = faults.add(TRANSACT, CONFLICTS[conflict](), times=times, when=appending(body))
    assert who.delivery(body)() == 200
    assert fault.hits == times
    ticket, announced = assert_stored_once(brand, who, [first, body])
    assert ticket["ticket_id"] == ticket_id and ticket["reopen_count"] == 0
    assert announced == []  # a message to an open ticket announces nothing


@pytest.mark.parametrize("times", [1, 4])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_message_reopening_a_closed_ticket_under_conflicts_reopens_it_once(
        brand: Brand, faults: Any, channel: str, times: int) -> None:
    from helpdesk.store.tickets import get_ticket

    who = Customer(brand, channel)
    first = unique("first")
    who.says(first)
    ticket_id = only_ticket(brand)["ticket_id"]
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")
    events(brand)
    body = unique("it happened again")
    fault = faults.add(TRANSACT, conflict_on_ticket(), times=times, when=waking(body))
    assert who.delivery(body)() == 200
    assert fault.hits == times
    ticket, announced = assert_stored_once(brand, who, [first, body])
    assert ticket["ticket_id"] == ticket_id and ticket["reopen_count"] == 1
    assert announced == [("ticket.reopened", ticket_id)]


@pytest.mark.parametrize("kind", ["ThrottlingException", "ProvisionedThroughputExceededException"])
@pytest.mark.parametrize("follow_up", [False, True], ids=["first-message", "follow-up"])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_write_throttled_once_is_retried_by_the_client_and_stored_once(
        brand: Brand, faults: Any, channel: str, follow_up: bool, kind: str) -> None:
    who = Customer(brand, channel)
    earlier = said_before(brand, who, follow_up)
    body = unique("hello?")
    fault = faults.add(TRANSACT, fault_answers.throttled(kind), times=1, when=storing(body))
    assert who.delivery(body)() == 200
    assert fault.hits == 1
    ticket, announced = assert_stored_once(brand, who, [*earlier, body])
    assert announced == ([] if follow_up else [("ticket.created", ticket["ticket_id"])])


@pytest.mark.parametrize("kind", ["ThrottlingException", "ProvisionedThroughputExceededException"])
@pytest.mark.parametrize("follow_up", [False, True], ids=["first-message", "follow-up"])
@pytest.mark.parametrize("channel", CHANNELS)
def test_a_write_throttled_on_every_try_answers_503_stores_nothing_and_the_retry_stores_once(
        brand: Brand, faults: Any, channel: str, follow_up: bool, kind: str) -> None:
    who = Customer(brand, channel)
    earlier = said_before(brand, who, follow_up)
    before = tables.snapshot(brand.account_id)
    body = unique("hello?")
    deliver = who.delivery(body)
    fault = faults.add(TRANSACT, fault_answers.throttled(kind), times=1000, when=storing(body))
    assert deliver() == 503
    assert fault.hits >= 2  # botocore retried the throttled request before giving up
    assert tables.snapshot(brand.account_id) == before
    assert events(brand) == []
    faults.clear()
    assert deliver() == 200  # the provider delivers the same message again
    assert deliver() == 200  # ...and once more: a replay
    ticket, announced = assert_stored_once(brand, who, [*earlier, body])
    assert announced == ([] if follow_up else [("ticket.created", ticket["ticket_id"])])


@pytest.mark.parametrize("follow_up", [False, True], ids=["first-message", "follow-up"])
def test_an_sms_whose_write_conflicts_on_every_try_answers_503_stores_nothing_and_the_retry_stores_once(
        brand: Brand, faults: Any, monkeypatch: pytest.MonkeyPatch, follow_up: bool) -> None:
    from helpdesk import intake

    who = Customer(brand, "sms")
    earlier = said_before(brand, who, follow_up)
    before = tables.snapshot(brand.account_id)
    slept: list[float] = []
    monkeypatch.setattr(intake, "time", SimpleNamespace(sleep=slept.append))  # the backoff, not waited
    body = unique("hello?")
    deliver = who.delivery(body)
    fault = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=1000, when=storing(body))
    assert deliver() == 503
    assert fault.hits == intake.MAX_ATTEMPTS and len(slept) == intake.MAX_ATTEMPTS
    assert tables.snapshot(brand.account_id) == before and events(brand) == []
    faults.clear()
    assert deliver() == 200
    ticket, announced = assert_stored_once(brand, who, [*earlier, body])
    assert announced == ([] if follow_up else [("ticket.created", ticket["ticket_id"])])


# --- 2. keywords ----------------------------------------------------------------------------------------

def claiming(sid: str) -> Callable[[Request], bool]:
    """The transaction that claims provider message `sid` (a keyword's consent write)."""
    return lambda request: any(r["pk"]["S"].endswith(f"#REF#sms#{sid}") for r in _put_items(request, "message_ref"))


def consent_of(brand: Brand) -> list[str | None]:
    return [p.get("consent_sms") for p in tables.items_of_type(brand.account_id, "profile")]


def post_sms(params: dict[str, str]) -> int:
    return int(sms.handler(sms_event(os.environ["TWILIO_AUTH_TOKEN"], params), None)["statusCode"])


@pytest.mark.parametrize("known", [False, True], ids=["new-customer", "known-customer"])
def test_stop_under_conflicts_is_recorded_once_and_its_replay_cannot_undo_a_later_start(
        brand: Brand, faults: Any, known: bool) -> None:
    who = Customer(brand, "sms")
    if known:
        who.says(unique("hello"))
    messages = len(tables.all_messages(brand.account_id))
    stop = sms_params(who.address, brand.sms_number, "STOP")
    fault = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=2, when=claiming(stop["MessageSid"]))
    assert post_sms(stop) == 200
    assert fault.hits == 2
    assert consent_of(brand) == ["unsubscribed"]
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    refs = [r for r in tables.items_of_type(brand.account_id, "message_ref") if r["pk"].endswith(stop["MessageSid"])]
    assert [r["event"] for r in refs] == ["keyword"]
    assert len(tables.all_messages(brand.account_id)) == messages  # a keyword is no ticket message
    recorded = tables.snapshot(brand.account_id)
    assert post_sms(stop) == 200  # Twilio delivers the STOP again
    assert tables.snapshot(brand.account_id) == recorded

    start = sms_params(who.address, brand.sms_number, "START")
    assert post_sms(start) == 200
    assert consent_of(brand) == ["subscribed"]
    started = tables.snapshot(brand.account_id)
    # The old STOP arrives once more, late, and its consent write conflicts once on the way.
    late = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=1, when=claiming(stop["MessageSid"]))
    assert post_sms(stop) == 200
    assert late.hits == 1
    assert consent_of(brand) == ["subscribed"]
    assert tables.snapshot(brand.account_id) == started


def test_stop_conflicting_on_every_try_answers_503_records_nothing_and_the_retry_records_it(
        brand: Brand, faults: Any) -> None:
    who = Customer(brand, "sms")
    who.says(unique("hello"))
    before = tables.snapshot(brand.account_id)
    stop = sms_params(who.address, brand.sms_number, "STOP")
    fault = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=1000,
                       when=claiming(stop["MessageSid"]))
    assert post_sms(stop) == 503
    assert fault.hits >= 2
    assert tables.snapshot(brand.account_id) == before
    faults.clear()
    assert post_sms(stop) == 200
    assert consent_of(brand) == ["unsubscribed"]


# --- 3. agents' edits -------------------------------------------------------------------------------------

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def pool(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    yield from use_pool(module_pool(aws), monkeypatch)


@pytest.fixture
def api(pool: Any) -> Iterator[Any]:
    from chalice.test import Client

    from app import app

    with Client(app, project_dir=ROOT) as client:
        yield client.http


@pytest.fixture
def support(aws: Aws, pool: Any, brand: Brand, api: Any) -> Member:
    who = member(aws, pool, brand.account_id, "support", online=True)
    assert api.get("/api/tickets?view=all", headers=who.headers).status_code == 200  # keys fetched, warm
    return who


def _json(response: Any) -> Any:
    return json.loads(response.body) if response.body else None


def patch(api: Any, who: Member, ticket_id: str, body: dict[str, Any], if_match: str | None = None) -> Any:
    headers = {**who.headers, "Content-Type": "application/json", **({"If-Match": if_match} if if_match else {})}
    return api.request("PATCH", f"/api/tickets/{ticket_id}", headers=headers, body=json.dumps(body).encode())


def sms_ticket(brand: Brand, *bodies: str) -> tuple[Customer, str]:
    """A customer's SMS ticket holding `bodies`."""
    who = Customer(brand, "sms")
    for body in bodies:
        who.says(body)
    [ticket_id] = [t["ticket_id"] for t in tables.tickets(brand.account_id) if t["contact"] == who.contact]
    return who, ticket_id


class LetsInBetween:
    """Stands in for `helpdesk.store.tickets.edit_ticket`: before the edit's write, `meanwhile(ticket)`
    writes the ticket (it has been read by then) on the calls `when` picks; then the real write."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, meanwhile: Callable[[Any], None],
                 when: Callable[[int, Any], bool]):
        from helpdesk.store import tickets as ticket_store

        self.real = ticket_store.edit_ticket
        self.meanwhile, self.when = meanwhile, when
        self.calls: list[tuple[str, int]] = []  # (ticket id, version read)
        self.results: list[bool] = []
        monkeypatch.setattr(ticket_store, "edit_ticket", self)

    def __call__(self, ticket: Any, edits: dict[str, Any], now: str) -> Any:
        self.calls.append((ticket.ticket_id, int(ticket.version or 0)))
        if self.when(len([c for c in self.calls if c[0] == ticket.ticket_id]), ticket):
            self.meanwhile(ticket)
        result = self.real(ticket, edits, now)
        self.results.append(result is not None)
        return result


def test_a_patch_overtaken_by_a_customer_message_applies_the_agents_change_on_top(
        api: Any, brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    who, ticket_id = sms_ticket(brand, "first")
    second = unique("second, while the agent closes it")
    race = LetsInBetween(monkeypatch, lambda _ticket: who.says(second), when=lambda n, _t: n == 1)
    response = patch(api, support, ticket_id, {"status": "closed"})
    assert response.status_code == 200, response.body
    answer = _json(response)
    assert (answer["status"], answer["message_count"]) == ("closed", 2)
    assert race.results == [False, True]  # refused once for the version it read, then reapplied
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert (stored["status"], stored["message_count"], stored["version"]) == ("closed", 2, answer["version"])
    assert stored["gsi1pk"] == f"A#{brand.account_id}#ST#closed"
    assert response.headers["ETag"] == f'"{answer["version"]}"'
    assert bodies_in(brand, ticket_id) == ["first", second]


def test_a_patch_with_if_match_overtaken_by_a_customer_message_is_409_and_changes_nothing(
        api: Any, brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    who, ticket_id = sms_ticket(brand, "first")
    read = api.get(f"/api/tickets/{ticket_id}", headers=support.headers)
    assert read.status_code == 200
    version = _json(read)["version"]
    after_customer: list[frozenset[str]] = []

    def customer_writes(_ticket: Any) -> None:
        who.says(unique("second"))
        after_customer.append(tables.snapshot(brand.account_id))

    race = LetsInBetween(monkeypatch, customer_writes, when=lambda n, _t: n == 1)
    response = patch(api, support, ticket_id, {"status": "closed"}, if_match=f'"{version}"')
    assert response.status_code == 409, response.body
    assert _json(response)["error"]
    assert race.results == [False]
    assert tables.snapshot(brand.account_id) == after_customer[0]
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert (stored["status"], stored["message_count"]) == ("open", 2)
    # The client reads again and asks for the version it now has: that goes through.
    fresh = _json(api.get(f"/api/tickets/{ticket_id}", headers=support.headers))["version"]
    assert fresh == version + 1
    again = patch(api, support, ticket_id, {"status": "closed"}, if_match=f'W/"{fresh}"')
    assert again.status_code == 200, again.body
    assert tables.ticket_item(brand.account_id, ticket_id)["status"] == "closed"


def test_a_patch_whose_write_keeps_conflicting_answers_503_and_changes_nothing(
        api: Any, brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.workspace import MAX_EDIT_ATTEMPTS

    who, ticket_id = sms_ticket(brand, "first")
    after_customer: list[frozenset[str]] = []

    def customer_writes(_ticket: Any) -> None:
        who.says(unique("again"))
        after_customer.append(tables.snapshot(brand.account_id))

    race = LetsInBetween(monkeypatch, customer_writes, when=lambda n, _t: True)
    response = patch(api, support, ticket_id, {"status": "closed", "tags": ["vip"]})
    assert response.status_code == 503, response.body
    assert _json(response)["error"]
    assert MAX_EDIT_ATTEMPTS == 8 and race.results == [False] * 8
    assert tables.snapshot(brand.account_id) == after_customer[-1]
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert (stored["status"], stored["tags"], stored["message_count"]) == ("open", [], 9)


def test_a_patch_that_conflicts_seven_times_goes_through_on_the_eighth(
        api: Any, brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    who, ticket_id = sms_ticket(brand, "first")
    race = LetsInBetween(monkeypatch, lambda _ticket: who.says(unique("again")), when=lambda n, _t: n <= 7)
    response = patch(api, support, ticket_id, {"status": "closed"})
    assert response.status_code == 200, response.body
    assert race.results == [False] * 7 + [True]
    stored = tables.ticket_item(brand.account_id, ticket_id)
    assert (stored["status"], stored["message_count"]) == ("closed", 8)


def test_a_bulk_edit_overtaken_on_every_ticket_answers_200_for_each(
        api: Any, brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    customers = {}
    for _ in range(3):
        who = Customer(brand, "sms")
        who.says("first")
        customers[who.contact] = who
    by_ticket = {t["ticket_id"]: customers[t["contact"]] for t in tables.tickets(brand.account_id)}
    race = LetsInBetween(monkeypatch, lambda ticket: by_ticket[ticket.ticket_id].says(unique("meanwhile")),
                         when=lambda n, _t: n == 1)
    ids = sorted(by_ticket)
    response = api.request("POST", "/api/tickets/bulk", headers={**support.headers, "Content-Type": "application/json"},
                           body=json.dumps({"ids": ids, "changes": {"status": "closed"}}).encode())
    assert response.status_code == 200, response.body
    assert _json(response)["results"] == [{"id": i, "status": 200} for i in ids]
    assert race.results == [False, True] * 3
    for ticket_id in ids:
        stored = tables.ticket_item(brand.account_id, ticket_id)
        assert (stored["status"], stored["message_count"]) == ("closed", 2), ticket_id


# --- 3b. closing a new web chat while assignment and the autoresponder run on it -----------------------------

AUTORESPONSE = "Thanks! An agent will be with you shortly."


@pytest.fixture
def chat_brand(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> Brand:
    """The brand with a web-chat autoresponder (no office hours: always open) and its widget."""
    from helpdesk.store import accounts

    accounts.put_account(brand.account_id, "Test Brand", support_email=brand.support_email,
                         autoresponder={"webchat": {"open": AUTORESPONSE, "closed": AUTORESPONSE}})
    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    return brand


def new_chat(aws: Aws, brand: Brand) -> tuple[str, list[dict[str, Any]]]:
    """A visitor's first message: its ticket, and the Lambda record of its stream record."""
    from functions.webhooks import webchat
    from tests.providers import gateway_event

    def call(path: str, body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
        response = webchat.handler(gateway_event("POST", path, json.dumps(body), headers), None)
        assert 200 <= response["statusCode"] < 300, response
        return dict(json.loads(response["body"]))

    token = call("/webchat/sessions", {})["token"]
    chat = call("/webhooks/webchat", {"type": "message", "message_id": uuid.uuid4().hex,
                                      "text": "hi, quick question about sizes"}, token)
    records = ticket_records(drain_records(aws, brand.queue_url))  # not the agent's coming online
    summaries = [tables.summary(json.loads(r["body"])) for r in records]
    assert [(s["type"], s["ticket_id"]) for s in summaries] == [("ticket.created", chat["ticket_id"])]
    return chat["ticket_id"], records


def autoresponses(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in tables.messages_of(brand.account_id, ticket_id) if m["direction"] == "outbound"]


def test_closing_a_new_chat_while_assignment_runs_in_between_applies_the_close(
        aws: Aws, api: Any, chat_brand: Brand, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    """Deterministic: the assignment Lambda (autoresponse, then round robin) runs entirely between
    the PATCH's read and its write."""
    from functions import assignment

    ticket_id, records = new_chat(aws, chat_brand)
    ran: list[Any] = []
    race = LetsInBetween(monkeypatch, lambda _ticket: ran.append(assignment.handler({"Records": records}, None)),
                         when=lambda n, _t: n == 1)
    response = patch(api, support, ticket_id, {"status": "closed"})
    assert response.status_code == 200, response.body
    assert ran == [{"batchItemFailures": []}]
    assert race.results == [False, True]
    stored = tables.ticket_item(chat_brand.account_id, ticket_id)
    assert stored["status"] == "closed"
    assert stored["assignee_id"] == support.agent_id  # the round robin ran first; the close kept it
    assert [m["body"] for m in autoresponses(chat_brand, ticket_id)] == [AUTORESPONSE]
    assert stored["message_count"] == 2


def test_closing_a_new_chat_at_the_moment_assignment_runs_always_answers_200_and_closes_it(
        aws: Aws, api: Any, chat_brand: Brand, support: Member) -> None:
    """The scenario a new user hit, raced for real eight times: the PATCH and the assignment Lambda
    released together on a ticket that has just been created."""
    from functions import assignment

    for attempt in range(8):
        ticket_id, records = new_chat(aws, chat_brand)
        start = threading.Barrier(2)

        def assign(records: list[dict[str, Any]] = records, start: threading.Barrier = start) -> Any:
            start.wait(timeout=10)
            return assignment.handler({"Records": records}, None)

        def close(ticket_id: str = ticket_id, start: threading.Barrier = start) -> Any:
            start.wait(timeout=10)
            return patch(api, support, ticket_id, {"status": "closed"})

        with ThreadPoolExecutor(max_workers=2) as workers:
            assigned, closed = workers.submit(assign), workers.submit(close)
            response = closed.result(timeout=60)
            assert assigned.result(timeout=60) == {"batchItemFailures": []}, attempt
        assert response.status_code == 200, (attempt, response.body)
        assert _json(response)["status"] == "closed"
        stored = tables.ticket_item(chat_brand.account_id, ticket_id)
        assert stored["status"] == "closed", attempt
        assert len(autoresponses(chat_brand, ticket_id)) <= 1, attempt


# --- 4. replies -----------------------------------------------------------------------------------------

def sent_emails(source: str) -> list[str]:
    """The raw emails moto's SES sent from `source` (the test brand's own address: this test's mail)."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return [m.raw_data for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
            if getattr(m, "source", None) == source]


def message_ids(raws: list[str]) -> list[str]:
    from email import message_from_string

    return [str(message_from_string(raw)["Message-ID"]).strip("<>") for raw in raws]


@dataclass
class EmailTicket:
    brand: Brand
    ticket_id: str
    agent: Any

    def post(self, body: str = "Yes, gift wrap is free.", key: str | None = "click-1", kind: str = "reply") -> Any:
        from helpdesk import replies

        return replies.post(self.agent, self.ticket_id, {"body": body, "type": kind}, idempotency_key=key)

    def outbound(self) -> list[dict[str, Any]]:
        return [m for m in tables.messages_of(self.brand.account_id, self.ticket_id) if m["direction"] != "inbound"]

    def shown(self) -> list[dict[str, Any]]:
        """The agent's messages as the ticket screen shows them (ticket JSON)."""
        from helpdesk.workspace import ticket_detail

        return [m for m in ticket_detail(self.agent, self.ticket_id)["messages"] if m["direction"] != "inbound"]


@pytest.fixture
def email_ticket(brand: Brand) -> EmailTicket:
    from helpdesk.auth import AgentIdentity

    who = Customer(brand, "email")
    who.says("Do you gift wrap?")
    return EmailTicket(brand, only_ticket(brand)["ticket_id"], AgentIdentity("agent-1", brand.account_id, ("owner",)))


@pytest.fixture
def real_sends(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of the real mail send, by the Message-ID it was given."""
    from helpdesk.store import mail as mail_store

    calls: list[str] = []
    real = mail_store.send

    def counted(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs["message_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_store, "send", counted)
    return calls


def test_two_overlapping_replies_with_one_key_send_one_email(
        brand: Brand, email_ticket: EmailTicket, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first request is inside the send when the second one comes, and stays there until the
    second has answered."""
    from helpdesk.store import mail as mail_store

    real = mail_store.send
    calls: list[str] = []
    inside, second_answered = threading.Event(), threading.Event()

    def slow(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs["message_id"])
        if len(calls) == 1:
            inside.set()
            assert second_answered.wait(timeout=20), "the second request never answered"
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_store, "send", slow)

    def second() -> Any:
        assert inside.wait(timeout=20), "the first request never reached the send"
        try:
            return email_ticket.post()
        finally:
            second_answered.set()

    with ThreadPoolExecutor(max_workers=2) as workers:
        a, b = workers.submit(email_ticket.post), workers.submit(second)
        first_answer, second_answer = a.result(timeout=60), b.result(timeout=60)
    assert first_answer["id"] == second_answer["id"]
    assert calls == [first_answer["id"]]
    assert message_ids(sent_emails(brand.support_email)) == [first_answer["id"]]
    assert [m["message_id"] for m in email_ticket.outbound()] == [first_answer["id"]]
    assert tables.ticket_item(brand.account_id, email_ticket.ticket_id)["message_count"] == 2
    assert [m["delivery"] for m in email_ticket.shown()] == ["sent"]


def test_a_failed_send_shows_as_failed_and_the_retry_sends_it_once_under_the_same_message_id(
        brand: Brand, email_ticket: EmailTicket, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.store import mail as mail_store

    real = mail_store.send
    failing: list[str] = []

    def down(*args: Any, **kwargs: Any) -> str:
        failing.append(kwargs["message_id"])
        raise Transient("mail service unavailable")

    monkeypatch.setattr(mail_store, "send", down)
    with pytest.raises(Transient):
        email_ticket.post()
    [shown] = email_ticket.shown()
    assert shown["delivery"] == "failed"
    assert failing == [shown["id"]]
    assert sent_emails(brand.support_email) == []

    sends: list[str] = []

    def up(*args: Any, **kwargs: Any) -> str:
        sends.append(kwargs["message_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_store, "send", up)
    retried = email_ticket.post()
    assert retried["id"] == shown["id"] and retried["delivery"] == "sent"
    assert sends == [shown["id"]]
    assert message_ids(sent_emails(brand.support_email)) == [shown["id"]]
    assert [(m["id"], m["delivery"]) for m in email_ticket.shown()] == [(shown["id"], "sent")]

    again = email_ticket.post()  # a second retry, after the success
    assert again["id"] == shown["id"]
    assert sends == [shown["id"]]
    assert len(sent_emails(brand.support_email)) == 1
    assert len(email_ticket.outbound()) == 1
    assert tables.ticket_item(brand.account_id, email_ticket.ticket_id)["message_count"] == 2


class Crash(BaseException):
    """The Lambda's process dying inside the send: nothing after it runs, and nothing catches it."""


def _claimed_long_ago(aws: Aws, brand: Brand, message: dict[str, Any], age: dt.timedelta) -> None:
    claimed = (dt.datetime.now(dt.UTC) - age).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    aws.client("dynamodb").update_item(
        TableName=aws.table_name, Key={"pk": {"S": message["pk"]}, "sk": {"S": message["sk"]}},
        UpdateExpression="SET extra.claimed_at = :t", ExpressionAttributeValues={":t": {"S": claimed}})


def test_a_reply_whose_sender_crashed_is_sent_again_only_after_the_lease(
        aws: Aws, brand: Brand, email_ticket: EmailTicket, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import replies
    from helpdesk.store import mail as mail_store

    real = mail_store.send

    def crash(*args: Any, **kwargs: Any) -> str:
        raise Crash()

    monkeypatch.setattr(mail_store, "send", crash)
    with pytest.raises(Crash):
        email_ticket.post()
    [stored] = email_ticket.outbound()
    assert stored["extra"]["delivery"] == "queued" and stored["extra"]["claimed_at"]

    sends: list[str] = []

    def up(*args: Any, **kwargs: Any) -> str:
        sends.append(kwargs["message_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_store, "send", up)
    # Right away, and still inside the lease: the crashed sender may yet be sending. Nothing goes out.
    for age in (dt.timedelta(0), replies.SEND_LEASE - dt.timedelta(seconds=20)):
        _claimed_long_ago(aws, brand, stored, age)
        answer = email_ticket.post()
        assert answer["id"] == stored["message_id"] and answer["delivery"] == "queued"
        assert sends == [] and sent_emails(brand.support_email) == []
    # Past the lease the retry takes the send over, once.
    _claimed_long_ago(aws, brand, stored, replies.SEND_LEASE + dt.timedelta(seconds=5))
    answer = email_ticket.post()
    assert answer["id"] == stored["message_id"] and answer["delivery"] == "sent"
    assert sends == [stored["message_id"]]
    assert message_ids(sent_emails(brand.support_email)) == [stored["message_id"]]
    email_ticket.post()
    assert sends == [stored["message_id"]]
    assert [(m["id"], m["delivery"]) for m in email_ticket.shown()] == [(stored["message_id"], "sent")]


@pytest.mark.parametrize(("kind", "key"), [("reply", "click-1"), ("reply", None), ("note", None)])
@pytest.mark.parametrize("conflict", list(CONFLICTS))
def test_a_reply_whose_transaction_conflicts_is_stored_once(
        brand: Brand, email_ticket: EmailTicket, faults: Any, real_sends: list[str], kind: str,
        key: str | None, conflict: str) -> None:
    body = unique("Yes, gift wrap is free.")
    fault = faults.add(TRANSACT, CONFLICTS[conflict](), times=2, when=storing(body))
    answer = email_ticket.post(body, key=key, kind=kind)
    assert fault.hits == 2
    [stored] = email_ticket.outbound()
    assert (stored["message_id"], stored["body"], stored["direction"]) == (
        answer["id"], body, "outbound" if kind == "reply" else "note")
    assert tables.ticket_item(brand.account_id, email_ticket.ticket_id)["message_count"] == 2
    assert real_sends == ([answer["id"]] if kind == "reply" else [])
    assert message_ids(sent_emails(brand.support_email)) == real_sends


# --- 5. two owners at once --------------------------------------------------------------------------------

def owners(account_id: str) -> list[str]:
    return sorted(a["agent_id"] for a in tables.items_of_type(account_id, "agent")
                  if a.get("role") == "owner" and a.get("active") is not False)


@pytest.fixture
def two_owners(aws: Aws, pool: Any, brand: Brand) -> tuple[Member, Member]:
    return member(aws, pool, brand.account_id, "owner"), member(aws, pool, brand.account_id, "owner")


def _identity(m: Member) -> Any:
    from helpdesk.auth import AgentIdentity

    return AgentIdentity(m.agent_id, m.account_id, (m.role,))


def demote_each_other(a: Member, b: Member, before_write: Callable[[str], None],
                      monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Each owner demotes the other to admin, through the agent API's domain call, in two threads
    that have both read the roles before either writes; `before_write(caller)` runs at that point."""
    from helpdesk import agents
    from helpdesk.store import agents as agent_store

    real = agent_store.change_agent
    both_read = threading.Barrier(2)

    def change_agent(*args: Any, **kwargs: Any) -> bool:
        both_read.wait(timeout=10)
        before_write(kwargs["by"])
        return bool(real(*args, **kwargs))

    monkeypatch.setattr(agent_store, "change_agent", change_agent)

    def demote(by: Member, target: Member) -> Any:
        try:
            return agents.change(_identity(by), target.agent_id, {"role": "admin"})
        except Exception as error:  # the outcome is what the test reads
            return error

    with ThreadPoolExecutor(max_workers=2) as workers:
        outcomes = [workers.submit(demote, a, b), workers.submit(demote, b, a)]
        return {a.agent_id: outcomes[0].result(timeout=60), b.agent_id: outcomes[1].result(timeout=60)}


def test_two_owners_demoting_each_other_at_once_never_both_succeed(
        brand: Brand, two_owners: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    """Both decide on the roles they read; B's write is held back until A's has committed."""
    from helpdesk.errors import Conflict
    from helpdesk.store import agents as agent_store

    a, b = two_owners
    a_done = threading.Event()

    def hold_b(caller: str) -> None:
        if caller == b.agent_id:
            assert a_done.wait(timeout=20)

    commits: list[bool] = []
    real = agent_store.Transaction.commit

    def commit(self: Any) -> Any:
        try:
            return real(self)
        finally:
            commits.append(True)
            a_done.set()  # held back until A's transaction has been answered

    monkeypatch.setattr(agent_store.Transaction, "commit", commit)
    outcomes = demote_each_other(a, b, hold_b, monkeypatch)
    assert isinstance(outcomes[a.agent_id], dict) and outcomes[a.agent_id]["role"] == "admin"
    assert isinstance(outcomes[b.agent_id], Conflict), outcomes[b.agent_id]
    assert owners(brand.account_id) == [a.agent_id]
    assert len(commits) == 2  # B did write, and its transaction's conditions refused it


def test_two_owners_demoting_each_other_released_together_leave_one_owner(
        brand: Brand, aws: Aws, pool: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.errors import Conflict

    for attempt in range(4):
        a, b = member(aws, pool, brand.account_id, "owner"), member(aws, pool, brand.account_id, "owner")
        with monkeypatch.context() as scoped:
            outcomes = demote_each_other(a, b, lambda _caller: None, scoped)
        won = [k for k, v in outcomes.items() if isinstance(v, dict)]
        lost = [k for k, v in outcomes.items() if isinstance(v, Conflict)]
        assert len(won) == 1 and len(lost) == 1, (attempt, outcomes)
        # Outcomes are keyed by the owner who asked: the one who got through is still an owner.
        assert won[0] in owners(brand.account_id) and lost[0] not in owners(brand.account_id), attempt


def test_two_owners_demoting_each_other_when_one_write_conflicts(
        brand: Brand, faults: Any, two_owners: tuple[Member, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB cancels the first transaction to arrive with TransactionConflict: that owner is told
    to retry (503) and the other goes through. Never both."""
    a, b = two_owners

    def is_role_change(request: Request) -> bool:
        return any(name == "Update" and op.get("Key", {}).get("sk", {}).get("S", "").startswith("AGENT#")
                   for name, op in _entries(request))

    fault = faults.add(TRANSACT, fault_answers.transaction_conflict(), times=1, when=is_role_change)
    outcomes = demote_each_other(a, b, lambda _caller: None, monkeypatch)
    assert fault.hits == 1
    won = [k for k, v in outcomes.items() if isinstance(v, dict)]
    refused = [k for k, v in outcomes.items() if isinstance(v, Transient)]
    assert len(won) == 1 and len(refused) == 1, outcomes
    assert owners(brand.account_id) == won  # the refused one wrote nothing; the other demoted them
