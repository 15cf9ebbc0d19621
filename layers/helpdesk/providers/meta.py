"""Meta webhooks (WhatsApp Cloud API, Instagram Messaging): verification, signature, envelopes."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from helpdesk.clock import from_epoch_seconds
from helpdesk.conversation import Channel, InboundMessage, Media
from helpdesk.delivery import Report
from helpdesk.errors import BadRequest, Forbidden, Unauthorized
from helpdesk.phone import to_e164

_MEDIA_TYPES = ("image", "audio", "video", "document", "sticker")


def verify_subscription(params: dict[str, str], verify_token: str) -> str:
    """The GET handshake: the challenge to echo, or Forbidden."""
    if params.get("hub.mode") != "subscribe" or "hub.challenge" not in params:
        raise Forbidden("not a subscription request")
    if not hmac.compare_digest(params.get("hub.verify_token", "").encode("utf-8"), verify_token.encode("utf-8")):
        raise Forbidden("bad verify token")
    return params["hub.challenge"]


def subscription_answer(event: dict[str, Any], verify_token: str) -> dict[str, Any]:
    """The GET handshake as an API Gateway answer: the challenge, as plain text."""
    from helpdesk.providers import http

    return http.response(200, verify_subscription(http.query(event), verify_token), "text/plain")


def signed_json(event: dict[str, Any], app_secret: str) -> Any:
    """A notification's JSON, once its content type and signature over the raw bytes check out."""
    from helpdesk.providers import http

    http.require_content_type(event, "application/json")
    raw = http.raw_body(event)
    verify_signature(app_secret, raw, http.header(event, "x-hub-signature-256"))
    return http.json_body(raw)


def verify_signature(app_secret: str, raw: bytes, header: str | None) -> None:
    """X-Hub-Signature-256 over the raw bytes, checked before anything parses them."""
    if not header:
        raise Unauthorized("missing X-Hub-Signature-256")
    expected = "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode("utf-8")):
        raise Forbidden("bad X-Hub-Signature-256")


@dataclass(frozen=True)
class WhatsAppBatch:
    messages: list[InboundMessage]
    statuses: list[Report]  # delivery/read reports of our own messages: never stored as messages
    skipped: int = 0  # malformed elements left out: a retry of the batch cannot mend them


def _body_and_media(message: dict[str, Any]) -> tuple[str, tuple[Media, ...], dict[str, str]]:
    kind = message.get("type", "")
    extra: dict[str, str] = {"type": kind}
    if kind == "text":
        return str((message.get("text") or {}).get("body", "")), (), extra
    if kind in _MEDIA_TYPES:
        part = message.get(kind) or {}
        if not part.get("id"):
            raise BadRequest(f"{kind} message without a media id")
        # Cloud API media is fetched by id (GET /<media id>); the reference is the id itself.
        media = (Media(f"whatsapp-media:{part['id']}", part.get("mime_type")),)
        if part.get("filename"):
            extra["filename"] = str(part["filename"])
        return str(part.get("caption", "")), media, extra
    if kind == "location":
        loc = message.get("location") or {}
        text = " ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
        extra["location"] = f"{loc.get('latitude')},{loc.get('longitude')}"
        return text, (), extra
    if kind == "interactive":
        inter = message.get("interactive") or {}
        reply = inter.get("button_reply") or inter.get("list_reply") or {}
        return str(reply.get("title", "")), (), extra
    if kind == "button":
        return str((message.get("button") or {}).get("text", "")), (), extra
    if kind == "reaction":
        reaction = message.get("reaction") or {}
        extra["reacted_to"] = str(reaction.get("message_id", ""))
        return str(reaction.get("emoji", "")), (), extra
    return "", (), extra  # contacts, order, unsupported: kept as an empty message with its type


# What walking a notification of the wrong shape raises: a 400, so Meta does not retry it for days.
_MALFORMED = (AttributeError, TypeError, KeyError, ValueError, OverflowError, OSError)


def _entries(payload: Any, kind: str) -> list[Any]:
    if not isinstance(payload, dict) or payload.get("object") != kind:
        raise BadRequest(f"not a notification of {kind}")
    entries = payload.get("entry")
    if not isinstance(entries, list):
        raise BadRequest("missing entry")
    return entries


