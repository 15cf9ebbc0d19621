"""The order-editing skill (SPEC §8) against moto and the local Shopify stand-in's demo shop: every action
for the demo customers by the state of their orders, in English, Korean and both; order data only for an
authenticated customer; no policy, no answer of its own; one Shopify request per decision; the preview
storing nothing; the skills list Live or Unavailable with what is missing; and the skill live on web chat
(an order card) and SMS (a link), once per customer message, with its decision noted on the ticket and a
handoff tagged for the human queue."""
from __future__ import annotations

import hashlib
import json
import os
import uuid
from typing import Any

import pytest

from helpdesk.auth import AgentIdentity
from helpdesk.providers.shopify import Shopify
from helpdesk.skills import live
from helpdesk.skills.order_editing import Decision, Identity, decide
from infra.local.shopify_standin import demo_customers
from tests.conftest import Aws, Brand
from tests.integration import tables
from tests.integration.agents import Member, call, member, settle, text

HUB = "https://hub.demo-store.example/orders/{order_number}"
EDIT_POLICY = {"title": "Order changes", "tags": ["policy"], "body":
               "Need to change something? You can edit your order (size, colour, quantity or shipping address) "
               "within 7 days of placing it, as long as it has not shipped.\n\n"
               "Personalised items cannot be changed once ordered."}
CANCEL_POLICY = {"title": "Order cancellation policy", "tags": ["policy"], "body":
                 "You can cancel your order free of charge within 7 days of placing it, as long as it has not "
                 "shipped. Refunds go back to your original payment method."}
EDIT_POLICY_KO = {"title": "주문 변경 안내", "locale": "ko", "body":
                  "주문 후 7일 이내, 출고 전까지는 주문을 직접 변경하실 수 있습니다. 사이즈, 색상, 수량, 배송지를 "
                  "변경하실 수 있어요.\n\n주문 제작 상품은 변경이 어렵습니다."}
RETURNS_POLICY = {"title": "Returns & exchanges", "body":
                  "We accept returns and exchanges within 30 days of delivery. Items must be unworn, with tags."}
DEMO = demo_customers()
ALEX, JIWOO, MINA = DEMO["unfulfilled"], DEMO["partially_fulfilled"], DEMO["fulfilled"]
LEO, HANA, SAM = DEMO["on_hold"], DEMO["cancelled"], DEMO["no_orders"]


def owner_of(brand: Brand) -> AgentIdentity:
    return AgentIdentity("owner-" + brand.account_id, brand.account_id, ("owner",))


def configure(brand: Brand, *, hub: str | None = HUB, policies: tuple[dict[str, Any], ...] = (
        EDIT_POLICY, CANCEL_POLICY, EDIT_POLICY_KO, RETURNS_POLICY), **skills: Any) -> None:
    """The skill's prerequisites, as an owner sets them up: the customer hub, the policies."""
    from helpdesk import account_settings, kb

    change: dict[str, Any] = {"handoff_team": "Orders", **skills}
    if hub is not None:
        change["customer_hub_url"] = hub
    account_settings.change(owner_of(brand), {"skills": change})
    for article in policies:
        kb.create(owner_of(brand), dict(article))


def decided(brand: Brand, message: str, customer: Identity, channel: str = "sms") -> tuple[Decision, int]:
    """The skill's decision and the Shopify requests it took."""
    client = Shopify.from_settings()
    decision = decide(brand.account_id, message, channel, customer, shopify=client)
    return decision, client.requests


def signed_in(customer: dict[str, str]) -> Identity:
    return Identity(email=customer["email"], authenticated=True)


@pytest.fixture
def skill(brand: Brand, commerce: Any) -> Any:
    configure(brand)
    return commerce


# --- decisions, customer by customer --------------------------------------------------------------------

def test_an_unshipped_order_gets_a_link_to_the_customer_hub_on_sms_and_a_card_on_web_chat(
        brand: Brand, skill: Any) -> None:
    decision, requests = decided(brand, "Can I change the size on my recent order?", signed_in(ALEX))
    assert (decision.intent, decision.action, requests) == ("change_order", "edit_order", 1)
    assert decision.order == {"name": "#1002", "state": "unfulfilled"}
    assert decision.link == "https://hub.demo-store.example/orders/1002" and decision.link in decision.text
    assert decision.card is None and not decision.handed_off
    assert "within 7 days of placing it" in decision.text  # the brand's own words

    card = decided(brand, "Can I change the size on my recent order?", signed_in(ALEX), "webchat")[0].card
    assert card is not None and card["url"] == decision.link
    assert [(line["name"], line["changeable"], line["shipped"]) for line in card["lines"]] == [
        ("Summer Dress - Blue / M", 1, 0), ("Silk Scarf - Ivory", 2, 0)]
    assert {a["action"] for a in card["lines"][0]["actions"]} == {"change_variant", "change_quantity", "remove"}
    assert [a["action"] for a in card["actions"]] == ["edit_order", "cancel_order"]


