"""The agent's order actions from a ticket (SPEC §4, helpdesk/order_actions.py) through the agent API with real
tokens, against the local Shopify and Recharge stand-ins: the ticket customer's orders and subscriptions (the
customer is the ticket's, never the caller's), quantities changed and cancellations made only once the agent
confirms and only on that customer's orders, Shopify's and Recharge's refusals passed on in their words with
nothing noted, every accepted action noted on the ticket by the agent, an Idempotency-Key acting once, roles
and plan, and throttling waited out or answered 503."""
from __future__ import annotations

import json
from typing import Any

import pytest

from infra.local.shopify_standin import demo_customers
from tests.conftest import Aws, Brand
from tests.integration import tables
from tests.integration.agents import Member, member, text, ticket_id_of

DEMO = demo_customers()
ALEX, JIWOO, MINA = DEMO["unfulfilled"], DEMO["partially_fulfilled"], DEMO["fulfilled"]
ALEX_SOCKS = 27002  # Alex's Wool Socks Club in the Recharge stand-in (infra/local/recharge_standin.py)


def call(api: Any, method: str, path: str, who: Member, body: Any = None,
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    sent = {**who.headers, "Content-Type": "application/json", **(headers or {})}
    if method == "GET":
        response = api.get(path, headers=sent)
    else:
        response = api.request(method, path, headers=sent, body=json.dumps(body).encode())
    return response.status_code, json.loads(response.body)


def orders(api: Any, who: Member, ticket_id: str) -> tuple[int, Any]:
    return call(api, "GET", f"/api/tickets/{ticket_id}/orders", who)


def act(api: Any, who: Member, ticket_id: str, body: dict[str, Any], key: str | None = None) -> tuple[int, Any]:
    return call(api, "POST", f"/api/tickets/{ticket_id}/order-actions", who, body,
                {"Idempotency-Key": key} if key else None)


def sms_ticket(brand: Brand, customer: dict[str, str]) -> str:
    text(brand, customer["phone"], "hi, about my order")
    return ticket_id_of(brand, customer["phone"])


def notes(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in tables.messages_of(brand.account_id, ticket_id) if m["direction"] == "note"]


def changes_sent(commerce: Any) -> list[Any]:
    """What was sent to Shopify or Recharge that changes something: mutations, and Recharge POSTs and PUTs."""
    return [name for name in commerce.shopify.requests if not name.startswith(("HelpdeskCustomer", "HelpdeskJob"))] \
        + [r for r in commerce.recharge.requests if r[0] != "GET"]


@pytest.fixture
def team(aws: Aws, pool: Any, brand: Brand) -> dict[str, Member]:
    return {role: member(aws, pool, brand.account_id, role) for role in ("owner", "admin", "manager", "support")}


@pytest.fixture
def support(aws: Aws, pool: Any, brand: Brand) -> Member:
    return member(aws, pool, brand.account_id, "support")


@pytest.fixture
def staff_notes(commerce: Any) -> list[str | None]:
    """The staff notes Shopify was given (the stand-in keeps none of its own)."""
    shop, seen = commerce.shopify.shop, []

    def spy(original: Any) -> Any:
        def mutation(args: Any) -> Any:
            seen.append(args.get("staffNote"))
            return original(args)

        return mutation

    shop.edit_commit, shop.cancel = spy(shop.edit_commit), spy(shop.cancel)
    return seen


def agent_name_of(brand: Brand, who: Member) -> str:
    from helpdesk.store import agents as agent_store

    agent = agent_store.get_agent(brand.account_id, who.agent_id)
    assert agent is not None and agent.name
    return str(agent.name)


def order_named(answer: dict[str, Any], name: str) -> dict[str, Any]:
    [order] = [o for o in answer["orders"] if o["name"] == name]
    return order


# --- what the ticket's customer has ------------------------------------------------------------------------


def test_the_tickets_customer_is_found_by_its_number_with_their_orders_in_one_request_and_subscriptions(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    status, answer = orders(api, support, ticket_id)
    assert status == 200, answer
    assert answer["customer"] == {"email": ALEX["email"], "phone": ALEX["phone"], "name": "Alex Lee",
                                  "shopify_customer_id": answer["customer"]["shopify_customer_id"]}
    assert answer["connected"] == {"shopify": True, "recharge": True}
    assert [(o["name"], o["state"]) for o in answer["orders"]] == [("#1002", "unfulfilled"), ("#0995", "cancelled")]
    latest = answer["orders"][0]
    assert latest["status_url"].startswith("https://") and latest["editable"] is True
    assert [(line["title"], line["quantity"], line["unfulfilled_quantity"], line["editable"])
            for line in latest["lines"]] == [("Summer Dress - Blue / M", 1, 1, True),
                                             ("Silk Scarf - Ivory", 2, 2, True)]
    assert commerce.shopify.requests == ["HelpdeskCustomerOrders"]
    # Recharge finds customers by email: the one Shopify has for the ticket's number.
    assert [(s["product_title"], s["status"], s["quantity"]) for s in answer["subscriptions"]] == [
        ("Wool Socks Club", "active", 2), ("Sparkling Water", "cancelled", 1)]


def test_an_email_tickets_customer_is_its_sender_and_without_recharge_there_are_no_subscriptions(
        api: Any, brand: Brand, commerce: Any, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.test_customer_panel import email_ticket

    monkeypatch.delenv("RECHARGE_ACCESS_TOKEN")
    status, answer = orders(api, support, email_ticket(brand, JIWOO["email"]))
    assert status == 200, answer
    assert answer["customer"]["email"] == JIWOO["email"] and answer["connected"]["recharge"] is False
    assert [o["name"] for o in answer["orders"]] == ["#1001", "#0990"] and answer["subscriptions"] == []
    assert commerce.recharge.requests == []


def test_a_ticket_whose_customer_is_unknown_lists_nothing_and_asks_nobody(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    from tests.integration.test_order_skill import chat

    ticket_id = chat(brand, "hello, anyone there?", None)["ticket_id"]  # an anonymous web-chat visitor
    assert orders(api, support, ticket_id) == (200, {"customer": None, "orders": [], "subscriptions": [],
                                                     "connected": {"shopify": True, "recharge": True}})
    status, refused = act(api, support, ticket_id, {"action": "skip_charge", "subscription_id": ALEX_SOCKS,
                                                     "confirm": True})
    assert status == 404 and "customer is not known" in refused["error"]
    assert commerce.shopify.requests == [] and commerce.recharge.requests == []


# --- changes to orders ---------------------------------------------------------------------------------------


def test_quantities_change_in_shopify_show_on_a_fresh_look_and_are_noted_by_the_agent(
        api: Any, brand: Brand, commerce: Any, support: Member, staff_notes: list[str | None]) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, support, ticket_id)[1], "#1002")
    dress, scarf = order["lines"]
    status, answer = act(api, support, ticket_id, {"action": "set_quantities", "order_id": order["id"],
                                                   "quantities": {dress["id"]: 2, scarf["id"]: 0}, "confirm": True})
    assert status == 200, answer
    assert answer["action"] == "set_quantities" and answer["result"]["order_name"] == "#1002"
    assert answer["result"]["changes"] == [
        {"line_id": dress["id"], "title": "Summer Dress - Blue / M", "from": 1, "to": 2},
        {"line_id": scarf["id"], "title": "Silk Scarf - Ivory", "from": 2, "to": 0}]
    after = order_named(orders(api, support, ticket_id)[1], "#1002")
    assert [(line["quantity"], line["state"]) for line in after["lines"]] == [(2, "unfulfilled"), (0, "removed")]
    assert commerce.shopify.shop.notifications[-1]["kind"] == "order_edited"  # the updated invoice
    [note] = notes(brand, ticket_id)
    agent_name = agent_name_of(brand, support)
    assert note["message_id"] == answer["note_id"] and note["sender"] == support.agent_id
    assert note["body"] == ("Changed order #1002: Summer Dress - Blue / M 1 → 2, Silk Scarf - Ivory 2 → 0 (removed) "
                            f"(restocked, customer notified) — by {agent_name}")
    details = note["extra"]["order_action"]
    assert (details["action"], details["agent_id"], details["result"]) == ("set_quantities", support.agent_id,
                                                                          answer["result"])
    assert staff_notes == [f"From helpdesk ticket {ticket_id}, by {agent_name} (agent {support.agent_id})"]
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", support)
    assert [m["body"] for m in detail["messages"] if m["direction"] == "note"] == [note["body"]]


def test_a_cancellation_takes_its_reason_refund_and_restock_and_a_second_one_gets_shopifys_refusal(
        aws: Aws, pool: Any, api: Any, brand: Brand, commerce: Any, staff_notes: list[str | None]) -> None:
    manager = member(aws, pool, brand.account_id, "manager")
    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, manager, ticket_id)[1], "#1002")
    cancel = {"action": "cancel_order", "order_id": order["id"], "reason": "CUSTOMER", "refund": "store_credit",
              "restock": False, "notify_customer": False, "confirm": True}
    status, answer = act(api, manager, ticket_id, cancel)
    assert status == 200, answer
    assert answer["result"]["job"]["id"].startswith("gid://shopify/Job/")
    shopify_order = next(o for o in commerce.shopify.shop.orders.values() if o.name == "#1002")
    assert (shopify_order.cancel_reason, shopify_order.financial) == ("CUSTOMER", "REFUNDED")
    assert order_named(orders(api, manager, ticket_id)[1], "#1002")["state"] == "cancelled"
    assert commerce.shopify.shop.notifications == []  # the customer was not to be told
    [note] = notes(brand, ticket_id)
    name = agent_name_of(brand, manager)
    assert note["body"] == ("Cancelled order #1002 (reason CUSTOMER, refund store_credit, not restocked, "
                            f"customer not notified) — by {name}")
    assert note["sender"] == manager.agent_id
    assert staff_notes == [f"From helpdesk ticket {ticket_id}, by {name} (agent {manager.agent_id})"]

    status, refused = act(api, manager, ticket_id, cancel)  # no Idempotency-Key: Shopify itself refuses
    assert status == 409 and refused["error"] == ("Shopify refused the cancellation: Cannot cancel an order that "
                                                  "has already been canceled")
    assert len(notes(brand, ticket_id)) == 1


