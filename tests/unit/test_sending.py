"""Outbound sends (Twilio Messages API, WhatsApp Cloud API, Instagram Send API) against a real local HTTP
server that records each request and answers as the provider would: the wire format, and every answer
mapped to Sent, SendRefused, Transient or ProviderMisconfigured."""
from __future__ import annotations

import base64
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from helpdesk.errors import Transient
from helpdesk.providers import graph_api, sending, twilio_api
from helpdesk.providers.sending import ProviderMisconfigured, SendRefused, Sent
from tests.unit.conftest import NetworkBlocked

ACCOUNT_SID = "AC" + "c" * 32
AUTH_TOKEN = "twilio-test-token"
SERVICE_SID = "MG" + "d" * 32
SMS_SID = "SM" + "e" * 32
CUSTOMER = "+16505550123"
OURS = "+14155550100"
PHONE_NUMBER_ID = "106540352242922"
WAMID = "wamid.HBgLMTY1MDU1NTAxMjMVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
IG_ACCOUNT = "17841400000000001"
IGSID = "1254459154682919"
MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw"
CLOSE = "close"  # answer: drop the connection without a word
HANG = "hang"  # answer: say nothing until the test is over


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def form(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True, strict_parsing=True)

    def json(self) -> Any:
        return json.loads(self.body)

    def basic_auth(self) -> tuple[str, str]:
        scheme, _, encoded = self.headers["authorization"].partition(" ")
        assert scheme == "Basic"
        user, _, password = base64.b64decode(encoded).decode().partition(":")
        return user, password


@dataclass
class Provider:
    """The provider's side of the wire: the requests it received, and the answers it will give, in order."""

    url: str
    seen: list[Seen] = field(default_factory=list)
    answers: list[Any] = field(default_factory=list)
    released: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int, body: Any = None, content_type: str = "application/json") -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers.append((status, raw, content_type))

    @property
    def request(self) -> Seen:
        assert len(self.seen) == 1, f"expected one request, got {len(self.seen)}"
        return self.seen[0]


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            provider.seen.append(Seen("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            answer = provider.answers.pop(0)
            if answer == CLOSE:
                self.close_connection = True
                return
            if answer == HANG:
                provider.released.wait(5)
                self.close_connection = True
                return
            status, raw, content_type = answer
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(raw)))
            if 300 <= status < 400:
                self.send_header("Location", "/elsewhere")
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
            pass

    return Handler


