"""Demo data of the local stack: one brand, its addresses and secrets, agents, customers."""
from __future__ import annotations

from dataclasses import dataclass, field

ACCOUNT_ID = "demo"
ACCOUNT_NAME = "Demo Store"
SMS_NUMBER = "+14155550100"
WHATSAPP_PHONE_NUMBER_ID = "109876543210987"
WHATSAPP_DISPLAY_NUMBER = "+14155550101"
INSTAGRAM_ACCOUNT_ID = "17841400000000001"
SUPPORT_EMAIL = "support@demo-store.example"
TWILIO_ACCOUNT_SID = "AC" + "5" * 32  # the AccountSid of the SMS samples in events/
META_GRAPH_VERSION = "v25.0"  # pinned: available until 2028-07 (research/wave2-facts.md §1)
# A shortened link the demo data holds (events/links/click.json follows it).
LINK_CODE = "dEm0L1nk"
# The brand's policies the order skill quotes (its knowledge base), and its customer hub: with them
# and the Shopify stand-in, the skill is Live in the demo.
CUSTOMER_HUB_URL = "https://demo-store.example/account/orders/{order_number}"
POLICIES = (
    {"title": "Changing an order", "tags": ["order_edit"], "locale": "en",
     "body": "You can change the size, colour or quantity of items, or the delivery address, within 7 days "
             "of placing your order, as long as it has not shipped. Items already shipped can be returned or "
             "exchanged instead."},
    {"title": "Cancelling an order", "tags": ["order_cancel"], "locale": "en",
     "body": "You can cancel an order within 12 hours of placing it, before it ships. Shipped orders cannot be "
             "cancelled; return them within 30 days of delivery for a refund."},
    {"title": "주문 변경 안내", "tags": ["order_edit"], "locale": "ko",
     "body": "주문 후 7일 이내, 출고 전이라면 사이즈, 색상, 수량, 배송지를 변경하실 수 있어요. 이미 출고된 상품은 "
             "반품 또는 교환으로 도와드려요."},
    {"title": "주문 취소 안내", "tags": ["order_cancel"], "locale": "ko",
     "body": "주문 후 12시간 이내, 출고 전 주문은 취소하실 수 있어요. 출고된 주문은 취소가 어렵고, 배송 완료 후 30일 "
             "이내 반품하시면 환불해 드려요."},
)
VIEW_ID = "v_demo_open_sms"  # a saved view of the demo brand: open SMS tickets
MACRO_ID = "mac-demo-order"
MACRO_BODY = ("Hi {{customer.first_name}}, this is {{agent.first_name}} from {{store.name}}: your order is on its "
              "way. Reply here if anything is missing.")
LINK_URL = "https://demo-store.example/orders/1001"
TABLE_NAME = "helpdesk"
QUEUE_NAME = "helpdesk-ticket-events"
MAIL_BUCKET = "helpdesk-mail"
OFFICE_HOURS = {"timezone": "America/Los_Angeles",
                "weekly": {d: [["09:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
                "holidays": ["2026-12-25", "2027-01-01"]}
AUTORESPONDER = {"webchat": {
    "open": "Thanks for reaching out! An agent will be with you in a few minutes.",
    "closed": "Thanks for your message. We're away right now (Mon-Fri 9:00-18:00 PT) and will reply when we're back.",
}}
HELP_TEXT = "Demo Store: reply STOP to opt out. For help email support@demo-store.example"

# Local-only secrets: the sample events in events/ are signed with these.
SECRETS = {
    "twilio_auth_token": "local-twilio-auth-token",
    "meta_app_secret": "local-meta-app-secret",
    "meta_verify_token": "local-meta-verify-token",
    "mailgun_signing_key": "local-mailgun-signing-key",
    "webchat_secret": "local-webchat-secret-for-the-demo-stack",
    "webchat_session_key": "local-webchat-session-key-of-the-service",
    # What the send clients present to the local stand-ins of WhatsApp Cloud and Instagram (infra/local/standins.py).
    "whatsapp_access_token": "local-whatsapp-access-token",
    "instagram_access_token": "local-instagram-access-token",
    # What the Shopify client presents to the local Shopify stand-in (its Admin API token).
    "shopify_access_token": "shpat_local_demo_store_admin_token",
}


@dataclass(frozen=True)
class DemoAgent:
    username: str
    name: str
    role: str
    online: bool
    helpdesk: bool = True

    @property
    def email(self) -> str:
        """Their sign-in name in the user pool, as deployed pools name users."""
        return f"{self.username}@demo-store.example"


AGENTS = (
    DemoAgent("olivia", "Olivia Owner", "owner", online=True),
    DemoAgent("adam", "Adam Admin", "admin", online=False),
    DemoAgent("maya", "Maya Manager", "manager", online=True),
    DemoAgent("sam", "Sam Support", "support", online=True),
    DemoAgent("andy", "Andy Analyst", "analyst", online=False, helpdesk=False),
)


@dataclass(frozen=True)
class DemoCustomer:
    phone: str
    name: str
    sms_consent: str | None
    messages: tuple[str, ...] = field(default=())


CUSTOMERS = (
    DemoCustomer("+14155550123", "Jiwoo Kim", "subscribed",
                 ("Hi! Where is my order #1001?", "It was supposed to arrive yesterday.")),
    DemoCustomer("+14155550124", "Alex Lee", None, ("Can I change the size on order #1002?",)),
    DemoCustomer("+14155550125", "Sam Park", "unsubscribed", ()),
)
