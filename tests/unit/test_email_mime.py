"""Inbound email MIME: real messages built with the `email` package, parsed by `parse_mime`."""
from __future__ import annotations

import base64
import time
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP

import pytest

from helpdesk.errors import BadRequest
from helpdesk.providers.email import (
    MAX_REFERENCES,
    ParsedEmail,
    html_to_text,
    parse_mime,
    plus_token,
    sanitize_html,
    strip_reply,
    thread_ids,
)

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAAB"
                       "JRU5ErkJggg==")
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
SUPPORT = "support@shop.test"
KO_BODY = "안녕하세요. 주문 번호 1001 배송지를 변경하고 싶습니다."


def message(body: str = "Where is my order #1001?", subject: str = "Order 1001",
            sender: str = "Jane Doe <Jane.Doe@Example.COM>", **headers: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = f"Shop Support <{SUPPORT}>"
    msg["Subject"] = subject
    msg["Date"] = "Wed, 25 Nov 2026 15:00:00 +0900"
    msg["Message-ID"] = "<CAF=abc123@mail.gmail.com>"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    return msg


def raw(msg: EmailMessage | MIMEBase) -> bytes:
    return msg.as_bytes(policy=SMTP)


# --- plain ----------------------------------------------------------------------------------------


def test_plain_message_fields() -> None:
    msg = message(Cc="Other <Other@Example.com>, third@example.com")
    msg["Reply-To"] = "Jane <Jane.Reply@Example.com>"
    parsed = parse_mime(raw(msg))
    assert isinstance(parsed, ParsedEmail)
    assert parsed.message_id == "CAF=abc123@mail.gmail.com"
    assert parsed.from_address == "jane.doe@example.com"
    assert parsed.from_name == "Jane Doe"
    assert parsed.to == [SUPPORT]
    assert parsed.cc == ["other@example.com", "third@example.com"]
    assert parsed.reply_to == "jane.reply@example.com"
    assert parsed.subject == "Order 1001"
    assert parsed.date == "2026-11-25T06:00:00.000Z"
    assert parsed.text == "Where is my order #1001?"
    assert parsed.full_text == "Where is my order #1001?"
    assert parsed.html is None
    assert parsed.attachments == []
    assert parsed.automatic is False and parsed.automatic_reason is None
    assert parsed.in_reply_to == [] and parsed.references == []
    assert parsed.headers["Message-ID"] == "<CAF=abc123@mail.gmail.com>"
    assert "Subject" not in parsed.headers  # only the headers worth keeping


def test_crlf_and_bare_lf_messages_parse_alike() -> None:
    crlf = raw(message())
    lf = crlf.replace(b"\r\n", b"\n")
    assert parse_mime(lf).text == parse_mime(crlf).text == "Where is my order #1001?"


def test_bytearray_is_accepted() -> None:
    assert parse_mime(bytearray(raw(message()))).from_address == "jane.doe@example.com"


# --- multipart/alternative and HTML ---------------------------------------------------------------


def test_alternative_prefers_plain_text_and_keeps_sanitised_html() -> None:
    msg = message("Plain version of the question")
    msg.add_alternative("<html><body><p>HTML <b>version</b></p><script>steal()</script></body></html>",
                        subtype="html")
    parsed = parse_mime(raw(msg))
    assert parsed.text == "Plain version of the question"
    assert parsed.html is not None
    assert "<b>version</b>" in parsed.html
    assert "script" not in parsed.html and "steal" not in parsed.html
    assert parsed.attachments == []  # the HTML alternative is a body, not an attachment


def test_alternative_with_empty_plain_part_uses_the_html() -> None:
    msg = message("   ")
    msg.add_alternative("<p>Only the <i>HTML</i> says something</p>", subtype="html")
    assert parse_mime(raw(msg)).text == "Only the HTML says something"


def test_html_only_message_is_sanitised_and_gives_text() -> None:
    html = ('<html><head><title>Mail title</title><style>p {color: red}</style></head>'
            '<body onload="boom()"><p onclick="evil()">Please <a href="javascript:alert(1)">cancel</a> '
            'order&nbsp;1001 &amp; refund.</p><script>alert("xss")</script>'
            '<a href="https://shop.test/orders/1001" onmouseover="x()">my order</a>'
            '<img src="https://tracker.test/p.gif" onerror="alert(2)"><iframe src="https://evil.test"></iframe>'
            '<ul><li>red shirt</li><li>blue hat</li></ul></body></html>')
    msg = message()
    msg.set_content(html, subtype="html")
    parsed = parse_mime(raw(msg))
    assert parsed.html is not None
    lowered = parsed.html.lower()
    for banned in ("<script", "alert", "onclick", "onload", "onerror", "onmouseover", "javascript:", "<style",
                   "<iframe", "color: red", "mail title"):
        assert banned not in lowered, banned
    assert 'href="https://shop.test/orders/1001"' in parsed.html
    assert parsed.text.splitlines()[0] == "Please cancel order 1001 & refund."
    assert "- red shirt" in parsed.text and "- blue hat" in parsed.text
    assert "alert" not in parsed.full_text and "Mail title" not in parsed.full_text


def test_sanitize_keeps_cid_images_and_drops_obfuscated_javascript() -> None:
    cleaned = sanitize_html('<img src="cid:logo@x" alt="logo"><a href="JaVaScRiPt:alert(1)">a</a>'
                            '<a href="java&#09;script:alert(1)">b</a><svg><script>1</script></svg>')
    assert 'src="cid:logo@x"' in cleaned
    assert "script" not in cleaned.lower() and "alert" not in cleaned


def test_html_to_text_quotes_blockquotes_and_breaks_lines() -> None:
    text = html_to_text("<div>Line one<br>Line two</div><blockquote><p>quoted</p><blockquote>deeper</blockquote>"
                        "</blockquote><pre>  keep\n  spacing</pre><table><tr><td>a</td><td>b</td></tr></table>")
    lines = text.splitlines()
    assert lines[:2] == ["Line one", "Line two"]
    assert "> quoted" in lines and "> > deeper" in lines
    assert "  keep" in lines and "  spacing" in lines
    assert "a b" in lines


# --- Korean and charsets --------------------------------------------------------------------------


def test_korean_subject_as_encoded_word_and_utf8_body() -> None:
    encoded = "=?UTF-8?B?" + base64.b64encode("주문 취소 요청".encode()).decode() + "?="
    data = (f"From: =?UTF-8?B?{base64.b64encode('홍길동'.encode()).decode()}?= <Hong@Example.kr>\r\n"
            f"To: {SUPPORT}\r\nSubject: {encoded}\r\nMessage-ID: <ko1@example.kr>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            ).encode() + base64.encodebytes(KO_BODY.encode())
    parsed = parse_mime(data)
    assert parsed.subject == "주문 취소 요청"
    assert parsed.from_name == "홍길동"
    assert parsed.from_address == "hong@example.kr"
    assert parsed.text == KO_BODY


def test_korean_body_in_euc_kr() -> None:
    msg = MIMEText(KO_BODY, "plain", "euc-kr")
    msg["From"] = "hong@example.kr"
    msg["Subject"] = "=?EUC-KR?B?" + base64.b64encode("배송지 변경".encode("euc-kr")).decode() + "?="
    data = msg.as_bytes()
    assert KO_BODY.encode() not in data  # really EUC-KR on the wire
    parsed = parse_mime(data)
    assert parsed.text == KO_BODY
    assert parsed.subject == "배송지 변경"


@pytest.mark.parametrize("label, codec", [("ks_c_5601-1987", "cp949"), ("ISO-2022-KR", "iso2022_kr"),
                                          ("euc-kr", "cp949")])
def test_korean_charset_labels(label: str, codec: str) -> None:
    body = "똠방각하 주문 확인 부탁드립니다" if codec == "cp949" else KO_BODY  # 똠: CP949 only, not EUC-KR
    data = (f"From: hong@example.kr\r\nSubject: x\r\nContent-Type: text/plain; charset={label}\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(body.encode(codec))
    assert parse_mime(data).text == body


def test_raw_8bit_euc_kr_and_utf8_headers_are_decoded() -> None:
    data = (b"From: \xed\x99\x8d\xea\xb8\xb8\xeb\x8f\x99 <hong@example.kr>\r\n"
            b"Subject: " + "주문 문의".encode("euc-kr") + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhi\r\n")
    parsed = parse_mime(data)
    assert parsed.from_name == "홍길동"
    assert parsed.subject == "주문 문의"


@pytest.mark.parametrize("header, body", [
    ("text/plain; charset=x-unknown-charset", "주문 확인".encode()),  # unknown label: falls back to UTF-8
    ("text/plain; charset=zlib", b"plain ascii"),  # a bytes codec is not a charset
    ("text/plain; charset=utf-8", "주문 확인".encode("euc-kr")),  # mislabelled EUC-KR
    ("text/plain; charset=utf-8", b"broken \xff\xfe\xfd bytes \x80"),
    ("text/plain; charset=us-ascii", "주문 확인".encode()),
])
def test_broken_charsets_never_crash(header: str, body: bytes) -> None:
    data = f"From: a@example.com\r\nContent-Type: {header}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".encode() + body
    text = parse_mime(data).text
    assert text
    if b"\xff" in body:
        assert text.startswith("broken") and "\ufffd" in text
    elif body.isascii():
        assert text == body.decode()
    else:
        assert text == "주문 확인"


# --- attachments ----------------------------------------------------------------------------------


def test_attachment_and_inline_image() -> None:
    root = MIMEMultipart("mixed")
    root["From"] = "Jane <jane@example.com>"
    root["To"] = SUPPORT
    root["Subject"] = "Damaged item"
    related = MIMEMultipart("related")
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText("The box was crushed, photo below.", "plain", "utf-8"))
    alternative.attach(MIMEText('<p>The box was crushed:</p><img src="cid:photo1@example.com">', "html", "utf-8"))
    related.attach(alternative)
    image = MIMEImage(PNG, "png")
    image["Content-ID"] = "<photo1@example.com>"
    image.add_header("Content-Disposition", "inline", filename="photo.png")
    related.attach(image)
    root.attach(related)
    pdf = MIMEApplication(PDF, "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename=("utf-8", "", "영수증.pdf"))
    root.attach(pdf)
    parsed = parse_mime(raw(root))
    assert parsed.text == "The box was crushed, photo below."
    assert parsed.html is not None and 'src="cid:photo1@example.com"' in parsed.html
    assert [(a.filename, a.content_type, a.inline, a.content_id) for a in parsed.attachments] == [
        ("photo.png", "image/png", True, "photo1@example.com"),
        ("영수증.pdf", "application/pdf", False, None),
    ]
    assert parsed.attachments[0].content == PNG
    assert parsed.attachments[1].content == PDF and parsed.attachments[1].size == len(PDF)


def test_attachment_filename_encodings_and_unsafe_names() -> None:
    root = MIMEMultipart("mixed")
    root["From"] = "jane@example.com"
    root.attach(MIMEText("see attached", "plain"))
    for disposition in ('attachment; filename="=?UTF-8?B?' + base64.b64encode("주문서.pdf".encode()).decode() + '?="',
                        'attachment; filename="../../etc/passwd"',
                        'attachment; filename="C:\\\\Users\\\\x\\\\a.txt"',  # quoted-string escapes
                        "attachment"):
        part = MIMEApplication(b"data", "octet-stream")
        part.replace_header("Content-Type", "application/pdf")
        part["Content-Disposition"] = disposition
        root.attach(part)
    names = [a.filename for a in parse_mime(raw(root)).attachments]
    assert names == ["주문서.pdf", "passwd", "a.txt", "attachment-4.pdf"]


# --- quoted history -------------------------------------------------------------------------------

GMAIL_EN_PLAIN = """Thanks, that works for me.

Jane

On Wed, Nov 25, 2026 at 3:00 PM Shop Support <support@shop.test> wrote:

> Hello Jane,
>
> your order 1001 shipped today.
>
> Shop Support
"""
GMAIL_EN_HTML = ('<div dir="ltr">Thanks, that works for me.<div><br></div><div>Jane</div></div><br>'
                 '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Wed, Nov 25, 2026 at 3:00 PM Shop '
                 'Support &lt;<a href="mailto:support@shop.test">support@shop.test</a>&gt; wrote:<br></div>'
                 '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">Hello Jane,<br><br>your order '
                 '1001 shipped today.<br><br>Shop Support</blockquote></div>')


def reply(plain: str | None, html: str | None = None, **headers: str) -> bytes:
    msg = message(plain if plain is not None else "", subject="Re: Order 1001",
                  In_Reply_To="<out-1@shop.test>", References="<first@example.com> <out-1@shop.test>", **headers)
    if html is not None:
        if plain is None:
            msg.set_content(html, subtype="html")
        else:
            msg.add_alternative(html, subtype="html")
    return raw(msg)


def test_gmail_english_reply_strips_quoted_history() -> None:
    parsed = parse_mime(reply(GMAIL_EN_PLAIN, GMAIL_EN_HTML))
    assert parsed.text == "Thanks, that works for me.\n\nJane"
    assert "your order 1001 shipped today." in parsed.full_text
    assert parsed.html is not None and "shipped today" in parsed.html  # the full HTML is kept
    assert parsed.in_reply_to == ["out-1@shop.test"]
    assert parsed.references == ["first@example.com", "out-1@shop.test"]


def test_gmail_english_html_only_reply_strips_the_blockquote() -> None:
    parsed = parse_mime(reply(None, GMAIL_EN_HTML))
    assert parsed.text == "Thanks, that works for me.\n\nJane"
    assert "> your order 1001 shipped today." in parsed.full_text


GMAIL_KO_PLAIN = """네, 그 주소로 보내주세요. 고맙습니다.

2026년 11월 25일 (수) 오후 3:00, 고객센터 <support@shop.test>님이 작성:

> 안녕하세요 고객님,
> 주문 1001의 배송지를 확인해 주세요.
"""


def test_gmail_korean_reply_strips_quoted_history() -> None:
    parsed = parse_mime(reply(GMAIL_KO_PLAIN))
    assert parsed.text == "네, 그 주소로 보내주세요. 고맙습니다."
    assert "배송지를 확인해 주세요" in parsed.full_text


def test_gmail_korean_attribution_wrapped_over_two_lines() -> None:
    body = ("주소 변경 부탁드립니다.\n\n2026년 11월 25일 (수) 오후 3:00, 아주 긴 이름의 고객센터 담당자 <\n"
            "support@shop.test>님이 작성:\n\n> 안녕하세요\n")
    assert strip_reply(body) == "주소 변경 부탁드립니다."


def test_gmail_korean_html_only_reply() -> None:
    html = ('<div dir="ltr">환불 부탁드립니다.</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
            '2026년 11월 25일 (수) 오후 3:00, 고객센터 &lt;support@shop.test&gt;님이 작성:<br></div>'
            '<blockquote class="gmail_quote">안녕하세요 고객님</blockquote></div>')
    assert parse_mime(reply(None, html)).text == "환불 부탁드립니다."


@pytest.mark.parametrize("body, expected", [
    ("Sure, go ahead.\n\nFrom: Shop Support <support@shop.test>\nSent: Wednesday, November 25, 2026 3:00 PM\n"
     "To: Jane <jane@example.com>\nSubject: Order 1001\n\nHello Jane", "Sure, go ahead."),
    ("네 확인했습니다.\n\n보낸 사람: 고객센터 <support@shop.test>\n보낸 날짜: 2026년 11월 25일 수요일 오후 3:00\n"
     "받는 사람: a@example.kr\n제목: 주문\n\n안녕하세요", "네 확인했습니다."),
    ("취소해주세요.\n\n-----Original Message-----\nFrom: \"고객센터\"<support@shop.test>\nTo: <a@naver.com>;\n"
     "Sent: 2026-11-25 (수) 15:00:00\nSubject: 주문\n\n안녕하세요", "취소해주세요."),
    ("New answer here\n\n> the old question\n> quoted without any header\n", "New answer here"),
    ("네 좋아요.\n\n2026. 11. 25. 오후 3:00, 고객센터 <support@shop.test> 작성:\n\n> 안녕하세요", "네 좋아요."),
    ("네 좋아요.\n\n2026년 11월 25일 (수) 오후 3:00, 고객센터 <support@shop.test>님이 작성하였습니다:\n> 안녕하세요",
     "네 좋아요."),
    # no address: not an attribution header
    ("2026년에 주문했는데 작성:\n아직 안 왔어요", "2026년에 주문했는데 작성:\n아직 안 왔어요"),
    ("Please cancel it.\n\n-- \nJane Doe\nACME Inc", "Please cancel it."),
    ("Please cancel it.\n\nSent from my iPhone", "Please cancel it."),
    ("주소 변경 부탁드립니다.\n\niPhone에서 보냄", "주소 변경 부탁드립니다."),
    ("I want:\n- red shirt\n- blue hat", "I want:\n- red shirt\n- blue hat"),
    # sign-offs are not signature delimiters: the library's own heuristics would cut these short
    ("Hi,\nThanks, I got it but the size is wrong.\nCan I exchange it?",
     "Hi,\nThanks, I got it but the size is wrong.\nCan I exchange it?"),
    ("배송 문의드립니다.\n감사합니다. 그리고 주소 변경도 가능할까요?",
     "배송 문의드립니다.\n감사합니다. 그리고 주소 변경도 가능할까요?"),
    ("Please cancel.\n\nBest regards,\nJane", "Please cancel.\n\nBest regards,\nJane"),
    ("--\nonly a signature", "--\nonly a signature"),
])
def test_reply_parser_cases(body: str, expected: str) -> None:
    assert strip_reply(body) == expected


def test_bottom_posted_or_fully_quoted_text_is_kept_whole() -> None:
    parsed = parse_mime(reply("> the old question\n> quoted\n"))
    assert parsed.text == parsed.full_text == "> the old question\n> quoted"


@pytest.mark.parametrize("hostile, head, tail", [
    ("hi\nOn " + "x " * 20_000 + "\n", "hi\nOn x x", "x x"),  # one long "On ..." line: quadratic in its length
    ("hi\n" + "\n" * 30_000 + "bye", "hi", "bye"),  # blank lines: quadratic in their number
    ("hi\n" + ("On " + "a " * 195 + "\n") * 1_500, "hi\nOn a a", "a a"),  # many lines just under the limit
])
def test_reply_parser_guards_against_slow_regular_expressions(hostile: str, head: str, tail: str) -> None:
    started = time.monotonic()
    text = strip_reply(hostile)
    assert time.monotonic() - started < 3
    assert text.startswith(head) and text.endswith(tail)  # shielded lines come back as they were


def test_long_message_without_quote_is_kept_whole() -> None:
    body = "\n".join(f"line {i} of a very long complaint" for i in range(4000))
    assert strip_reply(body) == body


# --- automatic mail -------------------------------------------------------------------------------


@pytest.mark.parametrize("headers, reason", [
    ({"Auto-Submitted": "auto-replied"}, "auto-submitted: auto-replied"),
    ({"Auto-Submitted": "auto-generated; owner-email=x@y"}, "auto-submitted: auto-generated"),
    ({"Precedence": "bulk"}, "precedence: bulk"),
    ({"Precedence": "auto_reply"}, "precedence: auto_reply"),
    ({"X-Autoreply": "yes"}, "x-autoreply"),
    ({"X-Autorespond": "Out of office"}, "x-autorespond"),
    ({"X-Loop": "support@shop.test"}, "x-loop"),
    ({"List-Id": "Deals <deals.shop.test>"}, "list-id"),
    ({"List-Unsubscribe": "<mailto:unsub@list.test>"}, "list-unsubscribe"),
    ({"Return-Path": "<>"}, "empty return-path"),
])
def test_automatic_mail(headers: dict[str, str], reason: str) -> None:
    msg = message("I am out of the office until Monday.", subject="Automatic reply: Order 1001")
    for name, value in headers.items():
        msg[name] = value
    parsed = parse_mime(raw(msg))
    assert parsed.automatic is True
    assert parsed.automatic_reason == reason


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "no"}, {"Precedence": "first-class"},
                                     {"Return-Path": "<jane@example.com>"}])
def test_not_automatic(headers: dict[str, str]) -> None:
    msg = message()
    for name, value in headers.items():
        msg[name] = value
    parsed = parse_mime(raw(msg))
    assert parsed.automatic is False and parsed.automatic_reason is None


def test_bounce_is_a_delivery_report_with_the_original_attached() -> None:
    original = raw(message("Your order shipped", sender=SUPPORT))
    bounce = MIMEMultipart("report", report_type="delivery-status", boundary="bnd")
    bounce["From"] = "Mail Delivery Subsystem <bounces@mail.example.net>"
    bounce["To"] = SUPPORT
    bounce["Subject"] = "Delivery Status Notification (Failure)"
    bounce.attach(MIMEText("Your message wasn't delivered to jane@example.com.", "plain"))
    bounce.attach(MIMEMessage(message("placeholder")))
    # message/delivery-status is a list of header blocks: written as an MTA writes it
    status = (b"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mail.example.net\r\n\r\n"
              b"Final-Recipient: rfc822; jane@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--bnd\r\n"
              b"Content-Type: message/rfc822\r\n\r\n" + original + b"\r\n--bnd--\r\n")
    data = raw(bounce)
    data = data[:data.index(b"Content-Type: message/rfc822")] + status
    parsed = parse_mime(data)
    assert parsed.automatic is True and parsed.automatic_reason == "delivery report"
    assert parsed.text == "Your message wasn't delivered to jane@example.com."
    kinds = [(a.content_type, a.filename) for a in parsed.attachments]
    assert kinds == [("message/delivery-status", "attachment-1.txt"), ("message/rfc822", "attachment-2.eml")]
    assert b"Status: 5.1.1" in parsed.attachments[0].content
    assert b"Your order shipped" in parsed.attachments[1].content
    assert parse_mime(parsed.attachments[1].content).from_address == SUPPORT


def test_mailer_daemon_sender_is_automatic() -> None:
    parsed = parse_mime(raw(message(sender="MAILER-DAEMON@mx.example.net")))
    assert parsed.automatic_reason == "mailer-daemon"


# --- threading ------------------------------------------------------------------------------------


def test_missing_message_id_and_date() -> None:
    msg = message()
    del msg["Message-ID"]
    msg.replace_header("Date", "not a date at all")
    parsed = parse_mime(raw(msg))
    assert parsed.message_id is None
    assert parsed.date is None
    assert "Message-ID" not in parsed.headers


def test_ids_without_brackets_and_a_naive_date() -> None:
    data = (b"From: a@example.com\r\nMessage-ID: bare-id@example.com\r\nIn-Reply-To: <x@shop.test> (comment)\r\n"
            b"Date: 25 Nov 2026 15:00:00\r\n\r\nhi")
    parsed = parse_mime(data)
    assert parsed.message_id == "bare-id@example.com"
    assert parsed.in_reply_to == ["x@shop.test"]
    assert parsed.date == "2026-11-25T15:00:00.000Z"


def test_thread_ids_most_specific_first_deduplicated() -> None:
    data = raw(message(In_Reply_To="<b@x>")).replace(
        b"\r\n\r\n", b"\r\nReferences: <root@x>\r\n <a@x>\r\n\t<b@x> <CAF=abc123@mail.gmail.com>\r\n\r\n", 1)
    parsed = parse_mime(data)  # a References header folded over three lines
    assert parsed.references == ["root@x", "a@x", "b@x", "CAF=abc123@mail.gmail.com"]
    assert thread_ids(parsed) == ["b@x", "a@x", "root@x"]  # own Message-ID left out


def test_references_are_capped_keeping_root_and_newest() -> None:
    refs = " ".join(f"<r{i}@x>" for i in range(200))
    parsed = parse_mime(raw(message(References=refs)))
    assert len(parsed.references) == MAX_REFERENCES
    assert parsed.references[0] == "r0@x" and parsed.references[-1] == "r199@x"
    assert thread_ids(parsed)[-1] == "r0@x"


@pytest.mark.parametrize("address, expected", [
    ("support+t7k2m@shop.test", "t7k2m"),
    ("SUPPORT+t7k2m@SHOP.TEST", "t7k2m"),
    ("Shop <support+t7k2m@shop.test>", "t7k2m"),
    ("support@shop.test", None),
    ("support+@shop.test", None),
    ("support+t7k2m@other.test", None),
    ("sales+t7k2m@shop.test", None),
    ("support+bad/token@shop.test", None),
    ("", None),
])
def test_plus_token(address: str, expected: str | None) -> None:
    assert plus_token(address, "Support@Shop.test") == expected


# --- malformed input ------------------------------------------------------------------------------


@pytest.mark.parametrize("data, reason", [
    ("From: a@example.com\r\n\r\nnot bytes", "MIME message is not bytes"),
    (None, "MIME message is not bytes"),
    (b"", "empty MIME message"),
    (b"  \r\n\r\n", "empty MIME message"),
    (b"\x00\x01\x02\xff\xfe", "missing From"),
    (b"Subject: no sender\r\n\r\nbody", "missing From"),
    (b"From: undisclosed-recipients:;\r\n\r\nbody", "no address in From"),
    (b"From: <<>>@@@,,,\r\n\r\nbody", "no address in From"),
])
def test_malformed_input_is_a_bad_request(data: object, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_mime(data)  # type: ignore[arg-type]
    assert caught.value.reason == reason


def test_broken_structure_still_parses() -> None:
    data = (b"From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n")
    assert parse_mime(data).from_address == "a@example.com"
    data = (b"From: a@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\n"
            b"Content-Type: text/plain\r\n\r\ntruncated body")
    assert parse_mime(data).text == "truncated body"
    data = (b"From: a@example.com\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notb64")
    assert parse_mime(data).from_address == "a@example.com"


def test_deeply_nested_multipart_does_not_crash() -> None:
    depth = 200
    data = b"From: a@example.com\r\n"
    for i in range(depth):
        data += f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
    data += b"Content-Type: text/plain\r\n\r\ndeep\r\n"
    for i in reversed(range(depth)):
        data += f"--b{i}--\r\n".encode()
    parsed = parse_mime(data)
    assert parsed.from_address == "a@example.com"
    assert parsed.text == "deep"


def test_nesting_beyond_the_recursion_limit_is_a_bad_request() -> None:
    data = b"From: a@example.com\r\n" + b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode() for i in range(3000))
    with pytest.raises(BadRequest):
        parse_mime(data + b"Content-Type: text/plain\r\n\r\ndeep\r\n")
