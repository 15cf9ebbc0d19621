"""Mailgun inbound routes: signature, urlencoded and multipart forms, body-mime, MIME rebuilt from fields."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from helpdesk.errors import BadRequest, Forbidden, Unauthorized, UnsupportedMediaType
from helpdesk.providers import mailgun
from helpdesk.providers.email import parse_mime

KEY = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0"
NOW = 1_795_000_000.0
TS = str(int(NOW))
TOKEN = "c2a4a5d1e0b44b5f9a1f7a0c3e1d2b9f8e7d6c5b4a39281706"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
                       "JRU5ErkJggg==")
BINARY = bytes(range(256)) + b"\r\n--not-the-boundary\r\n" + b"\r\r\n\n\x00"
MESSAGE_HEADERS = [
    ["Received", "from mail-oi1-f170.google.com by mxa.mailgun.org with ESMTP"],
    ["Mime-Version", "1.0"],
    ["From", "=?UTF-8?B?7ZmN6ri464+Z?= <Hong@Example.kr>"],
    ["Date", "Wed, 25 Nov 2026 15:00:00 +0900"],
    ["Message-Id", "<CAF=ko-42@mail.gmail.com>"],
    ["In-Reply-To", "<out-7@shop.test>"],
    ["References", "<first@example.kr> <out-7@shop.test>"],
    ["Subject", "=?UTF-8?B?" + base64.b64encode("Re: 배송 문의".encode()).decode() + "?="],
    ["To", "Shop <support+t7k2m@shop.test>"],
    ["Content-Type", "multipart/alternative; boundary=\"000000000000abc\""],
]


def sign(key: str, timestamp: str, token: str) -> str:
    """Mailgun's documented scheme, written out: hex HMAC-SHA256 of timestamp + token under the signing key."""
    return hmac.new(key.encode(), msg=(timestamp + token).encode(), digestmod=hashlib.sha256).hexdigest()


# --- signature ------------------------------------------------------------------------------------


def test_valid_signature_passes() -> None:
    mailgun.verify(KEY, TS, TOKEN, sign(KEY, TS, TOKEN), now=NOW)


def test_uppercase_hex_and_surrounding_space_pass() -> None:
    mailgun.verify(KEY, TS, TOKEN, " " + sign(KEY, TS, TOKEN).upper() + "\n", now=NOW)


def test_known_vector() -> None:
    """A fixed vector, so the scheme cannot drift together with the helper above."""
    expected = hmac.new(b"key", b"1795000000" + b"tok", hashlib.sha256).hexdigest()
    mailgun.verify("key", "1795000000", "tok", expected, now=1_795_000_000)
    with pytest.raises(Forbidden):  # token + timestamp is not the scheme
        mailgun.verify("key", "1795000000", "tok",
                       hmac.new(b"key", b"tok1795000000", hashlib.sha256).hexdigest(), now=1_795_000_000)


@pytest.mark.parametrize("timestamp, token, signature", [
    (None, TOKEN, "x"), ("", TOKEN, "x"), (TS, None, "x"), (TS, "", "x"), (TS, TOKEN, None), (TS, TOKEN, ""),
])
def test_missing_fields_are_unauthorized(timestamp: str | None, token: str | None, signature: str | None) -> None:
    with pytest.raises(Unauthorized):
        mailgun.verify(KEY, timestamp, token, signature, now=NOW)


GOOD = sign(KEY, TS, TOKEN)
FLIPPED = GOOD[:-1] + ("1" if GOOD.endswith("0") else "0")


@pytest.mark.parametrize("signature", [
    sign("another-key", TS, TOKEN), GOOD[:-1], FLIPPED, "zz" * 32, "서명" * 32, "é" + GOOD[1:], GOOD + "00",
])
def test_bad_signature_is_forbidden(signature: str) -> None:
    with pytest.raises(Forbidden) as caught:
        mailgun.verify(KEY, TS, TOKEN, signature, now=NOW)
    assert caught.value.reason == "bad Mailgun signature"


def test_signature_over_another_token_is_forbidden() -> None:
    with pytest.raises(Forbidden):
        mailgun.verify(KEY, TS, TOKEN + "x", sign(KEY, TS, TOKEN), now=NOW)