def test_shopifys_refusals_come_back_as_they_are_and_nothing_is_noted(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, JIWOO)
    found = orders(api, support, ticket_id)[1]
    partly, older = order_named(found, "#1001"), order_named(found, "#0990")
    shirt = partly["lines"][0]  # shipped whole
    assert (shirt["title"], shirt["editable"]) == ("Linen Shirt - Blue / M", False)
    status, refused = act(api, support, ticket_id, {"action": "set_quantities", "order_id": partly["id"],
                                                    "quantities": {shirt["id"]: 0}, "confirm": True})
    assert status == 409 and refused["error"] == (
        "Shopify refused the new quantity of Linen Shirt - Blue / M: Quantity can't be less than 1, the quantity "
        "already fulfilled or in fulfillment.")
    mug = older["lines"][0]  # a line of another order
    status, refused = act(api, support, ticket_id, {"action": "set_quantities", "order_id": partly["id"],
                                                    "quantities": {mug["id"]: 1}, "confirm": True})
    assert status == 409 and refused["error"] == f"line item {mug['id']} is not on order {partly['id']}"
    status, refused = act(api, support, ticket_id, {"action": "cancel_order", "order_id": partly["id"],
                                                    "reason": "OTHER", "refund": "none", "restock": True,
                                                    "confirm": True})
    assert status == 409 and "fulfilled or in-progress items" in refused["error"]
    assert notes(brand, ticket_id) == []
    assert [line["quantity"] for line in order_named(orders(api, support, ticket_id)[1], "#1001")["lines"]] == [1, 2, 3]
    assert "HelpdeskOrderEditCommit" not in commerce.shopify.requests


