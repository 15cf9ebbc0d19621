"""Meta WhatsApp Cloud API: the GET handshake, X-Hub-Signature-256, and the notification envelope."""
from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
from typing import Any

import pytest

from helpdesk.conversation import Channel, Media
from helpdesk.errors import BadRequest, Forbidden, Unauthorized
from helpdesk.providers import meta

APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY_TOKEN = "meta-verify-token"
RECEIVED_AT = "2026-11-03T10:15:00.000Z"
PHONE_NUMBER_ID = "106540352242922"
WA_ID = "16505551234"
WAMID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="
TIMESTAMP = "1749416383"


def sent_at(ts: str) -> str:
    return dt.datetime.fromtimestamp(int(ts), dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def envelope(*messages: dict[str, Any], statuses: list[dict[str, Any]] | None = None,
             name: str = "Sheena Nelson") -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": WA_ID}]
        value["messages"] = list(messages)
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def message(kind: str, content: dict[str, Any] | None = None, *, id: str = WAMID, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"from": WA_ID, "id": id, "timestamp": TIMESTAMP, "type": kind}
    if content is not None:
        m[kind] = content
    m.update(extra)
    return m


def status(state: str, id: str = "wamid.out1") -> dict[str, Any]:
    return {"id": id, "status": state, "timestamp": TIMESTAMP, "recipient_id": WA_ID,
            "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
            "pricing": {"billable": True, "pricing_model": "PMP", "category": "service"}}


# --- GET verification ----------------------------------------------------------------------------


def test_subscription_answers_the_challenge() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
    assert meta.verify_subscription(params, VERIFY_TOKEN) == "1158201444"


@pytest.mark.parametrize("params", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN},
    {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN.upper(), "hub.challenge": "1"},
    {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN + " ", "hub.challenge": "1"},
    {},
])
def test_subscription_refused(params: dict[str, str]) -> None:
    with pytest.raises(Forbidden):
        meta.verify_subscription(params, VERIFY_TOKEN)


@pytest.mark.parametrize("token", ["clé", "токен", "meta-verify-token\u200b"])
def test_non_ascii_verify_token_is_forbidden_not_a_crash(token: str) -> None:
    with pytest.raises(Forbidden):
        meta.verify_subscription({"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1"},
                                 VERIFY_TOKEN)


# --- signature -----------------------------------------------------------------------------------


def signature(raw: bytes, secret: str = APP_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def test_valid_signature_over_the_raw_bytes() -> None:
    raw = json.dumps(envelope(message("text", {"body": "hi"}))).encode()
    meta.verify_signature(APP_SECRET, raw, signature(raw))


def test_signature_is_over_the_exact_bytes_not_the_json_value() -> None:
    payload = envelope(message("text", {"body": "héllo"}))
    compact = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
    spaced = json.dumps(payload, indent=2).encode()
    meta.verify_signature(APP_SECRET, compact, signature(compact))
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, spaced, signature(compact))


def test_known_vector() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    expected = "sha256=" + hmac.new(b"0123456789abcdef0123456789abcdef", raw, hashlib.sha256).hexdigest()
    meta.verify_signature(APP_SECRET, raw, expected)


@pytest.mark.parametrize("header", [
    "sha256=" + "0" * 64,
    "sha1=" + "0" * 40,
    "garbage",
    "sha256=",
])
def test_bad_signature_is_forbidden(header: str) -> None:
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, b'{"object":"whatsapp_business_account"}', header)


def test_signature_without_the_prefix_is_forbidden() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, raw, signature(raw).removeprefix("sha256="))


def test_signature_with_another_secret_is_forbidden() -> None:
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, raw, signature(raw, "another-secret"))


def test_signature_of_a_tampered_body_is_forbidden() -> None:
    raw = json.dumps(envelope(message("text", {"body": "hi"}))).encode()
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, raw.replace(b"hi", b"STOP"), signature(raw))