def test_non_ascii_token_is_signed_over_utf8() -> None:
    token = "토큰-" + TOKEN
    mailgun.verify(KEY, TS, token, sign(KEY, TS, token), now=NOW)


@pytest.mark.parametrize("age", [301, -301, 86_400, -86_400])
def test_stale_or_future_timestamp_is_forbidden(age: int) -> None:
    timestamp = str(int(NOW) - age)
    with pytest.raises(Forbidden) as caught:
        mailgun.verify(KEY, timestamp, TOKEN, sign(KEY, timestamp, TOKEN), now=NOW)
    assert caught.value.reason == "stale timestamp"


@pytest.mark.parametrize("age", [0, 299, 300, -300])
def test_timestamp_within_five_minutes_passes(age: int) -> None:
    timestamp = str(int(NOW) - age)
    mailgun.verify(KEY, timestamp, TOKEN, sign(KEY, timestamp, TOKEN), now=NOW)


@pytest.mark.parametrize("timestamp", ["1795000000.5", "nan", "-1", "١٧٩٥٠٠٠٠٠٠"])
def test_signed_but_non_numeric_timestamp_is_forbidden(timestamp: str) -> None:
    with pytest.raises(Forbidden) as caught:
        mailgun.verify(KEY, timestamp, TOKEN, sign(KEY, timestamp, TOKEN), now=NOW)
    assert caught.value.reason == "bad timestamp"


# --- forms ----------------------------------------------------------------------------------------


def route_fields(**extra: str) -> dict[str, str]:
    fields = {
        "recipient": "support+t7k2m@shop.test",
        "sender": "hong@example.kr",
        "from": "홍길동 <Hong@Example.kr>",
        "subject": "Re: 배송 문의",
        "body-plain": "주소를 바꿔 주세요.\n\n> 이전 메일\n",
        "stripped-text": "주소를 바꿔 주세요.",
        "body-html": "<div>주소를 바꿔 주세요.</div><blockquote>이전 메일</blockquote><script>x()</script>",
        "message-headers": json.dumps(MESSAGE_HEADERS),
        "Message-Id": "<CAF=ko-42@mail.gmail.com>",
        "timestamp": TS,
        "token": TOKEN,
        "signature": sign(KEY, TS, TOKEN),
    }
    fields.update(extra)
    return fields


def multipart(fields: dict[str, str | bytes], files: list[tuple[str, str, str, bytes]],
              boundary: str = "----WebKitFormBoundary7MA4YWxkTrZu0gW") -> tuple[str, bytes]:
    """A multipart/form-data body written byte by byte as a browser (or Mailgun) sends it."""
    body = b""
    for name, value in fields.items():
        data = value if isinstance(value, bytes) else value.encode("utf-8")
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n").encode() + data + b"\r\n"
    for name, filename, content_type, content in files:
        body += (f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n"
                 f"Content-Type: {content_type}\r\n\r\n").encode() + content + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f"multipart/form-data; boundary={boundary}", body


def test_urlencoded_form() -> None:
    body = urllib.parse.urlencode(route_fields()).encode()
    form = mailgun.parse_form("application/x-www-form-urlencoded; charset=utf-8", body)
    assert form.recipient == "support+t7k2m@shop.test"
    assert form.sender == "hong@example.kr"
    assert form.from_ == "홍길동 <Hong@Example.kr>"
    assert form.subject == "Re: 배송 문의"
    assert form.body_plain == "주소를 바꿔 주세요.\n\n> 이전 메일\n"
    assert form.stripped_text == "주소를 바꿔 주세요."
    assert form.message_id == "<CAF=ko-42@mail.gmail.com>"
    assert (form.timestamp, form.token, form.signature) == (TS, TOKEN, sign(KEY, TS, TOKEN))
    assert form.message_headers[2] == ("From", "=?UTF-8?B?7ZmN6ri464+Z?= <Hong@Example.kr>")
    assert form.body_mime is None and form.attachments == []
    mailgun.verify(KEY, form.timestamp, form.token, form.signature, now=NOW)


