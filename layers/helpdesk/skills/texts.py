"""What the order skill says, in English and in Korean: the customer is answered in the language they
wrote in (`kb_search.detect_locale`: Korean when Hangul is at least a fifth of the letters). Policies are
never written here: where a policy matters, the brand's own passage is quoted (`quote`)."""
from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "login_required": {
        "en": "I can look up your order as soon as you're signed in: please log in to your account first. "
              "For your privacy, I only share order details with the account's owner.",
        "ko": "주문 정보는 본인 확인 후에만 안내해 드릴 수 있어요. 먼저 계정에 로그인해 주시면 바로 확인해 드릴게요.",
    },
    "handoff": {
        "en": "A member of our team will get back to you shortly.",
        "ko": "곧 담당자가 확인 후 답변드릴게요.",
    },
    "no_policy": {
        "en": "I can't confirm our policy on {topic} from here, so I've passed your message to our team.",
        "ko": "{topic} 정책을 여기서 확인해 드리기 어려워 담당자에게 전달했어요.",
    },
    "edit_order.change_order": {
        "en": "Order {order} hasn't shipped yet, so you can still change it yourself here: {link}",
        "ko": "{order} 주문은 아직 출고 전이라 직접 변경하실 수 있어요: {link}",
    },
    "edit_order.cancel_order": {
        "en": "Order {order} hasn't shipped yet, so you can still cancel it yourself here: {link}",
        "ko": "{order} 주문은 아직 출고 전이라 직접 취소하실 수 있어요: {link}",
    },
    "partial_edit": {
        "en": "Part of order {order} has already shipped.\nYou can still change: {changeable}.\n"
              "Already shipped: {shipped}. For those, our returns & exchanges can help.\n"
              "Change what hasn't shipped here: {link}",
        "ko": "{order} 주문의 일부 상품은 이미 출고되었어요.\n아직 변경 가능: {changeable}\n"
              "이미 출고됨: {shipped} (반품·교환으로 도와드릴게요)\n출고 전 상품 변경하기: {link}",
    },
    "redirect_returns.shipped": {
        "en": "Order {order} has already shipped, so it can't be changed or cancelled any more. "
              "You can return or exchange items instead: our returns & exchanges will guide you.",
        "ko": "{order} 주문은 이미 출고되어 변경이나 취소가 어려워요. 대신 반품·교환으로 안내해 드릴게요.",
    },
    "redirect_returns": {
        "en": "Returns and exchanges are handled by our returns & exchanges: they will guide you.",
        "ko": "반품·교환은 반품·교환 안내로 도와드릴게요.",
    },
    "add_item_unsupported": {
        "en": "I'm sorry, items can't be added to an order that's already placed. You can place a new order "
              "for the extra items, or contact our support team if you need a hand.",
        "ko": "죄송하지만 이미 접수된 주문에는 상품을 추가할 수 없어요. 추가하실 상품은 새로 주문해 주시거나, "
              "도움이 필요하시면 고객센터로 문의해 주세요.",
    },
    "order_status": {
        "en": "Order {order} is {state}.",
        "ko": "{order} 주문은 현재 {state} 상태예요.",
    },
    "order_status.link": {"en": " Details: {link}", "ko": " 자세히 보기: {link}"},
    "already_cancelled": {
        "en": "Order {order} is already cancelled.",
        "ko": "{order} 주문은 이미 취소되었어요.",
    },
    "cancelled": {
        "en": "Order {order} was cancelled, so it can't be changed any more.",
        "ko": "{order} 주문은 취소된 주문이라 변경할 수 없어요.",
    },
    "on_hold": {
        "en": "Order {order} is on hold, so I can't change it from here.",
        "ko": "{order} 주문은 현재 보류 중이라 여기서 변경해 드릴 수 없어요.",
    },
    "in_progress": {
        "en": "Order {order} is already being prepared for shipping, so I can't change it from here.",
        "ko": "{order} 주문은 이미 출고 준비 중이라 여기서 변경해 드릴 수 없어요.",
    },
    "outside_window": {
        "en": "Order {order} was placed more than {window} ago, so it can't be changed from here under our policy.",
        "ko": "{order} 주문은 주문 후 {window}이 지나 정책상 여기서 변경해 드릴 수 없어요.",
    },
    "no_hub": {
        "en": "I can't change order {order} from here, so I've passed your request to our team. "
              "You can see the order here: {link}",
        "ko": "{order} 주문은 여기서 변경해 드릴 수 없어 담당자에게 전달했어요. "
              "주문 내역은 여기서 보실 수 있어요: {link}",
    },
    "no_orders": {
        "en": "I couldn't find any recent orders for you.",
        "ko": "최근 주문 내역을 찾지 못했어요.",
    },
    "unmatched": {
        "en": "I couldn't find order #{number} among your recent orders.",
        "ko": "최근 주문 중에서 #{number} 주문을 찾지 못했어요.",
    },
    "lookup_failed": {
        "en": "I couldn't look up your orders just now.",
        "ko": "지금은 주문 내역을 조회할 수 없어요.",
    },
    "quote": {"en": 'Our policy: "{passage}"', "ko": '정책 안내: "{passage}"'},
}

TOPICS = {"order_edit": {"en": "changing orders", "ko": "주문 변경"},
          "order_cancel": {"en": "cancelling orders", "ko": "주문 취소"}}
STATES = {
    "unfulfilled": {"en": "not shipped yet", "ko": "출고 전"},
    "partially_fulfilled": {"en": "partly shipped", "ko": "일부 출고"},
    "fulfilled": {"en": "shipped", "ko": "출고 완료"},
    "cancelled": {"en": "cancelled", "ko": "취소"},
    "on_hold": {"en": "on hold", "ko": "보류"},
}
LABELS = {
    "edit_order": {"en": "Edit order", "ko": "주문 변경"},
    "cancel_order": {"en": "Cancel order", "ko": "주문 취소"},
    "change_variant": {"en": "Change size or colour", "ko": "사이즈·색상 변경"},
    "change_quantity": {"en": "Change quantity", "ko": "수량 변경"},
    "remove": {"en": "Remove", "ko": "삭제"},
    "return_or_exchange": {"en": "Return or exchange", "ko": "반품·교환"},
}
QUOTE_CHARS = 400  # a passage is a paragraph or a few sentences (kb_search.PASSAGE_CHARS): this is a backstop


def say(key: str, locale: str, **values: Any) -> str:
    texts = TEXTS[key]
    return (texts.get(locale) or texts["en"]).format(**values)


def quote(passage: str, locale: str) -> str:
    """The brand's own words, as written (cut only if a passage is unusually long)."""
    text = " ".join(passage.split())
    if len(text) > QUOTE_CHARS:
        text = text[:QUOTE_CHARS - 1].rstrip() + "…"
    return say("quote", locale, passage=text)


def state(value: str, locale: str) -> str:
    return STATES.get(value, {}).get(locale) or STATES.get(value, {}).get("en") or value


def label(action: str, locale: str) -> str:
    return LABELS[action].get(locale) or LABELS[action]["en"]


def topic(name: str, locale: str) -> str:
    return TOPICS[name].get(locale) or TOPICS[name]["en"]
