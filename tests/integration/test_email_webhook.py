"""The email Lambda against moto: Mailgun route POSTs (raw MIME or parsed fields, signed as Mailgun
signs them) and SES receipt events (raw MIME in S3). Judged by what the table, the assignment queue
and the mail bucket hold, not only by the answers."""
from __future__ import annotations

import email.policy
import hashlib
import hmac
import json
import os
import secrets
import time
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.header import Header
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import formataddr, formatdate, make_msgid
from typing import Any

import pytest

from functions.webhooks import email as email_webhook
from helpdesk import replies
from helpdesk.auth import AgentIdentity
from helpdesk.store import files
from helpdesk.store import mail as mail_store
from helpdesk.store.models import Item
from helpdesk.store.tickets import get_ticket
from helpdesk.workspace import list_tickets, ticket_detail
from tests.conftest import Aws, Brand
from tests.integration import tables
from tests.integration.edits import update_ticket
from tests.providers import gateway_event

BUCKET = "helpdesk-test-mail"
PATH = "/webhooks/email"
FORM = "application/x-www-form-urlencoded"
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
LONG_AGO = "2023-01-05T09:00:00.000Z"


@pytest.fixture(autouse=True)
def _warm_clients(aws: Aws, brand: Brand) -> None:
    """Make the product's lazily built AWS clients before threads race to build them (boto3's default
    session is not thread-safe while it builds one)."""
    files._s3()
    mail_store._ses()
    Item._get_connection().connection.client  # noqa: B018


# --- what the customer's mail client and the providers send ---------------------------------------

def customer() -> str:
    """A customer address as a mail client writes it: mixed case."""
    return f"Kim.{uuid.uuid4().hex[:8]}@Customer.Example"


def plus(brand: Brand, token: str) -> str:
    local, domain = brand.support_email.split("@")
    return f"{local}+{token}@{domain}"


def new_id() -> str:
    return make_msgid(domain="mail.customer.example")[1:-1]


def mime(frm: str, to: str, subject: str = "Where is my order?", text: str | None = "Hi, where is order #1001?",
         *, html: str | None = None, message_id: str | None = None, in_reply_to: str | None = None,
         references: list[str] | None = None, headers: dict[str, str] | None = None,
         attachments: tuple[tuple[str, str, bytes], ...] = (), name: str = "Kim Customer",
         charset: str = "utf-8") -> tuple[bytes, str]:
    """A real RFC 5322 message (CRLF line ends, as on the wire) and its Message-ID (no brackets)."""
    mid = message_id or new_id()
    msg = EmailMessage()
    msg["From"] = formataddr((name, frm))
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = f"<{mid}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    for key, value in (headers or {}).items():
        msg[key] = value
    if text is not None:
        msg.set_content(text, charset=charset)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    for filename, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes(policy=email.policy.SMTP), mid


def signed(timestamp: int | None = None, key: str | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    token = secrets.token_hex(25)
    signature = hmac.new((key or os.environ["MAILGUN_SIGNING_KEY"]).encode(), (ts + token).encode(),
                         hashlib.sha256).hexdigest()
    return {"timestamp": ts, "token": token, "signature": signature}


def mime_route(raw: bytes, recipient: str, sender: str, signature: dict[str, str] | None = None) -> dict[str, Any]:
    """What a Mailgun route whose URL ends in `mime` posts: a urlencoded form with `body-mime`."""
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)  # only From and Subject
    fields: dict[str, str | bytes] = {
        "recipient": recipient, "sender": sender.lower(), "from": str(parsed["From"] or ""),
        "subject": str(parsed["Subject"] or ""), "body-mime": raw,
        **(signed() if signature is None else signature)}
    return gateway_event("POST", PATH, urllib.parse.urlencode(fields), {"Content-Type": FORM})


def multipart(fields: list[tuple[str, str]], files_: list[tuple[str, str, str, bytes]]) -> tuple[bytes, str]:
    """multipart/form-data as Mailgun's route POST builds it: text fields, then the attachment files."""
    boundary = "mg" + uuid.uuid4().hex
    body = b""
    for name, value in fields:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                 + value.encode("utf-8") + b"\r\n")
    for name, filename, ctype, data in files_:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                 f"Content-Type: {ctype}\r\n\r\n".encode() + data + b"\r\n")
    body += f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def handle(event: dict[str, Any]) -> dict[str, Any]:
    return email_webhook.handler(event, None)


def deliver(raw: bytes, recipient: str, sender: str) -> dict[str, Any]:
    response = handle(mime_route(raw, recipient, sender))
    assert response["statusCode"] == 200, response
    return response


def send(brand: Brand, frm: str, *, to: str | None = None, **kwargs: Any) -> str:
    """One customer mail through the `mime` route; its Message-ID."""
    raw, mid = mime(frm, to or brand.support_email, **kwargs)
    deliver(raw, to or brand.support_email, frm)
    return mid


# --- reading back -----------------------------------------------------------------------------------

def owner(brand: Brand) -> AgentIdentity:
    return AgentIdentity("a", brand.account_id, ("owner",))


def only_ticket(brand: Brand) -> dict[str, Any]:
    found = tables.tickets(brand.account_id)
    assert len(found) == 1, found
    return found[0]


def ticket_of(brand: Brand, contact: str) -> dict[str, Any]:
    found = [t for t in tables.tickets(brand.account_id) if t["contact"] == contact.lower()]
    assert len(found) == 1, found
    return found[0]


def message_by_id(brand: Brand, message_id: str) -> dict[str, Any]:
    found = [m for m in tables.all_messages(brand.account_id) if m["message_id"] == message_id]
    assert len(found) == 1, found
    return found[0]


