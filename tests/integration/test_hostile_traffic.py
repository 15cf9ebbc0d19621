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
