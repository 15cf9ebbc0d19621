"""Recharge API 2021-11: a customer's subscriptions; skip the next charge, cancel, change quantity or the
next charge date. Rate limit: a leaky bucket of 40 requests per token leaking 2/s; a 429 waits 2 s or more.

Settings: `RECHARGE_ACCESS_TOKEN` or `RECHARGE_ACCESS_TOKEN_PARAM` (the store's API token, an SSM
SecureString when deployed), `RECHARGE_API_URL` (default https://api.rechargeapps.com; the local stand-in).
Scopes: `read_customers`, `read_subscriptions`/`write_subscriptions`, and `read_orders`/`write_orders` for
charges (one docs mirror names them `read_charges`/`write_charges`: unverified).
"""
from __future__ import annotations

import datetime as dt
import math
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpdesk import settings
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, NotFound, Transient
from helpdesk.providers import json_http
from helpdesk.providers.sending import ProviderMisconfigured, credential

API_VERSION = "2021-11"
DEFAULT_URL = "https://api.rechargeapps.com"
MAX_TRIES = 3
MIN_WAIT = 2.0  # Recharge leaks 2 requests a second from a bucket of 40: under 2 s the next one fails too
MAX_WAIT = 10.0
PAGE = 250  # the largest `limit` Recharge takes


class RechargeRefused(Conflict):
    """Recharge refused the change (422 and the like); the reason quotes Recharge."""


