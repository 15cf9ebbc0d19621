"""The order-editing skill (SPEC §8): what to tell a customer who asks to change, cancel or check an
order, decided from their words, the brand's policies in the knowledge base and their orders in Shopify.
It never edits an order: it sends the customer to the customer hub, where they make the change
themselves, or hands them over to a person.

How a decision is made, in the order the SPEC gives:
1. the intent, from the shipped classifier (`textclass.shipped("intents")`; an abstention is `other`);
   `other` is not this skill's (`none`), adding items is not supported (`add_item_unsupported`), a return
   or exchange is the returns skill's (`redirect_returns`): none of these needs the customer's orders;
2. a change or a cancellation needs the brand's policy on it (`kb.policy`: `order_edit`, `order_cancel`);
   without one the skill cannot confirm anything and hands over (`no_policy`), inventing nothing;
3. order data only ever goes to its authenticated owner: web chat with a verified identity, SMS from the
   phone number on the orders; anyone else is asked to log in (`login_required`), before any lookup;
4. one Shopify request: the customer and their ten most recent orders (`Shopify.customer_orders`); the
   order is the one they name, else the one whose products they name, else the latest (order_picking);
5. by the order's state: not shipped, a link to edit it in the customer hub (`edit_order`; on web chat
   an order card with its lines and what can change); partly shipped, item by item what can still
   change, shipped items to returns & exchanges (`partial_edit`); shipped, returns & exchanges
   (`redirect_returns`); cancelled, on hold, being prepared, past the policy's window (quoting the policy),
   or no customer hub to send them to: a soft handoff (`handoff`). `order_status` tells the state.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpdesk import kb, plans, settings
from helpdesk.clock import parse_iso
from helpdesk.errors import HelpdeskError, Transient
from helpdesk.kb_search import Hit, detect_locale, passages
from helpdesk.skills import handoff, order_picking, policies, texts
from helpdesk.store import accounts
from helpdesk.store.models import Account

if TYPE_CHECKING:
    from helpdesk.providers.shopify import LineView, OrderView, Shopify

NAME = "order_editing"
INTENTS = ("change_order", "cancel_order", "add_item", "order_status", "return_or_exchange", "other")
ACTIONS = ("login_required", "edit_order", "partial_edit", "redirect_returns", "add_item_unsupported",
           "order_status", "no_policy", "handoff", "none")
CHANNELS = ("webchat", "sms", "whatsapp", "email")
POLICY_OF = {"change_order": "order_edit", "cancel_order": "order_cancel"}
# What `missing` names, in the order the skill's setup goes (GET /api/skills).
PREREQUISITES = ("helpdesk_plan", "skill_enabled", "shopify", "customer_hub", "order_edit_policy",
                 "order_cancel_policy")


@dataclass(frozen=True)
class Identity:
    """Who the customer is, as far as the channel can vouch: `authenticated` only when it can (a web-chat
    session with a verified identity; the phone number an SMS came from)."""

    email: str | None = None
    phone: str | None = None
    authenticated: bool = False


@dataclass(frozen=True)
class Decision:
    """What the skill tells the customer. `as_json` is the shape of ARCHITECTURE §6b; the rest is for the
    ticket's record: whether it hands over to a person, why (for the agent), the customer's language."""

    intent: str
    action: str
    text: str
    order: dict[str, str] | None = None  # {"name", "state"}
    link: str | None = None
    card: dict[str, Any] | None = None
    handed_off: bool = False
    reason: str = ""
    locale: str = "en"

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"intent": self.intent, "action": self.action, "text": self.text, "order": self.order}
        if self.link:
            out["link"] = self.link
        if self.card:
            out["card"] = self.card
        return out


@dataclass
class _Asked:
    """One decision's inputs."""

    account_id: str
    message: str
    channel: str
    customer: Identity
    intent: str
    locale: str
    skills: dict[str, Any]
    now: dt.datetime
    shopify: Shopify | None
    policy: Hit | None = None


def intent_of(message: str) -> str:
    # Imported here, like the Shopify client below: the API Lambda imports this module for GET /api/skills,
    # and the two cost its cold start about 50 ms of some 450 (python -X importtime, with bytecode).
    from helpdesk import textclass

    return textclass.shipped("intents").predict(message).label or "other"


def decide(account_id: str, message: str, channel: str, customer: Identity, *, shopify: Shopify | None = None,
           account: Account | None = None, now: dt.datetime | None = None) -> Decision:
    """The skill's answer to `message` from `customer` on `channel`. Reads the account (cached), at most one
    policy from the knowledge base, and makes at most one Shopify request (with `shopify`, that client's);
    writes nothing. A Shopify failure a retry may cure (throttling, an outage) is raised (Transient); any
    other lookup failure hands the customer over."""
    account = account or accounts.get_account(account_id)
    asked = _Asked(account_id, message, channel, customer, intent_of(message), detect_locale(message),
                   handoff.config(account), now or dt.datetime.now(dt.UTC), shopify)
    early = _without_orders(asked)
    return early if early is not None else _with_orders(asked)


