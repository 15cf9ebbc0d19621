"""An account's settings (`GET/PATCH /api/settings`): what they are, with their defaults, and the
checks a change passes before anything is written. Every helpdesk role reads them; owners and admins
change them (helpdesk/roles.py). A PATCH merges: what it does not name stays as it was.

`features` (read only) lists what the plan gives (helpdesk/plans.py); changing `plan` is one write
and no migration. Where each lives: `plan`, `office_hours`, `support_email`, `help_text` and the web-chat
autoresponder are the Account item's own attributes (the code that uses them reads them there);
the rest is the item's `settings` map.
"""
from __future__ import annotations

import copy
import re
from typing import Any

from helpdesk import plans, roles
from helpdesk.auth import AgentIdentity
from helpdesk.errors import BadRequest, Transient
from helpdesk.store import accounts
from helpdesk.store.models import Account

PLANS = plans.PLANS
DEFAULTS: dict[str, Any] = {
    "auto_close": {"enabled": False, "after": "P3D"},
    "sms": {"autoresponder": {"enabled": False, "text": ""}, "notify_emails": [], "shorten_links": True},
    "unread_badge": True,
    "attribution": {"sms_window": "PT24H"},
    # Instagram lets a person (never a bot) answer up to 7 days after the customer's last message
    # with the HUMAN_AGENT tag, once Meta has approved the app for it: off until the brand says so.
    "instagram": {"human_agent_tag": False},
    # The AI customer agent's skills (helpdesk/skills/): what every skill tells a customer it hands over to a
    # person (empty: its own words, in the customer's language) and the team it hands over to (a name for
    # now; routing teams come later); the customer hub the order skill links to (an https URL, which may
    # hold `{order_id}` and `{order_number}`; empty: none, and the skill is Unavailable); and whether the
    # order skill is on (on by default, as the skill only goes Live once every prerequisite holds).
    "skills": {"handoff_message": "", "handoff_team": "", "customer_hub_url": "", "order_editing": {"enabled": True}},
    # The auto-tagger's set (helpdesk/tagging.py): a tag renamed ({"returns": "refunds"}; "" goes back to the
    # set's own name) or disabled (never given).
    "tags": {"renamed": {}, "disabled": []},
}
MAX_TEXT = 1_000
MAX_NOTIFY = 20
MAX_TEAM, MAX_URL = 100, 500
_HUB_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
HUB_PLACEHOLDERS = ("order_id", "order_number")
_DURATION = re.compile(r"P(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,7})M)?(?:(\d{1,9})S)?)?")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,63}$")


