"""Meta Graph API sends: a WhatsApp Cloud API text and an Instagram DM, their errors made readable."""
from __future__ import annotations

import re
import urllib.parse
from typing import Any

from helpdesk import settings
from helpdesk.errors import HelpdeskError, Transient
from helpdesk.providers.sending import (
    ProviderMisconfigured,
    RefusalKind,
    SendRefused,
    Sent,
    base_url,
    credential,
    post_json,
    redacted,
)

MAX_WHATSAPP_BODY = 4096  # characters of text.body
MAX_INSTAGRAM_BYTES = 1000  # UTF-8 bytes of message.text, as third-party docs give it (Meta's page is silent)

_THROTTLED = {4, 17, 32, 613, 80007, 130429, 131048, 131056}
_UNAVAILABLE = {1, 2}  # Graph's "unknown error" and "service temporarily unavailable": retry later
_REFUSALS: dict[int, tuple[RefusalKind, str]] = {
    131047: ("window_closed", "more than 24 hours have passed since the customer last wrote on WhatsApp; "
                              "only an approved template can be sent until they write again"),
    131026: ("unreachable", "WhatsApp could not deliver to this number (it may not be on WhatsApp, "
                            "or the customer has not accepted WhatsApp's current terms)"),
    131030: ("invalid", "the customer's number is not in the allowed list of our WhatsApp test number"),
    131049: ("refused", "Meta held the message back to keep the customer's WhatsApp engagement healthy"),
    # Marketing only: service replies still reach them, so it is no opt-out of the channel.
    131050: ("refused", "the customer has stopped marketing messages from us on WhatsApp"),
    551: ("unreachable", "this person isn't available right now on Instagram"),
}
_INSTAGRAM_WINDOW_SUBCODE = 2018278
_INSTAGRAM_WINDOW_REASON = "outside Instagram's messaging window: the customer last wrote more than 24 hours ago"


def send_whatsapp(phone_number_id: str, to: str, body: str, *, reply_to: str | None = None) -> Sent:
    """A free-form text from our number `phone_number_id` to `to` (E.164), quoting `reply_to` (a wamid)."""
    payload: dict[str, Any] = {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": re.sub(r"[^0-9]", "", to),
        "type": "text", "text": {"preview_url": False, "body": body},
    }
    if reply_to:
        payload["context"] = {"message_id": reply_to}
    url = _messages_url("META_GRAPH_URL", "https://graph.facebook.com", phone_number_id)
    status, answer = post_json(url, payload, bearer=credential("WHATSAPP_ACCESS_TOKEN"))
    wamid = _accepted(status, answer, "messages", 0, "id")
    if wamid:
        return Sent(wamid)
    raise _failure("WhatsApp", status, answer, "WHATSAPP_ACCESS_TOKEN", "META_GRAPH_URL")


def send_instagram(account_id: str, recipient_id: str, body: str, *, human_agent: bool = False) -> Sent:
    """A DM from our Instagram account to an Instagram-scoped user id. `human_agent` tags a person's
    reply sent after the 24-hour window (allowed up to 7 days; the app needs the Human Agent permission)."""
    payload: dict[str, Any] = {"recipient": {"id": recipient_id}, "message": {"text": body}}
    if human_agent:
        payload.update(messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    else:
        payload["messaging_type"] = "RESPONSE"
    url = _messages_url("INSTAGRAM_GRAPH_URL", "https://graph.instagram.com", account_id)
    status, answer = post_json(url, payload, bearer=credential("INSTAGRAM_ACCESS_TOKEN"))
    mid = _accepted(status, answer, "message_id")
    if mid:
        return Sent(mid)
    raise _failure("Instagram", status, answer, "INSTAGRAM_ACCESS_TOKEN", "INSTAGRAM_GRAPH_URL")


def _messages_url(url_setting: str, default: str, sender_id: str) -> str:
    version = settings.optional("META_GRAPH_VERSION", "v25.0")
    return f"{base_url(url_setting, default)}/{version}/{urllib.parse.quote(sender_id, safe='')}/messages"


def _accepted(status: int, answer: Any, *path: str | int) -> str | None:
    """The message id at `path` of a success answer; None for any other answer."""
    if not 200 <= status < 300:
        return None
    for step in path:
        try:
            answer = answer[step]
        except (TypeError, KeyError, IndexError):
            return None
    return str(answer) if answer else None


def _failure(product: str, status: int, answer: Any, token_setting: str, url_setting: str) -> HelpdeskError:
    error = answer.get("error") if isinstance(answer, dict) else None
    error = error if isinstance(error, dict) else {}
    code, subcode = _number(error.get("code")), _number(error.get("error_subcode"))
    message = str(error.get("message") or "")
    if code == 190 or (code == 102 and error.get("type") == "OAuthException") or status == 401:
        return ProviderMisconfigured(f"{product} refused our access token; check {token_setting}")
    if status == 429 or code in _THROTTLED:
        return Transient(f"{product} is throttling messages; try again in a moment")
    if status >= 500 or code in _UNAVAILABLE or error.get("is_transient") is True:
        return Transient(f"{product} is having trouble (HTTP {status}); try again in a moment")
    if status < 400:  # a success without a message id, or a redirect: not the Graph API answering
        return ProviderMisconfigured(f"{product} answered HTTP {status} without a message id; check {url_setting}")
    refusal = _refusal(code, subcode, message)
    if refusal:
        return SendRefused(refusal[1], code=str(code), kind=refusal[0])
    data = error.get("error_data")
    said = redacted(str((data.get("details") if isinstance(data, dict) else None) or message))
    reason = f"{product} refused the message: {said}" if said else f"{product} refused the message (HTTP {status})"
    return SendRefused(reason, code=str(code if code is not None else status), kind="refused")


def _refusal(code: int | None, subcode: int | None, message: str) -> tuple[RefusalKind, str] | None:
    # Instagram's window error is code 10 ("permission denied") narrowed by its subcode; clients also
    # see it without the subcode, so the wording decides then.
    if code == 10 and (subcode == _INSTAGRAM_WINDOW_SUBCODE or "window" in message.lower()):
        return "window_closed", _INSTAGRAM_WINDOW_REASON
    return _REFUSALS.get(code) if code is not None else None


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
