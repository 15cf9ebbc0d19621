"""Hostile traffic at the webhooks costs the attacker more than it costs us: an unsigned form is
refused from its three small signature fields, before the body is parsed; a flood of parts is refused
whoever signs it; deep JSON is a 400, not a crash. Judged by the answer and by what the table holds."""
from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.providers import mailgun
from tests.conftest import Brand
from tests.integration import tables
from tests.integration.test_email_webhook import PATH, customer, handle, mime, multipart, signed
from tests.providers import gateway_event


def form_event(body: bytes, content_type: str) -> dict[str, Any]:
    return gateway_event("POST", PATH, body, {"Content-Type": content_type})


@pytest.fixture
def no_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    """The form must not be parsed: the answer has to come from the signature fields alone."""

    def refuse(*_: Any) -> Any:
        raise AssertionError("the form was parsed")

    monkeypatch.setattr(mailgun, "parse_form", refuse)


def test_an_unsigned_six_megabyte_form_of_seventy_thousand_empty_files_is_refused_unparsed(
        brand: Brand, no_parse: None) -> None:
    before = tables.snapshot(brand.account_id)
    part = b'--b\r\nContent-Disposition: form-data; name="attachment"; filename="x"\r\n\r\n\r\n'
    body, ctype = part * 70_000 + b"--b--\r\n", "multipart/form-data; boundary=b"
    assert 5_000_000 < len(body) < 6 * 1024 * 1024  # under the Lambda payload limit: the parts must be refused
    response = handle(form_event(body, ctype))
    assert response["statusCode"] == 406, response  # Mailgun does not retry a 406
    assert tables.snapshot(brand.account_id) == before


@pytest.mark.parametrize("signature", ["missing", "wrong"])
def test_an_unsigned_form_is_refused_before_it_is_parsed(brand: Brand, no_parse: None, signature: str) -> None:
    raw, _ = mime(customer(), brand.support_email, "Where is my order?", "hello")
    fields = [("recipient", brand.support_email), ("body-mime", raw.decode())]
    if signature == "wrong":
        fields += [*signed().items()][:2] + [("signature", "0" * 64)]
    body, ctype = multipart(fields, [("attachment-1", "a.pdf", "application/pdf", b"%PDF")])
    response = handle(form_event(body, ctype))
    assert response["statusCode"] == (401 if signature == "missing" else 403), response


def test_a_signed_form_of_too_many_parts_is_406_and_stores_nothing(brand: Brand) -> None:
    before = tables.snapshot(brand.account_id)
    body, ctype = multipart([("recipient", brand.support_email), *signed().items()],
                            [(f"attachment-{i}", f"f{i}.txt", "text/plain", b"x") for i in range(120)])
    assert handle(form_event(body, ctype))["statusCode"] == 406
    assert tables.snapshot(brand.account_id) == before


def test_a_signed_form_is_still_taken(brand: Brand) -> None:
    raw, _ = mime(customer(), brand.support_email, "Where is my order?", "hello")
    body, ctype = multipart([("recipient", brand.support_email), ("body-mime", raw.decode()), *signed().items()], [])
    assert handle(form_event(body, ctype))["statusCode"] == 200
    assert len(tables.tickets(brand.account_id)) == 1


@pytest.mark.parametrize("raw", [b"[" * 20_000, b'{"a":' * 20_000])
def test_deeply_nested_json_is_400_at_the_agent_api(api: Any, raw: bytes) -> None:
    response = api.post("/api/tickets/bulk", headers={"Content-Type": "application/json"}, body=raw)
    assert response.status_code in (400, 401), response.body  # never a crash: refused, in our shape
    assert isinstance(json.loads(response.body).get("error"), str)


@pytest.mark.parametrize("raw", [b"[" * 20_000, b'{"a":' * 20_000])
def test_deeply_nested_json_is_400_at_the_web_chat_webhook(raw: bytes) -> None:
    from functions.webhooks import webchat

    event = gateway_event("POST", "/webhooks/webchat", raw, {"Content-Type": "application/json",
                                                              "Authorization": "Bearer x"})
    response = webchat.handler(event, None)
    assert response["statusCode"] in (400, 401), response


# --- web chat: one token, a few conversations ------------------------------------------------------------