def test_korean_and_mixed_messages_are_answered_in_the_customers_language(brand: Brand, skill: Any) -> None:
    korean, requests = decided(brand, "최근 주문의 사이즈를 변경할 수 있나요?", signed_in(ALEX))
    assert (korean.intent, korean.action, requests) == ("change_order", "edit_order", 1)
    assert "#1002 주문은 아직 출고 전" in korean.text and "주문 후 7일 이내" in korean.text  # the Korean policy
    cancel = decided(brand, "주문번호 1002 취소해주세요", signed_in(ALEX))[0]
    assert (cancel.intent, cancel.action, cancel.order) == (
        "cancel_order", "edit_order", {"name": "#1002", "state": "unfulfilled"})
    assert "직접 취소" in cancel.text
    mixed = decided(brand, "order 취소 plz", signed_in(ALEX))[0]  # a fifth of the letters Hangul: Korean
    assert (mixed.intent, mixed.action) == ("cancel_order", "edit_order") and "직접 취소" in mixed.text
    mostly_english = decided(brand, "hi can you cancel my order please? 감사", signed_in(ALEX))[0]
    assert (mostly_english.intent, mostly_english.action) == ("cancel_order", "edit_order")
    assert "cancel it yourself" in mostly_english.text
    mixed_ko = decided(brand, "안녕하세요 order #1002 사이즈 변경 가능한가요?", signed_in(ALEX))[0]
    assert mixed_ko.action == "edit_order" and "출고 전" in mixed_ko.text


def test_a_partly_shipped_order_is_explained_item_by_item(brand: Brand, skill: Any) -> None:
    decision, requests = decided(brand, "I need to change my order, the socks are the wrong size", signed_in(JIWOO),
                                 "webchat")
    assert (decision.action, decision.order, requests) == (
        "partial_edit", {"name": "#1001", "state": "partially_fulfilled"}, 1)
    assert "Canvas Tote - Natural (2)" in decision.text and "Wool Socks - Grey (3 pack) (2 of 3)" in decision.text
    assert "Already shipped: Linen Shirt - Blue / M (1), Wool Socks - Grey (3 pack) (1 of 3)" in decision.text
    assert "returns & exchanges" in decision.text and decision.link == "https://hub.demo-store.example/orders/1001"
    assert decision.card is not None
    shirt = next(line for line in decision.card["lines"] if line["name"].startswith("Linen Shirt"))
    assert [a["action"] for a in shirt["actions"]] == ["return_or_exchange"]
    assert [a["action"] for a in decision.card["actions"]] == ["edit_order"]  # a partly shipped order stays whole


def test_a_shipped_order_goes_to_returns_and_exchanges(brand: Brand, skill: Any) -> None:
    decision, requests = decided(brand, "can I cancel my order?", signed_in(MINA))
    assert (decision.intent, decision.action, decision.order, requests) == (
        "cancel_order", "redirect_returns", {"name": "#1003", "state": "fulfilled"}, 1)
    assert "already shipped" in decision.text and not decision.handed_off
    older = decided(brand, "the mug order, can I change the colour?", signed_in(JIWOO))[0]
    assert (older.action, older.order) == ("redirect_returns", {"name": "#0990", "state": "fulfilled"})


def test_adding_items_is_not_supported_and_needs_no_lookup(brand: Brand, skill: Any) -> None:
    decision, requests = decided(brand, "can i add another item to my order", signed_in(ALEX))
    assert (decision.intent, decision.action, decision.order, requests) == ("add_item", "add_item_unsupported",
                                                                           None, 0)
    assert "new order" in decision.text and "support" in decision.text
    korean = decided(brand, "기존 주문에 상품 하나 추가할 수 있나요?", signed_in(ALEX))[0]
    assert korean.action == "add_item_unsupported" and "새로 주문" in korean.text


def test_returns_and_order_status(brand: Brand, skill: Any) -> None:
    returns, requests = decided(brand, "I want to return the sandals", signed_in(MINA))
    assert (returns.action, returns.order, requests) == ("redirect_returns", None, 0)
    assert "within 30 days of delivery" in returns.text
    status, requests = decided(brand, "where is my order?", signed_in(ALEX))
    assert (status.intent, status.action, requests) == ("order_status", "order_status", 1)
    assert status.order == {"name": "#1002", "state": "unfulfilled"} and "not shipped yet" in status.text
    assert status.link and status.link.startswith("https://demo-store.myshopify.com/") and status.link in status.text