@pytest.mark.parametrize("header", [None, ""])
def test_missing_signature_is_unauthorized(header: str | None) -> None:
    with pytest.raises(Unauthorized):
        meta.verify_signature(APP_SECRET, b"{}", header)


@pytest.mark.parametrize("header", ["sha256=" + "é" * 64, "sha256=ünicode"])
def test_non_ascii_signature_header_is_forbidden_not_a_crash(header: str) -> None:
    with pytest.raises(Forbidden):
        meta.verify_signature(APP_SECRET, b"{}", header)


# --- envelope ------------------------------------------------------------------------------------


def parse_one(m: dict[str, Any]) -> Any:
    batch = meta.parse_whatsapp(envelope(m), RECEIVED_AT)
    assert len(batch.messages) == 1
    assert batch.statuses == []
    return batch.messages[0]


def test_text_message() -> None:
    msg = parse_one(message("text", {"body": "Does it come in another color?"}))
    assert msg.channel is Channel.WHATSAPP
    assert msg.account_address == PHONE_NUMBER_ID
    assert msg.contact == "+" + WA_ID
    assert msg.contact_name == "Sheena Nelson"
    assert msg.provider_message_id == WAMID
    assert msg.body == "Does it come in another color?"
    assert msg.received_at == RECEIVED_AT
    assert msg.media == ()
    assert msg.extra["type"] == "text"
    assert msg.extra["sent_at"] == sent_at(TIMESTAMP)


def test_image_message_keeps_its_media_reference_and_caption() -> None:
    msg = parse_one(message("image", {"caption": "the box is crushed", "mime_type": "image/jpeg",
                                      "sha256": "KWpM4sX2ZMCzGy9xQmGJXmNqb4y2WxY0d3bL1o2QbNw=",
                                      "id": "1003383421387256"}))
    assert msg.body == "the box is crushed"
    assert len(msg.media) == 1
    assert "1003383421387256" in msg.media[0].url
    assert msg.media[0].content_type == "image/jpeg"
    assert msg.extra["type"] == "image"


def test_document_message_keeps_filename() -> None:
    msg = parse_one(message("document", {"caption": "my receipt", "filename": "receipt-1042.pdf",
                                         "mime_type": "application/pdf", "sha256": "abc=", "id": "2094478404243916"}))
    assert msg.body == "my receipt"
    assert len(msg.media) == 1
    assert "2094478404243916" in msg.media[0].url
    assert msg.media[0].content_type == "application/pdf"
    assert msg.extra["filename"] == "receipt-1042.pdf"


@pytest.mark.parametrize(("kind", "content"), [
    ("audio", {"mime_type": "audio/ogg; codecs=opus", "sha256": "x=", "id": "555", "voice": True}),
    ("video", {"mime_type": "video/mp4", "sha256": "x=", "id": "556"}),
    ("sticker", {"mime_type": "image/webp", "sha256": "x=", "id": "557", "animated": False}),
])
def test_other_media_messages_keep_their_reference(kind: str, content: dict[str, Any]) -> None:
    msg = parse_one(message(kind, content))
    assert [m.content_type for m in msg.media] == [content["mime_type"]]
    assert content["id"] in msg.media[0].url
    assert isinstance(msg.media[0], Media)


def test_media_message_without_an_id_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        meta.parse_whatsapp(envelope(message("image", {"mime_type": "image/jpeg"})), RECEIVED_AT)


def test_location_message() -> None:
    msg = parse_one(message("location", {"address": "1 Hacker Way, Menlo Park, CA 94025", "latitude": 37.483307,
                                         "longitude": -122.148981, "name": "Main Street Beach",
                                         "url": "https://example.com"}))
    assert "Main Street Beach" in msg.body
    assert "1 Hacker Way, Menlo Park, CA 94025" in msg.body
    assert msg.extra["location"] == "37.483307,-122.148981"
    assert msg.media == ()


