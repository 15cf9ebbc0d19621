"""Shopify Admin GraphQL, pinned to 2026-10: a customer and their recent orders (with each line item's
fulfilment state, in one request), order edits and cancellation; the cost-based rate limit honoured.

Settings, until each account holds its own shop: `SHOPIFY_SHOP` (the shop's myshopify name, `demo-store`
or `demo-store.myshopify.com`), `SHOPIFY_ACCESS_TOKEN` or `SHOPIFY_ACCESS_TOKEN_PARAM` (the Admin API
token, an SSM SecureString when deployed), and `SHOPIFY_API_URL` (a base URL replacing
`https://<shop>.myshopify.com`: the local stand-in). Scopes: `read_customers`, `read_orders` (the last 60
days; `read_all_orders` for older), `write_order_edits`, `write_orders`.

Only non-deprecated fields are asked for: a line item's state comes from `unfulfilledQuantity` and the
fulfilment orders' `remainingQuantity`, never `fulfillableQuantity` or `LineItem.fulfillmentStatus`.
"""
from __future__ import annotations

import math
import re
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from helpdesk import settings
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, NotFound, Transient
from helpdesk.phone import to_e164
from helpdesk.providers import json_http
from helpdesk.providers.sending import ProviderMisconfigured, credential

API_VERSION = "2026-10"  # released 2026-10-01, served until 2027-10 (research/wave2-facts.md §2)
MAX_TRIES = 3  # requests per call while throttled: the first and two retries
MAX_WAIT = 10.0  # seconds one throttled wait may take; a longer one is the caller's to schedule
MIN_WAIT = 1.0

# The documents this client sends, and nothing else: the local stand-in answers exactly these (compared
# token by token) and refuses any other, so a query changed here and not there shows at once.
#
# Sizes keep the orders query under Shopify's 1000-point ceiling for one query, which `first` of each
# nested connection multiplies: 10 orders x (20 line items + 3 fulfilment orders x 10 lines) costs 945.
CUSTOMER_QUERY = """
query HelpdeskCustomer($identifier: CustomerIdentifierInput!) {
  customerByIdentifier(identifier: $identifier) {
    id
    displayName
    firstName
    lastName
    defaultEmailAddress { emailAddress }
    defaultPhoneNumber { phoneNumber }
    numberOfOrders
  }
}
"""

CUSTOMER_ORDERS_QUERY = """
query HelpdeskCustomerOrders($identifier: CustomerIdentifierInput!) {
  customerByIdentifier(identifier: $identifier) {
    id
    displayName
    firstName
    lastName
    defaultEmailAddress { emailAddress }
    defaultPhoneNumber { phoneNumber }
    numberOfOrders
    orders(first: 10, sortKey: PROCESSED_AT, reverse: true) {
      nodes {
        id
        name
        createdAt
        processedAt
        cancelledAt
        cancelReason
        displayFulfillmentStatus
        displayFinancialStatus
        statusPageUrl
        lineItems(first: 20) {
          pageInfo { hasNextPage }
          nodes { id name sku quantity currentQuantity unfulfilledQuantity nonFulfillableQuantity }
        }
        fulfillmentOrders(first: 3) {
          nodes {
            id
            status
            lineItems(first: 10) { nodes { id totalQuantity remainingQuantity lineItem { id } } }
          }
        }
      }
    }
  }
}
"""

ORDER_EDIT_BEGIN = """
mutation HelpdeskOrderEditBegin($id: ID!) {
  orderEditBegin(id: $id) {
    calculatedOrder {
      id
      lineItems(first: 50) { nodes { id quantity editableQuantity sku title } }
    }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_SET_QUANTITY = """
