"""A local stand-in for Shopify's Admin GraphQL API (2026-10), serving a demo shop.

    POST /admin/api/2026-10/graphql.json   GraphQL (JSON body; header X-Shopify-Access-Token)
    GET/POST /_control                      the cost bucket and failure modes, for tests and demos

It answers exactly the documents `helpdesk.providers.shopify` sends (DOCUMENTS), compared token by token,
and refuses any other query with a GraphQL error, so a query changed on one side only shows at once. A
known document is parsed and run against the demo shop: answers follow its selection, in Shopify's shapes
(`data`, `errors`, `extensions.cost`), and mutations change the shop (an edit changes quantities, a
cancellation cancels). Costs follow Shopify's published rules (object 1, scalar 0, a connection 2 plus
`first` times its node, a mutation 10, at most 1000 a query) and a leaky bucket charges them: over its
level the answer is HTTP 200 `THROTTLED` with `actualQueryCost: null`, as Shopify answers.

`/_control` takes `{"bucket": {"available", "maximum", "restore_rate"}}` (set any; `available: 0` switches
throttling on until the bucket refills), `{"throttle_429": n}` (the next n requests answered HTTP 429, as
some report Shopify doing), `{"reset": true}` (the demo shop and a full bucket again).

The demo customers (`demo_customers()`), by the state of their latest order: unfulfilled, partially
fulfilled, fulfilled, no orders, on hold, cancelled; older orders hold a fulfilled and a cancelled one.
"""
from __future__ import annotations

import datetime as dt
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from helpdesk.providers.shopify import API_VERSION, CANCEL_REASONS, DOCUMENTS
from infra.local.standins import Answer, Served

SHOP = "demo-store.myshopify.com"
SHOP_ID = 73218990
ACCESS_TOKEN = "shpat_local_demo_store_admin_token"
MAX_QUERY_COST = 1000
MUTATION_COST = 10
MAX_PAGE = 250
GRAPHQL_PATH = f"/admin/api/{API_VERSION}/graphql.json"
_DOCS_URL = "https://shopify.dev/api/usage/rate-limits"


# -- GraphQL: tokens, a parser for operations, values ----------------------------------------------

class GraphQLError(Exception):
    def __init__(self, message: str, extensions: dict[str, Any] | None = None):
        super().__init__(message)
        self.message, self.extensions = message, extensions or {}

    def as_json(self) -> dict[str, Any]:
        error: dict[str, Any] = {"message": self.message}
        if self.extensions:
            error["extensions"] = self.extensions
        return error


_TOKEN = re.compile(r"""
    (?P<skip>[\s,\ufeff]+|\#[^\n\r]*)
  | (?P<spread>\.\.\.)
  | (?P<punct>[!$&():=@\[\]{|}])
  | (?P<name>[_A-Za-z][_0-9A-Za-z]*)
  | (?P<number>-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"\\\n\r]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*")
""", re.VERBOSE)


def tokens(document: str) -> list[tuple[str, str]]:
    """The document's tokens (kind, text): whitespace, commas and comments are not tokens in GraphQL."""
    found, at = [], 0
    while at < len(document):
        match = _TOKEN.match(document, at)
        if not match:
            line = document.count("\n", 0, at) + 1
            raise GraphQLError(f"syntax error, unexpected character {document[at]!r} at [{line}]",
                               {"code": "PARSE_ERROR"})
        kind = match.lastgroup or ""
        if kind != "skip":
            found.append((kind, match.group()))
        at = match.end()
    return found


@dataclass(frozen=True)
class Var:
    name: str


class EnumValue(str):
    pass


@dataclass
class Selection:
    name: str
    alias: str | None
    args: dict[str, Any]
    fields: list[Selection]

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass
class Operation:
    kind: str
    name: str | None
    variables: dict[str, tuple[str, Any]]  # name -> (type, default)
    fields: list[Selection]