def close(brand: Brand, ticket_id: str, *, long_ago: bool = False) -> None:
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")
    if long_ago:  # as if closed years ago: every timestamp of the ticket moved back
        order = f"{LONG_AGO}#{ticket_id}"
        values = {":t": {"S": LONG_AGO}, ":o": {"S": order}}
        Item._get_connection().connection.client.update_item(
            TableName=os.environ["TABLE_NAME"],
            Key={"pk": {"S": f"A#{brand.account_id}#T#{ticket_id}"}, "sk": {"S": "TICKET"}},
            UpdateExpression="SET created_at = :t, updated_at = :t, last_inbound_at = :t, gsi1sk = :o, "
                             "gsi2sk = :o, gsi3sk = :o",
            ExpressionAttributeValues=values)
    assert tables.ticket_item(brand.account_id, ticket_id)["status"] == "closed"


def s3_keys(aws: Aws, prefix: str) -> dict[str, bytes]:
    s3 = aws.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read() for o in listed}


def s3_object(aws: Aws, url: str) -> tuple[bytes, str]:
    assert url.startswith(f"s3://{BUCKET}/"), url
    got = aws.client("s3").get_object(Bucket=BUCKET, Key=url[len(f"s3://{BUCKET}/"):])
    return got["Body"].read(), got["ContentType"]


def kinds(brand: Brand) -> list[tuple[str, str]]:
    return [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)]


