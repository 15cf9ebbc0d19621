"""Twilio Messaging: X-Twilio-Signature, the inbound form (SMS, MMS, WhatsApp), status callbacks, TwiML."""
from __future__ import annotations

import base64
import hashlib
import hmac
import xml.etree.ElementTree as ET
from collections.abc import Callable

import pytest

from helpdesk.conversation import Channel, InboundMessage, Media
from helpdesk.errors import BadRequest, Forbidden, Unauthorized
from helpdesk.providers import twilio

TOKEN = "12345678901234567890123456789012"
URL = "https://hooks.example.test/webhooks/sms"
RECEIVED_AT = "2026-11-03T10:15:00.000Z"
SID = "SM1f0e8ae6ade43cb3c0ce4525424e404f"
ACCOUNT_SID = "AC" + "a" * 32
CUSTOMER = "+16505550123"
OURS = "+14155550100"
Pairs = list[tuple[str, str]]


def sign(token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """Twilio's documented scheme, written out: URL, then name+value for each parameter sorted by name."""
    data = url
    for name, value in sorted(pairs, key=lambda p: (p[0], p[1])):
        data += name + value
    return base64.b64encode(hmac.new(token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()).decode()


def sms_form(body: str = "Where is my order?", **extra: str) -> list[tuple[str, str]]:
    """An inbound SMS exactly as Twilio posts it (field order as on the wire)."""
    fields = {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": SID, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
        "FromZip": "94025", "SmsSid": SID, "FromState": "CA", "SmsStatus": "received", "FromCity": "MENLO PARK",
        "Body": body, "FromCountry": "US", "To": OURS, "MessagingServiceSid": "MG" + "b" * 32, "ToZip": "94105",
        "NumSegments": "1", "MessageSid": SID, "AccountSid": ACCOUNT_SID, "From": CUSTOMER,
        "ApiVersion": "2010-04-01",
    }
    fields.update(extra)
    return list(fields.items())


# --- signature -----------------------------------------------------------------------------------


def test_valid_signature_passes() -> None:
    pairs = sms_form()
    twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs))


def test_known_vector() -> None:
    """A fixed vector, computed by hand once, so the scheme cannot drift together with the helper above."""
    pairs = [("From", "+16505550123"), ("Body", "hi"), ("To", "+14155550100")]
    data = "https://hooks.example.test/webhooks/smsBodyhiFrom+16505550123To+14155550100"
    expected = base64.b64encode(hmac.new(TOKEN.encode(), data.encode(), hashlib.sha1).digest()).decode()
    twilio.verify(TOKEN, URL, pairs, expected)


def test_parameters_are_sorted_by_name_not_taken_in_wire_order() -> None:
    pairs = [("To", OURS), ("From", CUSTOMER), ("Body", "hi")]
    unsorted = URL + "".join(n + v for n, v in pairs)
    bad = base64.b64encode(hmac.new(TOKEN.encode(), unsorted.encode(), hashlib.sha1).digest()).decode()
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, pairs, bad)
    twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs))


@pytest.mark.parametrize(("signed_url", "request_url"), [
    ("https://hooks.example.test:443/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
    ("https://hooks.example.test/webhooks/sms", "https://hooks.example.test:443/webhooks/sms"),
    ("http://hooks.example.test:80/webhooks/sms", "http://hooks.example.test/webhooks/sms"),
    ("http://hooks.example.test/webhooks/sms", "http://hooks.example.test:80/webhooks/sms"),
    ("https://hooks.example.test:443/webhooks/sms?account=acme", "https://hooks.example.test/webhooks/sms?account=acme"),
])
def test_url_with_and_without_default_port(signed_url: str, request_url: str) -> None:
    pairs = sms_form()
    twilio.verify(TOKEN, request_url, pairs, sign(TOKEN, signed_url, pairs))


@pytest.mark.parametrize(("signed_url", "request_url"), [
    ("https://hooks.example.test:8443/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
    ("https://hooks.example.test:80/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
    ("http://hooks.example.test/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
    ("https://hooks.example.test/prod/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
    ("https://hooks.example.test/webhooks/sms?account=acme", "https://hooks.example.test/webhooks/sms"),
    ("https://other.example.test/webhooks/sms", "https://hooks.example.test/webhooks/sms"),
])
def test_signature_for_another_url_is_refused(signed_url: str, request_url: str) -> None:
    pairs = sms_form()
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, request_url, pairs, sign(TOKEN, signed_url, pairs))


def test_every_received_parameter_is_signed_including_unknown_ones() -> None:
    pairs = sms_form(AddOns='{"status":"successful"}', SomeFutureField="x")
    twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs))
    known_only = [p for p in pairs if p[0] not in ("AddOns", "SomeFutureField")]
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, known_only))