class _Parser:
    def __init__(self, document: str):
        self.items, self.at = tokens(document), 0

    def peek(self, text: str | None = None) -> bool:
        if self.at >= len(self.items):
            return False
        return text is None or self.items[self.at][1] == text

    def take(self, text: str | None = None, kind: str | None = None) -> str:
        if self.at >= len(self.items):
            raise GraphQLError("syntax error, unexpected end of file", {"code": "PARSE_ERROR"})
        got_kind, got = self.items[self.at]
        if (text is not None and got != text) or (kind is not None and got_kind != kind):
            raise GraphQLError(f"syntax error, unexpected {got!r}, expecting {text or kind}", {"code": "PARSE_ERROR"})
        self.at += 1
        return got

    def operation(self) -> Operation:
        kind = "query"
        if self.peek("query") or self.peek("mutation"):
            kind = self.take()
        elif not self.peek("{"):
            raise GraphQLError("only query and mutation operations are served here", {"code": "PARSE_ERROR"})
        name = self.take(kind="name") if kind and self.peek() and self.items[self.at][0] == "name" else None
        variables: dict[str, tuple[str, Any]] = {}
        if self.peek("("):
            self.take("(")
            while not self.peek(")"):
                self.take("$")
                variable = self.take(kind="name")
                self.take(":")
                kind_of = self.type_ref()
                default = self.value() if self.peek("=") and self.take("=") else None
                variables[variable] = (kind_of, default)
            self.take(")")
        if self.peek("@"):
            raise GraphQLError("directives are not served here", {"code": "PARSE_ERROR"})
        fields = self.selection_set()
        if self.at != len(self.items):
            raise GraphQLError("one operation per document is served here", {"code": "PARSE_ERROR"})
        return Operation(kind, name, variables, fields)

    def type_ref(self) -> str:
        if self.peek("["):
            self.take("[")
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.take(kind="name")
        if self.peek("!"):
            self.take("!")
            text += "!"
        return text

    def selection_set(self) -> list[Selection]:
        self.take("{")
        fields = []
        while not self.peek("}"):
            if self.peek("..."):
                raise GraphQLError("fragments are not served here", {"code": "PARSE_ERROR"})
            name, alias = self.take(kind="name"), None
            if self.peek(":"):
                self.take(":")
                alias, name = name, self.take(kind="name")
            args: dict[str, Any] = {}
            if self.peek("("):
                self.take("(")
                while not self.peek(")"):
                    arg = self.take(kind="name")
                    self.take(":")
                    args[arg] = self.value()
                self.take(")")
            fields.append(Selection(name, alias, args, self.selection_set() if self.peek("{") else []))
        self.take("}")
        return fields

    def value(self) -> Any:
        kind, text = self.items[self.at] if self.at < len(self.items) else ("", "")
        if text == "$":
            self.take("$")
            return Var(self.take(kind="name"))
        if text == "[":
            self.take("[")
            values = []
            while not self.peek("]"):
                values.append(self.value())
            self.take("]")
            return values
        if text == "{":
            self.take("{")
            fields: dict[str, Any] = {}
            while not self.peek("}"):
                key = self.take(kind="name")
                self.take(":")
                fields[key] = self.value()
            self.take("}")
            return fields
        self.take()
        if kind == "number":
            return float(text) if any(c in text for c in ".eE") else int(text)
        if kind == "string":
            return json.loads(text)
        if kind == "name":
            return {"true": True, "false": False, "null": None}.get(text, EnumValue(text))
        raise GraphQLError(f"syntax error, unexpected {text!r}", {"code": "PARSE_ERROR"})


def parse(document: str) -> Operation:
    return _Parser(document).operation()


