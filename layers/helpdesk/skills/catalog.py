"""The skills as the agent API shows them: `GET /api/skills` (every helpdesk role: each skill, Live or
Unavailable, and what it is missing) and `POST /api/skills/order_editing/preview` (owners and admins: a
test message as a chosen customer, the decision shown, nothing stored)."""
from __future__ import annotations

from typing import Any

from helpdesk import roles
from helpdesk.auth import AgentIdentity
from helpdesk.errors import BadRequest
from helpdesk.skills import order_editing
from helpdesk.store import accounts

MAX_MESSAGE = 5_000  # as a web-chat message
MAX_EMAIL = 320


def list_skills(who: AgentIdentity) -> dict[str, Any]:
    account = accounts.get_account(who.account_id, fresh=True)  # just configured: show it as it is now
    return {"items": [order_editing.availability(account).as_json()]}


def preview(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """The order skill's decision on `message` as `customer_email` would get it on `channel` (no email:
    a customer who is not signed in). Reads Shopify (one request at most) and the knowledge base; stores
    nothing, sends nothing, counts nothing."""
    roles.require(who, roles.PREVIEW_SKILLS)
    if not isinstance(body, dict):
        raise BadRequest('expected {"message", "channel", "customer_email"?}')
    message, channel, email = body.get("message"), body.get("channel"), body.get("customer_email")
    if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE:
        raise BadRequest(f"message must be non-empty text of at most {MAX_MESSAGE} characters")
    if channel not in order_editing.CHANNELS:
        raise BadRequest("channel must be one of " + ", ".join(order_editing.CHANNELS))
    if email is not None and (not isinstance(email, str) or "@" not in email or len(email) > MAX_EMAIL):
        raise BadRequest("customer_email must be an email address")
    customer = order_editing.Identity(email=email.strip().lower(), authenticated=True) if email \
        else order_editing.Identity()
    account = accounts.get_account(who.account_id, fresh=True)
    return order_editing.decide(who.account_id, message, channel, customer, account=account).as_json()
