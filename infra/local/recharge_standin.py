"""A local stand-in for the Recharge API 2021-11, serving the demo shop's subscriptions.

    GET  /customers?email=…                          customers (cursor pages: next_cursor → ?cursor=)
    GET  /subscriptions?customer_id=…&status=…        subscriptions
    GET  /subscriptions/{id}
    PUT  /subscriptions/{id}                          {"quantity": n}
    POST /subscriptions/{id}/cancel                   {"cancellation_reason" (required), "cancellation_reason_comments",
                                                       "send_email"}
    POST /subscriptions/{id}/set_next_charge_date     {"date": "YYYY-MM-DD"}
    GET  /charges?purchase_item_id=…&status=queued&sort_by=scheduled_at-asc
    GET  /charges/{id}
    POST /charges/{id}/skip                           {"purchase_item_ids": [subscription ids]}
    GET/POST /_control                                {"throttle": n} (the next n answered 429), {"reset": true}

Headers as Recharge wants them: `X-Recharge-Access-Token`, and `X-Recharge-Version: 2021-11`, which this
stand-in requires (Recharge would fall back to the token's default version; here a client on another
version is refused, so it shows). The state changes as Recharge's does: a skipped charge is `skipped` and
the subscription's next charge moves one interval on; a cancelled subscription loses its queued charges.
The demo customers are the Shopify stand-in's (infra/local/shopify_standin.py), by email.
"""
from __future__ import annotations

import base64
import calendar
import datetime as dt
import hmac
import itertools
import json
import re
import threading
import urllib.parse
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from helpdesk.providers.recharge import API_VERSION
from infra.local.standins import Answer, Served

ACCESS_TOKEN = "local-recharge-access-token"
BUCKET_SIZE = 40
MAX_LIMIT = 250


@dataclass
class Subscription:
    id: int
    customer_id: int
    address_id: int
    product_title: str
    variant_title: str
    sku: str
    price: str
    quantity: int
    unit: str  # day, week, month
    every: int
    next_charge: dt.date | None
    variant_id: str
    product_id: str
    created_at: str
    status: str = "active"
    cancelled_at: str | None = None
    cancellation_reason: str | None = None
    cancellation_reason_comments: str | None = None


@dataclass
class Charge:
    id: int
    customer_id: int
    address_id: int
    scheduled_at: dt.date
    items: dict[int, int]  # subscription id -> quantity
    status: str = "queued"
    created_at: str = field(default_factory=lambda: _now_iso())


@dataclass(frozen=True)
class DemoSubscription:
    email: str
    product_title: str
    variant_title: str
    sku: str
    price: str
    quantity: int
    unit: str
    every: int
    next_in_days: int | None  # None: cancelled
    shopify_customer: int


# The Shopify stand-in's customers (their Shopify ids: external_customer_id.ecommerce).
DEMO: tuple[DemoSubscription, ...] = (
    DemoSubscription("jiwoo.kim@example.com", "Cold Brew Coffee", "12 pack", "CB-12", "24.00", 1, "month", 1, 9,
                     7001000001),
    DemoSubscription("alex.lee@example.com", "Wool Socks Club", "Grey / M", "SOCK-CLUB-M", "18.00", 2, "month", 2, 20,
                     7001000002),
    DemoSubscription("alex.lee@example.com", "Sparkling Water", "24 cans", "SPW-24", "15.00", 1, "week", 2, None,
                     7001000002),
    DemoSubscription("mina.cho@example.com", "Face Serum", "30 ml", "SRM-30", "32.00", 1, "month", 1, 3, 7001000004),
)
_NAMES = {"jiwoo.kim@example.com": ("Jiwoo", "Kim"), "alex.lee@example.com": ("Alex", "Lee"),
          "mina.cho@example.com": ("Mina", "Cho"), "sam.park@example.com": ("Sam", "Park")}


def _now_iso() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0, tzinfo=None).isoformat()


def add_interval(day: dt.date, unit: str, every: int) -> dt.date:
    if unit == "day":
        return day + dt.timedelta(days=every)
    if unit == "week":
        return day + dt.timedelta(weeks=every)
    month = day.month - 1 + every
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


