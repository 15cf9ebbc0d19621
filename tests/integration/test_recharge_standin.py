"""The Recharge 2021-11 client (helpdesk.providers.recharge) against the local stand-in
(infra/local/recharge_standin.py) over HTTP: subscriptions by customer, skip, cancel, quantity and next
charge date really change the store; 429 waited out; Recharge's refusals as domain errors."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from helpdesk.errors import NotFound
from helpdesk.providers.recharge import Recharge, RechargeRefused, RechargeThrottled
from helpdesk.providers.sending import ProviderMisconfigured

ALEX = "alex.lee@example.com"


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def rc(commerce: Any, waits: list[float]) -> Recharge:
    return Recharge.from_settings(sleep=waits.append)


def active(rc: Recharge, email: str = ALEX) -> Any:
    return next(s for s in rc.subscriptions_for(email) if s.status == "active")


def test_a_customers_subscriptions_page_by_page(rc: Recharge) -> None:
    customer = rc.find_customer(ALEX)
    assert customer is not None and customer.shopify_customer_id == "7001000002"
    one_by_one = rc.subscriptions(customer.id, limit=1)
    assert [(s.product_title, s.status) for s in one_by_one] == [("Wool Socks Club", "active"),
                                                                ("Sparkling Water", "cancelled")]
    assert [s.id for s in rc.subscriptions(customer.id, status="active")] == [one_by_one[0].id]
    assert rc.subscriptions_for("sam.park@example.com") == [] and rc.subscriptions_for("no@example.com") == []


def test_skip_skips_the_next_charge_and_the_following_one_is_queued(rc: Recharge) -> None:
    socks = active(rc)
    first = rc.next_charge(socks.id)
    assert first is not None and first.scheduled_at == socks.next_charge_scheduled_at
    skipped = rc.skip_next_charge(socks.id)
    assert (skipped.id, skipped.status) == (first.id, "skipped")
    following = rc.next_charge(socks.id)
    assert following is not None and following.status == "queued"
    start = dt.date.fromisoformat(str(first.scheduled_at))
    assert following.scheduled_at == start.replace(month=(start.month + 1) % 12 + 1,  # every two months
                                                   year=start.year + (start.month + 1) // 12).isoformat()
    assert active(rc).next_charge_scheduled_at == following.scheduled_at


def test_cancel_cancels_and_drops_the_queued_charge(commerce: Any, rc: Recharge) -> None:
    socks = active(rc)
    cancelled = rc.cancel_subscription(socks.id, "Too many socks", comments="drawer is full")
    assert (cancelled.status, cancelled.cancellation_reason, cancelled.next_charge_scheduled_at) == (
        "cancelled", "Too many socks", None)
    assert rc.next_charge(socks.id) is None
    assert commerce.recharge.store.emails[-1]["kind"] == "subscription_cancelled"
    with pytest.raises(RechargeRefused, match="Recharge refused the cancellation: Subscription is already cancelled"):
        rc.cancel_subscription(socks.id, "again")
    with pytest.raises(RechargeRefused, match="no upcoming charge"):
        rc.skip_next_charge(socks.id)


def test_quantity_and_next_charge_date_change_the_queued_charge(rc: Recharge) -> None:
    coffee = active(rc, "jiwoo.kim@example.com")
    assert rc.set_quantity(coffee.id, 3).quantity == 3
    later = dt.date.today() + dt.timedelta(days=45)
    assert rc.set_next_charge_date(coffee.id, later).next_charge_scheduled_at == later.isoformat()
    charge = rc.next_charge(coffee.id)
    assert charge is not None and charge.scheduled_at == later.isoformat()


def test_recharges_refusals_are_quoted(rc: Recharge) -> None:
    coffee = active(rc, "jiwoo.kim@example.com")
    with pytest.raises(RechargeRefused, match="date: must be in the future"):
        rc.set_next_charge_date(coffee.id, dt.date.today() - dt.timedelta(days=1))
    with pytest.raises(NotFound, match="Recharge has no subscription 1"):
        rc.set_quantity(1, 2)


def test_a_429_waits_two_seconds_and_the_request_goes_through(commerce: Any, rc: Recharge, waits: list[float]) -> None:
    commerce.recharge.control(throttle=2)
    assert active(rc).product_title == "Wool Socks Club"
    assert waits == [2.0, 2.0]
    commerce.recharge.control(throttle=3)
    with pytest.raises(RechargeThrottled):
        rc.subscriptions(1)


def test_a_wrong_token_is_a_configuration_error(commerce: Any) -> None:
    with pytest.raises(ProviderMisconfigured, match="RECHARGE_ACCESS_TOKEN"):
        Recharge("wrong", api_url=commerce.recharge.url).find_customer(ALEX)
