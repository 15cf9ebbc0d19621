"""The changes an agent makes to a customer's Shopify orders and Recharge subscriptions from a ticket
(helpdesk/order_actions.py): each finds the order or subscription among the customer's own first (404
otherwise, before anything is sent that changes anything), then asks Shopify or Recharge, and says what it
did, for the ticket's note and the answer. Their refusals pass through in their own words."""
from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from typing import Any

from helpdesk import settings
from helpdesk.errors import BadRequest, Conflict, HelpdeskError, NotFound
from helpdesk.providers.recharge import Recharge, Subscription
from helpdesk.providers.shopify import OrderView, Shopify, ShopifyNotFound, gid
from helpdesk.skills.order_editing import shopify_connected


@dataclass(frozen=True)
class TicketCustomer:
    """The customer as the ticket vouches for them: what Shopify and Recharge are asked about."""

    email: str | None = None
    phone: str | None = None  # E.164

    def lookup(self) -> dict[str, str]:
        return {"email": self.email} if self.email else {"phone": str(self.phone)}


@dataclass(frozen=True)
class Done:
    """What was done: `text` for the note (without who did it), `result` for the answer. `failure`: the
    part of a change that was refused after another part was saved (the saved part is still noted)."""

    text: str
    result: dict[str, Any]
    failure: HelpdeskError | None = None


@dataclass
class Target:
    """One action on the ticket's customer: their identity, the request's fields, the staff note."""

    customer: TicketCustomer
    action: str
    fields: dict[str, Any]
    staff_note: str
    changing: bool = False  # a request that changes something is being sent: from then on, it may have acted

    @functools.cached_property
    def shopify(self) -> Shopify:
        if not shopify_connected():
            raise NotFound("Shopify is not connected to this helpdesk: the customer has no orders here")
        return Shopify.from_settings()

    @functools.cached_property
    def recharge(self) -> Recharge:
        if not recharge_connected():
            raise NotFound("Recharge is not connected to this helpdesk: the customer has no subscriptions here")
        return Recharge.from_settings()


def recharge_connected() -> bool:
    """Recharge's API token is configured (the token itself is read when used)."""
    return bool(settings.optional("RECHARGE_ACCESS_TOKEN") or settings.optional("RECHARGE_ACCESS_TOKEN_PARAM"))


# --- as the API shows them ----------------------------------------------------------------------------


def order_json(order: OrderView) -> dict[str, Any]:
    return {"id": order.id, "name": order.name, "state": order.state, "created_at": order.created_at,
            "status_url": order.status_page_url, "fulfillment_status": order.fulfillment_status,
            "financial_status": order.financial_status, "cancelled_at": order.cancelled_at,
            "editable": order.editable, "complete": order.complete,
            "lines": [{"id": line.id, "title": line.name, "sku": line.sku, "quantity": line.quantity,
                       "unfulfilled_quantity": line.unfulfilled, "fulfilled_quantity": line.fulfilled,
                       "editable": line.changeable > 0, "editable_quantity": line.changeable, "state": line.state}
                      for line in order.lines]}


def subscription_json(subscription: Subscription) -> dict[str, Any]:
    s = subscription
    return {"id": s.id, "status": s.status, "product_title": s.product_title, "variant_title": s.variant_title,
            "quantity": s.quantity, "price": s.price, "next_charge_scheduled_at": s.next_charge_scheduled_at,
            "order_interval_unit": s.order_interval_unit, "order_interval_frequency": s.order_interval_frequency,
            "cancelled_at": s.cancelled_at, "cancellation_reason": s.cancellation_reason}


# --- whose it is ----------------------------------------------------------------------------------------


def their_order(target: Target) -> OrderView:
    """The order asked for, among the customer's ten most recent (the ones the ticket lists): one request."""
    wanted = gid("Order", str(target.fields.get("order_id") or ""))
    found = target.shopify.customer_orders(**target.customer.lookup())
    order = next((o for o in found.orders if o.id == wanted), None) if found else None
    if order is None:
        raise NotFound("no such order among this customer's recent orders")
    return order


def their_subscription(target: Target) -> Subscription:
    """The subscription asked for, among the customer's in Recharge (found by email; a customer the ticket
    knows by phone, by the email of the Shopify customer with that phone)."""
    wanted = target.fields.get("subscription_id")
    email = target.customer.email
    if email is None and shopify_connected():
        shop_customer = target.shopify.find_customer(phone=target.customer.phone)
        email = shop_customer.email if shop_customer else None
    subscriptions = target.recharge.subscriptions_for(email) if email else []
    subscription = next((s for s in subscriptions if s.id == wanted), None)
    if subscription is None:
        raise NotFound("no such subscription of this customer")
    return subscription


# --- the changes ------------------------------------------------------------------------------------------


