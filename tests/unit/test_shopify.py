"""The Shopify Admin GraphQL client: an order read as a state with what can still change per line, the
cost-based throttle waited out from `extensions.cost.throttleStatus`, Shopify's errors as domain errors.
The wire is replaced by scripted answers in Shopify's shapes (unit tests have no network)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk.errors import BadRequest, NotFound, Transient
from helpdesk.providers import json_http, shopify
from helpdesk.providers.sending import ProviderMisconfigured
from helpdesk.providers.shopify import (
    Cost,
    Shopify,
    ShopifyError,
    ShopifyNotFound,
    ShopifyRefused,
    Throttled,
    order_view,
    throttle_wait,
)

ORDER = "gid://shopify/Order/5501001002"


def line(number: int, quantity: int, unfulfilled: int, *, current: int | None = None, no_shipping: int = 0,
         name: str = "Summer Dress - Blue / M") -> dict[str, Any]:
    return {"id": f"gid://shopify/LineItem/{number}", "name": name, "sku": f"SKU-{number}", "quantity": quantity,
            "currentQuantity": quantity if current is None else current, "unfulfilledQuantity": unfulfilled,
            "nonFulfillableQuantity": no_shipping}


def fulfillment_order(number: int, status: str, *items: tuple[int, int, int]) -> dict[str, Any]:
    """items: (line number, total, remaining)."""
    return {"id": f"gid://shopify/FulfillmentOrder/{number}", "status": status, "lineItems": {"nodes": [
        {"id": f"gid://shopify/FulfillmentOrderLineItem/{number}{i}", "totalQuantity": total,
         "remainingQuantity": remaining, "lineItem": {"id": f"gid://shopify/LineItem/{line_number}"}}
        for i, (line_number, total, remaining) in enumerate(items)]}}


def order(lines: list[dict[str, Any]], fulfillment_orders: list[dict[str, Any]] = (),  # type: ignore[assignment]
          *, display: str = "UNFULFILLED", cancelled_at: str | None = None, more_lines: bool = False) -> dict[str, Any]:
    return {"id": ORDER, "name": "#1002", "createdAt": "2026-12-05T10:00:00Z", "processedAt": "2026-12-05T10:00:00Z",
            "cancelledAt": cancelled_at, "cancelReason": "CUSTOMER" if cancelled_at else None,
            "displayFulfillmentStatus": display, "displayFinancialStatus": "PAID",
            "statusPageUrl": "https://demo-store.myshopify.com/1/orders/abc/authenticate?key=k",
            "lineItems": {"pageInfo": {"hasNextPage": more_lines}, "nodes": lines},
            "fulfillmentOrders": {"nodes": list(fulfillment_orders)}}


# --- the order as the helpdesk reads it ------------------------------------------------------------


def test_an_order_with_nothing_shipped_is_unfulfilled_and_every_line_can_change() -> None:
    view = order_view(order([line(1, 1, 1), line(2, 2, 2)], [fulfillment_order(10, "OPEN", (1, 1, 1), (2, 2, 2))]))
    assert view.state == "unfulfilled" and view.editable
    assert [(li.state, li.changeable, li.fulfilled) for li in view.lines] == [("unfulfilled", 1, 0),
                                                                              ("unfulfilled", 2, 0)]
    assert view.status_page_url and view.complete


def test_a_partly_shipped_order_says_line_by_line_what_can_still_change() -> None:
    view = order_view(order(
        [line(1, 1, 0), line(2, 2, 2), line(3, 3, 2)],
        [fulfillment_order(11, "CLOSED", (1, 1, 0), (3, 1, 0)), fulfillment_order(12, "OPEN", (2, 2, 2), (3, 2, 2))],
        display="PARTIALLY_FULFILLED"))
    assert view.state == "partially_fulfilled" and view.editable
    assert [(li.state, li.fulfilled, li.changeable) for li in view.lines] == [
        ("fulfilled", 1, 0), ("unfulfilled", 0, 2), ("partially_fulfilled", 1, 2)]
    assert [li.id for li in view.shipped_lines] == ["gid://shopify/LineItem/1", "gid://shopify/LineItem/3"]
    assert [li.id for li in view.changeable_lines] == ["gid://shopify/LineItem/2", "gid://shopify/LineItem/3"]


def test_a_shipped_order_is_fulfilled_and_nothing_can_change() -> None:
    view = order_view(order([line(1, 1, 0), line(2, 1, 0)], [fulfillment_order(11, "CLOSED", (1, 1, 0), (2, 1, 0))],
                            display="FULFILLED"))
    assert view.state == "fulfilled" and not view.editable
    assert {li.state for li in view.lines} == {"fulfilled"}


def test_a_cancelled_order_is_cancelled_whatever_its_lines_say() -> None:
    view = order_view(order([line(1, 1, 1)], display="UNFULFILLED", cancelled_at="2026-12-06T08:00:00Z"))
    assert view.state == "cancelled" and not view.editable


@pytest.mark.parametrize("display, fo_status", [("ON_HOLD", "ON_HOLD"), ("UNFULFILLED", "ON_HOLD"),
                                                ("ON_HOLD", "OPEN")])
def test_a_held_order_is_on_hold_by_shopifys_summary_or_its_fulfilment_order(display: str, fo_status: str) -> None:
    view = order_view(order([line(1, 1, 1)], [fulfillment_order(10, fo_status, (1, 1, 1))], display=display))
    assert view.state == "on_hold" and view.editable  # a hold stops shipping, not edits
    assert view.lines[0].changeable == 1


def test_quantities_a_fulfilment_service_is_preparing_cannot_change() -> None:
    view = order_view(order([line(1, 3, 3)], [fulfillment_order(10, "IN_PROGRESS", (1, 2, 2)),
                                              fulfillment_order(11, "OPEN", (1, 1, 1))], display="IN_PROGRESS"))
    assert view.state == "unfulfilled"
    assert (view.lines[0].in_progress, view.lines[0].changeable) == (2, 1)


def test_removed_lines_and_digital_items_are_neither_waiting_nor_shipped() -> None:
    view = order_view(order([line(1, 2, 0, current=0), line(2, 1, 0, no_shipping=1, name="Gift card"),
                             line(3, 1, 1)]))
    removed, gift, dress = view.lines
    assert removed.state == "removed" and removed.changeable == 0
    assert (gift.fulfilled, gift.unfulfilled, gift.state) == (0, 0, "fulfilled")
    assert view.state == "partially_fulfilled" and dress.changeable == 1


def test_an_order_whose_lines_were_all_removed_falls_back_on_shopifys_summary() -> None:
    assert order_view(order([line(1, 1, 0, current=0)], display="FULFILLED")).state == "fulfilled"
    assert order_view(order([line(1, 1, 0, current=0)], display="OPEN")).state == "unfulfilled"


def test_an_order_with_more_line_items_than_one_page_says_it_is_incomplete() -> None:
    assert not order_view(order([line(1, 1, 1)], more_lines=True)).complete


def test_customer_reads_the_non_deprecated_contact_fields() -> None:
    customer = shopify.customer_of({"id": "gid://shopify/Customer/7", "displayName": "Alex Lee", "firstName": "Alex",
                                    "lastName": "Lee", "defaultEmailAddress": {"emailAddress": "alex@example.com"},
                                    "defaultPhoneNumber": None, "numberOfOrders": "2"})
    assert (customer.email, customer.phone, customer.number_of_orders) == ("alex@example.com", None, 2)


# --- the documents ----------------------------------------------------------------------------------


def test_no_document_asks_for_a_deprecated_field() -> None:
    from infra.local.shopify_standin import parse

    def names(fields: list[Any], parent: str = "") -> Iterator[tuple[str, str]]:
        for field in fields:
            yield parent, field.name
            yield from names(field.fields, field.name)

    for document in shopify.DOCUMENTS.values():
        seen = set(names(parse(document).fields))
        assert not {name for _, name in seen} & {"fulfillableQuantity", "fulfillmentStatus"}
        assert not {(p, n) for p, n in seen if p == "customerByIdentifier" and n in ("email", "phone", "ordersCount")}
        assert ("orderCancel", "userErrors") not in seen  # deprecated there: orderCancelUserErrors
    cancel = parse(shopify.ORDER_CANCEL).fields[0]
    assert "refund" not in cancel.args and "refundMethod" in cancel.args  # `refund: Boolean` was 2024-04's


def test_every_document_fits_under_shopifys_single_query_cost_limit() -> None:
    from infra.local.shopify_standin import MAX_QUERY_COST, parse, requested_cost

    costs = {name: requested_cost(parse(document)) for name, document in shopify.DOCUMENTS.items()}
    assert max(costs.values()) <= MAX_QUERY_COST, costs
    assert costs["HelpdeskCustomerOrders"] == 945  # the figure the module's comment gives


# --- the throttle ----------------------------------------------------------------------------------


def cost(requested: float, available: float, rate: float = 100.0, maximum: float = 2000.0) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": None, "throttleStatus": {
        "maximumAvailable": maximum, "currentlyAvailable": available, "restoreRate": rate}}}


def test_the_wait_is_what_the_bucket_lacks_over_its_restore_rate() -> None:
    assert throttle_wait(Cost.of({"extensions": cost(945, 145)})) == pytest.approx(8.0)
    assert throttle_wait(Cost.of({"extensions": cost(945, 900)})) == 1.0  # at least a second
    assert throttle_wait(None, retry_after="2.5") == 2.5
    assert throttle_wait(None, retry_after="soon") == 1.0
    assert throttle_wait(None) == 1.0


class Wire:
    """Stands for json_http.request: answers in order, records what was sent."""

    def __init__(self, *answers: tuple[int, Any] | tuple[int, Any, dict[str, str]] | BaseException):
        self.answers = list(answers)
        self.sent: list[dict[str, Any]] = []

    def __call__(self, method: str, url: str, *, headers: dict[str, str], payload: Any = None,
                 timeout: float = 10.0) -> json_http.Reply:
        self.sent.append({"method": method, "url": url, "headers": headers, "payload": payload})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        status, body, *rest = answer
        return json_http.Reply(status, {k.lower(): v for k, v in (rest[0] if rest else {}).items()}, body)


THROTTLED = {"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]}


def ok(data: dict[str, Any]) -> tuple[int, Any]:
    return 200, {"data": data, "extensions": {"cost": {"requestedQueryCost": 3, "actualQueryCost": 3,
                                                       "throttleStatus": {"maximumAvailable": 2000.0,
                                                                          "currentlyAvailable": 1997,
                                                                          "restoreRate": 100.0}}}}


@pytest.fixture
def waits() -> list[float]:
    return []


def client(monkeypatch: pytest.MonkeyPatch, wire: Wire, waits: list[float], **options: Any) -> Shopify:
    monkeypatch.setattr(json_http, "request", wire)
    return Shopify("demo-store", "shpat_test", sleep=waits.append, **options)


def test_a_throttled_query_waits_what_throttle_status_says_then_succeeds(monkeypatch: pytest.MonkeyPatch,
                                                                         waits: list[float]) -> None:
    wire = Wire((200, {**THROTTLED, "extensions": cost(945, 245)}), ok({"customerByIdentifier": None}))
    shop = client(monkeypatch, wire, waits)
    assert shop.customer_orders(email="alex.lee@example.com") is None
    assert waits == [pytest.approx(7.0)] and shop.requests == 2
    assert wire.sent[0]["url"] == "https://demo-store.myshopify.com/admin/api/2026-10/graphql.json"
    assert wire.sent[0]["headers"]["X-Shopify-Access-Token"] == "shpat_test"
    assert wire.sent[1]["payload"] == wire.sent[0]["payload"]
    assert wire.sent[0]["payload"]["variables"] == {"identifier": {"emailAddress": "alex.lee@example.com"}}


def test_a_429_waits_its_retry_after(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((429, {"errors": "Exceeded 2 calls per second"}, {"Retry-After": "2.0"}),
                ok({"customerByIdentifier": None}))
    assert client(monkeypatch, wire, waits).find_customer(phone="+1 415-555-0124") is None
    assert waits == [2.0]
    assert wire.sent[0]["payload"]["variables"] == {"identifier": {"phoneNumber": "+14155550124"}}


def test_throttling_past_the_tries_allowed_is_transient_with_shopifys_wait(monkeypatch: pytest.MonkeyPatch,
                                                                          waits: list[float]) -> None:
    wire = Wire(*[(200, {**THROTTLED, "extensions": cost(945, 745)})] * 3)
    with pytest.raises(Throttled) as caught:
        client(monkeypatch, wire, waits).customer_orders(email="a@example.com")
    assert waits == [2.0, 2.0] and len(wire.sent) == 3
    assert isinstance(caught.value, Transient) and "try again in 2 s" in caught.value.reason


def test_a_wait_longer_than_the_cap_is_not_slept(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    wire = Wire((200, {**THROTTLED, "extensions": cost(945, 0, rate=50)}))
    with pytest.raises(Throttled) as caught:
        client(monkeypatch, wire, waits).customer_orders(email="a@example.com")
    assert waits == [] and caught.value.retry_after == pytest.approx(18.9)


def test_a_query_dearer_than_the_whole_bucket_is_an_error_not_a_wait(monkeypatch: pytest.MonkeyPatch,
                                                                      waits: list[float]) -> None:
    wire = Wire((200, {**THROTTLED, "extensions": cost(945, 10, maximum=500)}))
    with pytest.raises(ShopifyError, match="can never run"):
        client(monkeypatch, wire, waits).customer_orders(email="a@example.com")
    assert waits == []


# --- errors ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, body, error, words", [
    (401, {"errors": "[API] Invalid API key or access token"}, ProviderMisconfigured, "SHOPIFY_ACCESS_TOKEN"),
    (403, {"errors": "Forbidden"}, ProviderMisconfigured, "scopes"),
    (404, {"errors": "Not Found"}, ProviderMisconfigured, "SHOPIFY_SHOP"),
    (402, {"errors": "Unavailable Shop"}, ShopifyError, "frozen"),
    (503, None, Transient, "HTTP 503"),
    (200, None, ProviderMisconfigured, "SHOPIFY_API_URL"),  # an HTML page: not the Admin API
    (200, {"errors": [{"message": "Access denied for orders field. Required access: `read_orders` access scope.",
                       "extensions": {"code": "ACCESS_DENIED"}}]}, ProviderMisconfigured, "read_orders"),
    (200, {"errors": [{"message": "Field 'fulfillableQuantity' doesn't exist on type 'LineItem'",
                       "extensions": {"code": "undefinedField"}}]}, ShopifyError, "fulfillableQuantity"),
])
def test_shopifys_failures_become_domain_errors(monkeypatch: pytest.MonkeyPatch, waits: list[float], status: int,
                                                body: Any, error: type[Exception], words: str) -> None:
    with pytest.raises(error, match=words):
        client(monkeypatch, Wire((status, body)), waits).find_customer(email="a@example.com")
    assert waits == []


def test_cancel_user_errors_are_refusals_quoting_shopify(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    answer = ok({"orderCancel": {"job": None, "orderCancelUserErrors": [
        {"field": ["orderId"], "message": "Cannot cancel an order with fulfilled items", "code": "INVALID"}]}})
    with pytest.raises(ShopifyRefused) as caught:
        client(monkeypatch, Wire(answer), waits).cancel_order(ORDER, reason="CUSTOMER")
    assert caught.value.status == 409
    assert caught.value.reason == "Shopify refused the cancellation: Cannot cancel an order with fulfilled items"
    assert caught.value.errors == (shopify.UserError(("orderId",), "Cannot cancel an order with fulfilled items",
                                                     "INVALID"),)


def test_a_not_found_user_error_is_a_404(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    answer = ok({"orderCancel": {"job": None, "orderCancelUserErrors": [
        {"field": ["orderId"], "message": "Order does not exist", "code": "NOT_FOUND"}]}})
    with pytest.raises(ShopifyNotFound) as caught:
        client(monkeypatch, Wire(answer), waits).cancel_order("5501009999")
    assert isinstance(caught.value, NotFound) and "Order does not exist" in caught.value.reason


def test_cancel_sends_reason_refund_method_restock_and_notification(monkeypatch: pytest.MonkeyPatch,
                                                                   waits: list[float]) -> None:
    wire = Wire(ok({"orderCancel": {"job": {"id": "gid://shopify/Job/1", "done": False},
                                    "orderCancelUserErrors": []}}))
    job = client(monkeypatch, wire, waits).cancel_order("5501001002", reason="INVENTORY", refund="store_credit",
                                                        restock=False, notify_customer=False, staff_note="out of stock")
    assert job == shopify.Job("gid://shopify/Job/1", False)
    assert wire.sent[0]["payload"] == {"query": shopify.ORDER_CANCEL, "variables": {
        "orderId": ORDER, "reason": "INVENTORY", "refundMethod": {"storeCreditRefund": {}}, "restock": False,
        "notifyCustomer": False, "staffNote": "out of stock"}}


def test_an_edit_pairs_line_items_with_their_calculated_lines_and_commits_once(monkeypatch: pytest.MonkeyPatch,
                                                                              waits: list[float]) -> None:
    begun = ok({"orderEditBegin": {"calculatedOrder": {"id": "gid://shopify/CalculatedOrder/9", "lineItems": {"nodes": [
        {"id": "gid://shopify/CalculatedLineItem/11", "quantity": 1, "editableQuantity": 1, "sku": "A",
         "title": "Dress"},
        {"id": "gid://shopify/CalculatedLineItem/12", "quantity": 2, "editableQuantity": 2, "sku": "B",
         "title": "Scarf"}]}}, "userErrors": []}})
    set_ = ok({"orderEditSetQuantity": {"calculatedLineItem": {"id": "x", "quantity": 0}, "userErrors": []}})
    committed = ok({"orderEditCommit": {"order": {"id": ORDER, "name": "#1002"}, "successMessages": ["Order updated"],
                                        "userErrors": []}})
    wire = Wire(begun, set_, committed)
    result = client(monkeypatch, wire, waits).edit_quantities(ORDER, {"gid://shopify/LineItem/12": 0},
                                                              staff_note="asked by SMS")
    assert result == shopify.EditResult(ORDER, "#1002", ("Order updated",))
    assert [s["payload"]["variables"] for s in wire.sent] == [
        {"id": ORDER},
        {"id": "gid://shopify/CalculatedOrder/9", "lineItemId": "gid://shopify/CalculatedLineItem/12", "quantity": 0,
         "restock": True},
        {"id": "gid://shopify/CalculatedOrder/9", "notifyCustomer": True, "staffNote": "asked by SMS"}]


def test_an_edit_refused_midway_is_never_committed(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
    begun = ok({"orderEditBegin": {"calculatedOrder": {"id": "gid://shopify/CalculatedOrder/9", "lineItems": {"nodes": [
        {"id": "gid://shopify/CalculatedLineItem/11", "quantity": 3, "editableQuantity": 2, "sku": "A",
         "title": "Socks"}]}}, "userErrors": []}})
    refused = ok({"orderEditSetQuantity": {"calculatedLineItem": None, "userErrors": [
        {"field": ["quantity"], "message": "Quantity can't be less than 1"}]}})
    wire = Wire(begun, refused)
    with pytest.raises(ShopifyRefused, match="Shopify refused the new quantity of Socks: Quantity can't be less"):
        client(monkeypatch, wire, waits).edit_quantities(ORDER, {"11": 0})
    assert len(wire.sent) == 2  # no commit


def test_an_edit_of_a_line_not_on_the_order_sends_no_change(monkeypatch: pytest.MonkeyPatch,
                                                            waits: list[float]) -> None:
    begun = ok({"orderEditBegin": {"calculatedOrder": {"id": "gid://shopify/CalculatedOrder/9",
                                                       "lineItems": {"nodes": []}}, "userErrors": []}})
    wire = Wire(begun)
    with pytest.raises(ShopifyNotFound, match="not on order"):
        client(monkeypatch, wire, waits).edit_quantities(ORDER, {"gid://shopify/LineItem/77": 1})
    assert len(wire.sent) == 1


@pytest.mark.parametrize("quantities", [{}, {"gid://shopify/LineItem/1": -1}, {"gid://shopify/LineItem/1": True},
                                        {"gid://shopify/Order/1": 1}])
def test_bad_quantities_are_refused_before_anything_is_sent(monkeypatch: pytest.MonkeyPatch, waits: list[float],
                                                            quantities: dict[str, Any]) -> None:
    wire = Wire()
    with pytest.raises(BadRequest):
        client(monkeypatch, wire, waits).edit_quantities(ORDER, quantities)
    assert wire.sent == []


def test_a_mutation_without_an_answer_says_it_may_have_been_saved(monkeypatch: pytest.MonkeyPatch,
                                                                  waits: list[float]) -> None:
    wire = Wire(json_http.Unanswered("demo-store.myshopify.com did not answer (no answer within 10 s)"))
    with pytest.raises(json_http.Unanswered, match="may have been saved"):
        client(monkeypatch, wire, waits).cancel_order(ORDER)


def test_lookups_take_one_identifier_and_ids_are_shopifys() -> None:
    with pytest.raises(BadRequest):
        shopify._identifier("a@example.com", "+14155550124")
    with pytest.raises(BadRequest):
        shopify._identifier(None, None)
    assert shopify.gid("Order", 5501) == "gid://shopify/Order/5501"
    with pytest.raises(BadRequest):
        shopify.gid("Order", "gid://shopify/Customer/1")


@pytest.mark.parametrize("given", ["demo-store", "demo-store.myshopify.com", "https://Demo-Store.myshopify.com/"])
def test_the_shop_setting_names_a_myshopify_shop(given: str) -> None:
    assert shopify.shop_domain(given) == "demo-store.myshopify.com"


@pytest.mark.parametrize("given", ["evil.example.com", "demo-store.myshopify.com/admin", "a b", ""])
def test_a_shop_setting_that_is_not_a_myshopify_shop_is_refused(given: str) -> None:
    with pytest.raises(ProviderMisconfigured):
        shopify.shop_domain(given)


def test_from_settings_reads_shop_token_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPIFY_SHOP", "demo-store")
    monkeypatch.setenv("SHOPIFY_ACCESS_TOKEN", "shpat_x")
    monkeypatch.setenv("SHOPIFY_API_URL", "http://127.0.0.1:9/")
    shop = Shopify.from_settings()
    assert shop.endpoint == "http://127.0.0.1:9/admin/api/2026-10/graphql.json" and shop.access_token == "shpat_x"
    monkeypatch.delenv("SHOPIFY_SHOP")
    with pytest.raises(ProviderMisconfigured, match="SHOPIFY_SHOP"):
        Shopify.from_settings()