class RechargeStore:
    """The demo store's Recharge data. Not thread-safe: the stand-in holds its lock around every request."""

    def __init__(self, today: dt.date | None = None):
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.customers: dict[int, dict[str, Any]] = {}
        self.subscriptions: dict[int, Subscription] = {}
        self.charges: dict[int, Charge] = {}
        self.emails: list[dict[str, Any]] = []  # what Recharge would email the customer
        self._charge_ids = itertools.count(41001)
        by_email: dict[str, int] = {}
        for email, (first, last) in _NAMES.items():
            number = 8100001 + len(by_email)
            by_email[email] = number
            shopify = next((d.shopify_customer for d in DEMO if d.email == email), None)
            self.customers[number] = {
                "id": number, "email": email, "first_name": first, "last_name": last, "phone": None,
                "external_customer_id": {"ecommerce": str(shopify) if shopify else None},
                "created_at": _now_iso(), "updated_at": _now_iso(), "has_payment_method_in_dunning": False,
                "subscriptions_active_count": 0, "subscriptions_total_count": 0, "tax_exempt": False}
        for i, demo in enumerate(DEMO):
            customer = by_email[demo.email]
            subscription = Subscription(
                27001 + i, customer, 9001 + list(by_email).index(demo.email), demo.product_title, demo.variant_title,
                demo.sku, demo.price, demo.quantity, demo.unit, demo.every,
                None if demo.next_in_days is None else self.today + dt.timedelta(days=demo.next_in_days),
                variant_id=str(44100000001 + i), product_id=str(8800000001 + i), created_at=_now_iso())
            if demo.next_in_days is None:
                subscription.status, subscription.cancelled_at = "cancelled", _now_iso()
                subscription.cancellation_reason = "I have too many"
            self.subscriptions[subscription.id] = subscription
            if subscription.next_charge:
                self._queue(subscription, subscription.next_charge)

    # -- JSON shapes -------------------------------------------------------------------------------

    def customer_json(self, customer: dict[str, Any]) -> dict[str, Any]:
        mine = [s for s in self.subscriptions.values() if s.customer_id == customer["id"]]
        return {**customer, "subscriptions_active_count": sum(s.status == "active" for s in mine),
                "subscriptions_total_count": len(mine)}

    def subscription_json(self, s: Subscription) -> dict[str, Any]:
        return {
            "id": s.id, "address_id": s.address_id, "customer_id": s.customer_id, "analytics_data": {"utm_params": []},
            "cancellation_reason": s.cancellation_reason,
            "cancellation_reason_comments": s.cancellation_reason_comments,
            "cancelled_at": s.cancelled_at, "charge_interval_frequency": s.every, "created_at": s.created_at,
            "expire_after_specific_number_of_charges": None, "external_product_id": {"ecommerce": s.product_id},
            "external_variant_id": {"ecommerce": s.variant_id},
            "has_queued_charges": any(c.status == "queued" and s.id in c.items for c in self.charges.values()),
            "is_prepaid": False, "is_skippable": True, "is_swappable": False, "max_retries_reached": False,
            "next_charge_scheduled_at": s.next_charge.isoformat() if s.next_charge else None,
            "order_day_of_month": None, "order_day_of_week": None, "order_interval_frequency": s.every,
            "order_interval_unit": s.unit, "presentment_currency": "USD", "price": s.price,
            "product_title": s.product_title, "properties": [], "quantity": s.quantity, "sku": s.sku,
            "sku_override": False, "status": s.status, "updated_at": _now_iso(), "variant_title": s.variant_title,
        }

    def charge_json(self, c: Charge) -> dict[str, Any]:
        customer = self.customers[c.customer_id]
        lines = []
        total = 0.0
        for subscription_id, quantity in c.items.items():
            s = self.subscriptions[subscription_id]
            price = float(s.price) * quantity
            total += price
            lines.append({"purchase_item_id": s.id, "purchase_item_type": "subscription", "quantity": quantity,
                          "title": s.product_title, "variant_title": s.variant_title, "sku": s.sku,
                          "external_product_id": {"ecommerce": s.product_id},
                          "external_variant_id": {"ecommerce": s.variant_id}, "unit_price": s.price,
                          "total_price": f"{price:.2f}", "properties": []})
        return {"id": c.id, "address_id": c.address_id, "analytics_data": {"utm_params": []},
                "customer": {"id": customer["id"], "email": customer["email"],
                             "external_customer_id": customer["external_customer_id"],
                             "hash": f"{customer['id']:x}"},
                "created_at": c.created_at, "currency": "USD", "line_items": lines, "processed_at": None,
                "scheduled_at": c.scheduled_at.isoformat(), "status": c.status, "subtotal_price": f"{total:.2f}",
                "total_price": f"{total:.2f}", "type": "recurring", "updated_at": _now_iso()}

    # -- changes -----------------------------------------------------------------------------------

    def _queue(self, s: Subscription, day: dt.date) -> None:
        """The subscription's next charge: into a queued charge of its customer on that day, or a new one."""
        same = next((c for c in self.charges.values() if c.status == "queued" and c.customer_id == s.customer_id
                     and c.address_id == s.address_id and c.scheduled_at == day), None)
        if same is None:
            same = Charge(next(self._charge_ids), s.customer_id, s.address_id, day, {})
            self.charges[same.id] = same
        same.items[s.id] = s.quantity
        s.next_charge = day

    def _unqueue(self, s: Subscription) -> None:
        for charge in list(self.charges.values()):
            if charge.status == "queued" and s.id in charge.items:
                del charge.items[s.id]
                if not charge.items:
                    del self.charges[charge.id]

    def skip(self, charge: Charge, ids: list[int]) -> Charge:
        if set(ids) == set(charge.items):
            skipped, charge.status = charge, "skipped"
        else:  # some of the charge's items: they leave it for a skipped charge of their own
            skipped = Charge(next(self._charge_ids), charge.customer_id, charge.address_id, charge.scheduled_at,
                             {i: charge.items.pop(i) for i in ids}, status="skipped")
            self.charges[skipped.id] = skipped
        for i in ids:
            s = self.subscriptions[i]
            self._queue(s, add_interval(charge.scheduled_at, s.unit, s.every))
        return skipped

    def cancel(self, s: Subscription, reason: str, comments: str | None, send_email: bool) -> None:
        s.status, s.cancelled_at = "cancelled", _now_iso()
        s.cancellation_reason, s.cancellation_reason_comments = reason, comments
        self._unqueue(s)
        s.next_charge = None
        if send_email:
            self._email(s, "subscription_cancelled")

    def set_next_charge(self, s: Subscription, day: dt.date) -> None:
        self._unqueue(s)
        self._queue(s, day)

    def set_quantity(self, s: Subscription, quantity: int) -> None:
        s.quantity = quantity
        for charge in self.charges.values():
            if charge.status == "queued" and s.id in charge.items:
                charge.items[s.id] = quantity

    def _email(self, s: Subscription, kind: str) -> None:
        self.emails.append({"kind": kind, "to": self.customers[s.customer_id]["email"], "subscription_id": s.id,
                            "at": _now_iso()})


