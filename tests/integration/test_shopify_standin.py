"""The Shopify Admin GraphQL client (helpdesk.providers.shopify) against the local stand-in
(infra/local/shopify_standin.py) over HTTP: every operation, the demo customers by the state of their
latest order, a query the stand-in does not know refused, throttling waited out, Shopify's refusals as
domain errors, and mutations that really change the shop."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from helpdesk.providers import shopify
from helpdesk.providers.sending import ProviderMisconfigured
from helpdesk.providers.shopify import Shopify, ShopifyError, ShopifyNotFound, ShopifyRefused, Throttled
from infra.local.shopify_standin import ACCESS_TOKEN, SHOP, demo_customers

_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture
def shop(commerce: Any) -> Shopify:
    return Shopify.from_settings()  # the settings the stack sets: SHOPIFY_SHOP, _ACCESS_TOKEN, _API_URL


def post(url: str, payload: Any, token: str = ACCESS_TOKEN) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST", headers={
        "Content-Type": "application/json", "X-Shopify-Access-Token": token})
    try:
        with _OPENER.open(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def orders_of(shop: Shopify, state: str) -> shopify.CustomerOrders:
    found = shop.customer_orders(email=demo_customers()[state]["email"])
    assert found is not None
    return found


# --- reads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["unfulfilled", "partially_fulfilled", "fulfilled", "on_hold", "cancelled"])
def test_each_demo_customers_latest_order_is_in_their_state_in_one_request(commerce: Any, shop: Shopify,
                                                                           state: str) -> None:
    found = orders_of(shop, state)
    assert found.latest is not None and found.latest.state == state
    assert found.customer.email == demo_customers()[state]["email"]
    assert shop.requests == 1 and commerce.shopify.requests == ["HelpdeskCustomerOrders"]
    assert shop.last_cost is not None and shop.last_cost.requested == 945
    assert shop.last_cost.actual is not None and shop.last_cost.actual < shop.last_cost.requested


def test_orders_come_newest_first_with_every_line_items_state(shop: Shopify) -> None:
    found = orders_of(shop, "partially_fulfilled")
    assert [o.name for o in found.orders] == ["#1001", "#0990"]
    latest = found.orders[0]
    assert [(li.name, li.state, li.fulfilled, li.changeable) for li in latest.lines] == [
        ("Linen Shirt - Blue / M", "fulfilled", 1, 0), ("Canvas Tote - Natural", "unfulfilled", 0, 2),
        ("Wool Socks - Grey (3 pack)", "partially_fulfilled", 1, 2)]
    assert latest.status_page_url and latest.status_page_url.startswith(f"https://{SHOP}/")
    assert found.orders[1].state == "fulfilled" and found.customer.number_of_orders == 2


def test_a_customer_is_found_by_phone_in_any_format_and_one_without_orders_has_none(shop: Shopify) -> None:
    who = demo_customers()["no_orders"]
    customer = shop.find_customer(phone=who["phone"][:2] + " " + who["phone"][2:5] + "-" + who["phone"][5:])
    assert customer is not None and customer.email == who["email"] and customer.number_of_orders == 0
    found = shop.customer_orders(phone=who["phone"])
    assert found is not None and found.orders == () and found.latest is None


def test_an_unknown_customer_is_none(shop: Shopify) -> None:
    assert shop.find_customer(email="nobody@example.com") is None
    assert shop.customer_orders(phone="+14155559999") is None


# --- drift -----------------------------------------------------------------------------------------


def test_a_query_the_client_does_not_send_is_refused(commerce: Any, shop: Shopify) -> None:
    drifted = shopify.CUSTOMER_QUERY.replace("numberOfOrders", "numberOfOrders\n    email")
    with pytest.raises(ShopifyError, match="does not know this query"):
        shop.execute(drifted, {"identifier": {"emailAddress": "alex.lee@example.com"}})
    deprecated = shopify.CUSTOMER_ORDERS_QUERY.replace("unfulfilledQuantity", "fulfillableQuantity")
    with pytest.raises(ShopifyError, match="does not know"):
        shop.execute(deprecated, {"identifier": {"emailAddress": "alex.lee@example.com"}})


def test_a_known_document_is_recognised_whatever_its_layout(commerce: Any) -> None:
    squeezed = " ".join(shopify.CUSTOMER_QUERY.split()).replace("{ ", "{").replace(" }", "}")
    status, body = post(commerce.shopify.url + "/admin/api/2026-10/graphql.json",
                        {"query": "# a comment\n" + squeezed, "variables": {"identifier": {"emailAddress":
                                                                                        "alex.lee@example.com"}}})
    assert status == 200 and body["data"]["customerByIdentifier"]["displayName"] == "Alex Lee"
    assert body["extensions"]["cost"]["requestedQueryCost"] == 3


def test_wrong_token_or_version_is_a_configuration_error(commerce: Any) -> None:
    with pytest.raises(ProviderMisconfigured, match="SHOPIFY_ACCESS_TOKEN"):
        Shopify(SHOP, "shpat_wrong", api_url=commerce.shopify.url).find_customer(email="alex.lee@example.com")
    status, body = post(commerce.shopify.url + "/admin/api/2026-07/graphql.json", {"query": shopify.JOB_QUERY})
    assert status == 404
    status, body = post(commerce.shopify.url + "/admin/api/2026-10/graphql.json", {"query": shopify.JOB_QUERY},
                        token="wrong")
    assert status == 401 and "Invalid API key or access token" in body["errors"]


def test_variables_are_checked_as_graphql_checks_them(shop: Shopify) -> None:
    with pytest.raises(ShopifyError, match=r"Variable \$reason of type OrderCancelReason! was provided invalid value"):
        shop.execute(shopify.ORDER_CANCEL, {"orderId": "gid://shopify/Order/5501001002", "reason": "BORED",
                                            "restock": True})
    with pytest.raises(ShopifyError, match=r"Variable \$restock of type Boolean!"):
        shop.execute(shopify.ORDER_CANCEL, {"orderId": "gid://shopify/Order/5501001002", "reason": "CUSTOMER"})


# --- throttling ------------------------------------------------------------------------------------


def test_throttled_the_client_waits_what_throttle_status_says_and_succeeds(commerce: Any) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        time.sleep(seconds)

    shop = Shopify.from_settings(sleep=sleep)
    commerce.shopify.control(bucket={"available": 0, "restore_rate": 1000})
    found = shop.customer_orders(email=demo_customers()["unfulfilled"]["email"])
    assert found is not None and found.latest is not None and found.latest.state == "unfulfilled"
    # (945 points asked - 0 available) / 1000 a second, raised to the one-second floor
    assert waits == [1.0] and shop.requests == 2
    assert commerce.shopify.requests == ["HelpdeskCustomerOrders", "HelpdeskCustomerOrders"]


def test_a_429_is_waited_out_too(commerce: Any) -> None:
    waits: list[float] = []
    shop = Shopify.from_settings(sleep=waits.append)
    commerce.shopify.control(throttle_429=1)
    assert shop.find_customer(email=demo_customers()["fulfilled"]["email"]) is not None
    assert waits == [1.0] and shop.requests == 2


def test_a_bucket_that_refills_too_slowly_is_a_transient_error_without_waiting(commerce: Any) -> None:
    waits: list[float] = []
    shop = Shopify.from_settings(sleep=waits.append)
    commerce.shopify.control(bucket={"available": 0, "restore_rate": 50})
    with pytest.raises(Throttled) as caught:
        shop.customer_orders(email=demo_customers()["unfulfilled"]["email"])
    assert waits == [] and caught.value.retry_after == pytest.approx(945 / 50, abs=0.1)
    assert caught.value.status == 503


def test_the_control_endpoint_sets_the_bucket_over_http(commerce: Any) -> None:
    status, body = post(commerce.shopify.url + "/_control", {"bucket": {"available": 5, "maximum": 1000}})
    assert status == 200 and body["bucket"]["maximumAvailable"] == 1000 and body["bucket"]["currentlyAvailable"] < 20
    status, body = post(commerce.shopify.url + "/_control", {"throttle": True})
    assert status == 400 and "unknown modes" in body["error"]


# --- edits -----------------------------------------------------------------------------------------


def test_an_edit_really_changes_quantities_and_the_customer_is_told(commerce: Any, shop: Shopify) -> None:
    order = orders_of(shop, "unfulfilled").orders[0]
    dress, scarf = order.lines
    result = shop.edit_quantities(order.id, {dress.id: 2, scarf.id: 0}, staff_note="asked on SMS")
    assert (result.order_id, result.order_name, result.messages) == (order.id, "#1002", ("Order updated",))
    after = orders_of(shop, "unfulfilled").orders[0]
    assert [(li.quantity, li.state, li.changeable) for li in after.lines] == [(2, "unfulfilled", 2), (0, "removed", 0)]
    assert commerce.shopify.shop.notifications[-1]["kind"] == "order_edited"
    assert commerce.shopify.requests[1:4] == ["HelpdeskOrderEditBegin", "HelpdeskOrderEditSetQuantity",
                                              "HelpdeskOrderEditSetQuantity"]


def test_a_partly_shipped_line_changes_only_in_its_unshipped_part(shop: Shopify) -> None:
    order = orders_of(shop, "partially_fulfilled").orders[0]
    socks = order.lines[2]  # 3 ordered, 1 shipped
    with pytest.raises(ShopifyRefused, match="Quantity can't be less than 1") as caught:
        shop.edit_quantities(order.id, {socks.id: 0})
    assert caught.value.errors[0].field == ("quantity",)
    assert orders_of(shop, "partially_fulfilled").orders[0].lines[2].quantity == 3  # nothing committed
    shop.edit_quantities(order.id, {socks.id: 1}, notify_customer=False)
    assert orders_of(shop, "partially_fulfilled").orders[0].lines[2].state == "fulfilled"


def test_a_cancelled_order_cannot_be_edited(shop: Shopify) -> None:
    order = orders_of(shop, "cancelled").orders[0]
    with pytest.raises(ShopifyRefused, match="Shopify refused the order edit: The order has been canceled"):
        shop.edit_quantities(order.id, {order.lines[0].id: 1})


def test_editing_an_order_shopify_does_not_have_says_so(shop: Shopify) -> None:
    with pytest.raises(ShopifyRefused, match="The order does not exist"):
        shop.edit_quantities("gid://shopify/Order/1", {"gid://shopify/LineItem/1": 1})


# --- cancellation -----------------------------------------------------------------------------------


def test_cancel_really_cancels_and_its_job_finishes(commerce: Any, shop: Shopify) -> None:
    order = orders_of(shop, "on_hold").orders[0]
    job = shop.cancel_order(order.id, reason="CUSTOMER", refund="original", restock=True)
    assert job.id.startswith("gid://shopify/Job/") and not job.done
    assert shop.job(job.id) == shopify.Job(job.id, True)
    after = orders_of(shop, "on_hold").orders[0]
    assert (after.state, after.financial_status, after.editable) == ("cancelled", "REFUNDED", False)
    assert after.cancelled_at and commerce.shopify.shop.notifications[-1] == {
        **commerce.shopify.shop.notifications[-1], "kind": "order_cancelled", "order": "#1004"}
    assert shop.job("gid://shopify/Job/unknown") is None


def test_cancelling_again_or_a_shipped_order_is_refused_in_shopifys_words(shop: Shopify) -> None:
    with pytest.raises(ShopifyRefused, match="already been canceled") as caught:
        shop.cancel_order(orders_of(shop, "cancelled").orders[0].id)
    assert caught.value.errors[0].code == "INVALID"
    with pytest.raises(ShopifyRefused, match="fulfilled or in-progress items"):
        shop.cancel_order(orders_of(shop, "partially_fulfilled").orders[0].id)
    assert orders_of(shop, "partially_fulfilled").orders[0].state == "partially_fulfilled"


def test_cancelling_an_order_shopify_does_not_have_is_not_found(shop: Shopify) -> None:
    with pytest.raises(ShopifyNotFound, match="Order does not exist"):
        shop.cancel_order("gid://shopify/Order/1")


def test_a_cancellation_without_refund_leaves_the_payment(shop: Shopify) -> None:
    order = orders_of(shop, "unfulfilled").orders[0]
    shop.cancel_order(order.id, reason="OTHER", refund="none", notify_customer=False)
    after = orders_of(shop, "unfulfilled").orders[0]
    assert (after.state, after.financial_status) == ("cancelled", "PAID")