def test_one_web_chat_token_opens_three_conversations_then_429(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.test_webchat import post, say, session

    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    token = session()["token"]
    opened = [say(token, f"question {i}")["conversation_id"] for i in range(3)]
    assert len(set(opened)) == 3
    before = tables.snapshot(brand.account_id)
    for i in range(27):
        status, answer = post(token, {"type": "message", "message_id": f"flood-{i}", "text": "spam"})
        assert status == 429 and answer["error"], answer
    assert tables.snapshot(brand.account_id) == before
    assert len(tables.tickets(brand.account_id)) == 3
    # The session's own conversations still take messages; a replay of a first message is no new one.
    assert say(token, "and another thing", conversation_id=opened[0])["conversation_id"] == opened[0]
    # A new session (another visitor, or the same one coming back) starts afresh.
    assert say(session()["token"], "hello")["conversation_id"] not in opened


def test_a_replayed_first_message_does_not_count_twice(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.integration.test_webchat import say, session

    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    token = session()["token"]
    first = say(token, "hi", message_id="m-1")
    for _ in range(3):
        assert say(token, "hi", message_id="m-1") == first
    assert len({say(token, f"q{i}")["conversation_id"] for i in range(2)} | {first["conversation_id"]}) == 3


# --- email attachments: capped, written after the claim, never overwritten, never rendered -----------------

def _objects(aws: Any, account_id: str) -> dict[str, dict[str, Any]]:
    from tests.integration.test_email_webhook import BUCKET

    s3 = aws.client("s3")
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix=f"attachments/{account_id}/").get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=BUCKET, Key=o["Key"]) for o in listed}


def test_a_mail_of_three_thousand_tiny_attachments_is_406_and_writes_nothing(aws: Any, brand: Brand) -> None:
    from tests.integration.test_email_webhook import mime_route

    raw, _ = mime(customer(), brand.support_email, "files", "see attached",
                  attachments=tuple((f"f{i}.txt", "text/plain", b"x") for i in range(3_000)))
    before = tables.snapshot(brand.account_id)
    response = handle(mime_route(raw, brand.support_email, "someone@example.com"))
    assert response["statusCode"] == 406, response
    assert tables.snapshot(brand.account_id) == before
    assert _objects(aws, brand.account_id) == {}


def test_a_second_mail_with_the_same_message_id_cannot_overwrite_the_first_ones_files(aws: Any, brand: Brand) -> None:
    from tests.integration.test_email_webhook import mime_route, new_id

    mid = new_id()
    first, second = customer(), customer()
    raw, _ = mime(first, brand.support_email, "invoice", "attached", message_id=mid,
                  attachments=(("invoice.pdf", "application/pdf", b"%PDF-1.4 the real one"),))
    assert handle(mime_route(raw, brand.support_email, first))["statusCode"] == 200
    raw, _ = mime(second, brand.support_email, "invoice", "attached", message_id=mid,
                  attachments=(("invoice.pdf", "application/pdf", b"%PDF-1.4 forged"),))
    assert handle(mime_route(raw, brand.support_email, second))["statusCode"] == 200
    stored = {key: obj["Body"].read() for key, obj in _objects(aws, brand.account_id).items()}
    # Each sender's mail is its own message (a Message-ID is unique per sender only), with its own file.
    files_of = {m["sender"]: stored[m["media"][0]["url"].split("/", 3)[3]]
                for m in tables.all_messages(brand.account_id) if m.get("media")}
    assert files_of == {first.lower(): b"%PDF-1.4 the real one", second.lower(): b"%PDF-1.4 forged"}


def test_another_sender_reusing_a_message_id_is_not_taken_for_a_replay(brand: Brand) -> None:
    from tests.integration.test_email_webhook import mime_route, new_id

    mid = new_id()
    first, second = customer(), customer()
    for sender, text in ((first, "my parcel is late"), (second, "same id, other person")):
        raw, _ = mime(sender, brand.support_email, "parcel", text, message_id=mid)
        assert handle(mime_route(raw, brand.support_email, sender))["statusCode"] == 200
    by_sender = {t["contact"]: t for t in tables.tickets(brand.account_id)}
    assert set(by_sender) == {first.lower(), second.lower()}  # neither lost, neither in the other's ticket