def test_cancelled_on_hold_unknown_and_missing_orders_are_handed_to_a_person(brand: Brand, skill: Any) -> None:
    already = decided(brand, "please cancel my order", signed_in(HANA))[0]
    assert (already.action, already.order, already.handed_off) == (
        "order_status", {"name": "#1005", "state": "cancelled"}, False)
    assert "already cancelled" in already.text
    for message, customer, order, said in [
        ("can I change my order?", HANA, {"name": "#1005", "state": "cancelled"}, "was cancelled"),
        ("I need to change the size of my order", LEO, {"name": "#1004", "state": "on_hold"}, "on hold"),
        ("can I change the rain jacket order?", ALEX, {"name": "#0995", "state": "cancelled"}, "was cancelled"),
        ("can I change order #1003?", ALEX, None, "couldn't find order #1003"),  # Mina's, not Alex's
        ("can I change my order?", SAM, None, "couldn't find any recent orders"),
    ]:
        decision, requests = decided(brand, message, signed_in(customer))
        assert (decision.action, decision.order, decision.handed_off, requests) == ("handoff", order, True, 1), message
        assert said in decision.text and "team will get back to you" in decision.text, decision.text


def test_a_customer_who_is_not_signed_in_is_asked_to_log_in_and_gets_no_order_data(brand: Brand, skill: Any) -> None:
    asked = skill.shopify.requests[:]
    for message, channel in [("Can I change the size on my recent order #1002?", "webchat"),
                             ("주문을 취소해야 합니다.", "webchat"), ("where is my order", "email")]:
        decision, requests = decided(brand, message, Identity(), channel)
        assert (decision.action, decision.order, decision.link, decision.card, requests) == (
            "login_required", None, None, None, 0), message
        assert decision.as_json().keys() == {"intent", "action", "text", "order"}
        assert "log" in decision.text or "로그인" in decision.text
        assert "Summer Dress" not in decision.text and "unfulfilled" not in decision.text
    # An email the channel never verified is no identity either.
    claimed = decided(brand, "cancel my order", Identity(email=ALEX["email"], authenticated=False))[0]
    assert claimed.action == "login_required" and claimed.order is None
    assert skill.shopify.requests == asked  # the shop was never asked


def test_without_a_policy_the_skill_cannot_confirm_and_hands_over(brand: Brand, commerce: Any) -> None:
    configure(brand, policies=(EDIT_POLICY,))
    decision, requests = decided(brand, "I need to cancel my order", signed_in(ALEX))
    assert (decision.intent, decision.action, decision.order, decision.handed_off, requests) == (
        "cancel_order", "no_policy", None, True, 0)
    assert "can't confirm our policy on cancelling orders" in decision.text
    assert "team will get back to you" in decision.text
    assert "free of charge" not in decision.text and "7 days" not in decision.text  # nothing made up
    assert decided(brand, "Can I change the size on my order?", signed_in(ALEX))[0].action == "edit_order"


def test_past_the_policys_window_the_policy_is_quoted_and_a_person_takes_over(brand: Brand, commerce: Any) -> None:
    configure(brand, policies=({"title": "Order changes", "body":
                                "You can edit your order within 1 hour of placing it. After that, it is packed."},
                               CANCEL_POLICY), handoff_message="Our orders team will reply within a day.")
    decision, _ = decided(brand, "can I change the size on my order?", signed_in(ALEX))  # placed a day ago
    assert (decision.action, decision.order, decision.handed_off) == (
        "handoff", {"name": "#1002", "state": "unfulfilled"}, True)
    assert "more than 1 hour ago" in decision.text
    assert '"You can edit your order within 1 hour of placing it.' in decision.text
    assert decision.text.endswith("Our orders team will reply within a day.")  # the account's handoff message
    assert decision.link is None


def test_without_a_customer_hub_the_order_status_page_is_shown_and_a_person_takes_over(
        brand: Brand, commerce: Any) -> None:
    configure(brand, hub=None)
    decision, requests = decided(brand, "Can I change my order?", signed_in(ALEX), "webchat")
    assert (decision.action, decision.handed_off, decision.card, requests) == ("handoff", True, None, 1)
    assert decision.link and decision.link.startswith("https://demo-store.myshopify.com/73218990/orders/")
    assert decision.link in decision.text


def test_a_message_about_something_else_is_not_the_skills(brand: Brand, skill: Any) -> None:
    for message in ("cancel these texts", "hi there!", "STOP"):
        decision, requests = decided(brand, message, signed_in(ALEX))
        assert (decision.intent, decision.action, decision.text, requests) == ("other", "none", "", 0), message


# --- the agent API: skills and the preview ----------------------------------------------------------------