@pytest.mark.parametrize("interactive", [
    {"type": "button_reply", "button_reply": {"id": "track-order", "title": "Track my order"}},
    {"type": "list_reply", "list_reply": {"id": "row-1", "title": "Track my order", "description": "Where is it"}},
])
def test_interactive_replies_carry_the_chosen_title(interactive: dict[str, Any]) -> None:
    msg = parse_one(message("interactive", interactive, context={"from": "15550783881", "id": "wamid.ours"}))
    assert msg.body == "Track my order"
    assert msg.extra["type"] == "interactive"
    assert msg.extra["context_id"] == "wamid.ours"


def test_template_quick_reply_button() -> None:
    msg = parse_one(message("button", {"text": "No", "payload": "No-Button-Payload"},
                            context={"from": "15550783881", "id": "wamid.template"}))
    assert msg.body == "No"
    assert msg.extra["context_id"] == "wamid.template"


def test_reaction() -> None:
    msg = parse_one(message("reaction", {"message_id": "wamid.reacted", "emoji": "\U0001F44D"}))
    assert msg.body == "\U0001F44D"
    assert msg.extra["reacted_to"] == "wamid.reacted"
    assert msg.extra["type"] == "reaction"


def test_unsupported_message_is_kept_empty_with_its_type() -> None:
    msg = parse_one(message("unsupported", None, errors=[
        {"code": 131051, "title": "Message type unknown", "message": "Message type unknown",
         "error_data": {"details": "Message type is currently not supported."}}]))
    assert msg.body == ""
    assert msg.media == ()
    assert msg.extra["type"] == "unsupported"
    assert msg.provider_message_id == WAMID


def test_reply_context_id_is_kept() -> None:
    msg = parse_one(message("text", {"body": "this one"},
                            context={"from": "15550783881", "id": "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1QjJGRjI"}))
    assert msg.extra["context_id"] == "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1QjJGRjI"


def test_message_without_context_has_no_context_id() -> None:
    assert "context_id" not in parse_one(message("text", {"body": "hi"})).extra


def test_statuses_are_delivery_reports_not_messages() -> None:
    batch = meta.parse_whatsapp(envelope(statuses=[status("sent"), status("delivered"), status("read")]),
                                RECEIVED_AT)
    assert batch.messages == []
    assert [(r.channel, r.account_address, r.status, r.state) for r in batch.statuses] == [
        (Channel.WHATSAPP, PHONE_NUMBER_ID, "sent", "sent"),
        (Channel.WHATSAPP, PHONE_NUMBER_ID, "delivered", "delivered"),
        (Channel.WHATSAPP, PHONE_NUMBER_ID, "read", "read")]


def test_failed_status_carries_its_error() -> None:
    failed = status("failed")
    failed["errors"] = [{"code": 131047, "title": "Re-engagement message"}]
    batch = meta.parse_whatsapp(envelope(statuses=[failed]), RECEIVED_AT)
    [report] = batch.statuses
    assert (batch.messages, report.state, report.error_code) == ([], "failed", "131047")
    assert "24-hour" in str(report.error)


def test_status_without_id_is_skipped() -> None:
    broken = status("sent")
    del broken["id"]
    batch = meta.parse_whatsapp(envelope(message("text", {"body": "hi"}), statuses=[broken]), RECEIVED_AT)
    assert (len(batch.messages), batch.statuses, batch.skipped) == (1, [], 1)


def test_messages_and_statuses_together() -> None:
    payload = envelope(message("text", {"body": "hi"}), statuses=[status("read")])
    batch = meta.parse_whatsapp(payload, RECEIVED_AT)
    assert [m.body for m in batch.messages] == ["hi"]
    assert len(batch.statuses) == 1