def test_multipart_form_with_attachments_as_a_browser_sends_it() -> None:
    fields: dict[str, str | bytes] = dict(route_fields(**{"attachment-count": "2",
                                                          "content-id-map": json.dumps({"<img1@x>": "attachment-2"})}))
    ctype, body = multipart(fields, [("attachment-2", "사진.png", "image/png", PNG),
                                     ("attachment-1", "data.bin", "application/octet-stream", BINARY)])
    form = mailgun.parse_form(ctype, body)
    assert form.subject == "Re: 배송 문의"
    assert form.body_html is not None and form.body_html.startswith("<div>주소를")
    assert [(a.filename, a.content_type, a.inline, a.content_id) for a in form.attachments] == [
        ("data.bin", "application/octet-stream", False, None),
        ("사진.png", "image/png", True, "img1@x"),
    ]
    assert form.attachments[0].content == BINARY  # byte for byte, CR and LF included
    assert form.attachments[1].content == PNG
    assert form.fields["attachment-count"] == "2"


def email_mime_form(*files: MIMEApplication) -> bytes:
    """The route's fields as a form-data body built by the email package (text parts in base64, LF
    line ends), then `files`: the body without the envelope's own headers."""
    root = MIMEMultipart("form-data", boundary="mgboundary")
    for name, value in route_fields().items():
        part = MIMEText(value, "plain", "utf-8")
        part.add_header("Content-Disposition", "form-data", name=name)
        root.attach(part)
    for file in files:
        root.attach(file)
    return root.as_bytes().split(b"\n\n", 1)[1]


def test_multipart_form_built_with_email_mime() -> None:
    pdf = MIMEApplication(b"%PDF-1.4 receipt", "pdf")
    pdf.add_header("Content-Disposition", "form-data", name="attachment-1", filename="receipt.pdf")
    body = email_mime_form(pdf)
    form = mailgun.parse_form("multipart/form-data; boundary=mgboundary", body)
    assert form.subject == "Re: 배송 문의"
    assert [(a.filename, a.content) for a in form.attachments] == [("receipt.pdf", b"%PDF-1.4 receipt")]


def test_body_mime_route_multipart() -> None:
    original = ("From: =?UTF-8?B?7ZmN6ri464+Z?= <hong@example.kr>\r\nTo: support@shop.test\r\n"
                "Subject: =?EUC-KR?B?" + base64.b64encode("배송 문의".encode("euc-kr")).decode() + "?=\r\n"
                "Message-ID: <raw-1@example.kr>\r\nContent-Type: text/plain; charset=euc-kr\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n").encode() + "주소를 바꿔 주세요.\r\n".encode("euc-kr")
    fields: dict[str, str | bytes] = {"recipient": "support@shop.test", "sender": "hong@example.kr",
                                      "body-mime": original, "timestamp": TS, "token": TOKEN,
                                      "signature": sign(KEY, TS, TOKEN)}
    ctype, body = multipart(fields, [])
    form = mailgun.parse_form(ctype, body)
    assert form.body_mime == original
    assert "body-mime" not in form.fields
    assert mailgun.to_mime(form) == original
    parsed = parse_mime(mailgun.to_mime(form))
    assert parsed.subject == "배송 문의"
    assert parsed.text == "주소를 바꿔 주세요."
    assert parsed.message_id == "raw-1@example.kr"


def test_body_mime_route_urlencoded_keeps_raw_bytes() -> None:
    original = (b"From: a@example.com\r\nSubject: hi\r\nContent-Type: text/plain; charset=euc-kr\r\n\r\n"
                b"\xc1\xd6\xb9\xae+&=%\r\n")
    body = urllib.parse.urlencode({"body-mime": original, "timestamp": TS}).encode()
    form = mailgun.parse_form("application/x-www-form-urlencoded", body)
    assert form.body_mime == original
    assert parse_mime(mailgun.to_mime(form)).text == "주문+&=%"