@pytest.fixture
def team(aws: Aws, pool: Any, brand: Brand) -> dict[str, Member]:
    return {role: member(aws, pool, brand.account_id, role) for role in ("owner", "admin", "manager", "support")}


def test_the_skills_list_says_what_is_missing_until_the_skill_is_live(
        api: Any, brand: Brand, commerce: Any, team: dict[str, Member], monkeypatch: pytest.MonkeyPatch) -> None:
    def listed(who: Member) -> dict[str, Any]:
        status, body = call(api, "GET", "/api/skills", who)
        assert status == 200, body
        [item] = body["items"]
        return dict(item)

    assert listed(team["support"]) == {"name": "order_editing", "status": "Unavailable",
                                       "missing": ["customer_hub", "order_edit_policy", "order_cancel_policy"]}
    configure(brand, policies=(EDIT_POLICY,))
    assert listed(team["manager"])["missing"] == ["order_cancel_policy"]
    configure(brand, policies=(CANCEL_POLICY,))
    for who in team.values():
        assert listed(who) == {"name": "order_editing", "status": "Live", "missing": []}
    status, _ = call(api, "PATCH", "/api/settings", team["admin"], {"skills": {"order_editing": {"enabled": False}}})
    assert status == 200
    assert listed(team["owner"])["missing"] == ["skill_enabled"]
    monkeypatch.delenv("SHOPIFY_ACCESS_TOKEN")
    call(api, "PATCH", "/api/settings", team["admin"], {"plan": "inbox", "skills": {"customer_hub_url": ""}})
    assert listed(team["owner"]) == {"name": "order_editing", "status": "Unavailable",
                                     "missing": ["helpdesk_plan", "skill_enabled", "shopify", "customer_hub"]}


@pytest.mark.parametrize("body, field", [
    ({"skills": {"customer_hub_url": "http://hub.example/orders"}}, "skills.customer_hub_url"),
    ({"skills": {"customer_hub_url": "https://hub.example/{order}"}}, "skills.customer_hub_url"),
    ({"skills": {"handoff_team": "x" * 101}}, "skills.handoff_team"),
    ({"skills": {"order_editing": {"enabled": "yes"}}}, "skills.order_editing.enabled"),
    ({"skills": {"voice": "friendly"}}, "skills.voice"),
])
def test_bad_skill_settings_are_400_naming_the_field(api: Any, brand: Brand, team: dict[str, Member],
                                                     body: dict[str, Any], field: str) -> None:
    before = tables.snapshot(brand.account_id)
    status, answer = call(api, "PATCH", "/api/settings", team["owner"], body)
    assert status == 400 and field in answer["error"], answer
    assert tables.snapshot(brand.account_id) == before


def test_skill_settings_are_read_by_everyone_with_their_defaults(api: Any, team: dict[str, Member]) -> None:
    status, settings = call(api, "GET", "/api/settings", team["support"])
    assert status == 200 and settings["skills"] == {"handoff_message": "", "handoff_team": "", "customer_hub_url": "",
                                                    "order_editing": {"enabled": True}}
    status, settings = call(api, "PATCH", "/api/settings", team["admin"],
                            {"skills": {"customer_hub_url": HUB, "handoff_team": "Orders"}})
    assert status == 200 and settings["skills"]["customer_hub_url"] == HUB
    assert settings["skills"]["handoff_team"] == "Orders" and settings["skills"]["order_editing"] == {"enabled": True}


def test_the_preview_shows_the_decision_and_stores_nothing(api: Any, brand: Brand, skill: Any,
                                                          team: dict[str, Member]) -> None:
    before = tables.snapshot(brand.account_id)
    status, answer = call(api, "POST", "/api/skills/order_editing/preview", team["admin"],
                          {"message": "최근 주문의 사이즈를 변경할 수 있나요?", "channel": "webchat",
                           "customer_email": ALEX["email"]})
    assert status == 200, answer
    assert (answer["intent"], answer["action"], answer["order"]) == (
        "change_order", "edit_order", {"name": "#1002", "state": "unfulfilled"})
    assert answer["link"] == "https://hub.demo-store.example/orders/1002" and answer["card"]["lines"]
    status, anonymous = call(api, "POST", "/api/skills/order_editing/preview", team["owner"],
                             {"message": "I need to cancel my order", "channel": "sms"})
    assert status == 200 and anonymous == {"intent": "cancel_order", "action": "login_required",
                                           "text": anonymous["text"], "order": None}
    assert tables.snapshot(brand.account_id) == before
    assert skill.shopify.requests.count("HelpdeskCustomerOrders") == 1