@pytest.fixture(autouse=True)
def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Replaces the unit conftest's block: the test's own server on 127.0.0.1 may be reached, nothing else."""
    real_connect = socket.socket.connect

    def loopback_only(sock: socket.socket, address: Any) -> Any:
        if not (isinstance(address, tuple) and address[0] == "127.0.0.1"):
            raise NetworkBlocked("network access is blocked in unit tests")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)
    monkeypatch.setattr(socket.socket, "connect_ex", loopback_only)


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    state = Provider(f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(state)
    # A short poll interval: shutdown() waits for the next poll, 0.5 s by default, in every test.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    for proxy in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    for name in ("TWILIO_API_URL", "META_GRAPH_URL", "INSTAGRAM_GRAPH_URL"):
        monkeypatch.setenv(name, state.url)
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", ACCOUNT_SID)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    monkeypatch.setenv("WHATSAPP_ACCESS_TOKEN", "wa-token")
    monkeypatch.setenv("INSTAGRAM_ACCESS_TOKEN", "ig-token")
    for name in ("TWILIO_MESSAGING_SERVICE_SID", "META_GRAPH_VERSION"):
        monkeypatch.delenv(name, raising=False)
    try:
        yield state
    finally:
        state.released.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def twilio_created(body: str = "Your order shipped") -> dict[str, Any]:
    """A 201 of Message create, as Twilio answers it."""
    return {
        "account_sid": ACCOUNT_SID, "api_version": "2010-04-01", "body": body, "date_created":
        "Thu, 03 Dec 2026 10:15:00 +0000", "date_sent": None, "date_updated": "Thu, 03 Dec 2026 10:15:00 +0000",
        "direction": "outbound-api", "error_code": None, "error_message": None, "from": OURS,
        "messaging_service_sid": None, "num_media": "0", "num_segments": "1", "price": None, "price_unit": "USD",
        "sid": SMS_SID, "status": "queued", "subresource_uris": {}, "to": CUSTOMER,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{SMS_SID}.json",
    }


def twilio_error(code: int, message: str, status: int = 400) -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status}


def meta_error(code: int, message: str, *, subcode: int | None = None, details: str | None = None,
               kind: str = "OAuthException") -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code, "fbtrace_id": "AZq1x2Yb3cD4eF5"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return {"error": error}


# Twilio: the wire format


def test_an_sms_is_posted_as_twilio_expects(provider: Provider) -> None:
    provider.answer(201, twilio_created())
    body = "Größe M & Farbe = blau? Ja + 10% 🙂"

    sent = twilio_api.send_message(CUSTOMER, body, from_=OURS)

    assert sent == Sent(SMS_SID, "sent")
    seen = provider.request
    assert (seen.method, seen.path) == ("POST", f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen.basic_auth() == (ACCOUNT_SID, AUTH_TOKEN)
    assert seen.form() == [("To", CUSTOMER), ("From", OURS), ("Body", body)]


def test_a_messaging_service_picks_the_sender_and_a_status_callback_is_asked_for(
        provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_MESSAGING_SERVICE_SID", SERVICE_SID)
    provider.answer(201, {**twilio_created(), "status": "accepted", "messaging_service_sid": SERVICE_SID})
    callback = "https://hooks.example.test/webhooks/sms/status?account=acme"

    sent = twilio_api.send_message(CUSTOMER, "Hi", from_=OURS, status_callback=callback)

    assert sent.provider_id == SMS_SID
    assert provider.request.form() == [("To", CUSTOMER), ("MessagingServiceSid", SERVICE_SID), ("Body", "Hi"),
                                       ("StatusCallback", callback)]


def test_whatsapp_through_twilio_prefixes_both_numbers_once(provider: Provider) -> None:
    provider.answer(201, twilio_created())
    provider.answer(201, twilio_created())

    twilio_api.send_message(CUSTOMER, "Hi", from_=OURS, whatsapp=True)
    twilio_api.send_message(f"whatsapp:{CUSTOMER}", "Hi", from_=f"whatsapp:{OURS}", whatsapp=True)

    for seen in provider.seen:
        assert dict(seen.form())["To"] == f"whatsapp:{CUSTOMER}"
        assert dict(seen.form())["From"] == f"whatsapp:{OURS}"


def test_twilio_without_a_sender_or_an_account_sid_is_a_misconfiguration(
        provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ProviderMisconfigured, match="TWILIO_MESSAGING_SERVICE_SID"):
        twilio_api.send_message(CUSTOMER, "Hi", from_=None)
    monkeypatch.delenv("TWILIO_ACCOUNT_SID")
    with pytest.raises(ProviderMisconfigured, match="TWILIO_ACCOUNT_SID") as refused:
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)
    assert refused.value.status == 502
    assert provider.seen == []


# Twilio: every answer that is not a success


@pytest.mark.parametrize(("code", "message", "kind", "reason"), [
    (21610, "Attempt to send to unsubscribed recipient", "opted_out", "opted out of messages from this number"),
    (63016, "Failed to send freeform message because you are outside the allowed window.", "window_closed",
     "24-hour customer-service window has closed"),
    (21211, f"The 'To' number {CUSTOMER} is not a valid phone number.", "invalid", "not a valid number"),
    (21614, f"'To' number {CUSTOMER} is not a valid mobile number", "invalid", "not a mobile number"),
    (21606, f"The 'From' phone number provided ({OURS}) is not a valid message-capable Twilio phone number "
            "for this destination.", "invalid", "our sending number cannot send"),
    (21612, "The 'To' phone number is not currently reachable using the 'From' phone number via SMS.",
     "unreachable", "cannot be reached"),
    (21408, "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
     "unreachable", "country is not enabled"),
])
def test_twilio_refusals_say_why_in_words_an_agent_reads(provider: Provider, code: int, message: str, kind: str,
                                                         reason: str) -> None:
    provider.answer(400, twilio_error(code, message))

    with pytest.raises(SendRefused) as refused:
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)

    assert (refused.value.kind, refused.value.code, refused.value.status) == (kind, str(code), 409)
    assert reason in refused.value.reason
    assert CUSTOMER not in refused.value.reason


def test_another_twilio_refusal_carries_twilios_words_without_the_number(provider: Provider) -> None:
    provider.answer(400, twilio_error(21602, f"Message body is required for {CUSTOMER}."))

    with pytest.raises(SendRefused) as refused:
        twilio_api.send_message(CUSTOMER, "", from_=OURS)

    assert (refused.value.kind, refused.value.code) == ("refused", "21602")
    assert refused.value.reason == "Twilio refused the message: Message body is required for …."


@pytest.mark.parametrize(("status", "answer"), [
    (429, twilio_error(20429, "Too Many Requests", 429)),
    (429, b"Too Many Requests"),
])
def test_twilio_throttling_is_transient(provider: Provider, status: int, answer: Any) -> None:
    provider.answer(status, answer)

    with pytest.raises(Transient) as failed:
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)

    assert failed.value.reason == "Twilio is throttling messages; try again in a moment"
    assert failed.value.status == 503


def test_bad_twilio_credentials_name_the_settings_to_fix(provider: Provider) -> None:
    provider.answer(401, twilio_error(20003, "Authenticate", 401))

    with pytest.raises(ProviderMisconfigured) as failed:
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)

    assert "TWILIO_AUTH_TOKEN" in failed.value.reason and "TWILIO_ACCOUNT_SID" in failed.value.reason
    assert failed.value.status == 502


@pytest.mark.parametrize("answer", [
    (500, b"<html><body>Internal Server Error</body></html>", "text/html"),
    (503, twilio_error(20500, "Internal Server Error", 503), "application/json"),
    CLOSE,
])
def test_twilio_failing_or_dropping_the_connection_is_transient(provider: Provider, answer: Any) -> None:
    if answer == CLOSE:
        provider.answers.append(CLOSE)
    else:
        provider.answer(*answer)

    with pytest.raises(Transient, match="try again in a moment|may have been sent") as failed:
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)
    # A dropped connection after the request went out leaves the send unconfirmed; a 5xx answer does not.
    assert isinstance(failed.value, sending.Unconfirmed) == (answer == CLOSE)


def test_a_twilio_success_without_a_sid_points_at_the_base_url(provider: Provider) -> None:
    provider.answer(200, b"<html>a login page</html>", "text/html")

    with pytest.raises(ProviderMisconfigured, match="TWILIO_API_URL"):
        twilio_api.send_message(CUSTOMER, "Hi", from_=OURS)


# WhatsApp Cloud API: the wire format


def whatsapp_accepted() -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "contacts": [{"input": "16505550123", "wa_id": "16505550123"}],
            "messages": [{"id": WAMID}]}


def test_a_whatsapp_text_is_posted_as_the_cloud_api_expects(provider: Provider) -> None:
    provider.answer(200, whatsapp_accepted())

    sent = graph_api.send_whatsapp(PHONE_NUMBER_ID, "+1 650-555-0123", "Ihr Paket ist unterwegs 📦")

    assert sent == Sent(WAMID, "sent")
    seen = provider.request
    assert (seen.method, seen.path) == ("POST", f"/v25.0/{PHONE_NUMBER_ID}/messages")
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"] == "Bearer wa-token"
    assert seen.json() == {"messaging_product": "whatsapp", "recipient_type": "individual", "to": "16505550123",
                           "type": "text", "text": {"preview_url": False, "body": "Ihr Paket ist unterwegs 📦"}}


def test_a_whatsapp_reply_quotes_the_customer_message_on_the_configured_version(
        provider: Provider, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("META_GRAPH_VERSION", "v26.0")
    provider.answer(200, whatsapp_accepted())
    quoted = "wamid.HBgLMTY1MDU1NTAxMjMVAgASGBQzQUI0"

    graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Yes", reply_to=quoted)

    assert provider.request.path == f"/v26.0/{PHONE_NUMBER_ID}/messages"
    assert provider.request.json()["context"] == {"message_id": quoted}
    assert provider.request.json()["to"] == "16505550123"


# Instagram: the wire format


def test_an_instagram_reply_is_posted_as_a_response(provider: Provider) -> None:
    provider.answer(200, {"recipient_id": IGSID, "message_id": MID})

    sent = graph_api.send_instagram(IG_ACCOUNT, IGSID, "Thanks for the mention!")

    assert sent == Sent(MID, "sent")
    seen = provider.request
    assert (seen.method, seen.path) == ("POST", f"/v25.0/{IG_ACCOUNT}/messages")
    assert seen.headers["content-type"] == "application/json"
    assert seen.headers["authorization"] == "Bearer ig-token"
    assert seen.json() == {"recipient": {"id": IGSID}, "message": {"text": "Thanks for the mention!"},
                           "messaging_type": "RESPONSE"}


def test_a_late_human_reply_on_instagram_carries_the_human_agent_tag(provider: Provider) -> None:
    provider.answer(200, {"recipient_id": IGSID, "message_id": MID})

    graph_api.send_instagram(IG_ACCOUNT, IGSID, "Sorry for the wait", human_agent=True)

    assert provider.request.json() == {"recipient": {"id": IGSID}, "message": {"text": "Sorry for the wait"},
                                       "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT"}


# Meta: every answer that is not a success


@pytest.mark.parametrize(("error", "kind", "reason"), [
    (meta_error(131047, "(#131047) Re-engagement message", details="Message failed to send because more than 24 "
                "hours have passed since the customer last replied to this number."),
     "window_closed", "more than 24 hours have passed since the customer last wrote on WhatsApp"),
    (meta_error(131026, "(#131026) Message undeliverable", details="Unable to deliver message."),
     "unreachable", "could not deliver"),
    (meta_error(131030, "(#131030) Recipient phone number not in allowed list",
                details="Recipient phone number not in allowed list: Add recipient phone number to recipient list "
                        "and try again."), "invalid", "allowed list"),
    (meta_error(131049, "(#131049) This message was not delivered to maintain healthy ecosystem engagement."),
     "refused", "held the message back"),
    (meta_error(131050, "(#131050) Unable to deliver the message. This recipient has chosen to stop receiving "
                "marketing messages on WhatsApp from your business."), "refused", "stopped marketing messages"),
])
def test_whatsapp_refusals_say_why(provider: Provider, error: dict[str, Any], kind: str, reason: str) -> None:
    provider.answer(400, error)

    with pytest.raises(SendRefused) as refused:
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")

    assert (refused.value.kind, refused.value.code) == (kind, str(error["error"]["code"]))
    assert reason in refused.value.reason


@pytest.mark.parametrize(("error", "kind", "reason"), [
    (meta_error(10, "(#10) This message is sent outside of allowed window.", subcode=2018278),
     "window_closed", "outside Instagram's messaging window"),
    (meta_error(10, "(#10) This message is sent outside of allowed window."),
     "window_closed", "outside Instagram's messaging window"),
    (meta_error(10, "(#10) Application does not have permission for this action", subcode=2018278),
     "window_closed", "outside Instagram's messaging window"),
    (meta_error(551, "(#551) This person isn't available right now.", subcode=1545041),
     "unreachable", "this person isn't available right now"),
    (meta_error(10, "(#10) Application does not have permission for this action"),
     "refused", "Instagram refused the message: (#10) Application does not have permission for this action"),
])
def test_instagram_refusals_say_why(provider: Provider, error: dict[str, Any], kind: str, reason: str) -> None:
    provider.answer(400, error)

    with pytest.raises(SendRefused) as refused:
        graph_api.send_instagram(IG_ACCOUNT, IGSID, "Hi")

    assert (refused.value.kind, refused.value.code) == (kind, str(error["error"]["code"]))
    assert reason in refused.value.reason


def test_another_meta_refusal_carries_metas_details_without_the_number(provider: Provider) -> None:
    provider.answer(400, meta_error(100, "(#100) Invalid parameter", details=f"Invalid WhatsApp number {CUSTOMER}",
                                    kind="OAuthException"))

    with pytest.raises(SendRefused) as refused:
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")

    assert (refused.value.kind, refused.value.code) == ("refused", "100")
    assert refused.value.reason == "WhatsApp refused the message: Invalid WhatsApp number …"


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80007, 130429, 131048, 131056])
def test_meta_throttling_is_transient(provider: Provider, code: int) -> None:
    provider.answer(400, meta_error(code, f"(#{code}) Rate limit hit"))

    with pytest.raises(Transient) as failed:
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")

    assert failed.value.reason == "WhatsApp is throttling messages; try again in a moment"


def test_a_bare_429_from_meta_is_transient(provider: Provider) -> None:
    provider.answer(429, b"", "text/plain")

    with pytest.raises(Transient, match="Instagram is throttling messages"):
        graph_api.send_instagram(IG_ACCOUNT, IGSID, "Hi")


@pytest.mark.parametrize(("status", "error"), [
    (401, meta_error(190, "Error validating access token: Session has expired on Thursday, 03-Dec-26.",
                     subcode=463)),
    (400, meta_error(190, "Invalid OAuth access token - Cannot parse access token")),
    (400, meta_error(102, "API Session", kind="OAuthException")),
])
def test_a_bad_meta_token_names_the_setting_to_fix(provider: Provider, status: int, error: dict[str, Any]) -> None:
    provider.answer(status, error)
    provider.answer(status, error)

    with pytest.raises(ProviderMisconfigured, match="WHATSAPP_ACCESS_TOKEN"):
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")
    with pytest.raises(ProviderMisconfigured, match="INSTAGRAM_ACCESS_TOKEN") as failed:
        graph_api.send_instagram(IG_ACCOUNT, IGSID, "Hi")
    assert failed.value.status == 502


def test_code_102_of_another_type_is_not_a_token_problem(provider: Provider) -> None:
    provider.answer(400, meta_error(102, "(#102) Something else", kind="GraphMethodException"))

    with pytest.raises(SendRefused):
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")


@pytest.mark.parametrize("answer", [
    (500, meta_error(131000, "(#131000) Something went wrong"), "application/json"),
    (502, b"<html>Bad Gateway</html>", "text/html"),
    (400, meta_error(2, "Service temporarily unavailable"), "application/json"),
    CLOSE,
])
def test_meta_failing_or_dropping_the_connection_is_transient(provider: Provider, answer: Any) -> None:
    if answer == CLOSE:
        provider.answers.append(CLOSE)
    else:
        provider.answer(*answer)

    with pytest.raises(Transient, match="try again in a moment|may have been sent"):
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")


def test_a_meta_success_without_a_message_id_points_at_the_base_url(provider: Provider) -> None:
    provider.answer(200, {"messaging_product": "whatsapp", "messages": []})
    provider.answer(200, {"recipient_id": IGSID})

    with pytest.raises(ProviderMisconfigured, match="META_GRAPH_URL"):
        graph_api.send_whatsapp(PHONE_NUMBER_ID, CUSTOMER, "Hi")
    with pytest.raises(ProviderMisconfigured, match="INSTAGRAM_GRAPH_URL"):
        graph_api.send_instagram(IG_ACCOUNT, IGSID, "Hi")


# The shared POST


def test_an_error_status_is_returned_with_its_json_not_raised(provider: Provider) -> None:
    provider.answer(418, {"error": "teapot"})
    provider.answer(400, b"not json", "text/plain")

    assert sending.post_json(provider.url + "/x", {"a": 1}) == (418, {"error": "teapot"})
    assert sending.post_form(provider.url + "/y", [("a", "1")]) == (400, None)
    assert "authorization" not in provider.seen[0].headers and "authorization" not in provider.seen[1].headers


def test_a_redirect_is_returned_not_followed(provider: Provider) -> None:
    provider.answer(302, b"", "text/plain")

    assert sending.post_json(provider.url + "/moved", {"a": 1}) == (302, None)
    assert [seen.path for seen in provider.seen] == ["/moved"]


def test_no_answer_within_the_timeout_is_unconfirmed_not_a_plain_retry(provider: Provider) -> None:
    """The request went out: the provider may have sent the message, so nobody resends blindly."""
    provider.answers.append(HANG)

    with pytest.raises(sending.Unconfirmed) as failed:
        sending.post_form(provider.url + "/slow", [("a", "1")], timeout=0.2)

    assert failed.value.status == 503
    assert failed.value.reason.startswith("127.0.0.1 did not answer (no answer within 0.2 s): the message may have")


def test_a_refused_connection_is_transient(provider: Provider) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]  # bound, never listening: connecting is refused

        with pytest.raises(Transient) as failed:
            sending.post_json(f"http://127.0.0.1:{port}/x", {}, timeout=1)

    assert not isinstance(failed.value, sending.Unconfirmed)  # never reached the provider: safe to resend
    assert failed.value.reason == "could not reach 127.0.0.1 (the connection failed); try again in a moment"


def test_base_url_reads_the_environment_and_drops_a_trailing_slash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOME_API_URL", raising=False)
    assert sending.base_url("SOME_API_URL", "https://api.example.test") == "https://api.example.test"
    monkeypatch.setenv("SOME_API_URL", "http://127.0.0.1:9999/")
    assert sending.base_url("SOME_API_URL", "https://api.example.test") == "http://127.0.0.1:9999"