def test_rebuilt_mime_round_trips_through_parse_mime() -> None:
    fields: dict[str, str | bytes] = dict(route_fields(**{"content-id-map": json.dumps({"<img1@x>": "attachment-2"})}))
    ctype, body = multipart(fields, [("attachment-1", "영수증.pdf", "application/pdf", b"%PDF-1.4 receipt"),
                                     ("attachment-2", "photo.png", "image/png", PNG)])
    parsed = parse_mime(mailgun.to_mime(mailgun.parse_form(ctype, body)))
    assert parsed.from_address == "hong@example.kr" and parsed.from_name == "홍길동"
    assert parsed.subject == "Re: 배송 문의"
    assert parsed.message_id == "CAF=ko-42@mail.gmail.com"
    assert parsed.in_reply_to == ["out-7@shop.test"]
    assert parsed.references == ["first@example.kr", "out-7@shop.test"]
    assert parsed.to == ["support+t7k2m@shop.test"]
    assert parsed.date == "2026-11-25T06:00:00.000Z"
    assert parsed.text == "주소를 바꿔 주세요."
    assert parsed.full_text == "주소를 바꿔 주세요.\n\n> 이전 메일"
    assert parsed.html is not None and "<blockquote>이전 메일</blockquote>" in parsed.html
    assert "script" not in parsed.html
    assert [(a.filename, a.content_type, a.inline, a.content_id, a.content) for a in parsed.attachments] == [
        ("photo.png", "image/png", True, "img1@x", PNG),
        ("영수증.pdf", "application/pdf", False, None, b"%PDF-1.4 receipt"),
    ]


