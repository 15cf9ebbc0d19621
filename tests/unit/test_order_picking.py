"""Which order a shopper means (helpdesk/skills/order_picking.py): the one they name by number in English
or Korean, else by its products, else the latest; and never a door code, zip code, phone number or price
that looks like an order number. Also the policy windows the skill reads (helpdesk/skills/policies.py)."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from helpdesk.providers.shopify import OrderView, order_view
from helpdesk.skills import order_picking, policies
from helpdesk.skills.order_editing import hub_link
from helpdesk.skills.order_picking import pick, references


def order(name: str, *products: str, number: int = 0) -> OrderView:
    """An order node as Shopify answers it (nothing shipped), read as the skill reads it."""
    digits = number or int("".join(c for c in name if c.isdigit()) or 1)
    lines = [{"id": f"gid://shopify/LineItem/{digits}{i}", "name": product, "sku": None, "quantity": 1,
              "currentQuantity": 1, "unfulfilledQuantity": 1, "nonFulfillableQuantity": 0}
             for i, product in enumerate(products)]
    node: dict[str, Any] = {"id": f"gid://shopify/Order/55010{digits}", "name": name,
                            "createdAt": "2026-12-01T10:00:00Z", "displayFulfillmentStatus": "UNFULFILLED",
                            "lineItems": {"nodes": lines, "pageInfo": {"hasNextPage": False}}}
    return order_view(node)


# The customer's orders, most recent first (as Shopify.customer_orders gives them).
ORDERS = (
    order("#1044", "Linen Shirt - Blue / M", "Wool Socks - Grey (3 pack)"),
    order("#1043", "Summer Dress - Blue / M", "Silk Scarf - Ivory"),
    order("#1042", "Leather Sandals - Tan / 38", "Straw Sun Hat"),
    order("#0990", "Ceramic Mug - White"),
    order("#1099", "여름 원피스 - 블루 / M"),
)


@pytest.mark.parametrize("text, name", [
    ("Can I change order #1042?", "#1042"),
    ("#1042 please cancel", "#1042"),
    ("# 1042 cancel", "#1042"),
    ("I need to change order 1042", "#1042"),
    ("order no. 1042 — wrong size", "#1042"),
    ("Order number: 1042", "#1042"),
    ("order number is 1042, can I swap it?", "#1042"),
    ("order#1042", "#1042"),
    ("ORDER ＃１０４２", "#1042"),  # full-width, as a Korean keyboard types it
    ("주문번호 1042 취소해주세요", "#1042"),
    ("주문 번호는 1042입니다. 사이즈 변경 가능할까요?", "#1042"),
    ("주문#1042 배송지 변경", "#1042"),
    ("1042번 주문 취소할게요", "#1042"),
    ("can order 1042 still be changed?", "#1042"),
    ("my order is #990", "#0990"),  # the name's leading zero
    ("my door code is 5555 and my order is #1042", "#1042"),
    ("order #1042, gate code #7788", "#1042"),
])
def test_a_named_order_is_picked(text: str, name: str) -> None:
    chosen = pick(text, ORDERS)
    assert chosen.order is not None and chosen.order.name == name and chosen.how == "named", chosen


@pytest.mark.parametrize("text", [
    "my door code is 1042",
    "door code #1042",
    "the gate code is #1042, can you change my order?",
    "apt #1042, can I change the address on my order?",
    "Unit #1042",
    "공동현관 비번 #1042 입니다",
    "현관 #1042 주문 변경이요",
    "현관#1042",
    "1042# 눌러주세요 주문 변경",
    "my zip is 10420, can I change the address?",
    "우편번호 10420로 바꿔주세요",
    "call me at 415-555-1042",
    "#415-555-1042",
    "my number is 4155551042",
    "010-1234-1042로 연락주세요",
    "it was $1042, can I change it?",
    "it cost 1,042.50 dollars",
    "order total 1042",
    "the order was #1042.50",
    "1042원 결제했는데 주문 변경 가능한가요?",
    "주문 300개 가능?",
    "I want to order 1042 more",
    "can I order 1042 pieces",
    "we'll order 1042",
    "reorder 1042",
    "at 10:42 I ordered",
    "PIN #1042",
    "tracking #1042 says delivered",
])
def test_a_number_that_only_looks_like_an_order_is_not_one(text: str) -> None:
    assert references(text) == [], text
    assert pick(text, ORDERS).how != "named"


def test_a_named_order_the_customer_does_not_have_is_not_swapped_for_another() -> None:
    chosen = pick("cancel order #2001 please", ORDERS)
    assert chosen.order is None and chosen.how == "named" and chosen.unmatched == "2001"


@pytest.mark.parametrize("text, name", [
    ("can I change the size of the blue dress order?", "#1043"),  # blue is on two orders; dress on one
    ("the dress I ordered, can it be a size L?", "#1043"),
    ("my sandals are too small, can I swap them?", "#1042"),
    ("cancel the mugs", "#0990"),
    ("the linen shirt order", "#1044"),
    ("원피스 사이즈 변경하고 싶어요", "#1099"),
    ("블루 원피스를 M에서 L로 바꿔주세요", "#1099"),
])
def test_an_order_is_picked_by_the_products_it_names(text: str, name: str) -> None:
    chosen = pick(text, ORDERS)
    assert chosen.order is not None and chosen.order.name == name and chosen.how == "product", chosen


@pytest.mark.parametrize("text", [
    "Can I change my order?",
    "주문을 취소해야 합니다.",
    "can I change it to blue?",  # blue is on two orders: no order stands out
    "I need a bigger size",
    "my door code is 1042",
])
def test_otherwise_the_latest_order(text: str) -> None:
    chosen = pick(text, ORDERS)
    assert chosen.order is ORDERS[0] and chosen.how == "latest", chosen


def test_no_orders_no_pick() -> None:
    assert pick("cancel my order", ()) == order_picking.Pick(None, "none")


@pytest.mark.parametrize("text, window", [
    ("You can edit your order within 1 hour of placing it.", dt.timedelta(hours=1)),
    ("Orders can be cancelled free of charge within 2 hours of placing them.", dt.timedelta(hours=2)),
    ("Changes are possible up to 24 hours after you place your order.", dt.timedelta(hours=24)),
    ("within an hour of ordering", dt.timedelta(hours=1)),
    ("within 30 minutes of checkout", dt.timedelta(minutes=30)),
    ("주문 후 1시간 이내에는 주문을 직접 변경하실 수 있습니다.", dt.timedelta(hours=1)),
    ("결제 완료 후 2시간 이내에는 마이페이지에서 주문을 취소하실 수 있으며", dt.timedelta(hours=2)),
    ("We accept returns within 30 days of delivery.", None),  # from delivery: the returns policy's
    ("Refunds within 3 business days of ordering.", None),  # business days need the brand's calendar
    ("상품 수령 후 7일 이내에 반품 및 교환 신청이 가능합니다.", None),
    ("Orders can be changed until they ship.", None),
])
def test_the_policy_window_is_read_only_where_the_brand_ties_it_to_the_order(
        text: str, window: dt.timedelta | None) -> None:
    assert policies.window(text) == window


def test_the_customer_hub_link_names_the_order() -> None:
    placed = ORDERS[1]
    assert hub_link("https://shop.example/hub#/orders/{order_number}", placed) == \
        "https://shop.example/hub#/orders/1043"
    assert hub_link("https://shop.example/hub?order={order_id}", placed) == "https://shop.example/hub?order=550101043"
    assert hub_link("https://shop.example/hub/orders", placed) == "https://shop.example/hub/orders"