def _decision(asked: _Asked, action: str, text: str, **fields: Any) -> Decision:
    return Decision(asked.intent, action, text, locale=asked.locale, **fields)


def _handoff(asked: _Asked, said: str, reason: str, **fields: Any) -> Decision:
    text = f"{said} {handoff.customer_message(asked.skills, asked.locale)}".strip()
    return _decision(asked, "handoff", text, handed_off=True, reason=reason, **fields)


def _without_orders(asked: _Asked) -> Decision | None:
    """The answers that need no order: not this skill's, not supported, returns, no policy, not signed in."""
    if asked.intent == "other":
        return _decision(asked, "none", "", reason="not about an order")
    if asked.intent == "add_item":
        return _decision(asked, "add_item_unsupported", texts.say("add_item_unsupported", asked.locale))
    if asked.intent == "return_or_exchange":
        returns = kb.policy(asked.account_id, "returns", locale=asked.locale)
        text = texts.say("redirect_returns", asked.locale)
        return _decision(asked, "redirect_returns", _with_quote(text, returns, asked.locale))
    topic = POLICY_OF.get(asked.intent)
    if topic is not None:
        asked.policy = kb.policy(asked.account_id, topic, locale=asked.locale)
        if asked.policy is None:
            said = texts.say("no_policy", asked.locale, topic=texts.topic(topic, asked.locale))
            text = f"{said} {handoff.customer_message(asked.skills, asked.locale)}"
            return _decision(asked, "no_policy", text, handed_off=True,
                             reason=f"no {topic} policy in the knowledge base")
    customer = asked.customer
    if not customer.authenticated or not (customer.email or customer.phone):
        return _decision(asked, "login_required", texts.say("login_required", asked.locale))
    return None


def _with_quote(text: str, policy: Hit | None, locale: str) -> str:
    passage = quoted(policy) if policy is not None else ""
    return f"{text}\n{texts.quote(passage, locale)}" if passage else text


def quoted(policy: Hit) -> str:
    """The part of the brand's policy to quote: the search's best passage, unless another paragraph of the
    article is the one that states the window (what a customer asking to change an order needs to read)."""
    if policies.window(policy.passage) is not None:
        return policy.passage
    stating = next((p for p in passages(policy.article.body) if policies.window(p) is not None), None)
    return stating or policy.passage


def _with_orders(asked: _Asked) -> Decision:
    from helpdesk.providers.shopify import Shopify

    customer = asked.customer
    try:
        client = asked.shopify or Shopify.from_settings()
        found = client.customer_orders(email=customer.email) if customer.email \
            else client.customer_orders(phone=customer.phone)
    except Transient:
        raise
    except HelpdeskError as error:
        return _handoff(asked, texts.say("lookup_failed", asked.locale), f"Shopify lookup failed: {error.reason}")
    if found is None or not found.orders:
        return _handoff(asked, texts.say("no_orders", asked.locale), "no recent orders found in Shopify")
    chosen = order_picking.pick(asked.message, found.orders)
    if chosen.order is None:
        number = chosen.unmatched or ""
        return _handoff(asked, texts.say("unmatched", asked.locale, number=number),
                        f"the customer named order {number}, which is not among their recent orders")
    return _by_state(asked, chosen.order)


def _summary(order: OrderView) -> dict[str, str]:
    return {"name": order.name, "state": order.state}


def _by_state(asked: _Asked, order: OrderView) -> Decision:
    said = {"order": order.name}
    if asked.intent == "order_status":
        return _status(asked, order)
    if order.state == "cancelled":
        if asked.intent == "cancel_order":
            return _decision(asked, "order_status", texts.say("already_cancelled", asked.locale, **said),
                             order=_summary(order))
        return _handoff(asked, texts.say("cancelled", asked.locale, **said), "the order is cancelled",
                        order=_summary(order))
    if order.state == "on_hold":
        return _handoff(asked, texts.say("on_hold", asked.locale, **said), "the order is on hold",
                        order=_summary(order))
    if order.state == "fulfilled":
        return _decision(asked, "redirect_returns", texts.say("redirect_returns.shipped", asked.locale, **said),
                         order=_summary(order))
    if not order.changeable_lines:
        return _handoff(asked, texts.say("in_progress", asked.locale, **said),
                        "every unshipped item is already being prepared for shipping", order=_summary(order))
    late = _past_window(asked, order)
    if late is not None:
        return late
    return _editable(asked, order)


def _status(asked: _Asked, order: OrderView) -> Decision:
    text = texts.say("order_status", asked.locale, order=order.name, state=texts.state(order.state, asked.locale))
    if order.status_page_url:
        text += texts.say("order_status.link", asked.locale, link=order.status_page_url)
    return _decision(asked, "order_status", text, order=_summary(order), link=order.status_page_url)