class RechargeThrottled(Transient):
    def __init__(self, retry_after: float):
        super().__init__(f"Recharge is throttling our requests; try again in {math.ceil(retry_after)} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class RechargeCustomer:
    id: int
    email: str
    first_name: str | None
    last_name: str | None
    shopify_customer_id: str | None  # external_customer_id.ecommerce


@dataclass(frozen=True)
class Subscription:
    id: int
    customer_id: int
    status: str  # active, cancelled, expired
    product_title: str
    variant_title: str | None
    quantity: int
    price: str | None
    next_charge_scheduled_at: str | None  # YYYY-MM-DD
    order_interval_unit: str | None
    order_interval_frequency: int | None
    cancelled_at: str | None
    cancellation_reason: str | None


@dataclass(frozen=True)
class Charge:
    id: int
    status: str  # queued, skipped, success, error, refunded, partially_refunded, pending, ...
    scheduled_at: str | None  # YYYY-MM-DD
    purchase_item_ids: tuple[int, ...]


def subscription_of(node: dict[str, Any]) -> Subscription:
    return Subscription(
        id=int(node["id"]), customer_id=int(node.get("customer_id") or 0), status=str(node.get("status") or "").lower(),
        product_title=str(node.get("product_title") or ""), variant_title=node.get("variant_title") or None,
        quantity=int(node.get("quantity") or 0), price=None if node.get("price") is None else str(node["price"]),
        next_charge_scheduled_at=_date(node.get("next_charge_scheduled_at")),
        order_interval_unit=node.get("order_interval_unit"),
        order_interval_frequency=_int_or_none(node.get("order_interval_frequency")),
        cancelled_at=node.get("cancelled_at"), cancellation_reason=node.get("cancellation_reason"))


def charge_of(node: dict[str, Any]) -> Charge:
    items = tuple(int(i["purchase_item_id"]) for i in node.get("line_items") or ()
                  if isinstance(i, dict) and i.get("purchase_item_id") is not None)
    return Charge(int(node["id"]), str(node.get("status") or "").lower(), _date(node.get("scheduled_at")), items)


def retry_wait(retry_after: str | None, *, minimum: float = MIN_WAIT) -> float:
    """How long a 429 waits: Recharge's Retry-After when it gives a longer one, else `minimum`."""
    try:
        given = float(retry_after) if retry_after else 0.0
    except ValueError:
        given = 0.0
    return max(minimum, given)


def failure(status: int, body: Any, what: str, path: str = "") -> HelpdeskError:
    """A Recharge answer that is not a success, as a domain error; `what` names the request, `path` its URL's."""
    said = _said(body)
    if status == 401:
        return ProviderMisconfigured("Recharge refused our access token; check RECHARGE_ACCESS_TOKEN")
    if status == 403:
        return ProviderMisconfigured(f"Recharge refused access to {what}: the token lacks a scope"
                                     + (f" ({said})" if said else ""))
    if status == 404:
        parts = path.strip("/").split("/")
        thing = f"{parts[0].removesuffix('s')} {parts[1]}" if len(parts) > 1 else (parts[0] or what)
        return NotFound(f"Recharge has no {thing}")
    if status == 429:
        return RechargeThrottled(MIN_WAIT)
    if status >= 500:
        return Transient(f"Recharge is having trouble (HTTP {status}); try again in a moment")
    if status < 400:
        return ProviderMisconfigured(f"Recharge answered HTTP {status} without {what}; check RECHARGE_API_URL")
    return RechargeRefused(f"Recharge refused {what}: {said}" if said else f"Recharge refused {what} (HTTP {status})")


class Recharge:
    """One store's Recharge API. `sleep` waits out a 429 (tests pass their own); `requests` counts sends."""

    def __init__(self, access_token: str, *, api_url: str | None = None,
                 sleep: Callable[[float], None] = time.sleep, max_tries: int = MAX_TRIES,
                 max_wait: float = MAX_WAIT, timeout: float = 10.0):
        self.api_url = (api_url or DEFAULT_URL).rstrip("/")
        self.access_token = access_token
        self.sleep, self.max_tries, self.max_wait, self.timeout = sleep, max(1, max_tries), max_wait, timeout
        self.requests = 0

    @classmethod
    def from_settings(cls, **options: Any) -> Recharge:
        return cls(credential("RECHARGE_ACCESS_TOKEN"), api_url=settings.optional("RECHARGE_API_URL"), **options)

    # -- reads -------------------------------------------------------------------------------------

    def find_customer(self, email: str) -> RechargeCustomer | None:
        body = self._call("GET", "/customers", {"email": email.strip(), "limit": 1}, what="customers")
        found = [c for c in body.get("customers") or () if isinstance(c, dict)]
        if not found:
            return None
        node = found[0]
        external = node.get("external_customer_id")
        shopify_id = external.get("ecommerce") if isinstance(external, dict) else None
        return RechargeCustomer(int(node["id"]), str(node.get("email") or ""), node.get("first_name"),
                                node.get("last_name"), shopify_id)

    def subscriptions(self, customer_id: int, *, status: str | None = None, limit: int = PAGE) -> list[Subscription]:
        """Every subscription of the customer (active, cancelled, expired; or those of `status`), page by page."""
        query: dict[str, Any] = {"customer_id": customer_id, "limit": limit}
        if status:
            query["status"] = status
        found: list[Subscription] = []
        while True:
            body = self._call("GET", "/subscriptions", query, what="subscriptions")
            found += [subscription_of(s) for s in body.get("subscriptions") or () if isinstance(s, dict)]
            cursor = body.get("next_cursor")
            if not cursor:
                return found
            query = {"cursor": cursor, "limit": limit}  # with a cursor, Recharge takes no other filter

    def subscriptions_for(self, email: str) -> list[Subscription]:
        customer = self.find_customer(email)
        return self.subscriptions(customer.id) if customer else []

    def next_charge(self, subscription_id: int) -> Charge | None:
        """The subscription's next queued charge, the earliest scheduled."""
        body = self._call("GET", "/charges", {"purchase_item_id": subscription_id, "status": "queued",
                                              "sort_by": "scheduled_at-asc", "limit": 1}, what="charges")
        charges = [charge_of(c) for c in body.get("charges") or () if isinstance(c, dict)]
        return charges[0] if charges else None

    # -- changes -----------------------------------------------------------------------------------

    def skip_next_charge(self, subscription_id: int) -> Charge:
        """Skip the subscription's next delivery: its queued charge, for this subscription only."""
        charge = self.next_charge(subscription_id)
        if charge is None:
            raise RechargeRefused("Recharge has no upcoming charge to skip for this subscription")
        body = self._call("POST", f"/charges/{charge.id}/skip", payload={"purchase_item_ids": [subscription_id]},
                          what="skipping the charge")
        return charge_of(_one(body, "charge"))

    def cancel_subscription(self, subscription_id: int, reason: str, *, comments: str | None = None,
                            send_email: bool = True) -> Subscription:
        if not reason or not reason.strip():
            raise BadRequest("a cancellation reason is required")
        payload: dict[str, Any] = {"cancellation_reason": reason.strip()[:255], "send_email": send_email}
        if comments:
            payload["cancellation_reason_comments"] = comments
        body = self._call("POST", f"/subscriptions/{int(subscription_id)}/cancel", payload=payload,
                          what="the cancellation")
        return subscription_of(_one(body, "subscription"))

    def set_quantity(self, subscription_id: int, quantity: int) -> Subscription:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise BadRequest("a subscription's quantity is a whole number, 1 or more")
        body = self._call("PUT", f"/subscriptions/{int(subscription_id)}", payload={"quantity": quantity},
                          what="the new quantity")
        return subscription_of(_one(body, "subscription"))

    def set_next_charge_date(self, subscription_id: int, date: dt.date | str) -> Subscription:
        try:
            day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date))
        except ValueError as exc:
            raise BadRequest("the next charge date is a date, YYYY-MM-DD") from exc
        body = self._call("POST", f"/subscriptions/{int(subscription_id)}/set_next_charge_date",
                          payload={"date": day.isoformat()}, what="the new charge date")
        return subscription_of(_one(body, "subscription"))

    # -- the wire ----------------------------------------------------------------------------------

    def _call(self, method: str, path: str, query: dict[str, Any] | None = None, *, payload: Any = None,
              what: str) -> dict[str, Any]:
        url = self.api_url + path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"X-Recharge-Access-Token": self.access_token, "X-Recharge-Version": API_VERSION}
        for attempt in range(1, self.max_tries + 1):
            self.requests += 1
            try:
                reply = json_http.request(method, url, headers=headers, payload=payload, timeout=self.timeout)
            except json_http.Unanswered as exc:
                if method == "GET":
                    raise
                raise json_http.Unanswered(f"{exc.reason}: {what} may have been saved; check the subscription "
                                           "in Recharge before trying again") from exc
            if reply.status != 429:
                if 200 <= reply.status < 300 and isinstance(reply.body, dict):
                    return reply.body
                raise failure(reply.status, reply.body, what, path)
            # A refused request did nothing, so sending it again is safe, a change included.
            wait = retry_wait(reply.header("Retry-After"))
            if attempt == self.max_tries or wait > self.max_wait:
                raise RechargeThrottled(wait)
            self.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _one(body: dict[str, Any], key: str) -> dict[str, Any]:
    node = body.get(key)
    if not isinstance(node, dict) or node.get("id") is None:
        raise ProviderMisconfigured(f"Recharge answered without a {key}; check RECHARGE_API_URL")
    return node


def _said(body: Any) -> str:
    """Recharge's error text, whichever of its shapes: {"errors": "..."}, {"errors": {field: [...]}},
    {"error": "..."}, {"errors": [...]}."""
    errors = body.get("errors", body.get("error")) if isinstance(body, dict) else None
    if isinstance(errors, dict):
        parts = [f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in errors.items()]
        text = "; ".join(parts)
    elif isinstance(errors, list):
        text = "; ".join(map(str, errors))
    else:
        text = str(errors or "")
    return " ".join(text.split())[:300]


def _date(value: Any) -> str | None:
    return str(value)[:10] if value else None  # 2021-11 sends dates, some fields as "YYYY-MM-DDT00:00:00"


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
