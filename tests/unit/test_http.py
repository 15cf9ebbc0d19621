"""API Gateway proxy events: headers, bodies, content types, forms, the public URL, error answers."""
from __future__ import annotations

import base64
import json
import socket
from typing import Any

import pytest

from helpdesk.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    HelpdeskError,
    NotFound,
    PayloadTooLarge,
    Transient,
    Unauthorized,
    UnknownAddress,
    UnsupportedMediaType,
)
from helpdesk.providers import http

EXECUTE_API_HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"


def event(body: str | bytes | None = None, *, b64: bool = False, headers: dict[str, str] | None = None,
          path: str = "/webhooks/sms", context_path: str | None = None,
          query: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """A REST API (v1) proxy-integration event as API Gateway sends it."""
    if b64:
        raw = body if isinstance(body, bytes) else (body or "").encode()
        body = base64.b64encode(raw).decode()
    given = {k.lower(): v for k, v in (headers or {}).items()}
    domain = given.get("host") or "hooks.example.test"  # API Gateway's domainName: where the request came in
    return {
        "resource": path, "path": path, "httpMethod": "POST",
        "headers": headers if headers is not None else {"Host": "hooks.example.test", "X-Forwarded-Proto": "https"},
        "multiValueHeaders": {},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"path": context_path or path, "stage": "prod", "domainName": domain,
                           "httpMethod": "POST", "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"},
        "body": body, "isBase64Encoded": b64,
    }


def test_network_is_blocked_in_unit_tests() -> None:
    with pytest.raises(RuntimeError, match="network"):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock, pytest.raises(RuntimeError, match="network"):
        sock.connect(("127.0.0.1", 9))


# --- headers -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["X-Twilio-Signature", "x-twilio-signature", "X-TWILIO-SIGNATURE"])
def test_header_lookup_ignores_case(name: str) -> None:
    e = event(headers={"x-twilio-signature": "abc=", "Host": "h"})
    assert http.header(e, name) == "abc="
    e = event(headers={"X-Twilio-Signature": "abc="})
    assert http.header(e, name) == "abc="


def test_missing_header_is_none() -> None:
    assert http.header(event(), "X-Hub-Signature-256") is None


def test_headers_null_is_none() -> None:
    e = event()
    e["headers"] = None
    assert http.header(e, "Host") is None


# --- body ----------------------------------------------------------------------------------------


def test_raw_body_decodes_base64() -> None:
    data = b"\x00\xffbinary and text \xe2\x9c\x93"
    assert http.raw_body(event(data, b64=True)) == data


def test_raw_body_plain_text_is_utf8() -> None:
    assert http.raw_body(event("Body=h%C3%A9llo&é=1")) == "Body=h%C3%A9llo&é=1".encode()


@pytest.mark.parametrize("body", [None, ""])
def test_empty_body(body: str | None) -> None:
    assert http.raw_body(event(body)) == b""


def test_invalid_base64_is_a_bad_request() -> None:
    e = event("not base64!!")
    e["isBase64Encoded"] = True
    with pytest.raises(BadRequest):
        http.raw_body(e)


@pytest.mark.parametrize("b64", [False, True])
def test_body_at_the_limit_passes_and_one_byte_over_is_too_large(b64: bool) -> None:
    assert len(http.raw_body(event("a" * 100, b64=b64), limit=100)) == 100
    with pytest.raises(PayloadTooLarge):
        http.raw_body(event("a" * 101, b64=b64), limit=100)


def test_limit_counts_bytes_not_characters() -> None:
    with pytest.raises(PayloadTooLarge):
        http.raw_body(event("é" * 60), limit=100)  # 60 characters, 120 bytes


def test_default_limit() -> None:
    http.raw_body(event("a" * http.MAX_BODY_BYTES, b64=True))
    with pytest.raises(PayloadTooLarge) as raised:
        http.raw_body(event("a" * (http.MAX_BODY_BYTES + 1), b64=True))
    assert raised.value.status == 413


# --- content type --------------------------------------------------------------------------------


@pytest.mark.parametrize("ctype", [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=UTF-8",
    "Application/X-WWW-Form-Urlencoded",
    " application/x-www-form-urlencoded ;charset=utf-8",
])
def test_expected_content_type_passes(ctype: str) -> None:
    http.require_content_type(event(headers={"content-type": ctype}), "application/x-www-form-urlencoded")


@pytest.mark.parametrize("headers", [
    {"Content-Type": "application/json"},
    {"Content-Type": "text/plain"},
    {"Content-Type": "multipart/form-data; boundary=xyz"},
    {"Content-Type": ""},
    {},
])
def test_other_or_missing_content_type_is_unsupported(headers: dict[str, str]) -> None:
    with pytest.raises(UnsupportedMediaType) as raised:
        http.require_content_type(event(headers=headers), "application/x-www-form-urlencoded")
    assert raised.value.status == 415


def test_json_content_type_with_charset() -> None:
    http.require_content_type(event(headers={"Content-Type": "application/json; charset=utf-8"}), "application/json")


# --- form ----------------------------------------------------------------------------------------


def test_form_pairs_keep_order_repeats_blanks_and_decode() -> None:
    data = b"MessageSid=SM1&Body=Hello+there%21+%F0%9F%93%A6&Tag=b&Tag=a&FromZip=&To=%2B14155550100"
    assert http.form_pairs(data) == [
        ("MessageSid", "SM1"), ("Body", "Hello there! \U0001F4E6"), ("Tag", "b"), ("Tag", "a"),
        ("FromZip", ""), ("To", "+14155550100"),
    ]