def _resolved(value: Any, variables: Mapping[str, Any]) -> Any:
    if isinstance(value, Var):
        return variables.get(value.name)
    if isinstance(value, list):
        return [_resolved(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: _resolved(v, variables) for k, v in value.items()}
    return value


def requested_cost(operation: Operation) -> int:
    """Shopify's published rules: a scalar or enum 0, an object 1, a connection 2 plus `first` (or `last`)
    times the cost of its node, a mutation 10. Shopify's own figure for a query may differ a little."""
    if operation.kind == "mutation":
        return MUTATION_COST * len(operation.fields)
    return sum(_field_cost(f) for f in operation.fields)


def _field_cost(selection: Selection) -> int:
    if not selection.fields:
        return 0
    size = selection.args.get("first", selection.args.get("last"))
    if size is None:
        return 1 + sum(_field_cost(f) for f in selection.fields)
    size = size if isinstance(size, int) else MAX_PAGE  # a variable: the largest page it may ask for
    node = 0
    for child in selection.fields:
        if child.name == "nodes":
            node = max(node, 1 + sum(_field_cost(f) for f in child.fields))
        elif child.name == "edges":
            inner = next((f for f in child.fields if f.name == "node"), None)
            node = max(node, 1 + sum(_field_cost(f) for f in inner.fields) if inner else 0)
    return 2 + size * node


# -- the demo shop ---------------------------------------------------------------------------------

@dataclass
class Line:
    number: int
    name: str
    sku: str | None
    quantity: int  # as ordered
    current: int  # after edits and removals
    fulfilled: int = 0
    in_progress: int = 0  # accepted by a fulfilment service, not yet shipped
    no_shipping: int = 0  # gift cards, digital goods

    @property
    def unfulfilled(self) -> int:
        return max(0, self.current - self.fulfilled - self.no_shipping)

    @property
    def editable(self) -> int:
        return max(0, self.unfulfilled - self.in_progress)


@dataclass
class Order:
    number: int
    name: str
    customer: int
    processed_at: dt.datetime
    lines: list[Line]
    financial: str = "PAID"
    hold: bool = False
    cancelled_at: str | None = None
    cancel_reason: str | None = None
    token: str = field(default_factory=lambda: secrets.token_hex(16))


@dataclass
class Customer:
    number: int
    first_name: str
    last_name: str
    email: str
    phone: str
    orders: list[int] = field(default_factory=list)


@dataclass
class EditSession:
    number: int
    order: int
    staged: dict[int, int] = field(default_factory=dict)
    committed: bool = False


def _gid(kind: str, number: int | str) -> str:
    return f"gid://shopify/{kind}/{number}"


def _number(value: Any, kind: str) -> int | None:
    match = re.fullmatch(rf"gid://shopify/{kind}/(\d+)", str(value or ""))
    return int(match.group(1)) if match else None


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class DemoCustomer:
    state: str
    first_name: str
    last_name: str
    email: str
    phone: str
    orders: tuple[dict[str, Any], ...] = ()


# By the state of the latest order. The first three are the SMS demo customers of infra/local/demo.py.
DEMO: tuple[DemoCustomer, ...] = (
    DemoCustomer("partially_fulfilled", "Jiwoo", "Kim", "jiwoo.kim@example.com", "+14155550123", (
        {"name": "#1001", "days_ago": 6, "lines": [("Linen Shirt - Blue / M", "LS-BLU-M", 1, 1),
                                                    ("Canvas Tote - Natural", "TOTE-NAT", 2, 0),
                                                    ("Wool Socks - Grey (3 pack)", "SOCK-GRY-3", 3, 1)]},
        {"name": "#0990", "days_ago": 40, "lines": [("Ceramic Mug - White", "MUG-WHT", 2, 2)]})),
    DemoCustomer("unfulfilled", "Alex", "Lee", "alex.lee@example.com", "+14155550124", (
        {"name": "#1002", "days_ago": 1, "lines": [("Summer Dress - Blue / M", "DRS-BLU-M", 1, 0),
                                                    ("Silk Scarf - Ivory", "SCF-IVR", 2, 0)]},
        {"name": "#0995", "days_ago": 20, "cancelled": "CUSTOMER", "lines": [("Rain Jacket - Olive / L", "RJ-OLV-L",
                                                                               1, 0)]})),
    DemoCustomer("no_orders", "Sam", "Park", "sam.park@example.com", "+14155550125"),
    DemoCustomer("fulfilled", "Mina", "Cho", "mina.cho@example.com", "+14155550126", (
        {"name": "#1003", "days_ago": 3, "lines": [("Leather Sandals - Tan / 38", "SDL-TAN-38", 1, 1),
                                                    ("Straw Sun Hat", "HAT-STR", 1, 1)]},)),
    DemoCustomer("on_hold", "Leo", "Choi", "leo.choi@example.com", "+14155550127", (
        {"name": "#1004", "days_ago": 2, "hold": True, "lines": [("Denim Jacket - Indigo / S", "DJ-IND-S", 1, 0)]},)),
    DemoCustomer("cancelled", "Hana", "Lee", "hana.lee@example.com", "+14155550128", (
        {"name": "#1005", "days_ago": 4, "cancelled": "CUSTOMER", "lines": [("Yoga Mat - Sage", "MAT-SAGE", 1, 0)]},)),
)


def demo_customers() -> dict[str, dict[str, str]]:
    """`.local/stack.json`'s `demo_customers`: by the state of the latest order, each `{"email", "phone"}`."""
    return {c.state: {"email": c.email, "phone": c.phone} for c in DEMO}


class Shop:
    """The demo shop's customers and orders, changed by the mutations. Not thread-safe: the stand-in
    holds its lock around every request."""

    def __init__(self, now: dt.datetime | None = None):
        now = now or dt.datetime.now(dt.UTC)
        self.customers: dict[int, Customer] = {}
        self.orders: dict[int, Order] = {}
        self.sessions: dict[int, EditSession] = {}
        self.jobs: dict[str, bool] = {}
        self.notifications: list[dict[str, Any]] = []  # the emails Shopify would send the customer
        self._numbers = itertools.count(1)
        for i, demo in enumerate(DEMO):
            customer = Customer(7001000001 + i, demo.first_name, demo.last_name, demo.email, demo.phone)
            self.customers[customer.number] = customer
            for spec in demo.orders:
                number = 5501000000 + int(spec["name"].lstrip("#"))
                lines = [Line(number * 100 + j, name, sku, quantity, quantity, fulfilled)
                         for j, (name, sku, quantity, fulfilled) in enumerate(spec["lines"], start=1)]
                order = Order(number, spec["name"], customer.number, now - dt.timedelta(days=spec["days_ago"]), lines,
                              hold=bool(spec.get("hold")))
                if spec.get("cancelled"):
                    self._cancel(order, spec["cancelled"], refunded=True,
                                 at=order.processed_at + dt.timedelta(hours=2))
                self.orders[number] = order
                customer.orders.append(number)

    # -- reads -------------------------------------------------------------------------------------

    def customer_by(self, identifier: Mapping[str, Any]) -> Customer | None:
        given = {k: v for k, v in identifier.items() if v is not None}
        if len(given) != 1 or next(iter(given)) not in ("emailAddress", "phoneNumber", "id", "customId"):
            raise GraphQLError("CustomerIdentifierInput takes exactly one of emailAddress, phoneNumber, id, customId",
                               {"code": "INVALID_VARIABLE"})
        key, value = next(iter(given.items()))
        for customer in self.customers.values():
            if ((key == "emailAddress" and str(value).strip().lower() == customer.email)
                    or (key == "phoneNumber" and re.sub(r"[^\d+]", "", str(value)) == customer.phone)
                    or (key == "id" and _number(value, "Customer") == customer.number)):
                return customer
        return None

    def customer_by_identifier(self, args: Mapping[str, Any]) -> dict[str, Any] | None:
        customer = self.customer_by(args.get("identifier") or {})
        return self.customer_node(customer) if customer else None

    def customer_node(self, customer: Customer) -> dict[str, Any]:
        orders = [self.orders[n] for n in customer.orders]

        def resolve_orders(args: Mapping[str, Any]) -> dict[str, Any]:
            key = str(args.get("sortKey") or "ID")
            if key not in ("PROCESSED_AT", "CREATED_AT", "ID"):
                raise GraphQLError(f"sortKey {key} is not served here", {"code": "argumentLiteralsIncompatible"})
            ordered = sorted(orders, key=lambda o: (o.processed_at, o.number) if key != "ID" else (o.number,))
            if args.get("reverse"):
                ordered.reverse()
            return _connection("OrderConnection", [self.order_node(o) for o in ordered], args)

        return {
            "__typename": "Customer", "id": _gid("Customer", customer.number),
            "displayName": f"{customer.first_name} {customer.last_name}", "firstName": customer.first_name,
            "lastName": customer.last_name,
            "defaultEmailAddress": {"__typename": "CustomerEmailAddress", "emailAddress": customer.email,
                                    "marketingState": "NOT_SUBSCRIBED"},
            "defaultPhoneNumber": {"__typename": "CustomerPhoneNumber", "phoneNumber": customer.phone,
                                   "marketingState": "NOT_SUBSCRIBED"},
            "numberOfOrders": str(len(orders)), "orders": resolve_orders,
        }

    def order_node(self, order: Order) -> dict[str, Any]:
        lines = [{"__typename": "LineItem", "id": _gid("LineItem", line.number), "name": line.name, "sku": line.sku,
                  "quantity": line.quantity, "currentQuantity": line.current,
                  "unfulfilledQuantity": 0 if order.cancelled_at else line.unfulfilled,
                  "nonFulfillableQuantity": line.no_shipping} for line in order.lines]
        fulfillment_orders = self._fulfillment_orders(order)
        return {
            "__typename": "Order", "id": _gid("Order", order.number), "name": order.name,
            "createdAt": _iso(order.processed_at), "processedAt": _iso(order.processed_at),
            "cancelledAt": order.cancelled_at, "cancelReason": order.cancel_reason,
            "displayFulfillmentStatus": self._display_status(order), "displayFinancialStatus": order.financial,
            "statusPageUrl": f"https://{SHOP}/{SHOP_ID}/orders/{order.token}/authenticate?key={order.token[::-1]}",
            "lineItems": lambda args: _connection("LineItemConnection", lines, args),
            "fulfillmentOrders": lambda args: _connection("FulfillmentOrderConnection", fulfillment_orders, args),
        }

    @staticmethod
    def _display_status(order: Order) -> str:
        lines = [line for line in order.lines if line.current]
        done = sum(line.fulfilled for line in lines)
        waiting = sum(line.unfulfilled for line in lines)
        if waiting == 0 and done:
            return "FULFILLED"
        if done:
            return "PARTIALLY_FULFILLED"
        if order.hold and not order.cancelled_at:
            return "ON_HOLD"
        if any(line.in_progress for line in lines):
            return "IN_PROGRESS"
        return "UNFULFILLED"

    def _fulfillment_orders(self, order: Order) -> list[dict[str, Any]]:
        """Shipped quantities in a CLOSED fulfilment order, the rest in an open one (ON_HOLD while the order
        is held, CANCELLED once cancelled), what a fulfilment service accepted in an IN_PROGRESS one."""
        groups: list[tuple[int, str, list[tuple[Line, int, int]]]] = [
            (1, "CLOSED", [(line, line.fulfilled, 0) for line in order.lines if line.fulfilled])]
        if order.cancelled_at:
            groups.append((2, "CANCELLED", [(line, line.quantity - line.fulfilled, 0) for line in order.lines
                                            if line.quantity > line.fulfilled]))
        else:
            groups.append((2, "ON_HOLD" if order.hold else "OPEN",
                           [(line, line.editable, line.editable) for line in order.lines if line.editable]))
            groups.append((3, "IN_PROGRESS", [(line, line.in_progress, line.in_progress) for line in order.lines
                                              if line.in_progress]))
        nodes = []
        for suffix, status, members in groups:
            if not members:
                continue
            number = order.number * 10 + suffix
            items = [{"__typename": "FulfillmentOrderLineItem",
                      "id": _gid("FulfillmentOrderLineItem", number * 100 + i),
                      "totalQuantity": total, "remainingQuantity": remaining,
                      "lineItem": {"__typename": "LineItem", "id": _gid("LineItem", line.number)}}
                     for i, (line, total, remaining) in enumerate(members, start=1)]
            nodes.append({"__typename": "FulfillmentOrder", "id": _gid("FulfillmentOrder", number), "status": status,
                          "lineItems": lambda args, items=items: _connection("FulfillmentOrderLineItemConnection",
                                                                             items, args)})
        return nodes

    # -- mutations ---------------------------------------------------------------------------------

    def edit_begin(self, args: Mapping[str, Any]) -> dict[str, Any]:
        order = self.orders.get(_number(args.get("id"), "Order") or -1)
        if order is None:
            return _user_errors(["id"], "The order does not exist.", calculatedOrder=None)
        if order.cancelled_at:
            return _user_errors(["id"], "The order has been canceled and can't be edited.", calculatedOrder=None)
        session = EditSession(next(self._numbers), order.number)
        self.sessions[session.number] = session
        return {"__typename": "OrderEditBeginPayload", "calculatedOrder": self._calculated(session),
                "orderEditSession": {"__typename": "OrderEditSession", "id": _gid("OrderEditSession", session.number)},
                "userErrors": []}

    def _calculated(self, session: EditSession) -> dict[str, Any]:
        order = self.orders[session.order]
        lines = [{"__typename": "CalculatedLineItem", "id": _gid("CalculatedLineItem", line.number),
                  "quantity": session.staged.get(line.number, line.current), "editableQuantity": line.editable,
                  "sku": line.sku, "title": line.name} for line in order.lines]
        return {"__typename": "CalculatedOrder", "id": _gid("CalculatedOrder", session.number),
                "lineItems": lambda args: _connection("CalculatedLineItemConnection", lines, args)}

    def _session(self, value: Any) -> EditSession | None:
        number = _number(value, "CalculatedOrder") or _number(value, "OrderEditSession")
        session = self.sessions.get(number or -1)
        return session if session and not session.committed else None

    def edit_set_quantity(self, args: Mapping[str, Any]) -> dict[str, Any]:
        session = self._session(args.get("id"))
        if session is None:
            return _user_errors(["id"], "The calculated order does not exist.", calculatedLineItem=None)
        number = _number(args.get("lineItemId"), "CalculatedLineItem")
        line = next((li for li in self.orders[session.order].lines if li.number == number), None)
        if line is None:
            return _user_errors(["lineItemId"], "The line item does not exist.", calculatedLineItem=None)
        quantity = int(args["quantity"])
        settled = line.current - line.editable  # shipped, digital, or being prepared: no edit changes these
        if quantity < 0:
            return _user_errors(["quantity"], "Quantity must be greater than or equal to 0.", calculatedLineItem=None)
        if quantity < settled:
            return _user_errors(["quantity"], f"Quantity can't be less than {settled}, the quantity already "
                                              "fulfilled or in fulfillment.", calculatedLineItem=None)
        session.staged[line.number] = quantity
        return {"__typename": "OrderEditSetQuantityPayload",
                "calculatedLineItem": {"__typename": "CalculatedLineItem",
                                       "id": _gid("CalculatedLineItem", line.number), "quantity": quantity},
                "calculatedOrder": self._calculated(session), "userErrors": []}

    def edit_commit(self, args: Mapping[str, Any]) -> dict[str, Any]:
        session = self._session(args.get("id"))
        if session is None:
            return _user_errors(["id"], "The calculated order does not exist.", order=None, successMessages=[])
        order = self.orders[session.order]
        for line in order.lines:
            if line.number in session.staged:
                line.current = session.staged[line.number]
        session.committed = True
        if args.get("notifyCustomer"):
            self._notify(order, "order_edited")
        return {"__typename": "OrderEditCommitPayload", "order": self.order_node(order),
                "successMessages": ["Order updated"], "userErrors": []}

    def cancel(self, args: Mapping[str, Any]) -> dict[str, Any]:
        def refused(message: str, code: str, on: str = "orderId") -> dict[str, Any]:
            return {"__typename": "OrderCancelPayload", "job": None, "userErrors": [],
                    "orderCancelUserErrors": [{"__typename": "OrderCancelUserError", "field": [on],
                                               "message": message, "code": code}]}

        order = self.orders.get(_number(args.get("orderId"), "Order") or -1)
        if order is None:
            return refused("Order does not exist", "NOT_FOUND")
        if order.cancelled_at:
            return refused("Cannot cancel an order that has already been canceled", "INVALID")
        if any(line.fulfilled or line.in_progress for line in order.lines):
            return refused("Cannot cancel an order with fulfilled or in-progress items; cancel its fulfillments "
                           "first", "INVALID")
        method = args.get("refundMethod") or {}
        refund = bool(method.get("originalPaymentMethodsRefund")) or "storeCreditRefund" in method
        self._cancel(order, str(args["reason"]), refunded=refund, at=dt.datetime.now(dt.UTC))
        if args.get("notifyCustomer"):
            self._notify(order, "order_cancelled")
        job = _gid("Job", str(uuid.uuid4()))
        self.jobs[job] = False
        return {"__typename": "OrderCancelPayload", "job": {"__typename": "Job", "id": job, "done": False},
                "userErrors": [], "orderCancelUserErrors": []}

    def job(self, args: Mapping[str, Any]) -> dict[str, Any] | None:
        job = str(args.get("id") or "")
        if job not in self.jobs:
            return None
        self.jobs[job] = True  # the cancellation ran when the mutation did; the job is done by any later look
        return {"__typename": "Job", "id": job, "done": True}

    def _cancel(self, order: Order, reason: str, *, refunded: bool, at: dt.datetime) -> None:
        order.cancelled_at, order.cancel_reason = _iso(at), reason
        for line in order.lines:
            line.current = line.fulfilled + line.no_shipping  # what was not shipped is removed
        order.financial = "REFUNDED" if refunded else order.financial

    def _notify(self, order: Order, kind: str) -> None:
        customer = self.customers[order.customer]
        self.notifications.append({"kind": kind, "order": order.name, "to": customer.email,
                                   "at": _iso(dt.datetime.now(dt.UTC))})


def _user_errors(on: list[str], message: str, **payload: Any) -> dict[str, Any]:
    return {**payload, "userErrors": [{"__typename": "UserError", "field": on, "message": message}]}


def _connection(typename: str, items: list[dict[str, Any]], args: Mapping[str, Any]) -> dict[str, Any]:
    first, last = args.get("first"), args.get("last")
    size = first if first is not None else last
    if size is None:
        raise GraphQLError("you must provide one of first or last", {"code": "argumentLiteralsIncompatible"})
    if not isinstance(size, int) or not 0 <= size <= MAX_PAGE:
        raise GraphQLError(f"first and last take 0 to {MAX_PAGE}", {"code": "argumentLiteralsIncompatible"})
    page = items[:size] if first is not None else items[max(0, len(items) - size):]
    more = len(page) < len(items)
    return {"__typename": typename, "__connection__": True, "nodes": page,
            "edges": [{"__typename": typename.removesuffix("Connection") + "Edge", "node": n, "cursor": n["id"]}
                      for n in page],
            "pageInfo": {"__typename": "PageInfo", "hasNextPage": more and first is not None,
                         "hasPreviousPage": more and last is not None,
                         "startCursor": page[0]["id"] if page else None,
                         "endCursor": page[-1]["id"] if page else None}}


# -- running a document ----------------------------------------------------------------------------

_SCALARS: dict[str, Callable[[Any], bool]] = {
    "Int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "Boolean": lambda v: isinstance(v, bool),
    "String": lambda v: isinstance(v, str),
    "ID": lambda v: isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool)),
    "OrderCancelReason": lambda v: v in CANCEL_REASONS,
    "CustomerIdentifierInput": lambda v: isinstance(v, dict),
    "OrderCancelRefundMethodInput": lambda v: isinstance(v, dict) and set(v) <= {"originalPaymentMethodsRefund",
                                                                                  "storeCreditRefund"},
}