def test_a_reply_whose_dmarc_fails_does_not_join_the_customers_ticket(aws: Any, brand: Brand,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """SES says the From's domain did not send it: whoever did may not write into that customer's
    conversation by quoting its Message-ID."""
    from functions.webhooks import email as email_webhook
    from tests.integration.test_email_webhook import ses_event_stored

    frm = customer()
    raw, first = mime(frm, brand.support_email, "refund", "please refund order 1001")
    assert handle(mime_route_for(raw, brand, frm))["statusCode"] == 200
    [original] = tables.tickets(brand.account_id)
    forged, _ = mime(frm, brand.support_email, "Re: refund", "send it to this other account instead",
                     in_reply_to=first, references=[first])
    event = ses_event_stored(aws, brand, monkeypatch, frm, forged)
    event["Records"][0]["ses"]["receipt"]["dmarcVerdict"] = {"status": "FAIL"}
    assert email_webhook.handler(event, None) == {"disposition": "CONTINUE"}
    assert len(tables.tickets(brand.account_id)) == 2  # kept, in a ticket of its own
    assert tables.ticket_item(brand.account_id, original["ticket_id"])["message_count"] == 1  # type: ignore[index]


def mime_route_for(raw: bytes, brand: Brand, sender: str) -> dict[str, Any]:
    from tests.integration.test_email_webhook import mime_route

    return mime_route(raw, brand.support_email, sender)


def test_an_html_attachment_is_stored_as_a_download_under_a_short_key(aws: Any, brand: Brand) -> None:
    from tests.integration.test_email_webhook import mime_route

    name = "견적서" * 80 + ".html"  # 240 characters, 720+ bytes of UTF-8
    raw, _ = mime(customer(), brand.support_email, "quote", "see attached",
                  attachments=((name, "text/html", b"<script>alert(1)</script>"),))
    assert handle(mime_route(raw, brand.support_email, "someone@example.com"))["statusCode"] == 200
    [(key, obj)] = _objects(aws, brand.account_id).items()
    assert len(key.encode()) < 1024
    assert obj["ContentDisposition"].startswith("attachment;")


def test_a_captured_mailgun_signature_cannot_carry_another_mail(brand: Brand) -> None:
    from tests.integration.test_email_webhook import mime_route

    triple = signed()
    raw, _ = mime(customer(), brand.support_email, "hello", "the real mail")
    assert handle(mime_route(raw, brand.support_email, "a@example.com", triple))["statusCode"] == 200
    assert handle(mime_route(raw, brand.support_email, "a@example.com", triple))["statusCode"] == 200  # a retry
    before = tables.snapshot(brand.account_id)
    forged, _ = mime(customer(), brand.support_email, "hello", "a forged mail")
    response = handle(mime_route(forged, brand.support_email, "a@example.com", triple))
    assert response["statusCode"] == 403, response
    assert tables.snapshot(brand.account_id) == before


# --- oversized and far-off values are a 400, never a 5xx -------------------------------------------------

@pytest.mark.parametrize("path", ["/api/tickets/" + "t" * 5000, "/api/tickets?view=all&next=" + "e" * 5000])
def test_oversized_ids_and_cursors_are_400(api: Any, pool: Any, aws: Any, brand: Brand, path: str) -> None:
    from tests.integration.agents import member

    owner = member(aws, pool, brand.account_id, "owner")
    response = api.get(path, headers=owner.headers)
    assert response.status_code == 400, response.body


@pytest.mark.parametrize("until", ["9999-12-31T00:00:00Z", "2999-01-01T00:00:00+00:00"])
def test_a_far_future_snooze_is_400(api: Any, pool: Any, aws: Any, brand: Brand, until: str) -> None:
    from tests.conftest import customer_number
    from tests.integration.agents import member, text, ticket_id_of

    owner = member(aws, pool, brand.account_id, "owner")
    phone = customer_number()
    text(brand, phone, "hello")
    response = api.patch(f"/api/tickets/{ticket_id_of(brand, phone)}", body=json.dumps({"snooze_until": until}),
                         headers={**owner.headers, "Content-Type": "application/json"})
    assert response.status_code == 400, response.body