def test_empty_form_is_no_pairs() -> None:
    assert http.form_pairs(b"") == []


@pytest.mark.parametrize("data", [
    b"\xff\xfe=1",            # not UTF-8
    b"Body=%FF%FE",           # percent-encoded bytes that are not UTF-8
    b"just some text",        # no name=value
    b"a=1&garbage&b=2",
    b'{"Body": "json"}',
])
def test_malformed_form_is_a_bad_request(data: bytes) -> None:
    with pytest.raises(BadRequest):
        http.form_pairs(data)


def test_json_body() -> None:
    assert http.json_body(b'{"object": "whatsapp_business_account"}') == {"object": "whatsapp_business_account"}


@pytest.mark.parametrize("data", [b"", b"{", b"\xff", b"object=whatsapp"])
def test_malformed_json_is_a_bad_request(data: bytes) -> None:
    with pytest.raises(BadRequest):
        http.json_body(data)


# --- public URL ----------------------------------------------------------------------------------


def test_public_url_on_a_custom_domain() -> None:
    assert http.public_url(event()) == "https://hooks.example.test/webhooks/sms"


def test_public_url_on_execute_api_includes_the_stage() -> None:
    e = event(headers={"Host": EXECUTE_API_HOST, "X-Forwarded-Proto": "https"}, path="/webhooks/sms",
              context_path="/prod/webhooks/sms")
    assert http.public_url(e) == f"https://{EXECUTE_API_HOST}/prod/webhooks/sms"


def test_public_url_on_a_custom_domain_with_a_base_path_mapping() -> None:
    e = event(headers={"Host": "api.brand.example", "X-Forwarded-Proto": "https"}, path="/webhooks/sms",
              context_path="/helpdesk/webhooks/sms")
    assert http.public_url(e) == "https://api.brand.example/helpdesk/webhooks/sms"


def test_public_url_follows_x_forwarded_proto() -> None:
    e = event(headers={"Host": "hooks.example.test", "X-Forwarded-Proto": "http"})
    assert http.public_url(e) == "http://hooks.example.test/webhooks/sms"


def test_public_url_header_names_are_case_insensitive() -> None:
    e = event(headers={"host": "hooks.example.test", "x-forwarded-proto": "https"})
    assert http.public_url(e) == "https://hooks.example.test/webhooks/sms"


def test_public_url_defaults_to_https_and_the_domain_name() -> None:
    e = event(headers={})
    assert http.public_url(e) == "https://hooks.example.test/webhooks/sms"


def test_public_url_never_takes_the_clients_host() -> None:
    e = event()
    e["headers"]["Host"] = "attacker.example"  # a Host header API Gateway's domain name does not match
    assert http.public_url(e) == "https://hooks.example.test/webhooks/sms"


def test_public_url_keeps_the_query() -> None:
    e = event(query={"account": ["acme"]})
    assert http.public_url(e) == "https://hooks.example.test/webhooks/sms?account=acme"


def test_public_url_keeps_repeated_query_values() -> None:
    e = event(query={"tag": ["a", "b"]})
    assert http.public_url(e) == "https://hooks.example.test/webhooks/sms?tag=a&tag=b"


@pytest.mark.parametrize("override", ["https://hooks.brand.example", "https://hooks.brand.example/"])
def test_public_url_override_wins(override: str) -> None:
    e = event(headers={"Host": EXECUTE_API_HOST, "X-Forwarded-Proto": "http"}, path="/webhooks/sms",
              context_path="/prod/webhooks/sms")
    assert http.public_url(e, override) == "https://hooks.brand.example/webhooks/sms"


def test_public_url_override_with_a_base_path_and_query() -> None:
    e = event(path="/webhooks/sms", query={"account": ["acme"]})
    assert http.public_url(e, "https://proxy.brand.example/helpdesk") == \
        "https://proxy.brand.example/helpdesk/webhooks/sms?account=acme"


def test_public_url_empty_override_is_ignored() -> None:
    assert http.public_url(event(), "") == "https://hooks.example.test/webhooks/sms"


# --- responses -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("error", "status"), [
    (BadRequest("malformed form body"), 400),
    (Unauthorized("missing X-Twilio-Signature"), 401),
    (Forbidden("bad X-Twilio-Signature"), 403),
    (NotFound("no such ticket"), 404),
    (UnknownAddress("number belongs to no account"), 404),
    (Conflict("already assigned"), 409),
    (PayloadTooLarge("body over 65536 bytes"), 413),
    (UnsupportedMediaType("expected application/json"), 415),
    (Transient("throttled"), 503),
])
def test_error_response(error: HelpdeskError, status: int) -> None:
    answer = http.error_response(error)
    assert answer["statusCode"] == status
    assert answer["headers"]["Content-Type"] == "application/json"
    assert json.loads(answer["body"]) == {"error": error.reason}
    assert answer["isBase64Encoded"] is False


def test_response_shape() -> None:
    answer = http.response(200, "<Response/>", "text/xml", {"Cache-Control": "no-store"})
    assert answer == {"statusCode": 200, "headers": {"Content-Type": "text/xml", "Cache-Control": "no-store"},
                      "body": "<Response/>", "isBase64Encoded": False}


def test_json_response() -> None:
    answer = http.json_response(200, {"received": 1, "statuses": 0})
    assert answer["statusCode"] == 200
    assert json.loads(answer["body"]) == {"received": 1, "statuses": 0}
    assert answer["headers"]["Content-Type"] == "application/json"
