"""`shopify_requests_per_skill_decision` and `skill_decision_ms` of `make bench`: the order skill's decisions
(`helpdesk.skills.order_editing.decide`, in this process) for the Shopify stand-in's demo customers, every
action among them, in English and Korean.

- `shopify_requests_per_skill_decision`: the most Shopify requests any one decision made (the client's
  `requests`, retries included). Goal: at most 1. The stand-in's bucket is a Shopify Plus shop's (20,000
  points, 1,000 a second): the decisions here come back to back, hundreds a minute, and on a Standard
  shop's 100 points a second the customer lookup (945 points asked, about 50 charged) is throttled after
  a few dozen in a row, and the client's wait-and-retry would count here as a second request.
- `skill_decision_ms`: the median time of a decision without its Shopify round trip: the classifier, the
  policy from the knowledge base (its state read from the table each time, the index kept), picking the
  order, the answer. Goal: at most 20. `skill_decision_ms_p90` beside it.
- `skill_shopify_round_trip_ms`: the median time of the one Shopify request (to the local stand-in, so
  the local HTTP and the stand-in's own GraphQL work, not Shopify's latency), reported apart.
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from typing import Any

ACCOUNT = "bench-skill"
REPEATS = 5
HUB = "https://hub.demo-store.example/orders/{order_number}"
POLICIES = (
    {"title": "Order changes", "body": "You can edit your order (size, colour, quantity or shipping address) "
                                       "within 7 days of placing it, as long as it has not shipped."},
    {"title": "Order cancellation policy", "body": "You can cancel your order free of charge within 7 days of "
                                                   "placing it, as long as it has not shipped."},
    {"title": "주문 변경 안내", "locale": "ko",
     "body": "주문 후 7일 이내, 출고 전까지는 주문을 직접 변경하실 수 있습니다."},
    {"title": "Returns & exchanges", "body": "We accept returns and exchanges within 30 days of delivery."},
)
# (customer by the state of their latest order, or None: not signed in; channel; message)
CASES = (
    ("unfulfilled", "sms", "Can I change the size on my recent order?"),
    ("unfulfilled", "webchat", "최근 주문의 사이즈를 변경할 수 있나요?"),
    ("unfulfilled", "sms", "주문번호 1002 취소해주세요"),
    ("unfulfilled", "webchat", "can I change the blue dress order to a large?"),
    ("partially_fulfilled", "webchat", "I need to change my order, the socks are the wrong size"),
    ("fulfilled", "sms", "can I cancel my order?"),
    ("on_hold", "sms", "I need to change the size of my order"),
    ("cancelled", "sms", "please cancel my order"),
    ("no_orders", "webchat", "can I change my order?"),
    ("unfulfilled", "sms", "where is my order #1002?"),
    ("unfulfilled", "sms", "can i add another item to my order"),
    ("fulfilled", "webchat", "I want to return the sandals"),
    (None, "webchat", "I need to cancel my order"),
    ("unfulfilled", "sms", "cancel these texts"),
)


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _setup() -> None:
    from helpdesk import account_settings, kb
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import accounts

    accounts.put_account(ACCOUNT, "Bench Skill")
    owner = AgentIdentity("bench-owner", ACCOUNT, ("owner",))
    account_settings.change(owner, {"skills": {"customer_hub_url": HUB}})
    for article in POLICIES:
        kb.create(owner, dict(article))


def _decisions(customers: dict[str, dict[str, str]]) -> list[tuple[str, float, float, int]]:
    """One pass over the cases: (action, whole ms, Shopify ms, Shopify requests) per decision."""
    from helpdesk.providers.shopify import CustomerOrders, Shopify
    from helpdesk.skills.order_editing import Identity, decide

    class Timed(Shopify):
        spent = 0.0

        def customer_orders(self, *, email: str | None = None, phone: str | None = None) -> CustomerOrders | None:
            started = time.perf_counter()
            try:
                return super().customer_orders(email=email, phone=phone)
            finally:
                self.spent += time.perf_counter() - started

    out = []
    for state, channel, message in CASES:
        customer = Identity(email=customers[state]["email"], authenticated=True) if state else Identity()
        client = Timed.from_settings()
        started = time.perf_counter()
        decision = decide(ACCOUNT, message, channel, customer, shopify=client)
        whole = time.perf_counter() - started
        out.append((decision.action, whole * 1000, client.spent * 1000, client.requests))
    return out


def measure() -> dict[str, float]:
    from infra.local.shopify_standin import ShopifyStandIn, demo_customers

    stand_in = ShopifyStandIn().start()
    saved = {name: os.environ.get(name) for name in stand_in.environment()}
    try:
        os.environ.update(stand_in.environment())
        stand_in.control(bucket={"maximum": 20000, "available": 20000, "restore_rate": 1000})
        _setup()
        _decisions(demo_customers())  # warm: the model read, the knowledge base indexed, the account cached
        runs = [d for _ in range(REPEATS) for d in _decisions(demo_customers())]
    finally:
        stand_in.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    actions = sorted({action for action, *_ in runs})
    own = sorted(whole - shopify for _, whole, shopify, _ in runs)
    trips = [shopify for _, _, shopify, requests in runs if requests]
    log(f"skill decisions: {len(runs)} ({', '.join(actions)}); Shopify requests "
        f"{sum(r for *_, r in runs)} in all; own time p50 {statistics.median(own):.2f} ms, "
        f"max {own[-1]:.2f} ms; Shopify round trip p50 {statistics.median(trips):.2f} ms")
    return {"shopify_requests_per_skill_decision": max(r for *_, r in runs),
            "skill_decision_ms": statistics.median(own),
            "skill_decision_ms_p90": own[int(0.9 * (len(own) - 1))],
            "skill_shopify_round_trip_ms": statistics.median(trips)}


if __name__ == "__main__":  # this module's figures alone: python -m tests.bench.skill_decision
    from tests.bench.bench import run_alone

    run_alone(measure)