@pytest.mark.parametrize("role, body, expected", [
    ("manager", {"message": "cancel my order", "channel": "sms"}, 403),
    ("support", {"message": "cancel my order", "channel": "sms"}, 403),
    ("owner", {"message": "", "channel": "sms"}, 400),
    ("owner", {"message": "cancel my order", "channel": "fax"}, 400),
    ("owner", {"message": "cancel my order", "channel": "sms", "customer_phone": "+14155550124"}, 400),
    ("owner", {"channel": "sms"}, 400),
])
def test_only_owners_and_admins_preview_and_the_body_is_checked(api: Any, brand: Brand, skill: Any,
                                                                team: dict[str, Member], role: str,
                                                                body: dict[str, Any], expected: int) -> None:
    status, answer = call(api, "POST", "/api/skills/order_editing/preview", team[role], body)
    assert status == expected and answer["error"], answer


# --- live on web chat and SMS ------------------------------------------------------------------------------

class OrderLookupFeed:
    """The order-lookup Lambda's feed as deployed: the table's stream through the table-changes pipe's filter
    onto the bus, where the OrderLookupRule (both as infra/merge-template.json has them) sends the event to
    its queue; here each delivery is handed to the Lambda's handler as the SQS event source would. Only this
    test's account's records (the stream holds every test's)."""

    def __init__(self, aws: Aws, account_id: str):
        from infra.local.pipe import TABLE_CHANGES_PIPE, EventBus, Filter, StreamPipe, bus_rules, stream_arn

        self.account_id = account_id
        self.pipe = StreamPipe(aws.client("dynamodbstreams"), stream_arn(aws.client("dynamodb"), aws.table_name),
                               None, None, pipe=TABLE_CHANGES_PIPE, start_at="LATEST")
        self.pipe.pump(sink=lambda record: None)  # from here on
        [rule] = [r for r in bus_rules() if r.name == "OrderLookupRule"]
        self.rule = Filter([rule.pattern])
        self.bus = EventBus(lambda rule, body: None)
        self.delivered: list[str] = []

    def pump(self) -> list[str]:
        """The SQS bodies the rule sent since the last pump, each handled by the Lambda (and kept, to replay)."""
        bodies: list[str] = []

        def on_record(record: dict[str, Any]) -> None:
            image = record["dynamodb"].get("NewImage") or {}
            if image.get("pk", {}).get("S", "").startswith(f"A#{self.account_id}#"):
                event = self.bus.event(record)
                if self.rule.matches(event):
                    bodies.append(json.dumps(event))

        self.pipe.pump(sink=on_record)
        for body in bodies:
            self.deliver(body)
        self.delivered += bodies
        return bodies

    @staticmethod
    def deliver(body: str) -> None:
        from functions import order_lookup

        answer = order_lookup.handler({"Records": [sqs_record(body, str(uuid.uuid4()))]}, None)
        assert answer == {"batchItemFailures": []}, answer


@pytest.fixture
def feed(aws: Aws, brand: Brand) -> OrderLookupFeed:
    return OrderLookupFeed(aws, brand.account_id)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    monkeypatch.setattr(live, "count", lambda name, value=1: seen.append(name))
    return seen


def chat(brand: Brand, text_: str, email: str | None, conversation_id: str | None = None) -> dict[str, Any]:
    """A widget message from a session, verified for `email` (None: anonymous); {conversation_id, ticket_id,
    token}."""
    import hmac

    from functions.webhooks import webchat
    from tests.providers import gateway_event

    secret = os.environ["WEBCHAT_SECRET"]
    start: dict[str, Any] = {"account_id": brand.account_id}
    if email is not None:
        start.update(email=email, identity_hash=hmac.new(secret.encode(), email.encode(), hashlib.sha256).hexdigest())
    session = json.loads(webchat.handler(gateway_event("POST", "/webchat/sessions", json.dumps(start),
                                                       {"Content-Type": "application/json"}), None)["body"])
    body: dict[str, Any] = {"type": "message", "message_id": uuid.uuid4().hex, "text": text_}
    if conversation_id:
        body["conversation_id"] = conversation_id
    answer = webchat.handler(gateway_event("POST", "/webhooks/webchat", json.dumps(body), {
        "Content-Type": "application/json", "Authorization": f"Bearer {session['token']}"}), None)
    assert answer["statusCode"] in (200, 201), answer
    return {**json.loads(answer["body"]), "token": session["token"]}