def test_another_customers_order_or_subscription_is_404_and_nothing_that_changes_anything_is_sent(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    theirs = sms_ticket(brand, JIWOO)
    jiwoos = orders(api, support, theirs)[1]
    ticket_id = sms_ticket(brand, ALEX)
    for body in ({"action": "cancel_order", "order_id": order_named(jiwoos, "#1001")["id"], "reason": "CUSTOMER",
                  "refund": "original", "restock": True, "confirm": True},
                 {"action": "set_quantities", "order_id": "5501001001", "quantities": {"550100100102": 1},
                  "confirm": True},  # #1001 and its tote by their numbers
                 {"action": "cancel_subscription", "subscription_id": jiwoos["subscriptions"][0]["id"],
                  "reason": "too much coffee", "confirm": True}):
        status, refused = act(api, support, ticket_id, body)
        assert status == 404, (body, refused)
    assert changes_sent(commerce) == [] and notes(brand, ticket_id) == []
    assert order_named(orders(api, support, theirs)[1], "#1001")["state"] == "partially_fulfilled"


def test_an_action_the_agent_has_not_confirmed_is_400_and_nothing_is_done(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    body: dict[str, Any] = {"action": "cancel_order", "order_id": "5501001002", "reason": "CUSTOMER",  # Alex's #1002
                            "refund": "original", "restock": True}
    for confirm, said in [(None, "the agent must confirm"), (False, "the agent must confirm"),
                          ("yes", "confirm must be boolean")]:
        status, refused = act(api, support, ticket_id, body if confirm is None else {**body, "confirm": confirm})
        assert status == 400 and said in refused["error"], (confirm, refused)
    assert commerce.shopify.requests == [] and notes(brand, ticket_id) == []


# --- Idempotency-Key ---------------------------------------------------------------------------------------


def test_a_repeated_request_with_the_same_idempotency_key_acts_once(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, support, ticket_id)[1], "#1002")
    cancel = {"action": "cancel_order", "order_id": order["id"], "reason": "INVENTORY", "refund": "original",
              "restock": True, "confirm": True}
    first = act(api, support, ticket_id, cancel, key="cancel-1002")
    assert first[0] == 200, first
    assert act(api, support, ticket_id, cancel, key="cancel-1002") == first
    assert commerce.shopify.requests.count("HelpdeskOrderCancel") == 1 and len(notes(brand, ticket_id)) == 1
    status, refused = act(api, support, ticket_id, {**cancel, "reason": "OTHER"}, key="cancel-1002")
    assert status == 409 and "another action" in refused["error"]


def test_a_key_whose_action_changed_nothing_acts_when_retried(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, support, ticket_id)[1], "#1002")
    edit = {"action": "set_quantities", "order_id": order["id"], "quantities": {order["lines"][1]["id"]: 1},
            "confirm": True}
    # A bucket that refills too slowly: throttled past what the client waits, Shopify changed nothing.
    commerce.shopify.control(bucket={"available": 0, "restore_rate": 50})
    status, refused = act(api, support, ticket_id, edit, key="scarf-1")
    assert status == 503 and "throttling" in refused["error"]
    commerce.shopify.control(bucket={"available": 2000, "restore_rate": 100})
    status, answer = act(api, support, ticket_id, edit, key="scarf-1")
    assert status == 200, answer
    assert order_named(orders(api, support, ticket_id)[1], "#1002")["lines"][1]["quantity"] == 1
    assert len(notes(brand, ticket_id)) == 1