mutation HelpdeskOrderEditSetQuantity($id: ID!, $lineItemId: ID!, $quantity: Int!, $restock: Boolean) {
  orderEditSetQuantity(id: $id, lineItemId: $lineItemId, quantity: $quantity, restock: $restock) {
    calculatedLineItem { id quantity }
    userErrors { field message }
  }
}
"""

ORDER_EDIT_COMMIT = """
mutation HelpdeskOrderEditCommit($id: ID!, $notifyCustomer: Boolean, $staffNote: String) {
  orderEditCommit(id: $id, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    order { id name }
    successMessages
    userErrors { field message }
  }
}
"""

ORDER_CANCEL = """
mutation HelpdeskOrderCancel($orderId: ID!, $reason: OrderCancelReason!, $refundMethod: OrderCancelRefundMethodInput,
    $restock: Boolean!, $notifyCustomer: Boolean, $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod, restock: $restock,
      notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done }
    orderCancelUserErrors { field message code }
  }
}
"""

JOB_QUERY = """
query HelpdeskJob($id: ID!) {
  job(id: $id) { id done }
}
"""

DOCUMENTS: dict[str, str] = {
    "HelpdeskCustomer": CUSTOMER_QUERY, "HelpdeskCustomerOrders": CUSTOMER_ORDERS_QUERY,
    "HelpdeskOrderEditBegin": ORDER_EDIT_BEGIN, "HelpdeskOrderEditSetQuantity": ORDER_EDIT_SET_QUANTITY,
    "HelpdeskOrderEditCommit": ORDER_EDIT_COMMIT, "HelpdeskOrderCancel": ORDER_CANCEL, "HelpdeskJob": JOB_QUERY,
}

CANCEL_REASONS = ("CUSTOMER", "DECLINED", "FRAUD", "INVENTORY", "STAFF", "OTHER")
RefundMethod = Literal["original", "store_credit", "none"]
OrderState = Literal["unfulfilled", "partially_fulfilled", "fulfilled", "cancelled", "on_hold"]
LineState = Literal["unfulfilled", "partially_fulfilled", "fulfilled", "on_hold", "removed"]


# -- errors ----------------------------------------------------------------------------------------

class ShopifyError(HelpdeskError):
    """Shopify refused the request itself (a GraphQL error): the reason carries Shopify's words."""

    status = 502


