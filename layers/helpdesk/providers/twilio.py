"""Twilio Messaging webhooks: signature (X-Twilio-Signature), inbound form, TwiML answers."""
from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from dataclasses import dataclass
from xml.sax.saxutils import escape

from helpdesk.conversation import Channel, InboundMessage, Media
from helpdesk.delivery import Report
from helpdesk.errors import BadRequest, Forbidden, Unauthorized
from helpdesk.phone import our_address, region_of, to_e164

TWIML_CONTENT_TYPE = "text/xml"
MAX_MEDIA = 10


def _signature(auth_token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    # Twilio's scheme: the URL, then each name followed by its value, names sorted (values of a
    # repeated name sorted too), HMAC-SHA1 under the auth token, base64.
    payload = url + "".join(name + value for name, value in sorted(pairs))
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_port(url: str) -> list[str]:
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    if parts.port is None and default:
        other = parts._replace(netloc=f"{host}:{default}")
    elif parts.port == default:
        other = parts._replace(netloc=host)
    else:
        return [url]
    return [url, urllib.parse.urlunsplit(other)]


def verify(auth_token: str, url: str, pairs: list[tuple[str, str]], signature: str | None) -> None:
    """Raise unless `signature` signs this URL and every received parameter."""
    if not signature:
        raise Unauthorized("missing X-Twilio-Signature")
    given = signature.encode("utf-8")  # bytes: compare_digest refuses non-ASCII str with a TypeError
    for candidate in _with_and_without_port(url):
        if hmac.compare_digest(_signature(auth_token, candidate, pairs).encode(), given):
            return
    raise Forbidden("bad X-Twilio-Signature")


@dataclass(frozen=True)
class StatusCallback:
    """A delivery status report of one of our own messages: never a customer message."""

    message_sid: str
    status: str
    our_address: str = ""  # the From of our message: which account sent it
    error_code: str | None = None
    whatsapp: bool = False

    def report(self) -> Report:
        channel = Channel.WHATSAPP if self.whatsapp else Channel.SMS
        return Report(channel, self.our_address, self.message_sid, self.status, self.error_code)


def parse(pairs: list[tuple[str, str]], received_at: str) -> InboundMessage | StatusCallback:
    form = dict(pairs)
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if status and status != "received":
        if not sid:
            raise BadRequest("missing MessageSid")
        sender = form.get("From") or ""
        return StatusCallback(sid, status, our_address(sender) if sender else "", form.get("ErrorCode") or None,
                              sender.lower().startswith("whatsapp:"))
    missing = [name for name in ("From", "To") if not form.get(name)]
    if not sid:
        missing.insert(0, "MessageSid")
    if missing:
        raise BadRequest("missing " + ", ".join(missing))
    whatsapp = form["From"].lower().startswith("whatsapp:")
    channel = Channel.WHATSAPP if whatsapp else Channel.SMS
    try:
        num_media = min(int(form.get("NumMedia") or 0), MAX_MEDIA)
    except ValueError as exc:
        raise BadRequest("NumMedia is not a number") from exc
    media = tuple(Media(form[f"MediaUrl{i}"], form.get(f"MediaContentType{i}"))
                  for i in range(num_media) if form.get(f"MediaUrl{i}"))
    extra = {k: form[k] for k in ("MessagingServiceSid", "NumSegments", "ButtonText") if form.get(k)}
    ours = our_address(form["To"])
    # Twilio sends E.164, but says where the sender is from; a national-looking From is read there.
    region = (form.get("FromCountry") or "").upper() or (region_of(ours) if ours.startswith("+") else None)
    return InboundMessage(
        channel=channel, account_address=ours, contact=to_e164(form["From"], region),
        provider_message_id=sid, body=form.get("Body", ""), received_at=received_at, media=media,
        contact_name=form.get("ProfileName") or None, extra=extra,
    )


def twiml(reply: str | None = None) -> str:
    if not reply:
        return '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    return f'<?xml version="1.0" encoding="UTF-8"?><Response><Message>{escape(reply)}</Message></Response>'