def test_a_change_shopify_did_not_answer_keeps_its_key_so_a_repeat_does_not_act_again(
        api: Any, brand: Brand, commerce: Any, support: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from helpdesk.providers.shopify import Shopify

    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, support, ticket_id)[1], "#1002")
    from_settings = Shopify.from_settings
    monkeypatch.setattr(Shopify, "from_settings", lambda **options: from_settings(**options, timeout=0.3))
    shop, cancel_now = commerce.shopify.shop, commerce.shopify.shop.cancel

    def cancel_then_hang(args: Any) -> Any:  # Shopify cancels, and its answer never comes back in time
        answer = cancel_now(args)
        time.sleep(0.6)
        return answer

    shop.cancel = cancel_then_hang
    cancel = {"action": "cancel_order", "order_id": order["id"], "reason": "CUSTOMER", "refund": "original",
              "restock": True, "confirm": True}
    status, unknown = act(api, support, ticket_id, cancel, key="cancel-unanswered")
    assert status == 503 and "may have been saved" in unknown["error"]
    status, refused = act(api, support, ticket_id, cancel, key="cancel-unanswered")
    assert status == 409 and "cut off" in refused["error"]
    assert commerce.shopify.requests.count("HelpdeskOrderCancel") == 1 and notes(brand, ticket_id) == []