def set_quantities(target: Target) -> Done:
    order = their_order(target)
    wanted = {gid("LineItem", str(line_id)): quantity for line_id, quantity in target.fields["quantities"].items()}
    restock, notify = bool(target.fields.get("restock", True)), bool(target.fields.get("notify_customer", True))
    target.changing = True
    try:
        edit = target.shopify.edit_quantities(order.id, wanted, restock=restock, notify_customer=notify,
                                              staff_note=target.staff_note)
    except ShopifyNotFound as refused:  # a line the order does not have: a refusal of the change, not a 404
        raise Conflict(refused.reason) from refused
    lines = {line.id: line for line in order.lines}
    changes = [{"line_id": line_id, "title": lines[line_id].name if line_id in lines else line_id,
                "from": lines[line_id].quantity if line_id in lines else None, "to": quantity}
               for line_id, quantity in wanted.items()]
    said = ", ".join(f"{c['title']} {c['from']} → {c['to']}" + (" (removed)" if c["to"] == 0 else "") for c in changes)
    text = f"Changed order {order.name}: {said} ({_restocked(restock)}, {_notified(notify)})"
    return Done(text, {"order_id": order.id, "order_name": edit.order_name or order.name, "changes": changes,
                       "restock": restock, "notify_customer": notify, "messages": list(edit.messages)})


def cancel_order(target: Target) -> Done:
    order = their_order(target)
    fields = target.fields
    reason, refund, restock = str(fields["reason"]), str(fields["refund"]), bool(fields["restock"])
    notify = bool(fields.get("notify_customer", True))
    target.changing = True
    try:
        job = target.shopify.cancel_order(order.id, reason=reason, refund=refund,  # type: ignore[arg-type]
                                          restock=restock, notify_customer=notify, staff_note=target.staff_note)
    except ShopifyNotFound as refused:
        raise Conflict(refused.reason) from refused
    text = (f"Cancelled order {order.name} (reason {reason}, refund {refund}, {_restocked(restock)}, "
            f"{_notified(notify)})")
    return Done(text, {"order_id": order.id, "order_name": order.name, "reason": reason, "refund": refund,
                       "restock": restock, "notify_customer": notify, "job": {"id": job.id, "done": job.done}})


def skip_charge(target: Target) -> Done:
    subscription = their_subscription(target)
    target.changing = True
    charge = target.recharge.skip_next_charge(subscription.id)
    text = (f"Skipped the {charge.scheduled_at or 'next'} charge of subscription {subscription.id} "
            f"({subscription.product_title})")
    return Done(text, {"subscription_id": subscription.id, "product_title": subscription.product_title,
                       "charge": {"id": charge.id, "status": charge.status, "scheduled_at": charge.scheduled_at}})


def cancel_subscription(target: Target) -> Done:
    subscription = their_subscription(target)
    reason, comments = str(target.fields["reason"]), target.fields.get("comments")
    target.changing = True
    after = target.recharge.cancel_subscription(subscription.id, reason, comments=comments)
    text = f"Cancelled subscription {subscription.id} ({subscription.product_title}; reason: {reason})"
    return Done(text, {"subscription": subscription_json(after), "reason": reason, "comments": comments})


def change_subscription(target: Target) -> Done:
    quantity, day = target.fields.get("quantity"), target.fields.get("next_charge_date")
    if quantity is None and day is None:
        raise BadRequest("give the new quantity, the next charge date, or both")
    if day is not None and dt.date.fromisoformat(str(day)) <= dt.datetime.now(dt.UTC).date():
        raise BadRequest("next_charge_date must be a day after today")
    subscription = after = their_subscription(target)
    changes: dict[str, dict[str, Any]] = {}
    failure: HelpdeskError | None = None
    target.changing = True
    try:
        if quantity is not None:
            after = target.recharge.set_quantity(subscription.id, int(quantity))
            changes["quantity"] = {"from": subscription.quantity, "to": after.quantity}
        if day is not None:
            after = target.recharge.set_next_charge_date(subscription.id, str(day))
            changes["next_charge_date"] = {"from": subscription.next_charge_scheduled_at,
                                           "to": after.next_charge_scheduled_at}
    except HelpdeskError as error:
        if not changes:
            raise
        # The quantity was saved and the date refused: the saved part is noted, the refusal answered.
        failure = HelpdeskError(f"the quantity was changed (noted on the ticket), but {error.reason}")
        failure.status = error.status
    said = ", ".join(f"{name.replace('_', ' ')} {c['from']} → {c['to']}" for name, c in changes.items())
    text = f"Changed subscription {subscription.id} ({subscription.product_title}): {said}"
    return Done(text, {"subscription": subscription_json(after), "changes": changes}, failure)


def _restocked(restock: bool) -> str:
    return "restocked" if restock else "not restocked"


def _notified(notify: bool) -> str:
    return "customer notified" if notify else "customer not notified"