def conversation(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return tables.messages_of(brand.account_id, ticket_id)


def test_live_on_web_chat_the_answer_arrives_with_an_order_card_and_the_decision_is_noted(
        api: Any, brand: Brand, skill: Any, feed: OrderLookupFeed, team: dict[str, Member],
        counted: list[str]) -> None:
    from tests.integration.test_webchat import read_replies

    started = chat(brand, "Can I change the size on my recent order?", ALEX["email"])
    ticket_id = started["ticket_id"]
    assert len(feed.pump()) == 1
    status, widget = read_replies(started["token"], started["conversation_id"])  # what the widget reads
    assert status == 200 and [m["body"] for m in widget["messages"]] == [
        m["body"] for m in conversation(brand, ticket_id) if m["direction"] == "outbound"]
    messages = conversation(brand, ticket_id)
    [answer] = [m for m in messages if m["direction"] == "outbound"]
    assert answer["automatic"] is True and answer["sender"] == "skill:order_editing"
    assert "https://hub.demo-store.example/orders/1002" in answer["body"]
    assert answer["extra"]["card"]["order"]["name"] == "#1002" and answer["extra"]["card"]["lines"]
    [shown_to_customer] = widget["messages"]  # the widget draws the card's inline options
    assert shown_to_customer["card"] == answer["extra"]["card"] and shown_to_customer["automatic"] is True
    [note] = [m for m in messages if m["direction"] == "note"]
    assert note["extra"]["skill"]["action"] == "edit_order" and note["extra"]["skill"]["handed_off"] is False
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", team["support"])
    assert status == 200 and detail["first_response_at"] is None  # no person answered
    shown = {m["direction"]: m for m in detail["messages"]}
    assert shown["outbound"]["automatic"] is True
    assert "Order skill: edit_order" in shown["note"]["body"]
    assert "Intent: change_order. Order: #1002 (unfulfilled)." in shown["note"]["body"]
    assert "handoff" not in detail["tags"] and "skill-handoff" not in detail["tags"]
    assert counted == ["skill_deflected"]


def test_live_on_web_chat_an_anonymous_visitor_is_asked_to_log_in(
        brand: Brand, skill: Any, feed: OrderLookupFeed) -> None:
    asked = skill.shopify.requests[:]
    ticket_id = chat(brand, "I need to cancel my order #1002", None)["ticket_id"]
    feed.pump()
    [answer] = [m for m in conversation(brand, ticket_id) if m["direction"] == "outbound"]
    assert "log in" in answer["body"] and "card" not in answer["extra"] and "#1002" not in answer["body"]
    assert skill.shopify.requests == asked


def sms_customer(brand: Brand, number: str, body: str, consent: str | None = "subscribed") -> str:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts
    from tests.integration.agents import ticket_id_of

    if consent:
        accounts.put_customer(brand.account_id, Channel.SMS, number, "Demo", consent)
    text(brand, number, body)
    settle(brand)  # the assignment worker links the ticket's customer
    return ticket_id_of(brand, number)


def test_live_on_sms_a_consented_customer_gets_a_link_once_whatever_redelivers(
        brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed, counted: list[str]) -> None:
    ticket_id = sms_customer(brand, ALEX["phone"], "can i change my order? wrong size")
    assert len(feed.pump()) == 1
    [sent] = [m for m in standins.outbox() if m["channel"] == "sms"]
    assert sent["to"] == ALEX["phone"] and "hasn't shipped yet" in sent["body"]
    from helpdesk.store.models import Link

    code = sent["body"].split("https://hd.example/l/", 1)[1].split()[0]  # the link, shortened
    assert Link.get(f"L#{code}", "LINK").url == "https://hub.demo-store.example/orders/1002"
    orders_asked = skill.shopify.requests.count("HelpdeskCustomerOrders")
    assert orders_asked == 1

    for body in feed.delivered * 2:  # the queue delivers the same record again
        feed.deliver(body)
    assert len([m for m in standins.outbox() if m["channel"] == "sms"]) == 1
    messages = conversation(brand, ticket_id)
    assert len([m for m in messages if m["direction"] == "outbound"]) == 1
    assert len([m for m in messages if m["direction"] == "note"]) == 1
    assert skill.shopify.requests.count("HelpdeskCustomerOrders") == orders_asked
    assert counted == ["skill_deflected"]
    [outbound] = [m for m in messages if m["direction"] == "outbound"]
    assert outbound["automatic"] is True and outbound["extra"]["delivery"] == "sent"


def test_live_on_whatsapp_and_email_the_answer_is_a_deep_link_to_the_customer_hub(
        brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed, counted: list[str]) -> None:
    import email
    import email.policy

    from tests.integration import test_email_webhook as mail
    from tests.integration import test_whatsapp_webhook as whatsapp
    from tests.integration.test_conflicts import sent_emails

    response, _ = whatsapp.send(brand, ALEX["phone"], whatsapp.text("hi can i change the colour of my order?"))
    assert response["statusCode"] == 200
    settle(brand)  # the assignment worker links the ticket's customer
    mail.send(brand, JIWOO["email"], subject="Change my order", text="Hello,\n\nCan I still change the size "
              "on my order? I ordered an M but need an L.\n\nThanks,\nJiwoo\n")
    assert len(feed.pump()) == 2
    [sent] = [m for m in standins.outbox() if m["channel"] == "whatsapp"]
    assert sent["to"].lstrip("+") == ALEX["phone"].lstrip("+")
    assert "https://hub.demo-store.example/orders/1002" in sent["body"]
    [raw] = sent_emails(brand.support_email)
    mail_sent = email.message_from_string(raw, policy=email.policy.default)
    assert mail_sent["To"] == JIWOO["email"] and mail_sent["Subject"] == "Re: Change my order"
    answer = mail_sent.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Part of order #1001 has already shipped" in answer  # item by item, what can still change, by link
    assert "https://hub.demo-store.example/orders/1001" in answer
    assert sorted(counted) == ["skill_deflected", "skill_deflected"]


def test_live_on_sms_a_customer_without_consent_gets_nothing_from_the_skill(
        brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed) -> None:
    ticket_id = sms_customer(brand, ALEX["phone"], "can i change my order?", consent=None)
    feed.pump()
    assert [m for m in standins.outbox() if m["channel"] == "sms"] == []
    assert [m["direction"] for m in conversation(brand, ticket_id)] == ["inbound"]
    assert "HelpdeskCustomerOrders" not in skill.shopify.requests


def test_a_handoff_is_noted_with_the_conversation_and_the_ticket_waits_in_the_human_queue(
        api: Any, brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed, team: dict[str, Member],
        counted: list[str]) -> None:
    ticket_id = sms_customer(brand, LEO["phone"], "Hi! I need to change the size of my denim jacket order")
    feed.pump()
    [sent] = [m for m in standins.outbox() if m["channel"] == "sms"]
    assert "on hold" in sent["body"] and "team will get back to you" in sent["body"]
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", team["support"])
    assert status == 200 and "skill-handoff" in detail["tags"] and detail["assignee_id"] is None
    [note] = [m for m in detail["messages"] if m["direction"] == "note"]
    assert "Order skill: handoff (handed off to a person)" in note["body"]
    assert "Why: the order is on hold." in note["body"] and "For: Orders" in note["body"]
    assert "Customer: Hi! I need to change the size of my denim jacket order" in note["body"]
    assert "Skill: " in note["body"]
    status, queue = call(api, "GET", "/api/tickets?view=unassigned", team["support"])
    assert ticket_id in [t["id"] for t in queue["items"]]
    assert counted == ["skill_handed_off"]

    text(brand, LEO["phone"], "ok can I cancel it instead?")  # handed over: a person answers now, not the skill
    settle(brand)
    feed.pump()
    assert len([m for m in standins.outbox() if m["channel"] == "sms"]) == 1
    assert counted == ["skill_handed_off"]


def test_the_reports_count_what_the_skill_answered_handed_over_and_resolved(
        api: Any, brand: Brand, skill: Any, feed: OrderLookupFeed, team: dict[str, Member]) -> None:
    import datetime as dt

    from helpdesk import reports
    from tests.conftest import pump_reports

    answered = chat(brand, "Can I change the size on my recent order?", ALEX["email"])["ticket_id"]
    handed = chat(brand, "I need to change the size of my denim jacket order", LEO["email"])["ticket_id"]
    person = chat(brand, "pls cancel my order", ALEX["email"])["ticket_id"]  # answered, then a person answers
    feed.pump()
    assert call(api, "POST", f"/api/tickets/{person}/messages", team["support"],
                {"type": "reply", "body": "Done, it is cancelled."})[0] == 201
    for ticket_id in (answered, handed, person):
        assert call(api, "PATCH", f"/api/tickets/{ticket_id}", team["support"], {"status": "closed"})[0] == 200
    pump_reports()
    today = dt.datetime.now(dt.UTC).date().isoformat()
    [row] = reports.tickets(owner_of(brand), {"from": today, "to": today, "group_by": "channel"})["rows"]
    assert row["key"] == "webchat" and row["closed"] == 3
    # the skill answered two tickets itself and handed one over; one it answered closed with no person's response
    assert (row["skill_answered"], row["skill_handed_off"], row["skill_resolved"]) == (2, 1, 1)
    assert call(api, "PATCH", f"/api/tickets/{answered}", team["support"], {"status": "open"})[0] == 200
    assert call(api, "PATCH", f"/api/tickets/{answered}", team["support"], {"status": "closed"})[0] == 200
    feed.pump()
    pump_reports()
    [row] = reports.tickets(owner_of(brand), {"from": today, "to": today, "group_by": "day"})["rows"]
    assert (row["closed"], row["skill_answered"], row["skill_resolved"]) == (4, 2, 2)


def test_the_skill_stays_out_of_a_ticket_whose_assignee_has_replied(
        brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed) -> None:
    from helpdesk import replies
    from helpdesk.store import tickets as ticket_store

    ticket_id = sms_customer(brand, ALEX["phone"], "hello")
    feed.pump()  # not about an order: the skill says nothing
    agent = AgentIdentity("agent-7", brand.account_id, ("support",))
    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert ticket_store.change(ticket, assignee_id="agent-7") is not None
    replies.post(agent, ticket_id, {"type": "reply", "body": "Hi, this is Kim. How can I help?"})
    text(brand, ALEX["phone"], "can I change my order?")
    feed.pump()
    bodies = [m["body"] for m in standins.outbox() if m["channel"] == "sms"]
    assert bodies == ["Hi, this is Kim. How can I help?"]
    assert [m for m in conversation(brand, ticket_id) if m["direction"] == "note"] == []


def sqs_record(body: str, message_id: str) -> dict[str, Any]:
    """An SQS message as the Lambda SQS event source hands it to the function."""
    return {"messageId": message_id, "receiptHandle": "rh-" + message_id, "body": body,
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode()).hexdigest(), "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:000000000000:helpdesk-order-lookup", "awsRegion": "us-east-1"}


