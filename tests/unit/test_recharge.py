"""The Recharge 2021-11 client: its headers and requests, a 429 waited out (2 s or Recharge's longer
Retry-After, a bounded number of times), Recharge's error shapes as domain errors. The wire is replaced by
scripted answers in Recharge's shapes (unit tests have no network)."""
from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any

import pytest

from helpdesk.errors import BadRequest, NotFound, Transient
from helpdesk.providers import json_http, recharge
from helpdesk.providers.recharge import Recharge, RechargeRefused, RechargeThrottled, retry_wait
from helpdesk.providers.sending import ProviderMisconfigured

SUBSCRIPTION = {"id": 27002, "customer_id": 8100002, "status": "active", "product_title": "Wool Socks Club",
                "variant_title": "Grey / M", "quantity": 2, "price": "18.00", "next_charge_scheduled_at": "2026-12-27",
                "order_interval_unit": "month", "order_interval_frequency": 2, "cancelled_at": None,
                "cancellation_reason": None, "external_variant_id": {"ecommerce": "44100000002"}}
CHARGE = {"id": 41002, "status": "queued", "scheduled_at": "2026-12-27T00:00:00", "line_items": [
    {"purchase_item_id": 27002, "purchase_item_type": "subscription", "quantity": 2}]}


class Wire:
    def __init__(self, *answers: tuple[int, Any] | tuple[int, Any, dict[str, str]]):
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    def __call__(self, method: str, url: str, *, headers: dict[str, str], payload: Any = None,
                 timeout: float = 10.0) -> json_http.Reply:
        parts = urllib.parse.urlsplit(url)
        self.sent.append({"method": method, "path": parts.path, "query": dict(urllib.parse.parse_qsl(parts.query)),
                          "headers": headers, "payload": payload})
        status, body, *rest = self.answers.pop(0)
        return json_http.Reply(status, {k.lower(): v for k, v in (rest[0] if rest else {}).items()}, body)


@pytest.fixture
def waits() -> list[float]:
    return []


def client(monkeypatch: pytest.MonkeyPatch, wire: Wire, waits: list[float]) -> Recharge:
    monkeypatch.setattr(json_http, "request", wire)
    return Recharge("rc-token", sleep=waits.append)


def test_every_request_names_the_token_and_pins_2021_11(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {"customers": [], "next_cursor": None}))
    assert client(monkeypatch, wire, waits).find_customer(" alex.lee@example.com ") is None
    sent = wire.sent[0]
    assert sent["headers"] == {"X-Recharge-Access-Token": "rc-token", "X-Recharge-Version": "2021-11"}
    assert (sent["method"], sent["path"], sent["query"]) == ("GET", "/customers",
                                                            {"email": "alex.lee@example.com", "limit": "1"})


def test_subscriptions_follow_the_cursor_alone_with_limit(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {"subscriptions": [SUBSCRIPTION], "next_cursor": "abc", "previous_cursor": None}),
                (200, {"subscriptions": [{**SUBSCRIPTION, "id": 27003, "status": "cancelled"}], "next_cursor": None}))
    found = client(monkeypatch, wire, waits).subscriptions(8100002, limit=1)
    assert [(s.id, s.status) for s in found] == [(27002, "active"), (27003, "cancelled")]
    assert [s["query"] for s in wire.sent] == [{"customer_id": "8100002", "limit": "1"},
                                               {"cursor": "abc", "limit": "1"}]


def test_skip_finds_the_earliest_queued_charge_and_skips_this_subscription_only(monkeypatch: pytest.MonkeyPatch,
                                                                               waits: list[float]) -> None:
    wire = Wire((200, {"charges": [CHARGE], "next_cursor": None}),
                (200, {"charge": {**CHARGE, "status": "skipped"}}))
    charge = client(monkeypatch, wire, waits).skip_next_charge(27002)
    assert charge == recharge.Charge(41002, "skipped", "2026-12-27", (27002,))
    assert wire.sent[0]["query"] == {"purchase_item_id": "27002", "status": "queued", "sort_by": "scheduled_at-asc",
                                     "limit": "1"}
    assert (wire.sent[1]["method"], wire.sent[1]["path"], wire.sent[1]["payload"]) == (
        "POST", "/charges/41002/skip", {"purchase_item_ids": [27002]})


def test_nothing_queued_means_nothing_to_skip(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {"charges": [], "next_cursor": None}))
    with pytest.raises(RechargeRefused, match="no upcoming charge"):
        client(monkeypatch, wire, waits).skip_next_charge(27002)
    assert len(wire.sent) == 1


def test_cancel_sends_the_reason_comments_and_email_choice(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {"subscription": {**SUBSCRIPTION, "status": "cancelled", "cancellation_reason": "Moving"}}))
    cancelled = client(monkeypatch, wire, waits).cancel_subscription(27002, " Moving ", comments="abroad for a year",
                                                                     send_email=False)
    assert (cancelled.status, cancelled.cancellation_reason) == ("cancelled", "Moving")
    assert wire.sent[0]["payload"] == {"cancellation_reason": "Moving", "send_email": False,
                                       "cancellation_reason_comments": "abroad for a year"}