class Throttled(Transient):
    """Still throttled after the waits this client allows itself; `retry_after` is Shopify's figure."""

    def __init__(self, retry_after: float):
        super().__init__(f"Shopify is throttling our requests; try again in {math.ceil(retry_after)} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class UserError:
    field: tuple[str, ...]
    message: str
    code: str | None = None


class ShopifyRefused(Conflict):
    """Shopify refused the change (`userErrors`, `orderCancelUserErrors`); the reason quotes it."""

    def __init__(self, reason: str, errors: tuple[UserError, ...]):
        super().__init__(reason)
        self.errors = errors


class ShopifyNotFound(NotFound):
    def __init__(self, reason: str, errors: tuple[UserError, ...] = ()):
        super().__init__(reason)
        self.errors = errors


# -- what the client answers -----------------------------------------------------------------------

@dataclass(frozen=True)
class Cost:
    """`extensions.cost` of an answer; `actual` is None when the query was throttled (not run)."""

    requested: float
    actual: float | None
    maximum: float
    available: float
    restore_rate: float

    @classmethod
    def of(cls, body: Any) -> Cost | None:
        extensions = body.get("extensions") if isinstance(body, dict) else None
        cost = extensions.get("cost") if isinstance(extensions, dict) else None
        if not isinstance(cost, dict) or not isinstance(cost.get("throttleStatus"), dict):
            return None
        status, actual = cost["throttleStatus"], cost.get("actualQueryCost")
        try:
            return cls(float(cost["requestedQueryCost"]), None if actual is None else float(actual),
                       float(status["maximumAvailable"]), float(status["currentlyAvailable"]),
                       float(status["restoreRate"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    number_of_orders: int


@dataclass(frozen=True)
class LineView:
    """One line item and what can still change on it. `fulfilled` left the warehouse (or needed no
    shipping); `changeable` is unfulfilled and not already being prepared by a fulfilment service."""

    id: str
    name: str
    sku: str | None
    quantity: int  # the quantity now, after edits and removals
    fulfilled: int
    unfulfilled: int
    on_hold: int
    in_progress: int
    changeable: int
    state: LineState


@dataclass(frozen=True)
class OrderView:
    id: str
    name: str
    created_at: str
    state: OrderState
    fulfillment_status: str  # Shopify's displayFulfillmentStatus, as it gave it
    financial_status: str | None
    cancelled_at: str | None
    status_page_url: str | None
    lines: tuple[LineView, ...]
    complete: bool  # False: the order has more line items than one request reads

    @property
    def editable(self) -> bool:
        return self.state not in ("fulfilled", "cancelled") and any(line.changeable for line in self.lines)

    @property
    def changeable_lines(self) -> tuple[LineView, ...]:
        return tuple(line for line in self.lines if line.changeable)

    @property
    def shipped_lines(self) -> tuple[LineView, ...]:
        return tuple(line for line in self.lines if line.fulfilled)


@dataclass(frozen=True)
class CustomerOrders:
    customer: Customer
    orders: tuple[OrderView, ...]  # the most recent first

    @property
    def latest(self) -> OrderView | None:
        return self.orders[0] if self.orders else None


@dataclass(frozen=True)
class EditResult:
    order_id: str
    order_name: str
    messages: tuple[str, ...]


@dataclass(frozen=True)
class Job:
    """Shopify's background job: a cancellation runs asynchronously; `done` says whether it finished."""

    id: str
    done: bool


# -- the pure part: an order as the helpdesk reads it -----------------------------------------------

_HELD = "ON_HOLD"
_IN_PROGRESS = "IN_PROGRESS"
# Where no line item says more (every line removed): Shopify's own summary, its legacy values included.
_DISPLAY_STATES: dict[str, OrderState] = {
    "FULFILLED": "fulfilled", "RESTOCKED": "fulfilled", "PARTIALLY_FULFILLED": "partially_fulfilled",
    "ON_HOLD": "on_hold", "UNFULFILLED": "unfulfilled", "OPEN": "unfulfilled", "SCHEDULED": "unfulfilled",
    "IN_PROGRESS": "unfulfilled", "PENDING_FULFILLMENT": "unfulfilled", "REQUEST_DECLINED": "unfulfilled",
}


def order_view(node: Mapping[str, Any]) -> OrderView:
    """An order node of CUSTOMER_ORDERS_QUERY as the helpdesk reads it: its state (unfulfilled,
    partially_fulfilled, fulfilled, cancelled, on_hold) and, line by line, what can still change."""
    remaining: dict[str, Counter[str]] = {}
    for fulfillment_order in _nodes(node.get("fulfillmentOrders")):
        status = str(fulfillment_order.get("status") or "")
        for item in _nodes(fulfillment_order.get("lineItems")):
            line_id = (item.get("lineItem") or {}).get("id")
            if line_id:
                remaining.setdefault(str(line_id), Counter())[status] += _int(item.get("remainingQuantity"))
    lines = tuple(_line_view(line, remaining.get(str(line.get("id")), Counter()))
                  for line in _nodes(node.get("lineItems")))
    page = (node.get("lineItems") or {}).get("pageInfo") or {}
    display = str(node.get("displayFulfillmentStatus") or "UNFULFILLED")
    return OrderView(
        id=str(node["id"]), name=str(node.get("name") or ""), created_at=str(node.get("createdAt") or ""),
        state=_order_state(node, lines, display), fulfillment_status=display,
        financial_status=node.get("displayFinancialStatus"), cancelled_at=node.get("cancelledAt"),
        status_page_url=node.get("statusPageUrl"), lines=lines, complete=not page.get("hasNextPage"))


def _line_view(line: Mapping[str, Any], remaining: Counter[str]) -> LineView:
    quantity = _int(line.get("currentQuantity"))
    unfulfilled = min(_int(line.get("unfulfilledQuantity")), quantity)
    # A gift card or digital item needs no fulfilment: it is neither waiting nor shipped.
    no_shipping = _int(line.get("nonFulfillableQuantity"))
    fulfilled = max(0, quantity - unfulfilled - no_shipping)
    in_progress = min(remaining[_IN_PROGRESS], unfulfilled)  # a fulfilment service accepted these
    on_hold = min(remaining[_HELD], unfulfilled)
    state: LineState
    if quantity == 0:
        state = "removed"
    elif unfulfilled == 0:
        state = "fulfilled"
    elif quantity - unfulfilled > 0:
        state = "partially_fulfilled"
    else:
        state = "on_hold" if on_hold else "unfulfilled"
    return LineView(id=str(line["id"]), name=str(line.get("name") or ""), sku=line.get("sku") or None,
                    quantity=quantity, fulfilled=fulfilled, unfulfilled=unfulfilled, on_hold=on_hold,
                    in_progress=in_progress, changeable=max(0, unfulfilled - in_progress), state=state)


def _order_state(node: Mapping[str, Any], lines: tuple[LineView, ...], display: str) -> OrderState:
    if node.get("cancelledAt"):
        return "cancelled"
    active = [line for line in lines if line.quantity]
    if not active:
        return _DISPLAY_STATES.get(display, "unfulfilled")
    waiting = sum(line.unfulfilled for line in active)
    if waiting == 0:
        return "fulfilled"
    if any(line.quantity > line.unfulfilled for line in active):
        return "partially_fulfilled"
    held = display == _HELD or any(line.on_hold for line in active)
    return "on_hold" if held else "unfulfilled"


def customer_of(node: Mapping[str, Any]) -> Customer:
    email = (node.get("defaultEmailAddress") or {}).get("emailAddress")
    number = (node.get("defaultPhoneNumber") or {}).get("phoneNumber")
    return Customer(id=str(node["id"]), name=str(node.get("displayName") or ""), first_name=node.get("firstName"),
                    last_name=node.get("lastName"), email=email, phone=number,
                    number_of_orders=_int(node.get("numberOfOrders")))  # UnsignedInt64 comes as a string


def throttle_wait(cost: Cost | None, *, retry_after: str | None = None, minimum: float = MIN_WAIT) -> float:
    """Seconds until the bucket holds what the query asks for: (requested - available) / restoreRate, at
    least `minimum`; without a cost (a bare 429), the Retry-After header, else `minimum`."""
    if cost is not None and cost.restore_rate > 0:
        needed = (cost.requested - cost.available) / cost.restore_rate
    else:
        try:
            needed = float(retry_after) if retry_after else minimum
        except ValueError:
            needed = minimum
    return max(minimum, needed)


def user_errors(items: Any) -> tuple[UserError, ...]:
    errors = []
    for item in items or ():
        if isinstance(item, dict):
            field = item.get("field") or ()
            errors.append(UserError(tuple(str(f) for f in field), _said(item.get("message")) or "refused",
                                    item.get("code")))
    return tuple(errors)


def refusal(action: str, errors: tuple[UserError, ...]) -> HelpdeskError:
    """What Shopify's userErrors become: its words, after what was refused; NOT_FOUND a 404."""
    reason = f"Shopify refused {action}: " + "; ".join(e.message for e in errors)
    if any(e.code == "NOT_FOUND" for e in errors):
        return ShopifyNotFound(reason, errors)
    return ShopifyRefused(reason, errors)


def graphql_failure(errors: Any) -> HelpdeskError:
    """What top-level GraphQL errors become (throttling is handled before this)."""
    items = errors if isinstance(errors, list) else [{"message": errors}]
    messages = [_said(e.get("message")) if isinstance(e, dict) else _said(e) for e in items]
    codes = {str((e.get("extensions") or {}).get("code")) for e in items if isinstance(e, dict)}
    said = "; ".join(m for m in messages if m) or "no reason given"
    if "ACCESS_DENIED" in codes:
        return ProviderMisconfigured(f"Shopify denied access (the app lacks a scope): {said}")
    return ShopifyError(f"Shopify refused the request: {said}")


def _nodes(connection: Any) -> list[dict[str, Any]]:
    nodes = connection.get("nodes") if isinstance(connection, dict) else None
    return [n for n in nodes if isinstance(n, dict)] if isinstance(nodes, list) else []


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _said(message: Any) -> str:
    return " ".join(str(message or "").split())[:300]


# -- the client ------------------------------------------------------------------------------------

_SHOP_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_GID = re.compile(r"^gid://shopify/(\w+)/(\d+)$")


def shop_domain(shop: str) -> str:
    """`demo-store` or `demo-store.myshopify.com` as the shop's domain; anything else (another host, a
    path) is refused, so a setting can never point the token at a host that is not Shopify's."""
    name = shop.strip().lower().removeprefix("https://").rstrip("/").removesuffix(".myshopify.com")
    if not _SHOP_NAME.match(name):
        raise ProviderMisconfigured(f"SHOPIFY_SHOP must be the shop's myshopify name (like demo-store), not {shop!r}")
    return f"{name}.myshopify.com"


def gid(kind: str, value: str | int) -> str:
    """A Shopify global id (`gid://shopify/Order/123`) from itself or its number; BadRequest otherwise."""
    text = str(value).strip()
    if text.isdigit():
        return f"gid://shopify/{kind}/{text}"
    match = _GID.match(text)
    if not match or match.group(1) != kind:
        raise BadRequest(f"not a Shopify {kind} id: {text[:80]!r}")
    return text


def _gid_number(value: str) -> str:
    match = _GID.match(value)
    return match.group(2) if match else value


class Shopify:
    """One shop's Admin GraphQL API. `sleep` waits out throttling (tests pass their own); `requests`
    counts what was sent, retries included."""

    def __init__(self, shop: str, access_token: str, *, api_url: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_tries: int = MAX_TRIES,
                 max_wait: float = MAX_WAIT, timeout: float = 10.0):
        self.shop = shop_domain(shop)
        root = (api_url or f"https://{self.shop}").rstrip("/")
        self.endpoint = f"{root}/admin/api/{API_VERSION}/graphql.json"
        self.access_token = access_token
        self.sleep, self.max_tries, self.max_wait, self.timeout = sleep, max(1, max_tries), max_wait, timeout
        self.requests = 0
        self.last_cost: Cost | None = None

    @classmethod
    def from_settings(cls, **options: Any) -> Shopify:
        shop = settings.optional("SHOPIFY_SHOP")
        if not shop:
            raise ProviderMisconfigured("SHOPIFY_SHOP is not configured (the shop's myshopify name)")
        return cls(shop, credential("SHOPIFY_ACCESS_TOKEN"), api_url=settings.optional("SHOPIFY_API_URL"),
                   **options)

    # -- operations --------------------------------------------------------------------------------

    def find_customer(self, *, email: str | None = None, phone: str | None = None) -> Customer | None:
        data = self.execute(CUSTOMER_QUERY, {"identifier": _identifier(email, phone)})
        node = data.get("customerByIdentifier")
        return customer_of(node) if isinstance(node, dict) else None

    def customer_orders(self, *, email: str | None = None,
                        phone: str | None = None) -> CustomerOrders | None:
        """The customer and their ten most recent orders, each line item's fulfilment state included:
        one request. None when the shop has no such customer."""
        data = self.execute(CUSTOMER_ORDERS_QUERY, {"identifier": _identifier(email, phone)})
        node = data.get("customerByIdentifier")
        if not isinstance(node, dict):
            return None
        return CustomerOrders(customer_of(node), tuple(order_view(o) for o in _nodes(node.get("orders"))))

    def edit_quantities(self, order_id: str, quantities: Mapping[str, int], *, restock: bool = True,
                        notify_customer: bool = True, staff_note: str | None = None) -> EditResult:
        """Set line items' quantities (0 removes one) in one order edit: begin, set each, commit.
        Shopify then emails the customer the updated invoice when `notify_customer`. Nothing is saved
        unless every change is accepted (an edit not committed is dropped by Shopify)."""
        order = gid("Order", order_id)
        wanted = _quantities(quantities)
        begun = self._mutate(ORDER_EDIT_BEGIN, {"id": order}, "orderEditBegin", "the order edit")
        calculated = begun.get("calculatedOrder") or {}
        if not calculated.get("id"):
            raise ShopifyError("Shopify began the order edit without a calculated order")
        by_number = {_gid_number(str(line.get("id"))): line for line in _nodes(calculated.get("lineItems"))}
        for line_id, quantity in wanted.items():
            # A calculated line item carries its line item's number: that is how Shopify pairs them.
            line = by_number.get(_gid_number(line_id))
            if line is None:
                raise ShopifyNotFound(f"line item {line_id} is not on order {order}")
            self._mutate(ORDER_EDIT_SET_QUANTITY, {"id": calculated.get("id"), "lineItemId": line["id"],
                                                   "quantity": quantity, "restock": restock},
                         "orderEditSetQuantity", f"the new quantity of {line.get('title') or line_id}")
        committed = self._mutate(ORDER_EDIT_COMMIT, {"id": calculated.get("id"), "notifyCustomer": notify_customer,
                                                     "staffNote": staff_note}, "orderEditCommit", "the order edit")
        saved = committed.get("order") or {}
        return EditResult(str(saved.get("id") or order), str(saved.get("name") or ""),
                          tuple(str(m) for m in committed.get("successMessages") or ()))

    def cancel_order(self, order_id: str, *, reason: str = "CUSTOMER", refund: RefundMethod = "original",
                     restock: bool = True, notify_customer: bool = True, staff_note: str | None = None) -> Job:
        """Cancel an order (irreversible; Shopify runs it as a job and emails the customer when
        `notify_customer`). `refund`: to the original payment methods, as store credit, or not at all."""
        if reason not in CANCEL_REASONS:
            raise BadRequest(f"reason must be one of {', '.join(CANCEL_REASONS)}")
        methods: dict[str, dict[str, Any]] = {
            "original": {"originalPaymentMethodsRefund": True}, "store_credit": {"storeCreditRefund": {}},
            "none": {"originalPaymentMethodsRefund": False}}
        if refund not in methods:
            raise BadRequest("refund must be original, store_credit or none")
        payload = self._mutate(ORDER_CANCEL, {
            "orderId": gid("Order", order_id), "reason": reason, "refundMethod": methods[refund], "restock": restock,
            "notifyCustomer": notify_customer, "staffNote": staff_note}, "orderCancel", "the cancellation",
            errors_field="orderCancelUserErrors")
        job = payload.get("job")
        if not isinstance(job, dict) or not job.get("id"):
            raise ShopifyError("Shopify accepted the cancellation without a job to follow")
        return Job(str(job["id"]), bool(job.get("done")))

    def job(self, job_id: str) -> Job | None:
        node = self.execute(JOB_QUERY, {"id": job_id}).get("job")
        return Job(str(node["id"]), bool(node.get("done"))) if isinstance(node, dict) else None

    # -- the wire ----------------------------------------------------------------------------------

    def execute(self, document: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Send one document; its `data`. Throttled (HTTP 200 THROTTLED, or 429), waits until the bucket
        holds the query's cost and tries again, `max_tries` in all."""
        for attempt in range(1, self.max_tries + 1):
            reply = self._post(document, variables)
            cost = Cost.of(reply.body)
            if cost is not None:
                self.last_cost = cost
            if not _throttled(reply):
                return _data(reply, self.endpoint)
            if cost is not None and cost.requested > cost.maximum:
                raise ShopifyError(f"the query costs {cost.requested:g} points, more than the shop's bucket "
                                   f"holds ({cost.maximum:g}): it can never run")
            wait = throttle_wait(cost, retry_after=reply.header("Retry-After"))
            if attempt == self.max_tries or wait > self.max_wait:
                raise Throttled(wait)
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _post(self, document: str, variables: Mapping[str, Any] | None) -> json_http.Reply:
        self.requests += 1
        try:
            return json_http.request("POST", self.endpoint, headers={"X-Shopify-Access-Token": self.access_token},
                                     payload={"query": document, "variables": dict(variables or {})},
                                     timeout=self.timeout)
        except json_http.Unanswered as exc:
            if document.lstrip().startswith("mutation"):
                raise json_http.Unanswered(f"{exc.reason}: the change may have been saved; check the order "
                                           "in Shopify before trying again") from exc
            raise

    def _mutate(self, document: str, variables: dict[str, Any], field: str, action: str, *,
                errors_field: str = "userErrors") -> dict[str, Any]:
        payload = self.execute(document, variables).get(field)
        if not isinstance(payload, dict):
            raise ShopifyError(f"Shopify answered {field} without a result")
        errors = user_errors(payload.get(errors_field))
        if errors:
            raise refusal(action, errors)
        return payload


def _throttled(reply: json_http.Reply) -> bool:
    if reply.status == 429:
        return True
    errors = reply.body.get("errors") if isinstance(reply.body, dict) else None
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED" for e in errors)


def _data(reply: json_http.Reply, endpoint: str) -> dict[str, Any]:
    status, body = reply.status, reply.body
    said = _said(body.get("errors")) if isinstance(body, dict) and isinstance(body.get("errors"), str) else ""
    if status == 401:
        raise ProviderMisconfigured("Shopify refused our access token; check SHOPIFY_ACCESS_TOKEN")
    if status == 403:
        raise ProviderMisconfigured(f"Shopify refused access (HTTP 403){': ' + said if said else ''}; check the "
                                    "app's scopes and that it is installed on the shop")
    if status == 404:
        raise ProviderMisconfigured(f"Shopify has no shop or API at {endpoint}; check SHOPIFY_SHOP and SHOPIFY_API_URL")
    if status == 402:
        raise ShopifyError("the shop is frozen (its Shopify bill is unpaid): Shopify answers nothing until it is paid")
    if status == 423:
        raise ShopifyError("the shop is locked by Shopify")
    if status >= 500:
        raise Transient(f"Shopify is having trouble (HTTP {status}); try again in a moment")
    if status != 200 or not isinstance(body, dict):
        raise ProviderMisconfigured(f"Shopify's API answered HTTP {status} without GraphQL; check SHOPIFY_API_URL")
    if body.get("errors"):
        raise graphql_failure(body["errors"])
    data = body.get("data")
    if not isinstance(data, dict):
        raise ShopifyError("Shopify answered without data")
    return data


def _identifier(email: str | None, phone: str | None) -> dict[str, str]:
    if bool(email) == bool(phone):
        raise BadRequest("find a Shopify customer by email or by phone number, one of them")
    if email:
        return {"emailAddress": email.strip()}
    return {"phoneNumber": to_e164(str(phone))}


def _quantities(quantities: Mapping[str, int]) -> dict[str, int]:
    if not quantities:
        raise BadRequest("no quantities to change")
    wanted: dict[str, int] = {}
    for line_id, quantity in quantities.items():
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 0:
            raise BadRequest("a quantity is a whole number, 0 or more (0 removes the line item)")
        wanted[gid("LineItem", line_id)] = quantity
    return wanted