def coerce_variables(operation: Operation, given: Any) -> dict[str, Any]:
    """The operation's variables as GraphQL coerces them: a missing non-null one, or a value of the wrong
    type, is an error naming it (Shopify's wording)."""
    values = given if isinstance(given, dict) else {}
    coerced: dict[str, Any] = {}
    for name, (kind, default) in operation.variables.items():
        value = values.get(name, default)
        base = kind.rstrip("!")
        if value is None:
            if kind.endswith("!"):
                raise GraphQLError(f"Variable ${name} of type {kind} was provided invalid value",
                                   {"code": "INVALID_VARIABLE", "value": None,
                                    "problems": [{"path": [], "explanation": "Expected value to not be null"}]})
        elif base in _SCALARS and not _SCALARS[base](value):
            raise GraphQLError(f"Variable ${name} of type {kind} was provided invalid value",
                               {"code": "INVALID_VARIABLE", "value": value,
                                "problems": [{"path": [],
                                              "explanation": f"Could not coerce value {value!r} to {base}"}]})
        coerced[name] = value
    return coerced


class _Run:
    def __init__(self, variables: Mapping[str, Any]):
        self.variables, self.cost = variables, 0

    def select(self, value: Any, fields: list[Selection], *, in_connection: bool = False) -> Any:
        if value is None or not fields:
            return value
        if isinstance(value, list):
            return [self.select(v, fields) for v in value]
        if value.get("__connection__"):
            self.cost += 2
        elif not (in_connection and value.get("__typename") == "PageInfo"):
            self.cost += 1
        out: dict[str, Any] = {}
        for selection in fields:
            if selection.name == "__typename":
                out[selection.key] = value.get("__typename")
                continue
            if selection.name not in value or selection.name.startswith("__"):
                raise GraphQLError(f"Field '{selection.name}' doesn't exist on type '{value.get('__typename')}'",
                                   {"code": "undefinedField", "typeName": value.get("__typename"),
                                    "fieldName": selection.name})
            raw = value[selection.name]
            if callable(raw):
                raw = raw(_resolved(selection.args, self.variables))
            out[selection.key] = self.select(raw, selection.fields, in_connection=bool(value.get("__connection__")))
        return out