def duration_seconds(value: Any, field: str) -> int:
    """An ISO 8601 duration of weeks, days, hours, minutes and seconds (`P3D`, `PT24H`, `PT30S`),
    positive; anything else is a 400 naming the field."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) and value not in ("P", "PT") else None
    if not match or value.endswith("T"):
        raise BadRequest(f"{field} must be an ISO 8601 duration such as P3D or PT24H")
    weeks, days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    total = (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60 + seconds
    if total <= 0:
        raise BadRequest(f"{field} must be longer than nothing")
    return total


def _object(value: Any, field: str, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be an object")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise BadRequest(f"{field}.{unknown[0]} is not a setting")
    return value


def _bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise BadRequest(f"{field} must be true or false")
    return value


def _text(value: Any, field: str, empty: bool = True) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT or (not empty and not value.strip()):
        raise BadRequest(f"{field} must be text of at most {MAX_TEXT} characters")
    return value


def _email(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _EMAIL.match(value.strip()):
        raise BadRequest(f"{field} must be an email address")
    return value.strip().lower()


def _checked(body: Any) -> dict[str, Any]:
    """The change, checked field by field (400 naming the first bad one), normalised."""
    top = _object(body, "settings", {"plan", "office_hours", "support_email", "help_text", "webchat",
                                     *DEFAULTS})
    out = _checked_account(top)
    if "auto_close" in top:
        auto_close = _object(top["auto_close"], "auto_close", {"enabled", "after"})
        out["auto_close"] = {}
        if "enabled" in auto_close:
            out["auto_close"]["enabled"] = _bool(auto_close["enabled"], "auto_close.enabled")
        if "after" in auto_close:
            duration_seconds(auto_close["after"], "auto_close.after")
            out["auto_close"]["after"] = auto_close["after"]
    if "sms" in top:
        out["sms"] = _checked_sms(top["sms"])
    if "unread_badge" in top:
        out["unread_badge"] = _bool(top["unread_badge"], "unread_badge")
    if "attribution" in top:
        attribution = _object(top["attribution"], "attribution", {"sms_window"})
        if "sms_window" in attribution:
            duration_seconds(attribution["sms_window"], "attribution.sms_window")
            out["attribution"] = {"sms_window": attribution["sms_window"]}
    if "instagram" in top:
        instagram = _object(top["instagram"], "instagram", {"human_agent_tag"})
        if "human_agent_tag" in instagram:
            out["instagram"] = {"human_agent_tag": _bool(instagram["human_agent_tag"], "instagram.human_agent_tag")}
    if "skills" in top:
        out["skills"] = _checked_skills(top["skills"])
    if "tags" in top:
        out["tags"] = _checked_tags(top["tags"])
    return out


_TAG_NAME = re.compile(r"^[a-z0-9][a-z0-9 _&/-]{0,99}$")


def _checked_tags(value: Any) -> dict[str, Any]:
    from helpdesk.tagging import FIXED

    tags = _object(value, "tags", {"renamed", "disabled"})
    out: dict[str, Any] = {}
    if "renamed" in tags:
        renamed = _object(tags["renamed"], "tags.renamed", set(FIXED))
        for tag, name in renamed.items():
            if not isinstance(name, str) or (name and not _TAG_NAME.match(name)):
                raise BadRequest(f"tags.renamed.{tag} must be a lower-case tag name (letters, digits, space, "
                                 "_ & / -), at most 100 characters, or empty")
        out["renamed"] = dict(renamed)
    if "disabled" in tags:
        disabled = tags["disabled"]
        if not isinstance(disabled, list) or not set(disabled) <= set(FIXED):
            raise BadRequest(f"tags.disabled must list tags of the set: {', '.join(FIXED)}")
        out["disabled"] = sorted(set(disabled))
    return out


def _checked_skills(value: Any) -> dict[str, Any]:
    skills = _object(value, "skills", set(DEFAULTS["skills"]))
    out: dict[str, Any] = {}
    if "handoff_message" in skills:
        out["handoff_message"] = _text(skills["handoff_message"], "skills.handoff_message").strip()
    if "handoff_team" in skills:
        team = skills["handoff_team"]
        if not isinstance(team, str) or len(team) > MAX_TEAM:
            raise BadRequest(f"skills.handoff_team must be text of at most {MAX_TEAM} characters")
        out["handoff_team"] = team.strip()
    if "customer_hub_url" in skills:
        out["customer_hub_url"] = hub_url(skills["customer_hub_url"], "skills.customer_hub_url")
    if "order_editing" in skills:
        order_editing = _object(skills["order_editing"], "skills.order_editing", {"enabled"})
        if "enabled" in order_editing:
            out["order_editing"] = {"enabled": _bool(order_editing["enabled"], "skills.order_editing.enabled")}
    return out


def hub_url(value: Any, field: str) -> str:
    """The customer hub's order tab: an https URL (http only on this machine, for the local stack) whose
    only placeholders are `{order_id}` and `{order_number}`; empty or null: none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_URL or any(c.isspace() for c in value):
        raise BadRequest(f"{field} must be a URL of at most {MAX_URL} characters")
    local = re.match(r"^http://(?:localhost|127\.0\.0\.1)(?::\d+)?/", value)
    if not (re.match(r"^https://[^/?#{}]+\.[^/?#{}]+", value) or local):
        raise BadRequest(f"{field} must be an https URL")
    unknown = [p for p in _HUB_PLACEHOLDER.findall(value) if p not in HUB_PLACEHOLDERS]
    if unknown or value.count("{") != value.count("}"):
        raise BadRequest(f"{field} may hold only the placeholders {{order_id}} and {{order_number}}")
    return value


