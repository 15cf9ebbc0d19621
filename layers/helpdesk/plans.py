"""What each plan gives a brand (SPEC §4): one table, read wherever a paid feature is used.

The free `inbox` plan is web chat for one agent; the paid `helpdesk` plan adds macros, more agents,
the other channels, autoresponders, the customer's profile beside the conversation and spam
filtering. The plan is one attribute of the Account, so switching plans is one write and no
migration: nothing is deleted on a downgrade, it is only not offered (and comes back on upgrade).

Powertools Feature Flags was considered: its rule engine evaluates conditions from an AppConfig
document, which buys nothing for a fixed two-row table and costs an AppConfig read and its import on
every cold start; this table is what its schema would hold.
"""
from __future__ import annotations

from helpdesk.errors import Forbidden
from helpdesk.store.models import Account

INBOX, HELPDESK = "inbox", "helpdesk"
PLANS = (INBOX, HELPDESK)

MACROS = "macros"
MULTI_AGENT = "multi_agent"
CHANNELS = "channels"  # every channel besides web chat: email, SMS, WhatsApp, Instagram
AUTORESPONDERS = "autoresponders"
PROFILE_DETAILS = "profile_details"  # the customer beside the conversation: also their orders and subscriptions,
# and the actions on them (helpdesk/order_actions.py)
SPAM_FILTERING = "spam_filtering"

FEATURES: dict[str, frozenset[str]] = {
    INBOX: frozenset(),
    HELPDESK: frozenset({MACROS, MULTI_AGENT, CHANNELS, AUTORESPONDERS, PROFILE_DETAILS, SPAM_FILTERING}),
}
INBOX_CHANNELS = frozenset({"webchat"})

# How a refusal names what is missing: "<what> come(s) with the helpdesk plan; ...".
WHAT = {
    MACROS: "macros come",
    MULTI_AGENT: "more than one agent comes",
    CHANNELS: "channels other than web chat come",
    AUTORESPONDERS: "autoresponders come",
    PROFILE_DETAILS: "the customer's profile details come",
    SPAM_FILTERING: "spam filtering comes",
}


def plan_of(account: Account) -> str:
    """The account's plan; an account written before plans existed is on the paid plan."""
    return account.plan if account.plan in PLANS else HELPDESK


def allows(account: Account, feature: str) -> bool:
    return feature in FEATURES[plan_of(account)]


def allows_channel(account: Account, channel: str) -> bool:
    return channel in INBOX_CHANNELS or allows(account, CHANNELS)


def require(account: Account, feature: str, *, what: str | None = None) -> None:
    """A 403 that names the plan, for a paid feature asked for on the free plan; `what` names the part
    of the feature that was asked for ("order actions come"), when it says more than the feature's name."""
    if not allows(account, feature):
        raise Forbidden(f"{what or WHAT[feature]} with the {HELPDESK} plan; "
                        f"this account is on the {plan_of(account)} plan")


def require_channel(account: Account, channel: str) -> None:
    if not allows_channel(account, channel):
        raise Forbidden(f"replying on {channel} comes with the {HELPDESK} plan; "
                        f"this account is on the {plan_of(account)} plan")