def all_at_once(calls: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


# --- 1. a new thread opens a ticket ---------------------------------------------------------------

def test_new_thread_opens_a_ticket_with_the_sender_and_subject_and_its_attachment_in_s3(
        brand: Brand, aws: Aws) -> None:
    frm = customer()
    raw, mid = mime(frm, brand.support_email, "Order #1001 arrived damaged",
                    "Hello,\nthe box was crushed. Receipt attached.",
                    attachments=(("receipt.pdf", "application/pdf", PDF),))
    response = deliver(raw, brand.support_email, frm)
    assert response["statusCode"] == 200

    ticket = only_ticket(brand)
    tid = ticket["ticket_id"]
    assert (ticket["channel"], ticket["contact"], ticket["status"]) == ("email", frm.lower(), "open")
    assert ticket["subject"] == "Order #1001 arrived damaged"
    assert ticket["message_count"] == 1 and not ticket.get("spam")
    [stored] = tables.messages_of(brand.account_id, tid)
    assert (stored["message_id"], stored["direction"], stored["sender"]) == (mid, "inbound", frm.lower())
    assert stored["body"] == "Hello,\nthe box was crushed. Receipt attached."
    assert not stored["automatic"]

    [media] = stored["media"]
    assert media["content_type"] == "application/pdf"
    content, ctype = s3_object(aws, media["url"])
    assert (content, ctype) == (PDF, "application/pdf")
    assert media["url"].endswith("receipt.pdf")

    listed = list_tickets(owner(brand), {"view": "all"})["items"]
    assert [(t["id"], t["channel"], t["contact"]) for t in listed] == [(tid, "email", frm.lower())]
    detail = ticket_detail(owner(brand), tid)
    assert [m["media"] for m in detail["messages"]] == [[{"url": media["url"], "content_type": "application/pdf"}]]
    sent = tables.drain(brand.queue_url)
    assert [(e["type"], e["ticket_id"], e["channel"]) for e in sent] == [("ticket.created", tid, "email")]


@pytest.mark.parametrize("charset", ["utf-8", "euc-kr", "raw-8bit-utf-8"])
def test_korean_encoded_word_subject_and_korean_body_are_stored_as_text(brand: Brand, charset: str) -> None:
    frm = customer()
    subject = "주문 배송 문의 드립니다"
    body = "안녕하세요.\n주문한 운동화 사이즈를 270에서 265로 바꾸고 싶습니다."
    body_charset = "utf-8" if charset.startswith("raw") else charset
    raw, mid = mime(frm, brand.support_email, "SUBJECT-PLACEHOLDER", body, name="김고객", charset=body_charset)
    if charset.startswith("raw"):  # an SMTPUTF8 client: the subject as 8-bit UTF-8, no encoded word
        raw = raw.replace(b"SUBJECT-PLACEHOLDER", subject.encode())
    else:
        encoded = Header(subject, charset).encode(maxlinelen=998).encode("ascii")
        raw = raw.replace(b"SUBJECT-PLACEHOLDER", encoded)
        subject_line = next(line for line in raw.split(b"\r\n") if line.startswith(b"Subject:"))
        assert subject_line.lower().startswith(f"subject: =?{charset}?b?".encode()) and subject_line.isascii()
    deliver(raw, brand.support_email, frm)

    ticket = only_ticket(brand)
    assert ticket["subject"] == subject
    [stored] = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert stored["message_id"] == mid
    assert stored["body"] == body
    contact = tables.items_of_type(brand.account_id, "contact")
    assert [(c["address"], c.get("name")) for c in contact] == [(frm.lower(), "김고객")]


def test_html_only_mail_is_stored_as_text_without_script(brand: Brand) -> None:
    frm = customer()
    html = ("<html><head><title>t</title><style>p{color:red}</style><script>alert('head')</script></head>"
            "<body><p>My <b>parcel</b> arrived damaged.</p><script>document.cookie='x'</script>"
            "<p>Order <a href=\"javascript:alert(1)\" onclick=\"steal()\">#1001</a></p>"
            "<img src=\"x\" onerror=\"alert(2)\"></body></html>")
    send(brand, frm, subject="Damaged", text=None, html=html)

    [stored] = tables.messages_of(brand.account_id, only_ticket(brand)["ticket_id"])
    assert "My parcel arrived damaged." in stored["body"]
    assert "Order #1001" in stored["body"]
    for bad in ("alert", "script", "document.cookie", "steal", "color:red", "<", "javascript"):
        assert bad not in stored["body"], stored["body"]


QUOTED = {  # (new text, quoted part, how the mail is written): what mail clients put under a reply
    "gmail-en": ("Yes, please send size M instead.",
                 "On Tue, 3 Mar 2026 at 10:15, Test Brand <{support}> wrote:\n"
                 "> Hello Kim,\n> would you like to exchange the shoes for another size?\n> Test Brand support",
                 "text"),
    "gmail-ko": ("네, M 사이즈로 보내주세요.",
                 "2026년 3월 3일 (화) 오전 10:15, Test Brand <{support}>님이 작성:\n"
                 "> 안녕하세요 고객님,\n> 다른 사이즈로 교환하시겠어요?", "text"),
    "outlook": ("Please cancel it.",
                "-----Original Message-----\nFrom: Test Brand <{support}>\nSent: Tuesday, March 3, 2026 10:15 AM\n"
                "To: Kim\nSubject: RE: order\n\nWould you like to cancel the order?", "text"),
    "gmail-html": ("Size M please.",
                   '<div class="gmail_quote"><div class="gmail_attr">On Tue, Mar 3, 2026 at 10:15 AM Test Brand '
                   '&lt;{support}&gt; wrote:<br></div><blockquote class="gmail_quote">Would you like to exchange?'
                   "<br>Test Brand</blockquote></div>", "html"),
}


@pytest.mark.parametrize("style", QUOTED.values(), ids=QUOTED.keys())
def test_quoted_history_is_stripped_from_the_body_and_the_full_original_kept(brand: Brand,
                                                                             style: tuple[str, str, str]) -> None:
    frm = customer()
    new, quoted, kind = style
    quoted = quoted.format(support=brand.support_email)
    if kind == "html":
        mid = send(brand, frm, subject="Re: Exchange", text=None, html=f'<div dir="ltr">{new}</div><br>{quoted}')
    else:
        mid = send(brand, frm, subject="Re: Exchange", text=f"{new}\n\n{quoted}\n")

    stored = message_by_id(brand, mid)
    assert stored["body"] == new
    original = stored["extra"]["original"]
    assert original.startswith(new)
    last_quoted_line = quoted.replace("<br>", "\n").split("\n")[-1].lstrip("> ").split("<")[0]
    assert last_quoted_line and last_quoted_line in original, (last_quoted_line, original)
    assert detail_body(brand, mid) == new


def detail_body(brand: Brand, message_id: str) -> str:
    tid = message_by_id(brand, message_id)["ticket_id"]
    [found] = [m for m in ticket_detail(owner(brand), tid)["messages"] if m["id"] == message_id]
    return str(found["body"])


def parsed_fields_event(brand: Brand, frm: str, subject: str, text: str, headers: list[list[str]],
                        files_: tuple[tuple[str, str, str, bytes], ...] = (), html: str | None = None,
                        signature: dict[str, str] | None = None) -> dict[str, Any]:
    """A route without `mime`: Mailgun posts the parsed fields and the files as multipart/form-data."""
    fields = [("recipient", brand.support_email), ("sender", frm.lower()), ("from", f"Kim Customer <{frm}>"),
              ("subject", subject), ("body-plain", text), ("stripped-text", text),
              *([("body-html", html)] if html is not None else []),
              ("message-headers", json.dumps(headers)), ("attachment-count", str(len(files_))),
              *(signature or signed()).items()]
    body, ctype = multipart(fields, list(files_))
    return gateway_event("POST", PATH, body, {"Content-Type": ctype})


def test_multipart_route_with_parsed_fields_and_a_binary_attachment(brand: Brand, aws: Aws) -> None:
    frm = customer()
    mid = new_id()
    blob = bytes(range(256)) * 8 + b"\r\n\r\n--not-a-boundary\r\n" + bytes(range(255, -1, -1))
    subject = "사진 보냅니다 / photo attached"
    headers = [["Received", "from mail.customer.example by mxa.mailgun.org"],
               ["Mime-Version", "1.0"], ["Content-Type", "multipart/mixed; boundary=\"xyz\""],
               ["From", f"Kim Customer <{frm}>"], ["To", brand.support_email],
               ["Subject", subject], ["Message-Id", f"<{mid}>"], ["Date", formatdate(usegmt=True)]]
    event = parsed_fields_event(brand, frm, subject, "사진 첨부합니다.\nThe photo is attached.", headers,
                                (("attachment-1", "상자 사진.bin", "application/octet-stream", blob),),
                                html="<div>사진 첨부합니다.<br>The photo is attached.</div>")
    response = handle(event)
    assert response["statusCode"] == 200, response

    ticket = only_ticket(brand)
    assert (ticket["contact"], ticket["subject"]) == (frm.lower(), subject)
    [stored] = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert stored["message_id"] == mid
    assert stored["body"] == "사진 첨부합니다.\nThe photo is attached."
    [media] = stored["media"]
    content, _ = s3_object(aws, media["url"])
    assert content == blob
    assert media["url"].endswith("상자 사진.bin")


def test_parsed_fields_reply_threads_on_the_in_reply_to_of_message_headers(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Coupon")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid)
    tables.drain(brand.queue_url)
    mid = new_id()
    headers = [["From", f"Kim Customer <{frm}>"], ["To", brand.support_email], ["Subject", "Re: Coupon"],
               ["Message-Id", f"<{mid}>"], ["In-Reply-To", f"<{first}>"], ["References", f"<{first}>"]]
    assert handle(parsed_fields_event(brand, frm, "Re: Coupon", "It still fails.", headers))["statusCode"] == 200
    ticket = only_ticket(brand)
    assert (ticket["ticket_id"], ticket["status"], ticket["message_count"]) == (tid, "open", 2)
    assert message_by_id(brand, mid)["ticket_id"] == tid
    assert kinds(brand) == [("ticket.reopened", tid)]


# --- 2. threading -------------------------------------------------------------------------------

def test_reply_with_in_reply_to_joins_the_ticket(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Where is my order?")
    tid = only_ticket(brand)["ticket_id"]
    tables.drain(brand.queue_url)

    second = send(brand, frm.upper(), subject="Re: Where is my order?", text="Any news?", in_reply_to=first,
                  references=[first])
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == tid and ticket["message_count"] == 2 and ticket["status"] == "open"
    assert [m["message_id"] for m in tables.messages_of(brand.account_id, tid)] == [first, second]
    assert kinds(brand) == []  # a follow-up to an open ticket: nothing for assignment


def test_reply_without_threading_headers_to_the_plus_address_joins_the_ticket(brand: Brand) -> None:
    frm = customer()
    send(brand, frm, subject="Refund")
    tid = only_ticket(brand)["ticket_id"]
    tables.drain(brand.queue_url)

    # The client dropped In-Reply-To and References and rewrote the subject; only the address is left.
    second = send(brand, frm, to=plus(brand, tid), subject="my refund", text="Still waiting for it.")
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == tid and ticket["message_count"] == 2
    assert message_by_id(brand, second)["ticket_id"] == tid
    assert kinds(brand) == []  # a follow-up to an open ticket: nothing for assignment


@pytest.mark.parametrize("by", ["in-reply-to", "references", "plus-address"])
def test_reply_to_a_ticket_closed_long_ago_reopens_it(brand: Brand, by: str) -> None:
    frm = customer()
    first = send(brand, frm, subject="Warranty")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid, long_ago=True)
    tables.drain(brand.queue_url)

    threading: dict[str, Any] = {
        "in-reply-to": {"in_reply_to": first},
        "references": {"references": [first, new_id()]},  # answering a later message we never saw
        "plus-address": {"to": plus(brand, tid)},
    }[by]
    send(brand, frm, subject="Re: Warranty", text="It broke again.", **threading)

    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == tid
    assert (ticket["status"], ticket["message_count"], ticket["reopen_count"]) == ("open", 2, 1)
    assert ticket["updated_at"] > LONG_AGO
    assert kinds(brand) == [("ticket.reopened", tid)]
    listed = list_tickets(owner(brand), {"view": "all", "status": "open"})["items"]
    assert [t["id"] for t in listed] == [tid]
    assert list_tickets(owner(brand), {"view": "all", "status": "closed"})["items"] == []


@pytest.mark.parametrize("by", ["in-reply-to", "plus-address"])
def test_reply_from_another_address_never_joins_the_customers_ticket(brand: Brand, by: str) -> None:
    alice, mallory = customer(), customer()
    first = send(brand, alice, subject="My address changed")
    alice_tid = only_ticket(brand)["ticket_id"]
    tables.drain(brand.queue_url)

    threading: dict[str, Any] = {"in-reply-to": {"in_reply_to": first, "references": [first]},
                                 "plus-address": {"to": plus(brand, alice_tid)}}[by]
    mid = send(brand, mallory, subject="Re: My address changed", text="Send it to me instead.", **threading)

    assert len(tables.tickets(brand.account_id)) == 2
    alice_ticket, mallory_ticket = ticket_of(brand, alice), ticket_of(brand, mallory)
    assert alice_ticket["ticket_id"] == alice_tid and alice_ticket["message_count"] == 1
    assert [m["message_id"] for m in tables.messages_of(brand.account_id, alice_tid)] == [first]
    assert mallory_ticket["ticket_id"] != alice_tid and mallory_ticket["message_count"] == 1
    assert message_by_id(brand, mid)["ticket_id"] == mallory_ticket["ticket_id"]
    assert kinds(brand) == [("ticket.created", mallory_ticket["ticket_id"])]


def test_another_address_replying_to_a_closed_ticket_does_not_reopen_it(brand: Brand) -> None:
    alice, mallory = customer(), customer()
    first = send(brand, alice, subject="Cancel my order")
    alice_tid = only_ticket(brand)["ticket_id"]
    close(brand, alice_tid)
    tables.drain(brand.queue_url)

    send(brand, mallory, subject="Re: Cancel my order", in_reply_to=first)
    assert tables.ticket_item(brand.account_id, alice_tid)["status"] == "closed"
    assert tables.ticket_item(brand.account_id, alice_tid)["message_count"] == 1
    assert kinds(brand) == [("ticket.created", ticket_of(brand, mallory)["ticket_id"])]


def test_two_people_answering_one_newsletter_get_separate_tickets(brand: Brand) -> None:
    newsletter = f"spring-sale-{uuid.uuid4().hex[:6]}@news.brand.example"  # sent by the ESP: never stored
    one, two = customer(), customer()
    for who, text in ((one, "Does the sale include boots?"), (two, "Unsubscribe me from nothing, just a question")):
        send(brand, who, subject="Re: Spring sale -30%", text=text, in_reply_to=newsletter,
             references=[newsletter])
    # and both write once more on their own thread
    send(brand, one, subject="Re: Spring sale -30%", text="And sandals?", in_reply_to=newsletter,
         references=[newsletter])

    assert len(tables.tickets(brand.account_id)) == 2
    first, second = ticket_of(brand, one), ticket_of(brand, two)
    assert first["ticket_id"] != second["ticket_id"]
    assert (first["message_count"], second["message_count"]) == (2, 1)
    assert {m["sender"] for m in tables.messages_of(brand.account_id, first["ticket_id"])} == {one.lower()}
    assert {m["sender"] for m in tables.messages_of(brand.account_id, second["ticket_id"])} == {two.lower()}


# --- 3. automatic mail ------------------------------------------------------------------------------

AUTOMATIC = {
    "auto-submitted": {"Auto-Submitted": "auto-replied"},
    "precedence-bulk": {"Precedence": "bulk"},
    "x-autoreply": {"X-Autoreply": "yes"},
    "empty-return-path": {"Return-Path": "<>"},
    "list-id": {"List-Id": "Customers <customers.lists.customer.example>"},
    "precedence-list": {"Precedence": "list"},
    "x-loop": {"X-Loop": "customer.example"},
    "list-unsubscribe": {"List-Unsubscribe": "<mailto:unsubscribe@customer.example>"},
    "x-autorespond": {"X-Autorespond": "vacation"},
}


@pytest.mark.parametrize("headers", AUTOMATIC.values(), ids=AUTOMATIC.keys())
def test_automatic_reply_to_a_closed_ticket_is_stored_without_reopening_it(brand: Brand,
                                                                           headers: dict[str, str]) -> None:
    frm = customer()
    first = send(brand, frm, subject="Return label")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid)
    before = tables.ticket_item(brand.account_id, tid)
    tables.drain(brand.queue_url)

    auto = send(brand, frm, subject="Out of office: Re: Return label",
                text="I am out of the office until Monday.", in_reply_to=first, references=[first], headers=headers)

    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == tid
    assert (ticket["status"], ticket["message_count"], ticket["reopen_count"]) == ("closed", 2, 0)
    assert ticket["updated_at"] == before["updated_at"]
    stored = message_by_id(brand, auto)
    assert stored["ticket_id"] == tid and stored["automatic"] is True
    assert stored["extra"].get("automatic_reason")
    assert tables.queue_depth(brand.queue_url) == 0
    assert list_tickets(owner(brand), {"view": "all", "status": "open"})["items"] == []


@pytest.mark.parametrize("headers", list(AUTOMATIC.values())[:3], ids=list(AUTOMATIC)[:3])
def test_automatic_reply_to_an_open_ticket_is_kept_without_moving_it_up_the_views(
        brand: Brand, headers: dict[str, str]) -> None:
    frm = customer()
    first = send(brand, frm, subject="Return label")
    tid = only_ticket(brand)["ticket_id"]
    before = tables.ticket_item(brand.account_id, tid)
    assert before is not None and before["status"] == "open"
    auto = send(brand, frm, subject="Out of office: Re: Return label", text="I am away.",
                in_reply_to=first, references=[first], headers=headers)
    ticket = tables.ticket_item(brand.account_id, tid)
    assert ticket is not None and ticket["message_count"] == 2
    for field in ("status", "updated_at", "last_inbound_at", "gsi1sk", "gsi2sk", "gsi3sk"):
        assert ticket.get(field) == before.get(field), field
    assert message_by_id(brand, auto)["ticket_id"] == tid


def test_automatic_new_thread_opens_a_ticket_with_its_message_marked_automatic(brand: Brand) -> None:
    frm = customer()
    mid = send(brand, frm, subject="Automatic reply: your order", text="I am away.",
               headers={"Auto-Submitted": "auto-replied"})
    ticket = only_ticket(brand)
    assert message_by_id(brand, mid)["automatic"] is True
    sent = tables.drain(brand.queue_url)
    assert [(e["type"], e["ticket_id"]) for e in sent] == [("ticket.created", ticket["ticket_id"])]


def test_human_reply_with_auto_submitted_no_reopens(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Gift wrap")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid)
    tables.drain(brand.queue_url)
    send(brand, frm, subject="Re: Gift wrap", in_reply_to=first, headers={"Auto-Submitted": "no"})
    assert only_ticket(brand)["status"] == "open"
    assert kinds(brand) == [("ticket.reopened", tid)]


# --- 4. agent replies thread --------------------------------------------------------------------------

def _sent_mails() -> list[Any]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    return ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages


def test_customer_answer_to_an_agent_reply_joins_the_ticket(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Size exchange")
    tid = only_ticket(brand)["ticket_id"]
    before = len(_sent_mails())
    replies.post(AgentIdentity("agent-1", brand.account_id, ("owner",)), tid,
                 {"body": "Sure, which size would you like?", "type": "reply"})
    [outbound] = [m for m in tables.messages_of(brand.account_id, tid) if m["direction"] == "outbound"]
    ours = outbound["message_id"]
    assert outbound["body"] == "Sure, which size would you like?"

    # what SES sent carries our Message-ID, threads on the customer's mail and names the ticket in Reply-To
    [sent] = [m for m in _sent_mails()[before:] if frm.lower() in [d.lower() for d in m.destinations]]
    raw = sent.raw_data.encode() if isinstance(sent.raw_data, str) else sent.raw_data
    out = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert out["Message-ID"].strip("<> ") == ours
    assert out["In-Reply-To"].strip("<> ") == first
    assert str(out["Reply-To"]) == plus(brand, tid)
    tables.drain(brand.queue_url)

    # the answer threads on our Message-ID only (no References back to the first mail)
    answer = send(brand, frm, to=str(out["Reply-To"]), subject=f"Re: {out['Subject']}", text="Size M, thanks.",
                  in_reply_to=ours)
    ticket = only_ticket(brand)
    assert ticket["ticket_id"] == tid and ticket["message_count"] == 3
    assert message_by_id(brand, answer)["ticket_id"] == tid
    assert kinds(brand) == []  # a follow-up to an open ticket: nothing for assignment

    # and once the ticket is closed, the next answer on our Message-ID reopens it
    close(brand, tid)
    send(brand, frm, subject="Re: Size exchange", text="Actually, size L.", in_reply_to=ours,
         references=[first, ours])
    ticket = only_ticket(brand)
    assert (ticket["status"], ticket["message_count"]) == ("open", 4)
    assert kinds(brand) == [("ticket.reopened", tid)]


# --- 5. SES receiving ---------------------------------------------------------------------------------

def ses_event(brand: Brand, message_id: str, sender: str, raw: bytes, spam: str = "PASS",
              virus: str = "PASS") -> dict[str, Any]:
    parsed = BytesParser(policy=email.policy.default).parsebytes(raw, headersonly=True)  # its headers only
    headers = [{"name": k, "value": str(v)} for k, v in parsed.items()]
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
    return {"Records": [{
        "eventSource": "aws:ses", "eventVersion": "1.0",
        "ses": {
            "mail": {
                "timestamp": now, "source": sender.lower(), "messageId": message_id,
                "destination": [brand.support_email], "headersTruncated": False, "headers": headers,
                "commonHeaders": {"returnPath": sender.lower(), "from": [str(parsed["From"])],
                                  "date": str(parsed["Date"]), "to": [brand.support_email],
                                  "messageId": str(parsed["Message-ID"]), "subject": str(parsed["Subject"])},
            },
            "receipt": {
                "timestamp": now, "processingTimeMillis": 421, "recipients": [brand.support_email],
                "spamVerdict": {"status": spam}, "virusVerdict": {"status": virus},
                "spfVerdict": {"status": "PASS"}, "dkimVerdict": {"status": "GRAY"},
                "dmarcVerdict": {"status": "PASS"},
                "action": {"type": "Lambda", "invocationType": "Event",
                           "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:email_webhook"},
            },
        },
    }]}


def ses_event_stored(aws: Aws, brand: Brand, monkeypatch: pytest.MonkeyPatch, frm: str, raw: bytes,
                     spam: str = "PASS") -> dict[str, Any]:
    """What SES does for a receipt rule with an S3 action then a Lambda action: the raw MIME stored at
    `<prefix><messageId>`, then the event."""
    monkeypatch.setenv("SES_OBJECT_PREFIX", "inbound/")
    ses_id = uuid.uuid4().hex + "ses0a1b2"  # SES ids: 40 lowercase alphanumerics
    aws.client("s3").put_object(Bucket=BUCKET, Key=f"inbound/{ses_id}", Body=raw)
    return ses_event(brand, ses_id, frm, raw, spam=spam)


def ses_deliver(aws: Aws, brand: Brand, monkeypatch: pytest.MonkeyPatch, frm: str, raw: bytes,
                spam: str = "PASS") -> dict[str, Any]:
    return email_webhook.handler(ses_event_stored(aws, brand, monkeypatch, frm, raw, spam), None)


def test_ses_receipt_reads_the_mime_from_s3_and_keeps_the_verdicts(aws: Aws, brand: Brand,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    frm = customer()
    raw, mid = mime(frm, brand.support_email, "Invoice please", "Could you send me an invoice for #1002?",
                    attachments=(("order.pdf", "application/pdf", PDF),))
    event = ses_event_stored(aws, brand, monkeypatch, frm, raw)
    assert email_webhook.handler(event, None) == {"disposition": "CONTINUE"}
    assert email_webhook.handler(event, None) == {"disposition": "CONTINUE"}  # Lambda's retry of the event

    ticket = only_ticket(brand)
    assert (ticket["contact"], ticket["subject"], ticket["status"]) == (frm.lower(), "Invoice please", "open")
    assert not ticket.get("spam")
    stored = message_by_id(brand, mid)
    assert stored["body"] == "Could you send me an invoice for #1002?"
    extra = stored["extra"]
    assert (extra["spam_verdict"], extra["virus_verdict"], extra["spf_verdict"], extra["dkim_verdict"],
            extra["dmarc_verdict"]) == ("PASS", "PASS", "PASS", "GRAY", "PASS")
    [media] = stored["media"]
    assert s3_object(aws, media["url"]) == (PDF, "application/pdf")
    assert [t["id"] for t in list_tickets(owner(brand), {"view": "all"})["items"]] == [ticket["ticket_id"]]
    assert list_tickets(owner(brand), {"view": "spam"})["items"] == []
    # the retry re-sends the ticket's event (assignment is idempotent), and nothing else
    assert set(kinds(brand)) == {("ticket.created", ticket["ticket_id"])}

    # a reply arriving the same way joins
    reply, _ = mime(frm, brand.support_email, "Re: Invoice please", "Thanks!", in_reply_to=mid)
    ses_deliver(aws, brand, monkeypatch, frm, reply)
    assert only_ticket(brand)["message_count"] == 2


def test_ses_spam_verdict_puts_the_new_ticket_in_the_spam_view(aws: Aws, brand: Brand,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    frm = customer()
    raw, mid = mime(frm, brand.support_email, "You won a prize", "Click here to claim it.")
    ses_deliver(aws, brand, monkeypatch, frm, raw, spam="FAIL")

    ticket = only_ticket(brand)
    assert (ticket["contact"], ticket["status"], ticket["spam"]) == (frm.lower(), "open", True)
    assert ticket["gsi1pk"] == f"A#{brand.account_id}#SPAM" and "gsi3pk" not in ticket
    stored = message_by_id(brand, mid)
    assert stored["extra"]["spam_verdict"] == "FAIL"
    spam = list_tickets(owner(brand), {"view": "spam"})["items"]
    assert [(t["id"], t["contact"], t["spam"]) for t in spam] == [(ticket["ticket_id"], frm.lower(), True)]
    assert list_tickets(owner(brand), {"view": "all"})["items"] == []
    assert list_tickets(owner(brand), {"view": "unassigned"})["items"] == []


# --- 6. exactly once ----------------------------------------------------------------------------------

def test_delivery_replayed_three_times_in_sequence_stores_one_message(brand: Brand, aws: Aws) -> None:
    frm = customer()
    raw, mid = mime(frm, brand.support_email, "Lost parcel", "My parcel is lost.",
                    attachments=(("label.pdf", "application/pdf", PDF),))
    event = mime_route(raw, brand.support_email, frm)
    for _ in range(3):
        assert handle(event)["statusCode"] == 200
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 1
    assert [m["message_id"] for m in tables.all_messages(brand.account_id)] == [mid]
    assert len(s3_keys(aws, f"attachments/{brand.account_id}/")) == 1
    assert {(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)} == {
        ("ticket.created", ticket["ticket_id"])}


def test_delivery_replayed_three_times_at_once_stores_one_message(brand: Brand, aws: Aws) -> None:
    frm = customer()
    raw, mid = mime(frm, brand.support_email, "Lost parcel", "Where is it?",
                    attachments=(("label.pdf", "application/pdf", PDF),))
    signature = signed()
    responses = all_at_once([lambda: handle(mime_route(raw, brand.support_email, frm, signature))] * 3)
    assert [r["statusCode"] for r in responses] == [200] * 3
    ticket = only_ticket(brand)
    assert ticket["message_count"] == 1
    assert [m["message_id"] for m in tables.all_messages(brand.account_id)] == [mid]
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    assert len(s3_keys(aws, f"attachments/{brand.account_id}/")) == 1
    sent = tables.drain(brand.queue_url)
    assert {(e["type"], e["ticket_id"]) for e in sent} == {("ticket.created", ticket["ticket_id"])}


def test_replay_of_a_reply_to_a_closed_ticket_reopens_it_once(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Broken zip")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid)
    tables.drain(brand.queue_url)
    raw, _ = mime(frm, brand.support_email, "Re: Broken zip", "Hello again", in_reply_to=first)
    signature = signed()
    responses = all_at_once([lambda: handle(mime_route(raw, brand.support_email, frm, signature))] * 3)
    assert [r["statusCode"] for r in responses] == [200] * 3
    ticket = only_ticket(brand)
    assert (ticket["status"], ticket["message_count"], ticket["reopen_count"]) == ("open", 2, 1)
    assert {e for e in kinds(brand)} == {("ticket.reopened", tid)}


@pytest.mark.parametrize("shape", ["all-answer-the-root", "a-chain-of-answers"])
def test_twenty_concurrent_replies_of_a_new_customer_in_one_thread_make_one_ticket(brand: Brand, shape: str) -> None:
    frm = customer()
    root = f"campaign-{uuid.uuid4().hex[:8]}@news.brand.example"  # the thread's root: never seen by us
    ids = [new_id() for _ in range(20)]
    mails = []
    for n, mid in enumerate(ids):
        if shape == "all-answer-the-root" or n == 0:
            threading: dict[str, Any] = {"in_reply_to": root, "references": [root]}
        else:  # each answers the one before, which may or may not be stored yet
            threading = {"in_reply_to": ids[n - 1], "references": [root, *ids[:n]]}
        mails.append(mime(frm, brand.support_email, "Re: Your order has shipped", f"question {n}", message_id=mid,
                          **threading))
    responses = all_at_once([lambda raw=raw: handle(mime_route(raw, brand.support_email, frm))
                             for raw, _ in mails])
    assert [r["statusCode"] for r in responses] == [200] * 20

    ticket = only_ticket(brand)
    assert ticket["message_count"] == 20 and ticket["status"] == "open"
    stored = tables.messages_of(brand.account_id, ticket["ticket_id"])
    assert sorted(m["message_id"] for m in stored) == sorted(ids)
    assert sorted(m["body"] for m in stored) == sorted(f"question {n}" for n in range(20))
    assert len(tables.all_messages(brand.account_id)) == 20
    assert len(tables.items_of_type(brand.account_id, "contact")) == 1
    assert len(tables.items_of_type(brand.account_id, "profile")) == 1
    sent = tables.drain(brand.queue_url)
    assert {e["ticket_id"] for e in sent} == {ticket["ticket_id"]}
    assert [e["type"] for e in sent].count("ticket.created") == 1


def test_ten_concurrent_replies_to_a_closed_ticket_reopen_it_once(brand: Brand) -> None:
    frm = customer()
    first = send(brand, frm, subject="Late delivery")
    tid = only_ticket(brand)["ticket_id"]
    close(brand, tid, long_ago=True)
    tables.drain(brand.queue_url)
    mails = [mime(frm, brand.support_email, "Re: Late delivery", f"hello? {n}", in_reply_to=first)[0]
             for n in range(10)]
    responses = all_at_once([lambda raw=raw: handle(mime_route(raw, brand.support_email, frm)) for raw in mails])
    assert [r["statusCode"] for r in responses] == [200] * 10
    ticket = only_ticket(brand)
    assert (ticket["status"], ticket["message_count"], ticket["reopen_count"]) == ("open", 11, 1)
    sent = kinds(brand)
    assert sent.count(("ticket.reopened", tid)) == 1 and {t for _, t in sent} == {tid}


def test_parsed_fields_delivery_without_a_message_id_replayed_stores_one_message(brand: Brand) -> None:
    """Mail without a Message-ID exists (scripts, some bounces). Mailgun redelivers the same fields;
    every redelivery must still be recognised as the same message."""
    frm = customer()
    headers = [["From", f"Kim Customer <{frm}>"], ["To", brand.support_email], ["Subject", "no id"],
               ["Date", "Tue, 03 Mar 2026 10:15:00 +0000"]]
    for _ in range(3):  # each retry is a new POST, freshly signed
        event = parsed_fields_event(brand, frm, "no id", "A message without an id.", headers,
                                    (("attachment-1", "a.pdf", "application/pdf", PDF),),
                                    html="<p>A message without an id.</p>")
        assert handle(event)["statusCode"] == 200
    ticket = only_ticket(brand)
    assert len(tables.all_messages(brand.account_id)) == 1
    assert ticket["message_count"] == 1


# --- 7. bad input -------------------------------------------------------------------------------------

def assert_nothing_written(brand: Brand, aws: Aws, before: frozenset[str]) -> None:
    assert tables.snapshot(brand.account_id) == before
    assert tables.queue_depth(brand.queue_url) == 0
    assert s3_keys(aws, f"attachments/{brand.account_id}/") == {}


def attached(brand: Brand, frm: str) -> bytes:
    raw, _ = mime(frm, brand.support_email, "Hi", "Hello", attachments=(("a.pdf", "application/pdf", PDF),))
    return raw


@pytest.mark.parametrize("age", [301, 3600, -3600])
def test_stale_timestamp_is_refused_and_nothing_written(brand: Brand, aws: Aws, age: int) -> None:
    frm = customer()
    before = tables.snapshot(brand.account_id)
    event = mime_route(attached(brand, frm), brand.support_email, frm, signed(int(time.time()) - age))
    response = handle(event)
    assert response["statusCode"] in (401, 403), response
    assert "timestamp" in response["body"]
    assert_nothing_written(brand, aws, before)


@pytest.mark.parametrize("how", ["other-key", "other-token", "garbage"])
def test_bad_signature_is_forbidden_and_nothing_written(brand: Brand, aws: Aws, how: str) -> None:
    frm = customer()
    signature = signed(key="not-the-key") if how == "other-key" else signed()
    if how == "other-token":
        signature["token"] = secrets.token_hex(25)
    elif how == "garbage":
        signature["signature"] = "zz" * 32
    before = tables.snapshot(brand.account_id)
    response = handle(mime_route(attached(brand, frm), brand.support_email, frm, signature))
    assert response["statusCode"] == 403, response
    assert_nothing_written(brand, aws, before)


@pytest.mark.parametrize("missing", ["signature", "token", "timestamp", "all"])
def test_missing_signature_is_unauthorized_and_nothing_written(brand: Brand, aws: Aws, missing: str) -> None:
    frm = customer()
    signature = signed()
    for name in (("signature", "token", "timestamp") if missing == "all" else (missing,)):
        del signature[name]
    before = tables.snapshot(brand.account_id)
    response = handle(mime_route(attached(brand, frm), brand.support_email, frm, signature))
    assert response["statusCode"] == 401, response
    assert_nothing_written(brand, aws, before)


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_wrong_content_type_is_unsupported(brand: Brand, aws: Aws, content_type: str | None) -> None:
    frm = customer()
    event = mime_route(attached(brand, frm), brand.support_email, frm)
    if content_type is None:
        del event["headers"]["Content-Type"]
    else:
        event["headers"]["Content-Type"] = content_type
    before = tables.snapshot(brand.account_id)
    response = handle(event)
    assert response["statusCode"] == 415, response
    assert_nothing_written(brand, aws, before)


def test_mail_to_no_accounts_address_is_406_and_nothing_written(brand: Brand, aws: Aws) -> None:
    frm = customer()
    nobody = f"support@nobody-{uuid.uuid4().hex[:6]}.example"
    raw, _ = mime(frm, nobody, "Hi", "Hello", attachments=(("a.pdf", "application/pdf", PDF),))
    before = tables.snapshot(brand.account_id)
    response = handle(mime_route(raw, nobody, frm))
    assert response["statusCode"] == 406, response
    assert "error" in response["body"]
    assert_nothing_written(brand, aws, before)


@pytest.mark.parametrize("raw", [
    b"this is not a mail message at all",
    b"Subject: no sender\r\nTo: x@y.example\r\n\r\nbody\r\n",
    b"From: \r\nSubject: empty sender\r\n\r\nbody\r\n",
    b"\r\n\r\n",
], ids=["garbage", "no-from", "empty-from", "blank"])
def test_malformed_mime_is_406_and_nothing_written(brand: Brand, aws: Aws, raw: bytes) -> None:
    before = tables.snapshot(brand.account_id)
    response = handle(mime_route(raw, brand.support_email, "someone@customer.example"))
    assert response["statusCode"] == 406, response
    assert_nothing_written(brand, aws, before)