def _past_window(asked: _Asked, order: OrderView) -> Decision | None:
    """The policy's window has passed: the customer is told so in the brand's words and handed over."""
    policy = asked.policy
    if policy is None:
        return None
    span = policies.window(quoted(policy))
    if span is None or not order.created_at:
        return None
    try:
        placed = parse_iso(order.created_at)
    except ValueError:
        return None
    if asked.now - placed <= span:
        return None
    said = texts.say("outside_window", asked.locale, order=order.name, window=policies.describe(span, asked.locale))
    return _handoff(asked, _with_quote(said, policy, asked.locale),
                    f"past the policy's window ({policies.describe(span, 'en')} after the order was placed)",
                    order=_summary(order))


def _editable(asked: _Asked, order: OrderView) -> Decision:
    hub = str(asked.skills.get("customer_hub_url") or "")
    if not hub:
        return _handoff(asked, texts.say("no_hub", asked.locale, order=order.name, link=order.status_page_url or ""),
                        "no customer hub is configured to send the customer to", order=_summary(order),
                        link=order.status_page_url)
    link = hub_link(hub, order)
    card = order_card(order, link, asked.intent, asked.locale) if asked.channel == "webchat" else None
    if order.state == "partially_fulfilled":
        text = texts.say("partial_edit", asked.locale, order=order.name, link=link,
                         changeable=", ".join(_line_text(line, line.changeable, asked.locale)
                                              for line in order.changeable_lines),
                         shipped=", ".join(_line_text(line, line.fulfilled, asked.locale)
                                           for line in order.shipped_lines))
        action = "partial_edit"
    else:
        text = texts.say(f"edit_order.{asked.intent}", asked.locale, order=order.name, link=link)
        action = "edit_order"
    return _decision(asked, action, _with_quote(text, asked.policy, asked.locale), order=_summary(order),
                     link=link, card=card)


def _line_text(line: LineView, count: int, locale: str) -> str:
    if count == line.quantity:
        return f"{line.name} ({count})"
    return f"{line.name} ({count}/{line.quantity})" if locale == "ko" else f"{line.name} ({count} of {line.quantity})"


def hub_link(template: str, order: OrderView) -> str:
    """The customer hub's order tab for `order`: the account's URL with `{order_id}` (Shopify's number for
    the order) and `{order_number}` (the number in its name) filled in; without them, the URL as set."""
    order_id = order.id.rsplit("/", 1)[-1]
    number = re.sub(r"\D", "", order.name)
    return template.replace("{order_id}", order_id).replace("{order_number}", number)


def order_card(order: OrderView, link: str, intent: str, locale: str) -> dict[str, Any]:
    """The web-chat order card: the order, each line with what can still be done with it (change it in the
    hub while it has not shipped; return or exchange what has), and the order's own actions."""
    lines = []
    for line in order.lines:
        if not line.quantity:
            continue  # removed from the order
        actions = []
        if line.changeable:
            actions += [{"action": a, "label": texts.label(a, locale), "url": link}
                        for a in ("change_variant", "change_quantity", "remove")]
        if line.fulfilled:
            actions.append({"action": "return_or_exchange", "label": texts.label("return_or_exchange", locale)})
        lines.append({"id": line.id, "name": line.name, "quantity": line.quantity, "changeable": line.changeable,
                      "shipped": line.fulfilled, "actions": actions})
    order_actions = [{"action": "edit_order", "label": texts.label("edit_order", locale), "url": link}]
    if order.state == "unfulfilled":  # a partly shipped order cannot be cancelled whole
        cancel = {"action": "cancel_order", "label": texts.label("cancel_order", locale), "url": link}
        order_actions.insert(0 if intent == "cancel_order" else 1, cancel)
    return {"type": "order", "order": {"name": order.name, "state": order.state, "created_at": order.created_at,
                                       "status_url": order.status_page_url},
            "lines": lines, "actions": order_actions, "url": link}


# --- whether the skill is Live ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Availability:
    missing: tuple[str, ...]

    @property
    def live(self) -> bool:
        return not self.missing

    def as_json(self) -> dict[str, Any]:
        return {"name": NAME, "status": "Live" if self.live else "Unavailable", "missing": list(self.missing)}


def shopify_connected() -> bool:
    """The shop's name and its Admin API token are configured (the token itself is read when used)."""
    return bool(settings.optional("SHOPIFY_SHOP")
                and (settings.optional("SHOPIFY_ACCESS_TOKEN") or settings.optional("SHOPIFY_ACCESS_TOKEN_PARAM")))


def availability(account: Account) -> Availability:
    """Live when every prerequisite holds (SPEC §8): the paid plan, the skill on, Shopify connected, a
    customer hub to send customers to, and the brand's edit and cancel policies in the knowledge base.
    Reads the knowledge base's state (one GetItem; its index is kept per container)."""
    skills = handoff.config(account)
    held = {
        "helpdesk_plan": plans.plan_of(account) == plans.HELPDESK,
        "skill_enabled": bool((skills.get(NAME) or {}).get("enabled")),
        "shopify": shopify_connected(),
        "customer_hub": bool(skills.get("customer_hub_url")),
        "order_edit_policy": kb.policy(account.account_id, "order_edit") is not None,
        "order_cancel_policy": kb.policy(account.account_id, "order_cancel") is not None,
    }
    return Availability(tuple(name for name in PREREQUISITES if not held[name]))