def test_a_decision_that_fails_comes_back_alone_with_its_claim_given_back_and_the_retry_answers(
        brand: Brand, skill: Any, standins: Any, feed: OrderLookupFeed) -> None:
    from functions import order_lookup

    skill.shopify.control(bucket={"available": 0, "restore_rate": 0.01})  # throttled for minutes
    ticket_id = sms_customer(brand, ALEX["phone"], "can i cancel my order")
    anonymous = chat(brand, "I need to cancel my order", None)["ticket_id"]  # needs no lookup
    events: list[dict[str, Any]] = []
    feed.pipe.pump(sink=lambda record: events.append(feed.bus.event(record))
                   if (record["dynamodb"].get("NewImage") or {}).get("pk", {}).get("S", "")
                   .startswith(f"A#{brand.account_id}#") else None)
    throttled, fine = [json.dumps(event) for event in events if feed.rule.matches(event)]
    answer = order_lookup.handler({"Records": [sqs_record(throttled, "m-1"), sqs_record(fine, "m-2")]}, None)
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m-1"}]}
    assert [m["direction"] for m in conversation(brand, ticket_id)] == ["inbound"]
    assert [m["direction"] for m in conversation(brand, anonymous)] == ["inbound", "outbound", "note"]
    [decided_] = tables.items_of_type(brand.account_id, "skill_decision")  # the SMS one's claim went back
    assert decided_["action"] == "login_required"

    skill.shopify.control(reset=True)
    feed.deliver(throttled)  # the queue's retry
    assert [m for m in standins.outbox() if m["channel"] == "sms"][0]["to"] == ALEX["phone"]
    claims = {c["action"]: c for c in tables.items_of_type(brand.account_id, "skill_decision")}
    assert claims.keys() == {"login_required", "edit_order"}
    assert (claims["edit_order"]["intent"], claims["edit_order"]["order_name"], claims["edit_order"]["handed_off"]) \
        == ("cancel_order", "#1002", False)