@pytest.mark.parametrize("tamper", [
    lambda pairs: [(n, "STOP" if n == "Body" else v) for n, v in pairs],
    lambda pairs: [(n, "+16505559999" if n == "From" else v) for n, v in pairs],
    lambda pairs: pairs + [("MediaUrl0", "https://evil.example/x.jpg")],
    lambda pairs: [p for p in pairs if p[0] != "FromCity"],
])
def test_tampered_form_is_refused(tamper: Callable[[Pairs], Pairs]) -> None:
    pairs = sms_form()
    signature = sign(TOKEN, URL, pairs)
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, tamper(pairs), signature)


def test_wrong_token_is_refused() -> None:
    pairs = sms_form()
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, pairs, sign("another-auth-token", URL, pairs))


@pytest.mark.parametrize("signature", [None, ""])
def test_missing_signature_is_unauthorized(signature: str | None) -> None:
    with pytest.raises(Unauthorized):
        twilio.verify(TOKEN, URL, sms_form(), signature)


@pytest.mark.parametrize("signature", ["garbage", "a" * 28, "é" * 28, "sig\u200bnature"])
def test_malformed_signature_is_forbidden_not_a_crash(signature: str) -> None:
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, sms_form(), signature)


def test_unicode_body_is_signed_as_utf8() -> None:
    pairs = sms_form(body="Où est ma commande ? 📦 ¿Dónde?")
    twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs))


def test_repeated_parameter_names_are_all_signed() -> None:
    pairs = sms_form() + [("Tag", "b"), ("Tag", "a")]
    twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs))
    with pytest.raises(Forbidden):
        twilio.verify(TOKEN, URL, pairs, sign(TOKEN, URL, pairs[:-1]))


# --- inbound form --------------------------------------------------------------------------------