def _each(items: Any) -> list[Any]:
    """A list of the envelope (absent: empty); another shape is a malformed envelope."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError("not a list")
    return items


def _kept(batch_size: int, skipped: int, kind: str) -> None:
    """A malformed element is left out and the rest kept (Meta batches several customers' messages,
    and a retry cannot mend the bad one); a notification with nothing usable at all is a 400."""
    if skipped and not batch_size:
        raise BadRequest(f"malformed {kind} notification")


def parse_whatsapp(payload: Any, received_at: str) -> WhatsAppBatch:
    """The customer messages of a notification; an envelope of another shape is a BadRequest."""
    try:
        batch = _parse_whatsapp(_entries(payload, "whatsapp_business_account"), received_at)
    except _MALFORMED as exc:
        raise BadRequest("malformed WhatsApp notification") from exc
    _kept(len(batch.messages) + len(batch.statuses), batch.skipped, "WhatsApp")
    return batch


def _parse_whatsapp(entries: list[Any], received_at: str) -> WhatsAppBatch:
    messages: list[InboundMessage] = []
    statuses: list[Report] = []
    skipped = 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise TypeError("entry is not an object")
        for change in _each(entry.get("changes")):
            value = (change or {}).get("value") if isinstance(change, dict) else None
            if not isinstance(value, dict):
                skipped += 1
                continue
            phone_number_id = str((value.get("metadata") or {}).get("phone_number_id") or "")
            for status in _each(value.get("statuses")):
                try:
                    statuses.append(_whatsapp_status(status, phone_number_id))
                except (BadRequest, *_MALFORMED):
                    skipped += 1
            if not value.get("messages"):
                continue
            if not phone_number_id:
                skipped += len(_each(value.get("messages"))) or 1
                continue
            names = {str(c.get("wa_id")): (c.get("profile") or {}).get("name")
                     for c in _each(value.get("contacts")) if isinstance(c, dict)}
            for message in _each(value["messages"]):
                try:
                    messages.append(_whatsapp_message(message, phone_number_id, names, received_at))
                except (BadRequest, *_MALFORMED):
                    skipped += 1
    return WhatsAppBatch(messages, statuses, skipped)


def _whatsapp_status(status: Any, phone_number_id: str) -> Report:
    """`{"id": wamid, "status": "sent"|"delivered"|"read"|"failed", "errors": [{"code"}]}`."""
    if not isinstance(status, dict) or not status.get("id") or not status.get("status") or not phone_number_id:
        raise BadRequest("status without id, status or phone number id")
    errors = _each(status.get("errors"))
    code = str(errors[0].get("code")) if errors and isinstance(errors[0], dict) and errors[0].get("code") else None
    return Report(Channel.WHATSAPP, phone_number_id, str(status["id"]), str(status["status"]), code)


def _whatsapp_message(message: Any, phone_number_id: str, names: dict[str, Any],
                      received_at: str) -> InboundMessage:
    if not isinstance(message, dict) or not message.get("id") or not message.get("from"):
        raise BadRequest("message without id or from")
    body, media, extra = _body_and_media(message)
    if (message.get("context") or {}).get("id"):
        extra["context_id"] = str(message["context"]["id"])
    if message.get("timestamp"):
        try:
            extra["sent_at"] = from_epoch_seconds(int(message["timestamp"]))
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise BadRequest("bad message timestamp") from exc
    sender = str(message["from"])
    return InboundMessage(
        channel=Channel.WHATSAPP, account_address=phone_number_id, contact=to_e164(sender),
        provider_message_id=str(message["id"]), body=body, received_at=received_at, media=media,
        contact_name=names.get(sender), extra=extra,
    )


@dataclass(frozen=True)
class InstagramDelete:
    """The customer unsent a message."""

    account_address: str
    contact: str
    provider_message_id: str


@dataclass(frozen=True)
class InstagramBatch:
    messages: list[InboundMessage]
    deletes: list[InstagramDelete]
    ignored: int  # reactions, postbacks, ...: not messages
    skipped: int = 0  # malformed elements left out
    reports: list[Report] = field(default_factory=list)  # deliveries and reads of our messages


def parse_instagram(payload: Any, received_at: str) -> InstagramBatch:
    """DMs, story replies and mentions, the brand's own echoes, and deletes of a notification."""
    try:
        batch = _parse_instagram(_entries(payload, "instagram"), received_at)
    except _MALFORMED as exc:
        raise BadRequest("malformed Instagram notification") from exc
    _kept(len(batch.messages) + len(batch.deletes) + len(batch.reports) + batch.ignored, batch.skipped, "Instagram")
    return batch