@dataclass
class Bucket:
    """Shopify's leaky bucket of query points for one app on one shop (Standard plan: 100 points/s)."""

    maximum: float = 2000.0
    restore_rate: float = 100.0
    available: float = 2000.0
    at: float = field(default_factory=time.monotonic)

    def level(self) -> float:
        now = time.monotonic()
        self.available = min(self.maximum, self.available + (now - self.at) * self.restore_rate)
        self.at = now
        return self.available

    def status(self) -> dict[str, float]:
        return {"maximumAvailable": self.maximum, "currentlyAvailable": round(self.level()),
                "restoreRate": self.restore_rate}


class ShopifyStandIn(Served):
    """The demo shop's Admin GraphQL API on its own HTTP server."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, access_token: str = ACCESS_TOKEN):
        self.access_token = access_token
        self.shop = Shop()
        self.bucket = Bucket()
        self.throttle_429 = 0
        self.requests: list[str] = []  # the operation name of every GraphQL request, throttled ones too
        self.known = {tuple(tokens(document)): name for name, document in DOCUMENTS.items()}
        self._lock = threading.Lock()
        self._listen(host, port, "shopify-standin")

    def environment(self) -> dict[str, str]:
        """What points helpdesk.providers.shopify here."""
        return {"SHOPIFY_API_URL": self.url, "SHOPIFY_SHOP": SHOP, "SHOPIFY_ACCESS_TOKEN": self.access_token}

    def control(self, **modes: Any) -> dict[str, Any]:
        """Set the bucket and failure modes as `POST /_control` does; answers them as they now are."""
        unknown = set(modes) - {"bucket", "throttle_429", "reset"}
        if unknown:
            raise ValueError("unknown modes: " + ", ".join(sorted(unknown)))
        bucket, count = modes.get("bucket", {}), modes.get("throttle_429", None)
        if not isinstance(bucket, dict) or set(bucket) - {"available", "maximum", "restore_rate"} or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in bucket.values()):
            raise ValueError("bucket: {available, maximum, restore_rate}, numbers 0 or more")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise ValueError("throttle_429: a count, 0 or more")
        with self._lock:
            if modes.get("reset"):
                self.shop, self.bucket, self.throttle_429 = Shop(), Bucket(), 0
            self.bucket.level()
            self.bucket.maximum = float(bucket.get("maximum", self.bucket.maximum))
            self.bucket.restore_rate = float(bucket.get("restore_rate", self.bucket.restore_rate))
            self.bucket.available = min(self.bucket.maximum, float(bucket.get("available", self.bucket.available)))
            if count is not None:
                self.throttle_429 = count
            return {"bucket": self.bucket.status(), "throttle_429": self.throttle_429}

    # -- HTTP --------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        path = urllib.parse.urlsplit(target).path
        lower = {k.lower(): v for k, v in headers.items()}
        if path == "/_control":
            return self._control_answer(method, body)
        if path != GRAPHQL_PATH:
            # Shopify serves other versions; this stand-in answers only the pinned one, so a client on
            # another version is noticed rather than answered.
            return _json(404, {"errors": f"Not Found: this stand-in serves {GRAPHQL_PATH} only"})
        if method != "POST":
            return _json(405, {"errors": "GraphQL is served on POST"})
        token = lower.get("x-shopify-access-token", "")
        if not token or not hmac.compare_digest(token.encode(), self.access_token.encode()):
            return _json(401, {"errors": "[API] Invalid API key or access token "
                                         "(unrecognized login or wrong password)"})
        if not lower.get("content-type", "").lower().startswith("application/json"):
            return _json(415, {"errors": "Content-Type must be application/json"})
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        if not isinstance(request, dict) or not isinstance(request.get("query"), str):
            return _json(400, {"errors": {"query": "Required parameter missing or invalid"}})
        with self._lock:
            return self._graphql(request["query"], request.get("variables"))

    def _graphql(self, document: str, variables: Any) -> Answer:
        try:
            name = self.known.get(tuple(tokens(document)))
            operation = parse(document)
        except GraphQLError as error:
            return _json(200, {"errors": [error.as_json()]})
        self.requests.append(name or operation.name or "?")
        if name is None:
            return _json(200, {"errors": [{
                "message": f"The Shopify stand-in does not know this {operation.kind} "
                           f"({operation.name or 'anonymous'}): it answers only the documents "
                           "helpdesk.providers.shopify sends (" + ", ".join(sorted(DOCUMENTS)) + ")",
                "extensions": {"code": "UNKNOWN_DOCUMENT"}}]})
        if self.throttle_429 > 0:
            self.throttle_429 -= 1
            return _json(429, {"errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
                                         "resume uninterrupted service."}, {"Retry-After": "1.0"})
        requested = requested_cost(operation)
        if requested > MAX_QUERY_COST:
            return _json(200, {"errors": [{
                "message": f"Query cost is {requested}, which exceeds the single query max cost limit "
                           f"({MAX_QUERY_COST}).", "extensions": {"code": "MAX_COST_EXCEEDED", "cost": requested,
                                                                  "maxCost": MAX_QUERY_COST}}]})
        if requested > self.bucket.level():
            return _json(200, {"errors": [{"message": "Throttled", "extensions": {
                "code": "THROTTLED", "documentation": _DOCS_URL}}],
                "extensions": {"cost": {"requestedQueryCost": requested, "actualQueryCost": None,
                                        "throttleStatus": self.bucket.status()}}})
        self.bucket.available -= requested
        run = _Run({})
        try:
            run.variables = coerce_variables(operation, variables)
            data = self._execute(operation, run)
        except GraphQLError as error:
            self.bucket.available = min(self.bucket.maximum, self.bucket.available + requested)
            return _json(200, {"errors": [error.as_json()]})
        actual = MUTATION_COST * len(operation.fields) if operation.kind == "mutation" else min(run.cost, requested)
        self.bucket.available = min(self.bucket.maximum, self.bucket.available + requested - actual)  # the refund
        return _json(200, {"data": data, "extensions": {"cost": {
            "requestedQueryCost": requested, "actualQueryCost": actual, "throttleStatus": self.bucket.status()}}})

    def _execute(self, operation: Operation, run: _Run) -> dict[str, Any]:
        shop = self.shop
        roots: dict[str, Callable[[Mapping[str, Any]], Any]] = {
            "customerByIdentifier": shop.customer_by_identifier, "job": shop.job,
        } if operation.kind == "query" else {
            "orderEditBegin": shop.edit_begin, "orderEditSetQuantity": shop.edit_set_quantity,
            "orderEditCommit": shop.edit_commit, "orderCancel": shop.cancel,
        }
        data: dict[str, Any] = {}
        for selection in operation.fields:  # a mutation's fields run one after another, in order
            resolver = roots.get(selection.name)
            if resolver is None:
                root = "QueryRoot" if operation.kind == "query" else "Mutation"
                raise GraphQLError(f"Field '{selection.name}' doesn't exist on type '{root}'",
                                   {"code": "undefinedField", "typeName": root, "fieldName": selection.name})
            value = resolver(_resolved(selection.args, run.variables))
            if isinstance(value, dict) and "__typename" not in value:
                value["__typename"] = selection.name[0].upper() + selection.name[1:] + "Payload"
            data[selection.key] = run.select(value, selection.fields)
        return data

    def _control_answer(self, method: str, body: bytes) -> Answer:
        if method == "GET":
            return _json(200, self.control())
        if method != "POST":
            return _json(405, {"error": "GET or POST"})
        try:
            modes = json.loads(body or b"{}")
            if not isinstance(modes, dict):
                raise ValueError("a JSON object of modes")
            return _json(200, self.control(**modes))
        except ValueError as error:
            return _json(400, {"error": str(error)})


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", "X-Shopify-API-Version": API_VERSION,
                    "X-Request-Id": str(uuid.uuid4()), **(headers or {})}, json.dumps(payload).encode()