def test_the_feed_keeps_only_customer_messages_on_web_chat_and_sms() -> None:
    from infra.local.pipe import Filter, bus_rules, filter_patterns

    [order_lookup] = [r for r in bus_rules() if r.name == "OrderLookupRule"]
    rule, pipe = Filter([order_lookup.pattern]), Filter(filter_patterns(pipe="TableChangesPipe"))

    def event(image: dict[str, Any], name: str = "INSERT") -> dict[str, Any]:
        typed = {k: {"S": v} for k, v in image.items()}
        return {"source": "helpdesk.table", "detail-type": "table change",
                "detail": {"eventName": name, "dynamodb": {"NewImage": typed}}}

    inbound = {"type": "message", "direction": "inbound"}
    for channel in live.CHANNELS:
        assert rule.matches(event({**inbound, "channel": channel}))
    assert set(live.CHANNELS) == {"webchat", "sms", "whatsapp", "email"}
    assert not rule.matches(event({**inbound, "channel": "instagram"}))
    assert not rule.matches(event({"type": "message", "direction": "outbound", "channel": "sms"}))
    assert not rule.matches(event({**inbound, "channel": "sms"}, "MODIFY"))
    assert not rule.matches(event({"type": "ticket", "channel": "sms"}))
    # The pipe keeps (as a stream record, before the bus wraps it) what the rule wants.
    for channel in live.CHANNELS:
        assert pipe.matches(event({**inbound, "channel": channel})["detail"])