# --- throttling -------------------------------------------------------------------------------------------


def test_throttled_the_client_backs_off_and_the_action_goes_through(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    order = order_named(orders(api, support, ticket_id)[1], "#1002")
    commerce.shopify.control(bucket={"available": 0, "restore_rate": 1000})  # full again in about a second
    status, answer = act(api, support, ticket_id, {"action": "set_quantities", "order_id": order["id"],
                                                   "quantities": {order["lines"][0]["id"]: 3}, "confirm": True})
    assert status == 200, answer
    assert commerce.shopify.requests[1:4] == ["HelpdeskCustomerOrders", "HelpdeskCustomerOrders",
                                              "HelpdeskOrderEditBegin"]


# --- Recharge ----------------------------------------------------------------------------------------------


def test_a_subscription_is_skipped_changed_and_cancelled_and_each_is_noted(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    ticket_id = sms_ticket(brand, ALEX)
    socks, water = orders(api, support, ticket_id)[1]["subscriptions"]
    status, skipped = act(api, support, ticket_id, {"action": "skip_charge", "subscription_id": socks["id"],
                                                    "confirm": True})
    assert status == 200, skipped
    assert skipped["result"]["charge"] == {**skipped["result"]["charge"], "status": "skipped",
                                           "scheduled_at": socks["next_charge_scheduled_at"]}
    moved = orders(api, support, ticket_id)[1]["subscriptions"][0]["next_charge_scheduled_at"]
    assert moved > socks["next_charge_scheduled_at"]  # one interval (two months) on

    commerce.recharge.control(throttle=1)  # Recharge answers 429 once: the client waits and sends again
    status, changed = act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": socks["id"],
                                                    "quantity": 3, "confirm": True})
    assert status == 200, changed
    assert changed["result"]["changes"] == {"quantity": {"from": 2, "to": 3}}
    assert changed["result"]["subscription"]["quantity"] == 3

    status, cancelled = act(api, support, ticket_id, {"action": "cancel_subscription", "subscription_id": socks["id"],
                                                      "reason": "too many socks", "comments": "moving abroad",
                                                      "confirm": True})
    assert status == 200, cancelled
    assert cancelled["result"]["subscription"]["status"] == "cancelled"
    stored = commerce.recharge.store.subscriptions[socks["id"]]
    assert (stored.cancellation_reason, stored.cancellation_reason_comments) == ("too many socks", "moving abroad")

    status, refused = act(api, support, ticket_id, {"action": "cancel_subscription", "subscription_id": water["id"],
                                                    "reason": "again", "confirm": True})
    assert status == 409 and refused["error"] == "Recharge refused the cancellation: Subscription is already cancelled"
    bodies = [n["body"] for n in notes(brand, ticket_id)]
    name = bodies[0].rsplit("— by ", 1)[1]
    assert bodies == [
        f"Skipped the {socks['next_charge_scheduled_at']} charge of subscription {socks['id']} (Wool Socks Club)"
        f" — by {name}",
        f"Changed subscription {socks['id']} (Wool Socks Club): quantity 2 → 3 — by {name}",
        f"Cancelled subscription {socks['id']} (Wool Socks Club; reason: too many socks) — by {name}"]