def test_several_messages_entries_and_changes() -> None:
    payload = envelope(message("text", {"body": "one"}, id="wamid.1"), message("text", {"body": "two"}, id="wamid.2"))
    second = copy.deepcopy(payload["entry"][0])
    value = second["changes"][0]["value"]
    value["metadata"]["phone_number_id"] = "999000111222333"
    value["contacts"] = [{"profile": {"name": "Ana"}, "wa_id": "447700900123"}]
    value["messages"] = [{"from": "447700900123", "id": "wamid.3", "timestamp": TIMESTAMP, "type": "text",
                          "text": {"body": "three"}}]
    payload["entry"].append(second)
    batch = meta.parse_whatsapp(payload, RECEIVED_AT)
    assert [(m.provider_message_id, m.body, m.account_address, m.contact, m.contact_name) for m in batch.messages] == [
        ("wamid.1", "one", PHONE_NUMBER_ID, "+" + WA_ID, "Sheena Nelson"),
        ("wamid.2", "two", PHONE_NUMBER_ID, "+" + WA_ID, "Sheena Nelson"),
        ("wamid.3", "three", "999000111222333", "+447700900123", "Ana"),
    ]


def test_contact_without_a_profile_has_no_name() -> None:
    payload = envelope(message("text", {"body": "hi"}))
    payload["entry"][0]["changes"][0]["value"]["contacts"] = [{"wa_id": WA_ID}]
    assert meta.parse_whatsapp(payload, RECEIVED_AT).messages[0].contact_name is None


def test_non_message_fields_are_ignored() -> None:
    payload = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "message_template_status_update",
         "value": {"event": "APPROVED", "message_template_id": 123, "message_template_name": "order_update"}}]}]}
    batch = meta.parse_whatsapp(payload, RECEIVED_AT)
    assert (batch.messages, batch.statuses) == ([], [])


def _without_phone_number_id() -> dict[str, Any]:
    p = envelope(message("text", {"body": "hi"}))
    del p["entry"][0]["changes"][0]["value"]["metadata"]
    return p


def _with_message(**fields: Any) -> dict[str, Any]:
    m = message("text", {"body": "hi"})
    for key, value in fields.items():
        if value is None:
            m.pop(key)
        else:
            m[key] = value
    return envelope(m)


MALFORMED: dict[str, Any] = {
    "not an object": [],
    "a string": "whatsapp",
    "null": None,
    "wrong object": {"object": "instagram", "entry": []},
    "page object": {"object": "page", "entry": []},
    "no object": {"entry": []},
    "no entry": {"object": "whatsapp_business_account"},
    "entry not a list": {"object": "whatsapp_business_account", "entry": {"changes": []}},
    "entry item not an object": {"object": "whatsapp_business_account", "entry": ["x"]},
    "changes not a list": {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": "x"}]},
    "value not an object": {"object": "whatsapp_business_account",
                            "entry": [{"id": "1", "changes": [{"field": "messages", "value": "x"}]}]},
    "statuses not a list": {"object": "whatsapp_business_account",
                            "entry": [{"id": "1", "changes": [{"field": "messages", "value": {"statuses": 5}}]}]},
    "metadata not an object": {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [
        {"field": "messages", "value": {"metadata": "x", "messages": [message("text", {"body": "hi"})]}}]}]},
    "no phone_number_id": _without_phone_number_id(),
    "message not an object": envelope("x"),  # type: ignore[arg-type]
    "message without id": _with_message(id=None),
    "message without from": _with_message(**{"from": None}),
    "bad timestamp": _with_message(timestamp="yesterday"),
    "text not an object": _with_message(text="hi"),
    "sender not a phone number": _with_message(**{"from": "abc"}),
}


@pytest.mark.parametrize("payload", list(MALFORMED.values()), ids=list(MALFORMED))
def test_malformed_envelopes_are_bad_requests(payload: Any) -> None:
    with pytest.raises(BadRequest):
        meta.parse_whatsapp(copy.deepcopy(payload), RECEIVED_AT)