def _checked_account(top: dict[str, Any]) -> dict[str, Any]:
    """The settings kept as the Account's own attributes."""
    out: dict[str, Any] = {}
    if "plan" in top:
        if top["plan"] not in PLANS:
            raise BadRequest("plan must be inbox or helpdesk")
        out["plan"] = top["plan"]
    if "office_hours" in top:
        from helpdesk.office_hours import validate

        out["office_hours"] = validate(top["office_hours"]) if top["office_hours"] is not None else None
    if "support_email" in top:
        out["support_email"] = _email(top["support_email"], "support_email")
    if "help_text" in top:
        out["help_text"] = _text(top["help_text"], "help_text", empty=False)
    if "webchat" in top:
        webchat = _object(top["webchat"], "webchat", {"autoresponder"})
        if "autoresponder" in webchat:
            auto = _object(webchat["autoresponder"], "webchat.autoresponder", {"open", "closed"})
            out["webchat"] = {"autoresponder": {k: _text(v, f"webchat.autoresponder.{k}") for k, v in auto.items()}}
    return out


def _checked_sms(value: Any) -> dict[str, Any]:
    sms = _object(value, "sms", {"autoresponder", "notify_emails", "shorten_links"})
    out: dict[str, Any] = {}
    if "autoresponder" in sms:
        auto = _object(sms["autoresponder"], "sms.autoresponder", {"enabled", "text"})
        out["autoresponder"] = {
            **({"enabled": _bool(auto["enabled"], "sms.autoresponder.enabled")} if "enabled" in auto else {}),
            **({"text": _text(auto["text"], "sms.autoresponder.text")} if "text" in auto else {})}
    if "notify_emails" in sms:
        emails = sms["notify_emails"]
        if not isinstance(emails, list) or len(emails) > MAX_NOTIFY:
            raise BadRequest(f"sms.notify_emails must be a list of at most {MAX_NOTIFY} addresses")
        out["notify_emails"] = sorted({_email(e, "sms.notify_emails") for e in emails})
    if "shorten_links" in sms:
        out["shorten_links"] = _bool(sms["shorten_links"], "sms.shorten_links")
    return out


def _merged(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in change.items():
        merged[key] = _merged(merged.get(key) or {}, value) if isinstance(value, dict) else value
    return merged


def _plain(value: Any) -> Any:
    return value.as_dict() if hasattr(value, "as_dict") else (dict(value) if value else None)


def settings_json(account: Account) -> dict[str, Any]:
    autoresponder = (_plain(account.autoresponder) or {}).get("webchat") or {}
    plan = plans.plan_of(account)
    # `features`: what the plan gives (helpdesk/plans.py), so a console can show what is locked.
    return {**of(account), "plan": plan, "features": sorted(plans.FEATURES[plan]),
            "office_hours": _plain(account.office_hours), "support_email": account.support_email,
            "help_text": account.help_text, "webchat": {"autoresponder": dict(autoresponder)},
            "version": int(account.settings_version or 0)}


def of(account: Account) -> dict[str, Any]:
    """The `settings` map of an account as the automations read it: the defaults, merged with what
    the account changed."""
    return _merged(DEFAULTS, _plain(account.settings) or {})


def _answer(account: Account) -> dict[str, Any]:
    """GET and PATCH /api/settings: the settings, and the addresses the account receives on (the
    deployment's wiring, set by the admin tool: shown, never changed here)."""
    channels = [{"channel": c.channel, "address": c.address, "display_address": c.display_address}
                for c in accounts.all_channel_addresses(account.account_id)]
    return {**settings_json(account), "channels": channels}


def read(who: AgentIdentity) -> dict[str, Any]:
    return _answer(accounts.get_account(who.account_id, fresh=True))


def change(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """Merge the change into the account's settings, on condition nothing changed them since they
    were read (two admins at once: both land, one after the other)."""
    roles.require(who, roles.WRITE_SETTINGS)
    checked = _checked(body)
    if not checked:
        raise BadRequest("no settings to change")
    for _ in range(5):
        account = accounts.get_account(who.account_id, fresh=True)
        if accounts.change_settings(account, checked, _merged(_plain(account.settings) or {}, {
                k: v for k, v in checked.items() if k in DEFAULTS})):
            return _answer(account)  # the update left the item as stored (ALL_NEW)
    raise Transient("the settings kept changing; try again")