def test_a_subscriptions_next_charge_date_must_be_ahead(api: Any, brand: Brand, commerce: Any,
                                                          support: Member) -> None:
    ticket_id = sms_ticket(brand, MINA)
    [serum] = orders(api, support, ticket_id)[1]["subscriptions"]
    status, refused = act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": serum["id"],
                                                    "next_charge_date": "2020-01-01", "confirm": True})
    assert status == 400 and "after today" in refused["error"]
    status, refused = act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": serum["id"],
                                                    "confirm": True})
    assert status == 400 and "quantity" in refused["error"]
    status, changed = act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": serum["id"],
                                                    "next_charge_date": "2099-01-15", "confirm": True})
    assert status == 200, changed
    assert changed["result"]["changes"]["next_charge_date"] == {"from": serum["next_charge_scheduled_at"],
                                                               "to": "2099-01-15"}
    assert changes_sent(commerce) == [("POST", f"/subscriptions/{serum['id']}/set_next_charge_date")]


def test_a_change_whose_second_part_is_refused_notes_the_first_and_says_both(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    from infra.local import recharge_standin

    ticket_id = sms_ticket(brand, ALEX)
    socks = orders(api, support, ticket_id)[1]["subscriptions"][0]
    # Recharge takes the new quantity, then refuses the date (as it would a day its schedule cannot take).
    commerce.recharge._set_next_charge_date = lambda subscription, payload: recharge_standin._json(
        422, {"errors": {"date": ["is not available"]}})
    status, refused = act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": socks["id"],
                                                    "quantity": 5, "next_charge_date": "2099-01-15", "confirm": True},
                          key="socks-5")
    assert status == 409 and refused["error"] == ("the quantity was changed (noted on the ticket), but Recharge "
                                                  "refused the new charge date: date: is not available")
    assert commerce.recharge.store.subscriptions[socks["id"]].quantity == 5
    [note] = notes(brand, ticket_id)
    assert note["body"].startswith(f"Changed subscription {socks['id']} (Wool Socks Club): quantity 2 → 5 — by ")
    # Something was saved: the key stays taken, and its repeat answers as the first was answered, acting never.
    sent = len(changes_sent(commerce))
    assert act(api, support, ticket_id, {"action": "change_subscription", "subscription_id": socks["id"],
                                         "quantity": 5, "next_charge_date": "2099-01-15", "confirm": True},
               key="socks-5") == (status, refused)
    assert len(changes_sent(commerce)) == sent and len(notes(brand, ticket_id)) == 1


# --- roles and plan ---------------------------------------------------------------------------------------


def test_every_helpdesk_role_acts_and_nobody_else(aws: Aws, pool: Any, api: Any, brand: Brand, commerce: Any,
                                                  team: dict[str, Member]) -> None:
    from tests.integration.test_customer_panel import integration

    ticket_id = sms_ticket(brand, ALEX)
    for who in team.values():
        assert orders(api, who, ticket_id)[0] == 200, who.role
    status, done = act(api, team["admin"], ticket_id, {"action": "skip_charge", "subscription_id": ALEX_SOCKS,
                                                       "confirm": True})
    assert status == 200 and notes(brand, ticket_id)[0]["sender"] == team["admin"].agent_id, done
    body = {"action": "cancel_order", "order_id": "5501001002", "reason": "FRAUD", "refund": "none",
            "restock": True, "confirm": True}
    for outsider in (integration(aws, pool, brand), member(aws, pool, brand.account_id, "analyst")):
        assert orders(api, outsider, ticket_id)[0] == 403
        assert act(api, outsider, ticket_id, body)[0] == 403
    assert "HelpdeskOrderCancel" not in commerce.shopify.requests


def test_on_the_inbox_plan_orders_and_actions_are_403_naming_the_plan(
        api: Any, brand: Brand, commerce: Any, support: Member) -> None:
    from tests.integration.test_customer_panel import set_plan

    ticket_id = sms_ticket(brand, ALEX)
    set_plan(brand, "inbox")
    status, refused = orders(api, support, ticket_id)
    assert status == 403 and "helpdesk plan" in refused["error"] and "on the inbox plan" in refused["error"]
    status, refused = act(api, support, ticket_id, {"action": "skip_charge", "subscription_id": ALEX_SOCKS,
                                                    "confirm": True})
    assert status == 403 and refused["error"].startswith("order and subscription actions come with the helpdesk plan")
    assert commerce.shopify.requests == [] and commerce.recharge.requests == []
    set_plan(brand, "helpdesk")
    assert orders(api, support, ticket_id)[0] == 200