def test_parse_inbound_sms() -> None:
    message = twilio.parse(sms_form(), RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.channel is Channel.SMS
    assert message.account_address == OURS
    assert message.contact == CUSTOMER
    assert message.provider_message_id == SID
    assert message.body == "Where is my order?"
    assert message.received_at == RECEIVED_AT
    assert message.media == ()
    assert message.automatic is False
    assert message.extra.get("NumSegments") == "1"
    assert message.extra.get("MessagingServiceSid") == "MG" + "b" * 32


def test_parse_keeps_the_body_verbatim() -> None:
    message = twilio.parse(sms_form(body="  STOP texting me\nplease  "), RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.body == "  STOP texting me\nplease  "


def test_parse_accepts_the_deprecated_smssid_alone() -> None:
    pairs = [(n, v) for n, v in sms_form() if n not in ("MessageSid", "SmsMessageSid")]
    message = twilio.parse(pairs, RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.provider_message_id == SID


def test_parse_mms_keeps_every_media_reference_in_order() -> None:
    base = "https://api.twilio.com/2010-04-01/Accounts/" + ACCOUNT_SID + "/Messages/" + SID + "/Media/"
    pairs = sms_form(
        body="", NumMedia="3",
        MediaUrl0=base + "ME0", MediaContentType0="image/jpeg",
        MediaUrl1=base + "ME1", MediaContentType1="video/mp4",
        MediaUrl2=base + "ME2", MediaContentType2="application/pdf",
    )
    message = twilio.parse(pairs, RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.media == (
        Media(base + "ME0", "image/jpeg"), Media(base + "ME1", "video/mp4"), Media(base + "ME2", "application/pdf"),
    )
    assert message.body == ""


def test_parse_media_with_a_caption() -> None:
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/SM1/Media/ME1"
    message = twilio.parse(sms_form(body="the box arrived like this", NumMedia="1", MediaUrl0=url,
                                    MediaContentType0="image/png"), RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.media == (Media(url, "image/png"),)
    assert message.body == "the box arrived like this"


@pytest.mark.parametrize("num_media", ["x", "1.5", "-"])
def test_non_numeric_num_media_is_a_bad_request(num_media: str) -> None:
    with pytest.raises(BadRequest):
        twilio.parse(sms_form(NumMedia=num_media), RECEIVED_AT)


def test_parse_whatsapp_through_twilio() -> None:
    pairs = [
        ("SmsMessageSid", SID), ("NumMedia", "0"), ("ProfileName", "Kim Lee"), ("MessageType", "text"),
        ("SmsSid", SID), ("WaId", "16505550123"), ("SmsStatus", "received"), ("Body", "hello"),
        ("To", "whatsapp:+14155238886"), ("NumSegments", "1"), ("ReferralNumMedia", "0"), ("MessageSid", SID),
        ("AccountSid", ACCOUNT_SID), ("From", "whatsapp:+16505550123"), ("ApiVersion", "2010-04-01"),
    ]
    message = twilio.parse(pairs, RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.channel is Channel.WHATSAPP
    assert message.contact == "+16505550123"
    assert message.account_address == "+14155238886"
    assert message.contact_name == "Kim Lee"
    assert message.body == "hello"


def test_whatsapp_quick_reply_button_text_is_kept() -> None:
    pairs = [("MessageSid", SID), ("SmsStatus", "received"), ("From", "whatsapp:+16505550123"),
             ("To", "whatsapp:+14155238886"), ("Body", "Track my order"), ("ButtonText", "Track my order"),
             ("ButtonPayload", "track"), ("NumMedia", "0"), ("AccountSid", ACCOUNT_SID)]
    message = twilio.parse(pairs, RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.extra.get("ButtonText") == "Track my order"


def test_sms_to_a_short_code() -> None:
    message = twilio.parse(sms_form(To="898211"), RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.account_address == "898211"


def test_missing_body_is_an_empty_message() -> None:
    message = twilio.parse([p for p in sms_form() if p[0] != "Body"], RECEIVED_AT)
    assert isinstance(message, InboundMessage)
    assert message.body == ""


@pytest.mark.parametrize("drop", [("From",), ("To",), ("MessageSid", "SmsSid", "SmsMessageSid")])
def test_missing_required_fields_are_a_bad_request(drop: tuple[str, ...]) -> None:
    with pytest.raises(BadRequest):
        twilio.parse([p for p in sms_form() if p[0] not in drop], RECEIVED_AT)


def test_unparseable_sender_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        twilio.parse(sms_form(From="not-a-number"), RECEIVED_AT)


# --- status callbacks ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["queued", "sending", "sent", "delivered", "undelivered", "failed", "read"])
def test_status_callbacks_are_not_customer_messages(status: str) -> None:
    pairs = [("SmsSid", SID), ("SmsStatus", status), ("MessageStatus", status), ("To", CUSTOMER),
             ("MessagingServiceSid", "MG" + "b" * 32), ("MessageSid", SID), ("AccountSid", ACCOUNT_SID),
             ("From", OURS), ("ApiVersion", "2010-04-01")]
    parsed = twilio.parse(pairs, RECEIVED_AT)
    assert parsed == twilio.StatusCallback(SID, status, OURS)
    assert parsed.report().channel is Channel.SMS and parsed.report().account_address == OURS


def test_status_callback_with_only_message_status() -> None:
    pairs = [("MessageSid", SID), ("MessageStatus", "delivered"), ("AccountSid", ACCOUNT_SID)]
    assert twilio.parse(pairs, RECEIVED_AT) == twilio.StatusCallback(SID, "delivered")


def test_status_callback_with_only_sms_status_and_error_code() -> None:
    pairs = [("SmsSid", SID), ("SmsStatus", "undelivered"), ("ErrorCode", "30003"), ("AccountSid", ACCOUNT_SID),
             ("From", OURS), ("To", CUSTOMER)]
    parsed = twilio.parse(pairs, RECEIVED_AT)
    assert parsed == twilio.StatusCallback(SID, "undelivered", OURS, "30003")
    assert parsed.report().state == "failed" and "unreachable" in str(parsed.report().error)


def test_whatsapp_read_receipt_through_twilio_is_a_status_callback() -> None:
    pairs = [("MessageSid", SID), ("SmsSid", SID), ("MessageStatus", "read"), ("SmsStatus", "read"),
             ("ChannelToAddress", "+16505550123"), ("From", "whatsapp:+14155238886"),
             ("To", "whatsapp:+16505550123"), ("AccountSid", ACCOUNT_SID)]
    parsed = twilio.parse(pairs, RECEIVED_AT)
    assert parsed == twilio.StatusCallback(SID, "read", "+14155238886", None, whatsapp=True)
    assert parsed.report().channel is Channel.WHATSAPP and parsed.report().state == "read"


@pytest.mark.parametrize("status", ["received", "RECEIVED", "Received"])
def test_received_status_is_an_inbound_message(status: str) -> None:
    pairs = [(n, status if n == "SmsStatus" else v) for n, v in sms_form()]
    assert isinstance(twilio.parse(pairs, RECEIVED_AT), InboundMessage)


def test_status_callback_without_a_sid_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        twilio.parse([("MessageStatus", "delivered"), ("AccountSid", ACCOUNT_SID)], RECEIVED_AT)


# --- TwiML ---------------------------------------------------------------------------------------


def test_empty_twiml_is_a_bare_response() -> None:
    root = ET.fromstring(twilio.twiml())
    assert root.tag == "Response"
    assert list(root) == []
    assert twilio.twiml("") == twilio.twiml()


def test_twiml_reply_is_escaped_xml() -> None:
    reply = 'Reply <STOP> to opt out & "HELP" for help'
    root = ET.fromstring(twilio.twiml(reply))
    assert root.tag == "Response"
    messages = root.findall("Message")
    assert len(messages) == 1
    assert messages[0].text == reply


def test_twiml_content_type_is_xml() -> None:
    assert twilio.TWIML_CONTENT_TYPE in ("text/xml", "application/xml")