def _parse_instagram(entries: list[Any], received_at: str) -> InstagramBatch:
    messages: list[InboundMessage] = []
    deletes: list[InstagramDelete] = []
    reports: list[Report] = []
    ignored = skipped = 0
    for entry in entries:
        if not isinstance(entry, dict):
            raise TypeError("entry is not an object")
        for event in _each(entry.get("messaging")):
            message = event.get("message") if isinstance(event, dict) else None
            if isinstance(event, dict) and ("read" in event or "delivery" in event):
                try:
                    reports += _instagram_reports(event)
                except (BadRequest, *_MALFORMED):
                    skipped += 1
                continue
            if not isinstance(message, dict):
                ignored += isinstance(event, dict)
                skipped += not isinstance(event, dict)
                continue
            try:
                sender, recipient = str(event["sender"]["id"]), str(event["recipient"]["id"])
                mid = message.get("mid")
                if not mid:
                    raise BadRequest("message without mid")
                echo = bool(message.get("is_echo"))
                # An echo is the brand's own message: our account sent it, the customer received it.
                ours, customer = (sender, recipient) if echo else (recipient, sender)
                if message.get("is_deleted"):
                    deletes.append(InstagramDelete(ours, customer, str(mid)))
                    continue
                messages.append(_instagram_message(message, ours, customer, echo, event, received_at))
            except (BadRequest, *_MALFORMED):
                skipped += 1
    return InstagramBatch(messages, deletes, ignored, skipped, reports)


def _instagram_reports(event: dict[str, Any]) -> list[Report]:
    """`read: {"mid"}` (a read receipt) or `delivery: {"mids": [...]}` of messages we sent: the
    customer is the sender of the event, our account its recipient. A read given only as a
    watermark names no message: nothing to apply."""
    ours = str(event["recipient"]["id"])
    if "read" in event:
        mid = (event.get("read") or {}).get("mid")
        return [Report(Channel.INSTAGRAM, ours, str(mid), "read")] if mid else []
    mids = _each((event.get("delivery") or {}).get("mids"))
    return [Report(Channel.INSTAGRAM, ours, str(mid), "delivered") for mid in mids if mid]


def _instagram_message(message: dict[str, Any], ours: str, customer: str, echo: bool, event: dict[str, Any],
                       received_at: str) -> InboundMessage:
    media: list[Media] = []
    story: dict[str, str] | None = None
    extra: dict[str, str] = {}
    for attachment in message.get("attachments") or []:
        kind = str(attachment.get("type", ""))
        url = str((attachment.get("payload") or {}).get("url", ""))
        if kind == "story_mention":
            story = {"id": str((attachment.get("payload") or {}).get("id", "")), "url": url}
            extra["kind"] = "story_mention"
        elif url:
            media.append(Media(url, kind or None))
    reply_story = (message.get("reply_to") or {}).get("story")
    if isinstance(reply_story, dict):
        story = {"id": str(reply_story.get("id", "")), "url": str(reply_story.get("url", ""))}
        extra["kind"] = "story_reply"
    reply_mid = (message.get("reply_to") or {}).get("mid")
    if reply_mid:
        extra["reply_to"] = str(reply_mid)
    if event.get("timestamp"):
        extra["sent_at"] = from_epoch_seconds(int(event["timestamp"]) / 1000)
    return InboundMessage(
        channel=Channel.INSTAGRAM, account_address=ours, contact=customer, provider_message_id=str(message["mid"]),
        body=str(message.get("text", "")), received_at=received_at, media=tuple(media), extra=extra,
        direction="outbound" if echo else "inbound", story=story,
    )