_SUBSCRIPTION = re.compile(r"^/subscriptions/(\d+)(/cancel|/set_next_charge_date)?$")
_CHARGE = re.compile(r"^/charges/(\d+)(/skip)?$")


class RechargeStandIn(Served):
    """The demo store's Recharge API on its own HTTP server."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, access_token: str = ACCESS_TOKEN):
        self.access_token = access_token
        self.store = RechargeStore()
        self.throttle = 0
        self.requests: list[tuple[str, str]] = []  # (method, path) of every API request, refused ones too
        self._lock = threading.Lock()
        self._listen(host, port, "recharge-standin")

    def environment(self) -> dict[str, str]:
        """What points helpdesk.providers.recharge here."""
        return {"RECHARGE_API_URL": self.url, "RECHARGE_ACCESS_TOKEN": self.access_token}

    def control(self, **modes: Any) -> dict[str, Any]:
        unknown = set(modes) - {"throttle", "reset"}
        if unknown:
            raise ValueError("unknown modes: " + ", ".join(sorted(unknown)))
        count = modes.get("throttle")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool) or count < 0):
            raise ValueError("throttle: a count, 0 or more")
        with self._lock:
            if modes.get("reset"):
                self.store, self.throttle = RechargeStore(), 0
            if count is not None:
                self.throttle = count
            return {"throttle": self.throttle}

    # -- HTTP --------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        parts = urllib.parse.urlsplit(target)
        path, query = parts.path, dict(urllib.parse.parse_qsl(parts.query))
        if path == "/_control":
            return self._control_answer(method, body)
        lower = {k.lower(): v for k, v in headers.items()}
        token = lower.get("x-recharge-access-token", "")
        with self._lock:
            self.requests.append((method, path))
            if not token or not hmac.compare_digest(token.encode(), self.access_token.encode()):
                return _json(401, {"errors": "Invalid API token"})
            if lower.get("x-recharge-version") != API_VERSION:
                return _json(400, {"errors": f"this stand-in speaks X-Recharge-Version {API_VERSION} only"})
            if self.throttle > 0:
                self.throttle -= 1
                return _json(429, {"errors": "Too Many Requests"}, {"Retry-After": "2"})
            payload: Any = None
            if method in ("POST", "PUT"):
                try:
                    payload = json.loads(body or b"{}")
                except ValueError:
                    return _json(400, {"errors": "Invalid JSON body"})
                if not isinstance(payload, dict):
                    return _json(400, {"errors": "Invalid JSON body"})
            return self._route(method, path, query, payload or {})

    def _route(self, method: str, path: str, query: dict[str, str], payload: dict[str, Any]) -> Answer:
        store = self.store
        try:
            if path == "/customers" and method == "GET":
                return self._list_customers(query)
            if path == "/subscriptions" and method == "GET":
                return self._list_subscriptions(query)
            if path == "/charges" and method == "GET":
                return self._list_charges(query)
        except _Invalid as invalid:
            return invalid.answer
        if match := _SUBSCRIPTION.match(path):
            subscription = store.subscriptions.get(int(match.group(1)))
            if subscription is None:
                return _json(404, {"errors": "Not Found"})
            return self._subscription(method, match.group(2) or "", subscription, payload)
        if match := _CHARGE.match(path):
            charge = store.charges.get(int(match.group(1)))
            if charge is None:
                return _json(404, {"errors": "Not Found"})
            if method == "GET" and not match.group(2):
                return _json(200, {"charge": store.charge_json(charge)})
            if method == "POST" and match.group(2):
                return self._skip(charge, payload)
        return _json(404, {"errors": "Not Found"})

    def _list_customers(self, query: dict[str, str]) -> Answer:
        filters, offset, limit = _paged(query, ("email",))
        email = filters.get("email", "").strip().lower()
        found = [self.store.customer_json(c) for c in self.store.customers.values() if not email or c["email"] == email]
        return _page("customers", found, filters, offset, limit)

    def _list_subscriptions(self, query: dict[str, str]) -> Answer:
        store = self.store
        filters, offset, limit = _paged(query, ("customer_id", "status"))
        customer, status = filters.get("customer_id"), filters.get("status", "").lower()
        found = [store.subscription_json(s) for s in sorted(store.subscriptions.values(), key=lambda s: s.id)
                 if (not customer or str(s.customer_id) == customer) and (not status or s.status == status)]
        return _page("subscriptions", found, filters, offset, limit)

    def _list_charges(self, query: dict[str, str]) -> Answer:
        store = self.store
        filters, offset, limit = _paged(query, ("purchase_item_id", "status", "sort_by", "customer_id"))
        query = filters
        sort = query.get("sort_by", "id-asc")
        if sort not in ("id-asc", "id-desc", "scheduled_at-asc", "scheduled_at-desc", "updated_at-asc",
                        "updated_at-desc"):
            return _json(422, {"errors": {"sort_by": [f"{sort} is not a valid sort_by value"]}})
        item, status = query.get("purchase_item_id"), query.get("status", "").lower()
        charges = [c for c in store.charges.values()
                   if (not item or (item.isdigit() and int(item) in c.items)) and (not status or c.status == status)
                   and (not query.get("customer_id") or str(c.customer_id) == query["customer_id"])]
        key = (lambda c: (c.scheduled_at, c.id)) if sort.startswith("scheduled_at") else (lambda c: (c.id,))
        charges.sort(key=key, reverse=sort.endswith("-desc"))  # type: ignore[arg-type]
        return _page("charges", [store.charge_json(c) for c in charges], filters, offset, limit)

    def _subscription(self, method: str, action: str, s: Subscription, payload: dict[str, Any]) -> Answer:
        store = self.store
        if method == "GET" and not action:
            return _json(200, {"subscription": store.subscription_json(s)})
        change = {("PUT", ""): self._set_quantity, ("POST", "/cancel"): self._cancel,
                  ("POST", "/set_next_charge_date"): self._set_next_charge_date}.get((method, action))
        if change is None:
            return _json(404, {"errors": "Not Found"})
        refused = change(s, payload)
        return refused or _json(200, {"subscription": store.subscription_json(s)})

    def _set_quantity(self, s: Subscription, payload: dict[str, Any]) -> Answer | None:
        if set(payload) - {"quantity"}:
            return _json(422, {"errors": "the stand-in changes quantity only"})
        quantity = payload.get("quantity")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            return _json(422, {"errors": {"quantity": ["must be an integer greater than 0"]}})
        if s.status != "active":
            return _json(422, {"errors": "Cannot update a cancelled subscription"})
        self.store.set_quantity(s, quantity)
        return None

    def _cancel(self, s: Subscription, payload: dict[str, Any]) -> Answer | None:
        reason = payload.get("cancellation_reason")
        if not isinstance(reason, str) or not reason.strip():
            return _json(422, {"errors": {"cancellation_reason": ["This field is required."]}})
        if s.status != "active":
            return _json(422, {"errors": "Subscription is already cancelled"})
        self.store.cancel(s, reason, payload.get("cancellation_reason_comments"),
                          payload.get("send_email", True) is True)
        return None

    def _set_next_charge_date(self, s: Subscription, payload: dict[str, Any]) -> Answer | None:
        try:
            day = dt.date.fromisoformat(str(payload.get("date")))
        except ValueError:
            return _json(422, {"errors": {"date": ["must be a date, YYYY-MM-DD"]}})
        if day <= self.store.today:
            return _json(422, {"errors": {"date": ["must be in the future"]}})
        if s.status != "active":
            return _json(422, {"errors": "Cannot set the next charge date of a cancelled subscription"})
        self.store.set_next_charge(s, day)
        return None

    def _skip(self, charge: Charge, payload: dict[str, Any]) -> Answer:
        ids = payload.get("purchase_item_ids")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
            return _json(422, {"errors": {"purchase_item_ids": ["This field is required."]}})
        if charge.status != "queued":
            return _json(422, {"errors": f"Cannot skip a charge with status {charge.status}"})
        if not set(ids) <= set(charge.items):
            return _json(422, {"errors": "purchase_item_ids are not all on this charge"})
        return _json(200, {"charge": self.store.charge_json(self.store.skip(charge, ids))})

    def _control_answer(self, method: str, body: bytes) -> Answer:
        if method == "GET":
            return _json(200, self.control())
        try:
            modes = json.loads(body or b"{}")
            if method != "POST" or not isinstance(modes, dict):
                raise ValueError("POST a JSON object of modes")
            return _json(200, self.control(**modes))
        except ValueError as error:
            return _json(400, {"error": str(error)})


class _Invalid(Exception):
    def __init__(self, answer: Answer):
        super().__init__("invalid request")
        self.answer = answer


def _paged(query: dict[str, str], filters: tuple[str, ...]) -> tuple[dict[str, str], int, int]:
    """The filters, offset and limit of a list request: a cursor (2021-11's `next_cursor`) carries the
    filters of the first page and comes alone with `limit`, as Recharge wants."""
    try:
        limit = int(query.get("limit", "50"))
    except ValueError:
        raise _Invalid(_json(422, {"errors": {"limit": ["must be an integer"]}})) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise _Invalid(_json(422, {"errors": {"limit": [f"must be between 1 and {MAX_LIMIT}"]}}))
    if "cursor" not in query:
        return {k: v for k, v in query.items() if k in filters}, 0, limit
    if any(name in query for name in filters):
        raise _Invalid(_json(422, {"errors": "cursor cannot be combined with other parameters except limit"}))
    try:
        state = json.loads(base64.urlsafe_b64decode(query["cursor"].encode()))
        return {str(k): str(v) for k, v in state["filters"].items()}, int(state["offset"]), limit
    except (ValueError, KeyError, TypeError, AttributeError):
        raise _Invalid(_json(422, {"errors": {"cursor": ["is invalid"]}})) from None


def _page(key: str, items: list[dict[str, Any]], filters: dict[str, str], offset: int, limit: int) -> Answer:
    page = items[offset:offset + limit]

    def cursor(at: int) -> str:
        return base64.urlsafe_b64encode(json.dumps({"offset": at, "filters": filters}).encode()).decode()

    return _json(200, {key: page,
                       "next_cursor": cursor(offset + limit) if offset + limit < len(items) else None,
                       "previous_cursor": cursor(max(0, offset - limit)) if offset else None})


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", "X-Recharge-Version": API_VERSION,
                    "X-Recharge-Limit": f"1/{BUCKET_SIZE}", "X-Request-Id": str(uuid.uuid4()),
                    **(headers or {})}, json.dumps(payload).encode()
