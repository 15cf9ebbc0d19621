"""Twilio Messages API: send one SMS or WhatsApp message (POST .../Messages.json), its errors made readable."""
from __future__ import annotations

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
    post_form,
    redacted,
)

MAX_BODY = 1600  # characters of Body; a non-GSM character may count as more (Twilio error 21617)

_REFUSALS: dict[int, tuple[RefusalKind, str]] = {
    21610: ("opted_out", "the customer has opted out of messages from this number (they texted STOP)"),
    63016: ("window_closed", "WhatsApp's 24-hour customer-service window has closed; only an approved "
                             "template can be sent until the customer writes again"),
    21211: ("invalid", "the customer's phone number is not a valid number"),
    21614: ("invalid", "the customer's number is not a mobile number, so it cannot receive texts"),
    21606: ("invalid", "our sending number cannot send messages to this customer's number"),
    21617: ("invalid", "the message is longer than Twilio's 1,600-character limit"),
    21612: ("unreachable", "the customer's number cannot be reached from our number"),
    21408: ("unreachable", "sending to the customer's country is not enabled on our Twilio account"),
    21635: ("unreachable", "the customer's number is a landline, so it cannot receive texts"),
}


def send_message(to: str, body: str, *, from_: str | None, status_callback: str | None = None,
                 whatsapp: bool = False) -> Sent:
    """Send `body` to `to` (E.164); with TWILIO_MESSAGING_SERVICE_SID set, the service picks the sender."""
    account = credential("TWILIO_ACCOUNT_SID")
    token = credential("TWILIO_AUTH_TOKEN")
    pairs = [("To", _address(to, whatsapp))]
    service = settings.optional("TWILIO_MESSAGING_SERVICE_SID")
    if service:
        pairs.append(("MessagingServiceSid", service))
    elif from_:
        pairs.append(("From", _address(from_, whatsapp)))
    else:
        raise ProviderMisconfigured("no sender for Twilio: set TWILIO_MESSAGING_SERVICE_SID or give a From number")
    pairs.append(("Body", body))
    if status_callback:
        pairs.append(("StatusCallback", status_callback))
    root = base_url("TWILIO_API_URL", "https://api.twilio.com")
    url = f"{root}/2010-04-01/Accounts/{urllib.parse.quote(account, safe='')}/Messages.json"
    status, answer = post_form(url, pairs, auth_basic=(account, token))
    if 200 <= status < 300 and isinstance(answer, dict) and answer.get("sid"):
        return Sent(str(answer["sid"]))
    raise _failure(status, answer)


def _address(number: str, whatsapp: bool) -> str:
    if whatsapp and not number.lower().startswith("whatsapp:"):
        return f"whatsapp:{number}"
    return number


def _failure(status: int, answer: Any) -> HelpdeskError:
    error = answer if isinstance(answer, dict) else {}
    code = error.get("code")
    if status == 401 or code == 20003:
        return ProviderMisconfigured("Twilio refused our credentials; check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN")
    if status == 429 or code == 20429:
        return Transient("Twilio is throttling messages; try again in a moment")
    if status >= 500:
        return Transient(f"Twilio is having trouble (HTTP {status}); try again in a moment")
    if status < 400:  # a success without a SID, or a redirect: not Twilio's Messages API answering
        return ProviderMisconfigured(f"Twilio's API answered HTTP {status} without a message; check TWILIO_API_URL")
    if isinstance(code, int) and code in _REFUSALS:
        kind, reason = _REFUSALS[code]
        return SendRefused(reason, code=str(code), kind=kind)
    said = redacted(str(error.get("message") or ""))
    return SendRefused(f"Twilio refused the message: {said}" if said else f"Twilio refused the message (HTTP {status})",
                       code=str(code or status), kind="refused")