def test_rebuilt_mime_without_message_headers_uses_the_fields() -> None:
    fields = route_fields()
    del fields["message-headers"]
    form = mailgun.parse_form("application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode())
    parsed = parse_mime(mailgun.to_mime(form))
    assert parsed.from_address == "hong@example.kr"
    assert parsed.to == ["support+t7k2m@shop.test"]
    assert parsed.subject == "Re: 배송 문의"
    assert parsed.message_id == "CAF=ko-42@mail.gmail.com"
    assert parsed.text == "주소를 바꿔 주세요."


def test_html_only_fields_rebuild_an_html_message() -> None:
    fields = route_fields()
    del fields["body-plain"]
    form = mailgun.parse_form("application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode())
    parsed = parse_mime(mailgun.to_mime(form))
    assert parsed.text == "주소를 바꿔 주세요."
    assert parsed.html is not None and "x()" not in parsed.html


@pytest.mark.parametrize("html", [None, "<p>Delivery failed</p>"])
def test_rebuilt_bounce_stays_a_delivery_report(html: str | None) -> None:
    headers = [["From", "Mail Delivery Subsystem <mailer@mx.example.net>"], ["To", "support@shop.test"],
               ["Content-Type", 'multipart/report; report-type=delivery-status; boundary="b1"']]
    fields = {"message-headers": json.dumps(headers), "body-plain": "Delivery to jane@example.com failed."}
    if html:
        fields["body-html"] = html
    form = mailgun.parse_form("application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode())
    parsed = parse_mime(mailgun.to_mime(form))
    assert parsed.automatic_reason == "delivery report"
    assert parsed.text == "Delivery to jane@example.com failed."


def test_header_injection_in_message_headers_stays_one_header() -> None:
    headers = [["From", "a@example.com"], ["Subject", "hello\r\nBcc: victim@example.com"]]
    fields = {"message-headers": json.dumps(headers), "body-plain": "hi"}
    form = mailgun.parse_form("application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode())
    data = mailgun.to_mime(form)
    assert b"\r\nBcc:" not in data
    assert parse_mime(data).subject == "hello Bcc: victim@example.com"


def test_duplicate_and_unwritable_headers_do_not_break_the_rebuild() -> None:
    headers = [["From", "First <first@example.com>"], ["From", "second@example.com"],
               ["To", "\ud800:\ud800 a\t[=,=>ab) ;]"], ["Subject", "\ud800 broken surrogate"],
               ["X-Bad Name", "ignored"], ["Content-Type", "text/html"]]
    fields = {"message-headers": json.dumps(headers), "body-plain": "hi", "recipient": "support@shop.test"}
    form = mailgun.parse_form("application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode())
    parsed = parse_mime(mailgun.to_mime(form))
    assert parsed.from_address == "first@example.com"
    assert parsed.subject == "\ufffd broken surrogate"
    assert parsed.text == "hi" and parsed.html is None  # Content-Type comes from the rebuilt structure


# --- refused bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("content_type", [None, "", "application/json", "text/plain", "multipart/mixed; boundary=x"])
def test_wrong_content_type_is_unsupported(content_type: str | None) -> None:
    with pytest.raises(UnsupportedMediaType):
        mailgun.parse_form(content_type, b"a=b")


@pytest.mark.parametrize("content_type, body, reason", [
    ("application/x-www-form-urlencoded", b"recipient", "malformed form body"),
    ("application/x-www-form-urlencoded", b"\xff%zz=1", "malformed form body"),
    ("application/x-www-form-urlencoded", b"message-headers=not-json", "malformed message-headers"),
    ("application/x-www-form-urlencoded", b"message-headers=%7B%22a%22%3A1%7D", "malformed message-headers"),
    ("application/x-www-form-urlencoded", b"content-id-map=%5B%5D", "malformed content-id-map"),
    ("multipart/form-data", b"--x\r\n\r\n--x--", "multipart body without a boundary"),
    ("multipart/form-data; boundary=abc", b"no boundary lines at all", "malformed multipart body"),
    ("multipart/form-data; boundary=abc",
     b"--abc\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\ntruncated", "malformed multipart body"),
    ("multipart/form-data; boundary=abc", b"--abc\r\nContent-Type: text/plain\r\n\r\nx\r\n--abc--\r\n",
     "multipart part without a name"),
    ("multipart/form-data; boundary=\"caf\u00e9\u4e00\"", b"--x--", "malformed Content-Type"),
    ("multipart/form-data; boundary=x\r\nContent-Transfer-Encoding: base64", b"--x--", "malformed Content-Type"),
])
def test_malformed_bodies_are_bad_requests(content_type: str, body: bytes, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        mailgun.parse_form(content_type, body)
    assert caught.value.reason == reason


def test_body_that_is_not_bytes_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        mailgun.parse_form("application/x-www-form-urlencoded", "a=b")  # type: ignore[arg-type]


# --- the signature read before the form is parsed ----------------------------------------------------


def test_signed_fields_of_a_urlencoded_form() -> None:
    body = urllib.parse.urlencode(route_fields()).encode()
    assert mailgun.signed_fields("application/x-www-form-urlencoded", body) == (TS, TOKEN, sign(KEY, TS, TOKEN))


def test_signed_fields_of_a_multipart_form_with_attachments() -> None:
    ctype, body = multipart(dict(route_fields()), [("attachment-1", "data.bin", "application/octet-stream", BINARY)])
    assert mailgun.signed_fields(ctype, body) == (TS, TOKEN, sign(KEY, TS, TOKEN))


def test_signed_fields_of_a_form_built_with_email_mime_agree_with_the_full_parse() -> None:
    """Text parts in base64 with LF line ends: read as the full parse reads them."""
    body = email_mime_form()
    form = mailgun.parse_form("multipart/form-data; boundary=mgboundary", body)
    assert mailgun.signed_fields("multipart/form-data; boundary=mgboundary", body) == (
        form.timestamp, form.token, form.signature) == (TS, TOKEN, sign(KEY, TS, TOKEN))


def test_a_file_named_like_a_signed_field_is_not_taken_for_it() -> None:
    boundary = "b0"
    body = (f'--{boundary}\r\nContent-Disposition: form-data; filename="token"; name="attachment-1"\r\n\r\n'
            f'forged\r\n--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{TOKEN}\r\n'
            f'--{boundary}--\r\n').encode()
    assert mailgun.signed_fields(f"multipart/form-data; boundary={boundary}", body)[1] == TOKEN


def test_a_form_of_too_many_parts_is_refused_before_anything_is_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.errors import NotAcceptable

    ctype, body = multipart({}, [(f"attachment-{i}", "x", "application/octet-stream", b"") for i in range(101)])
    monkeypatch.setattr(mailgun, "BytesParser", None)  # nothing may be parsed
    with pytest.raises(NotAcceptable):
        mailgun.signed_fields(ctype, body)
    with pytest.raises(NotAcceptable):
        mailgun.signed_fields("application/x-www-form-urlencoded", b"&".join([b"a=1"] * 201))


def test_signed_fields_of_another_content_type_is_unsupported() -> None:
    with pytest.raises(UnsupportedMediaType):
        mailgun.signed_fields("application/json", b"{}")