def test_quantity_and_next_charge_date(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {"subscription": {**SUBSCRIPTION, "quantity": 3}}),
                (200, {"subscription": {**SUBSCRIPTION, "next_charge_scheduled_at": "2027-01-15T00:00:00"}}))
    rc = client(monkeypatch, wire, waits)
    assert rc.set_quantity(27002, 3).quantity == 3
    assert rc.set_next_charge_date(27002, dt.date(2027, 1, 15)).next_charge_scheduled_at == "2027-01-15"
    assert [(s["method"], s["path"], s["payload"]) for s in wire.sent] == [
        ("PUT", "/subscriptions/27002", {"quantity": 3}),
        ("POST", "/subscriptions/27002/set_next_charge_date", {"date": "2027-01-15"})]


@pytest.mark.parametrize("call", [
    lambda rc: rc.cancel_subscription(1, "  "), lambda rc: rc.set_quantity(1, 0), lambda rc: rc.set_quantity(1, True),
    lambda rc: rc.set_next_charge_date(1, "next tuesday")])
def test_bad_input_is_refused_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch, waits: list[float],
                                                      call: Any) -> None:
    wire = Wire()
    with pytest.raises(BadRequest):
        call(client(monkeypatch, wire, waits))
    assert wire.sent == []


def test_a_429_waits_at_least_two_seconds_then_sends_again(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((429, {"errors": "Too Many Requests"}), (429, {"errors": "Too Many Requests"}, {"Retry-After": "3"}),
                (200, {"subscription": SUBSCRIPTION}))
    assert client(monkeypatch, wire, waits).set_quantity(27002, 2).id == 27002
    assert waits == [2.0, 3.0] and len(wire.sent) == 3


def test_throttling_past_the_tries_allowed_is_transient(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire(*[(429, {"errors": "Too Many Requests"})] * 3)
    with pytest.raises(RechargeThrottled) as caught:
        client(monkeypatch, wire, waits).subscriptions(1)
    assert isinstance(caught.value, Transient) and waits == [2.0, 2.0] and len(wire.sent) == 3


def test_the_wait_is_two_seconds_or_recharges_longer_figure() -> None:
    assert retry_wait(None) == 2.0
    assert retry_wait("1") == 2.0
    assert retry_wait("7.5") == 7.5
    assert retry_wait("Wed, 21 Oct 2026 07:28:00 GMT") == 2.0


@pytest.mark.parametrize("status, body, error, words", [
    (401, {"errors": "Invalid API token"}, ProviderMisconfigured, "RECHARGE_ACCESS_TOKEN"),
    (403, {"errors": "Token lacks write_subscriptions"}, ProviderMisconfigured, "write_subscriptions"),
    (404, {"errors": "Not Found"}, NotFound, "^Recharge has no subscription 27002$"),
    (422, {"errors": {"cancellation_reason": ["This field is required."]}}, RechargeRefused,
     "cancellation_reason: This field is required."),
    (422, {"errors": "Subscription is already cancelled"}, RechargeRefused, "already cancelled"),
    (409, {"error": "Charge is locked for processing"}, RechargeRefused, "locked for processing"),
    (500, None, Transient, "HTTP 500"),
    (200, None, ProviderMisconfigured, "RECHARGE_API_URL"),
])
def test_recharges_failures_become_domain_errors(monkeypatch: pytest.MonkeyPatch, waits: list[float], status: int,
                                                 body: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        client(monkeypatch, Wire((status, body)), waits).cancel_subscription(27002, "Moving")
    assert waits == []


def test_parsing_reads_2021_11_shapes() -> None:
    subscription = recharge.subscription_of({**SUBSCRIPTION, "status": "ACTIVE",
                                             "next_charge_scheduled_at": "2026-12-27T00:00:00"})
    assert (subscription.status, subscription.next_charge_scheduled_at, subscription.order_interval_frequency) == (
        "active", "2026-12-27", 2)
    assert recharge.charge_of({**CHARGE, "status": "QUEUED"}).status == "queued"


def test_from_settings_reads_token_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECHARGE_ACCESS_TOKEN", "rc-x")
    monkeypatch.setenv("RECHARGE_API_URL", "http://127.0.0.1:9/")
    rc = Recharge.from_settings()
    assert (rc.access_token, rc.api_url) == ("rc-x", "http://127.0.0.1:9")
    monkeypatch.delenv("RECHARGE_API_URL")
    assert Recharge.from_settings().api_url == "https://api.rechargeapps.com"
    monkeypatch.delenv("RECHARGE_ACCESS_TOKEN")
    monkeypatch.delenv("RECHARGE_ACCESS_TOKEN_PARAM", raising=False)
    with pytest.raises(ProviderMisconfigured, match="RECHARGE_ACCESS_TOKEN"):
        Recharge.from_settings()
