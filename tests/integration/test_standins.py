"""The local stand-ins of Twilio Messages, WhatsApp Cloud and Instagram Send (infra/local/standins.py), driven
over HTTP in the providers' real wire formats, their delivery reports caught by a receiver playing the stack's
webhook routes and checked with the helpdesk's own signature checks and parsers; and the outbox, email sent
through moto SES included."""
from __future__ import annotations

import base64
import email.utils
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from helpdesk.errors import Forbidden
from helpdesk.providers import meta, twilio
from infra.local.standins import StandIns, num_segments

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "test-twilio-auth-token"
WHATSAPP_TOKEN = "test-whatsapp-token"
INSTAGRAM_TOKEN = "test-instagram-token"
APP_SECRET = "test-meta-app-secret"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "+15550009999"
IG_ACCOUNT = "17841405309211844"
OUR_NUMBER = "+15550001000"
MSS = "MG" + "a" * 32
DELAY = 0.05
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    url: str  # as the stack rebuilds it for Twilio's signature: the Host it was called on, and the path

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True)

    @property
    def form(self) -> dict[str, str]:
        return dict(self.pairs)


@dataclass
class Receiver:
    """Plays the stack's webhook routes: records each POST and answers 200."""

    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def wait(self, path: str, count: int, timeout: float = 5.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(got := [r for r in self.requests if r.path == path]) < count:
                if not self.arrived.wait(max(0.0, deadline - time.monotonic())):
                    break
        return got


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    recorded: list[Received] = []
    condition = threading.Condition()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            path = urllib.parse.urlsplit(self.path).path
            with condition:
                recorded.append(Received(path, dict(self.headers.items()), body,
                                         f"http://{self.headers['Host']}{self.path}"))
                condition.notify_all()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield Receiver(server, recorded, condition)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _standins(api_url: str, delay: float = DELAY) -> StandIns:
    return StandIns(api_url, account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, whatsapp_token=WHATSAPP_TOKEN,
                    instagram_token=INSTAGRAM_TOKEN, app_secret=APP_SECRET,
                    whatsapp_phone_numbers={PHONE_NUMBER_ID: DISPLAY_NUMBER}, instagram_accounts=[IG_ACCOUNT],
                    sms_number=OUR_NUMBER, callback_delay=delay).start()


@pytest.fixture
def standins(receiver: Receiver) -> Iterator[StandIns]:
    server = _standins(receiver.url)
    try:
        yield server
    finally:
        server.stop()


def call(method: str, url: str, data: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], Any]:
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as answer:
            status, answer_headers, raw = answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers.items()), error.read()
    return status, answer_headers, json.loads(raw) if raw else None


def basic(user: str = ACCOUNT_SID, password: str = AUTH_TOKEN) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def send_sms(standins: StandIns, fields: dict[str, str], auth: dict[str, str] | None = None,
             account: str = ACCOUNT_SID) -> tuple[int, dict[str, str], Any]:
    return call("POST", f"{standins.url}/2010-04-01/Accounts/{account}/Messages.json",
                urllib.parse.urlencode(fields).encode(),
                {"Content-Type": "application/x-www-form-urlencoded", **(basic() if auth is None else auth)})


def graph(standins: StandIns, object_id: str, payload: dict[str, Any], token: str,
          query: str = "") -> tuple[int, dict[str, str], Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return call("POST", f"{standins.url}/v25.0/{object_id}/messages{query}", json.dumps(payload).encode(), headers)


def wa_text(to: str, body: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "text",
            "text": {"preview_url": False, "body": body}}


def ig_text(recipient: str, text: str, **extra: str) -> dict[str, Any]:
    return {"recipient": {"id": recipient}, "message": {"text": text}, "messaging_type": "RESPONSE", **extra}


def _reports(parsed: Any) -> list[tuple[str, str, str] | None]:
    """What the helpdesk's parser makes of one report: (our address, message id, status), or, from a
    parser that only counts reports, None for each one counted."""
    if isinstance(parsed, int):
        return [None] * parsed
    return [(r.account_address, r.provider_message_id, r.status) for r in parsed]


def customer() -> str:
    return "+1650" + str(uuid.uuid4().int % 10**7).zfill(7)


# -- Twilio ------------------------------------------------------------------------------------------


def test_twilio_answers_the_message_resource_then_signed_status_callbacks_in_order(
        standins: StandIns, receiver: Receiver) -> None:
    to = customer()
    callback = receiver.url + "/webhooks/sms"
    status, headers, message = send_sms(standins, {"To": to, "From": OUR_NUMBER, "Body": "Your order shipped",
                                                   "StatusCallback": callback})

    assert status == 201 and headers["Content-Type"].startswith("application/json")
    assert re.fullmatch(r"SM[0-9a-f]{32}", message["sid"])
    assert message["status"] == "queued" and message["direction"] == "outbound-api"
    assert (message["to"], message["from"], message["body"]) == (to, OUR_NUMBER, "Your order shipped")
    assert message["account_sid"] == ACCOUNT_SID and message["error_code"] is None
    assert message["num_segments"] == "1" and message["num_media"] == "0"
    assert message["uri"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{message['sid']}.json"
    assert email.utils.parsedate_to_datetime(message["date_created"]).tzinfo is not None  # RFC 2822

    reports = receiver.wait("/webhooks/sms", 2)
    assert [r.form["MessageStatus"] for r in reports] == ["sent", "delivered"]
    for report in reports:
        assert report.url == callback
        assert report.headers["Content-Type"] == "application/x-www-form-urlencoded"
        twilio.verify(AUTH_TOKEN, report.url, report.pairs, report.headers["X-Twilio-Signature"])
        with pytest.raises(Forbidden):  # the signature covers the URL: it is not just any HMAC
            twilio.verify(AUTH_TOKEN, report.url + "x", report.pairs, report.headers["X-Twilio-Signature"])
        assert report.form == {"MessageSid": message["sid"], "SmsSid": message["sid"],
                               "MessageStatus": report.form["MessageStatus"], "SmsStatus": report.form["MessageStatus"],
                               "AccountSid": ACCOUNT_SID, "From": OUR_NUMBER, "To": to, "ApiVersion": "2010-04-01"}
        parsed = twilio.parse(report.pairs, "2026-12-01T00:00:00.000Z")
        assert isinstance(parsed, twilio.StatusCallback) and parsed.message_sid == message["sid"]

    status, _, fetched = call("GET", f"{standins.url}{message['uri']}", headers=basic())
    assert status == 200 and fetched["status"] == "delivered" and fetched["date_sent"]


def test_twilio_with_a_messaging_service_is_accepted_and_reports_the_sender_it_picked(
        standins: StandIns, receiver: Receiver) -> None:
    to = customer()
    status, _, message = send_sms(standins, {"To": to, "MessagingServiceSid": MSS, "Body": "Hi",
                                             "StatusCallback": receiver.url + "/webhooks/sms"})
    assert status == 201 and message["status"] == "accepted" and message["from"] is None
    assert message["messaging_service_sid"] == MSS
    reports = receiver.wait("/webhooks/sms", 2)
    assert [(r.form["From"], r.form["MessagingServiceSid"]) for r in reports] == [(OUR_NUMBER, MSS)] * 2
    assert standins.outbox()[-1] | {"at": None} == {"channel": "sms", "to": to, "body": "Hi", "at": None,
                                                     "id": message["sid"], "from": OUR_NUMBER}


@pytest.mark.parametrize("auth", [basic(password="wrong"), basic(user="AC" + "f" * 32), {}])
def test_twilio_refuses_wrong_credentials_with_20003(standins: StandIns, auth: dict[str, str]) -> None:
    status, headers, error = send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x"}, auth)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Basic")
    assert error == {"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003",
                     "status": 401}
    assert standins.outbox() == [] or all(i["channel"] == "email" for i in standins.outbox())


def test_twilio_refuses_another_accounts_path(standins: StandIns) -> None:
    status, _, error = send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x"},
                                account="AC" + "e" * 32)
    assert status == 404 and error["code"] == 20404


@pytest.mark.parametrize(("fields", "code"), [
    ({"From": OUR_NUMBER, "Body": "x"}, 21604),
    ({"To": "+16505550100", "Body": "x"}, 21603),
    ({"To": "+16505550100", "From": OUR_NUMBER}, 21602),
    ({"To": "+16505550100", "From": OUR_NUMBER, "Body": "x" * 1601}, 21617),
    ({"To": "not a number", "From": OUR_NUMBER, "Body": "x"}, 21211),
    ({"To": "whatsapp:+16505550100", "From": OUR_NUMBER, "Body": "x"}, 21910),
    ({"To": "+16505550100", "MessagingServiceSid": "MG123", "Body": "x"}, 21701),
])
def test_twilio_refuses_an_invalid_message_with_its_error_code(standins: StandIns, fields: dict[str, str],
                                                               code: int) -> None:
    status, _, error = send_sms(standins, fields)
    assert (status, error["code"], error["status"]) == (400, code, 400)
    assert error["more_info"] == f"https://www.twilio.com/docs/errors/{code}"
    assert not [i for i in standins.outbox() if i["channel"] == "sms"]


def test_twilio_takes_1600_characters_and_counts_segments(standins: StandIns) -> None:
    status, _, message = send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x" * 1600})
    assert status == 201 and message["num_segments"] == "11"  # 153 GSM-7 characters a part
    assert (num_segments("x" * 160), num_segments("x" * 161), num_segments("[" * 80), num_segments("[" * 81)) == (
        1, 2, 1, 2)  # an extension character costs two septets
    assert (num_segments("배" * 70), num_segments("배" * 71)) == (1, 2)  # UCS-2: 70, then 67 a part


def test_twilio_opted_out_recipient_gets_21610_until_reset(standins: StandIns) -> None:
    opted_out = customer()
    status, _, modes = call("POST", standins.url + "/_control", json.dumps({"twilio_opted_out": [opted_out]}).encode(),
                            {"Content-Type": "application/json"})
    assert status == 200 and modes["twilio_opted_out"] == [opted_out]

    status, _, error = send_sms(standins, {"To": opted_out, "From": OUR_NUMBER, "Body": "x"})
    assert (status, error["code"]) == (400, 21610)
    assert send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x"})[0] == 201
    assert call("GET", standins.url + "/_control")[2]["twilio_opted_out"] == [opted_out]

    call("POST", standins.url + "/_control", b'{"reset": true}')
    assert send_sms(standins, {"To": opted_out, "From": OUR_NUMBER, "Body": "x"})[0] == 201
    assert [i["to"] for i in standins.outbox() if i["channel"] == "sms"][-1] == opted_out


def test_throttle_answers_429_for_the_next_n_twilio_sends(standins: StandIns) -> None:
    standins.control(throttle={"twilio": 2})
    answers = [send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x"}) for _ in range(3)]
    assert [a[0] for a in answers] == [429, 429, 201]
    assert answers[0][2]["code"] == 20429
    assert len([i for i in standins.outbox() if i["channel"] == "sms"]) == 1


def test_callbacks_off_sends_no_reports_but_the_message_still_moves_on(standins: StandIns,
                                                                       receiver: Receiver) -> None:
    standins.control(callbacks=False)
    status, _, message = send_sms(standins, {"To": customer(), "From": OUR_NUMBER, "Body": "x",
                                             "StatusCallback": receiver.url + "/webhooks/sms"})
    graph(standins, PHONE_NUMBER_ID, wa_text("16505550100", "x"), WHATSAPP_TOKEN)
    time.sleep(DELAY * 6)
    assert status == 201 and receiver.requests == []
    assert call("GET", f"{standins.url}{message['uri']}", headers=basic())[2]["status"] == "delivered"


def test_undeliverable_number_gets_sent_then_undelivered_with_an_error_code(standins: StandIns,
                                                                           receiver: Receiver) -> None:
    to = customer()
    standins.control(undeliverable=[to])
    send_sms(standins, {"To": to, "From": OUR_NUMBER, "Body": "x", "StatusCallback": receiver.url + "/webhooks/sms"})
    reports = receiver.wait("/webhooks/sms", 2)
    assert [(r.form["MessageStatus"], r.form.get("ErrorCode")) for r in reports] == [
        ("sent", None), ("undelivered", "30003")]
    twilio.verify(AUTH_TOKEN, reports[1].url, reports[1].pairs, reports[1].headers["X-Twilio-Signature"])


def test_whatsapp_over_twilio_is_a_whatsapp_message_and_fails_outside_the_window(
        standins: StandIns, receiver: Receiver) -> None:
    inside, outside = customer(), customer()
    standins.control(whatsapp_window_closed=[outside.lstrip("+")])
    for to in (inside, outside):
        status, _, message = send_sms(standins, {"To": "whatsapp:" + to, "From": "whatsapp:" + OUR_NUMBER,
                                                 "Body": "Hello", "StatusCallback": receiver.url + "/webhooks/sms"})
        assert status == 201 and message["to"] == "whatsapp:" + to
    reports = receiver.wait("/webhooks/sms", 3)
    by_to = {(r.form["To"], r.form["MessageStatus"], r.form.get("ErrorCode")) for r in reports}
    assert by_to == {("whatsapp:" + inside, "sent", None), ("whatsapp:" + inside, "delivered", None),
                     ("whatsapp:" + outside, "failed", "63016")}
    assert {(i["channel"], i["to"]) for i in standins.outbox() if i["channel"] != "email"} == {
        ("whatsapp", inside), ("whatsapp", outside)}


# -- WhatsApp Cloud ----------------------------------------------------------------------------------


def test_whatsapp_answers_the_wamid_then_signed_status_webhooks(standins: StandIns, receiver: Receiver) -> None:
    to = customer().lstrip("+")
    status, _, answer = graph(standins, PHONE_NUMBER_ID, wa_text(to, "We shipped it"), WHATSAPP_TOKEN)
    assert status == 200
    wamid = answer["messages"][0]["id"]
    assert answer == {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                      "messages": [{"id": wamid}]}
    assert wamid.startswith("wamid.") and base64.b64decode(wamid[6:])

    reports = receiver.wait("/webhooks/whatsapp", 2)
    statuses = []
    for report in reports:
        meta.verify_signature(APP_SECRET, report.body, report.headers["X-Hub-Signature-256"])
        with pytest.raises(Forbidden):
            meta.verify_signature(APP_SECRET, report.body + b" ", report.headers["X-Hub-Signature-256"])
        payload = json.loads(report.body)
        (change,) = payload["entry"][0]["changes"]
        (status,) = change["value"]["statuses"]
        assert (payload["object"], change["field"]) == ("whatsapp_business_account", "messages")
        assert change["value"]["metadata"] == {"display_phone_number": DISPLAY_NUMBER.lstrip("+"),
                                               "phone_number_id": PHONE_NUMBER_ID}
        batch = meta.parse_whatsapp(payload, "2026-12-01T00:00:00.000Z")
        assert batch.messages == [] and batch.skipped == 0
        assert _reports(batch.statuses) == [(PHONE_NUMBER_ID, wamid, status["status"])]
        statuses.append(status)
    assert [(s["id"], s["status"], s["recipient_id"]) for s in statuses] == [
        (wamid, "sent", to), (wamid, "delivered", to)]
    assert all(int(s["timestamp"]) > 0 and s["conversation"]["origin"]["type"] == "service" and s["pricing"]
               for s in statuses)
    assert standins.outbox()[-1] | {"at": None} == {"channel": "whatsapp", "to": "+" + to, "body": "We shipped it",
                                                     "at": None, "id": wamid, "from": PHONE_NUMBER_ID}


@pytest.mark.parametrize(("object_id", "token"), [(PHONE_NUMBER_ID, "wrong"), (PHONE_NUMBER_ID, INSTAGRAM_TOKEN),
                                                  (PHONE_NUMBER_ID, ""), (IG_ACCOUNT, WHATSAPP_TOKEN)])
def test_graph_refuses_a_wrong_token_with_190(standins: StandIns, object_id: str, token: str) -> None:
    status, _, answer = graph(standins, object_id, wa_text("16505550100", "x"), token)
    assert status == 401
    assert answer["error"]["code"] == 190 and answer["error"]["type"] == "OAuthException"
    assert answer["error"]["fbtrace_id"]


def test_graph_refuses_an_id_it_does_not_serve(standins: StandIns) -> None:
    status, _, answer = graph(standins, "999999999999999", wa_text("16505550100", "x"), WHATSAPP_TOKEN)
    assert status == 400 and (answer["error"]["code"], answer["error"]["error_subcode"]) == (100, 33)


@pytest.mark.parametrize(("change", "details"), [
    ({"messaging_product": None}, "messaging_product"),
    ({"to": None}, "to"),
    ({"type": "video"}, "type"),
    ({"text": {"body": ""}}, "text['body']"),
    ({"text": {"body": "x" * 4097}}, "4096"),
])
def test_whatsapp_refuses_an_invalid_message_with_100(standins: StandIns, change: dict[str, Any],
                                                      details: str) -> None:
    payload = {**wa_text("16505550100", "x"), **change}
    status, _, answer = graph(standins, PHONE_NUMBER_ID, {k: v for k, v in payload.items() if v is not None},
                              WHATSAPP_TOKEN)
    assert status == 400 and answer["error"]["code"] == 100 and details in answer["error"]["error_data"]["details"]
    assert graph(standins, PHONE_NUMBER_ID, wa_text("16505550100", "x" * 4096), WHATSAPP_TOKEN)[0] == 200


def test_whatsapp_outside_the_window_refuses_text_with_131047_but_takes_a_template(standins: StandIns) -> None:
    to = customer()
    standins.control(whatsapp_window_closed=[to])
    status, _, answer = graph(standins, PHONE_NUMBER_ID, wa_text(to.lstrip("+"), "x"), WHATSAPP_TOKEN)
    assert status == 400 and answer["error"]["code"] == 131047
    assert answer["error"]["message"] == "(#131047) Re-engagement message"
    assert answer["error"]["error_data"]["messaging_product"] == "whatsapp"
    template = {"messaging_product": "whatsapp", "to": to, "type": "template",
                "template": {"name": "order_update", "language": {"code": "en_US"}}}
    assert graph(standins, PHONE_NUMBER_ID, template, WHATSAPP_TOKEN)[0] == 200
    assert [i["body"] for i in standins.outbox() if i["channel"] == "whatsapp"] == ["template:order_update"]


def test_whatsapp_throttle_and_undeliverable(standins: StandIns, receiver: Receiver) -> None:
    to = customer()
    standins.control(throttle={"whatsapp": 1}, undeliverable=[to])
    status, _, answer = graph(standins, PHONE_NUMBER_ID, wa_text(to, "x"), WHATSAPP_TOKEN)
    assert status == 400 and answer["error"]["code"] == 130429
    assert graph(standins, PHONE_NUMBER_ID, wa_text(to, "x"), WHATSAPP_TOKEN)[0] == 200
    reports = receiver.wait("/webhooks/whatsapp", 2)
    statuses = [json.loads(r.body)["entry"][0]["changes"][0]["value"]["statuses"][0] for r in reports]
    assert [s["status"] for s in statuses] == ["sent", "failed"]
    assert statuses[1]["errors"][0]["code"] == 131026


# -- Instagram ---------------------------------------------------------------------------------------


def test_instagram_answers_the_message_id_then_a_signed_read_receipt(standins: StandIns, receiver: Receiver) -> None:
    igsid = "1254459154682919"
    status, _, answer = graph(standins, IG_ACCOUNT, ig_text(igsid, "Yes, we ship to Korea"), INSTAGRAM_TOKEN)
    assert status == 200 and answer["recipient_id"] == igsid and answer["message_id"].startswith("aWdf")

    (report,) = receiver.wait("/webhooks/instagram", 1)
    meta.verify_signature(APP_SECRET, report.body, report.headers["X-Hub-Signature-256"])
    payload = json.loads(report.body)
    batch = meta.parse_instagram(payload, "2026-12-01T00:00:00.000Z")
    assert (batch.messages, batch.deletes, batch.skipped) == ([], [], 0)
    assert _reports(getattr(batch, "reports", batch.ignored)) == [(IG_ACCOUNT, answer["message_id"], "read")]
    (entry,) = payload["entry"]
    (event,) = entry["messaging"]
    assert payload["object"] == "instagram" and entry["id"] == IG_ACCOUNT and entry["time"] > 1_700_000_000_000
    assert (event["sender"], event["recipient"], event["read"]) == (
        {"id": igsid}, {"id": IG_ACCOUNT}, {"mid": answer["message_id"]})
    assert standins.outbox()[-1]["channel"] == "instagram" and standins.outbox()[-1]["to"] == igsid


def test_instagram_takes_the_token_as_a_query_and_me_as_the_account(standins: StandIns, receiver: Receiver) -> None:
    status, _, answer = graph(standins, "me", ig_text("1254459154682919", "x"), "",
                              "?access_token=" + INSTAGRAM_TOKEN)
    assert status == 200
    (report,) = receiver.wait("/webhooks/instagram", 1)
    assert json.loads(report.body)["entry"][0]["id"] == IG_ACCOUNT


def test_instagram_refuses_text_over_1000_bytes(standins: StandIns) -> None:
    text = "배" * 334  # 334 characters, 1002 bytes
    status, _, answer = graph(standins, IG_ACCOUNT, ig_text("1254459154682919", text), INSTAGRAM_TOKEN)
    assert status == 400 and answer["error"]["code"] == 100
    assert graph(standins, IG_ACCOUNT, ig_text("1254459154682919", "배" * 333), INSTAGRAM_TOKEN)[0] == 200


def test_instagram_outside_the_window_needs_the_human_agent_tag(standins: StandIns) -> None:
    igsid = "1254459154682920"
    standins.control(instagram_window_closed=[igsid])
    status, _, answer = graph(standins, IG_ACCOUNT, ig_text(igsid, "x"), INSTAGRAM_TOKEN)
    assert status == 400 and (answer["error"]["code"], answer["error"]["error_subcode"]) == (10, 2018278)
    tagged = ig_text(igsid, "x", messaging_type="MESSAGE_TAG", tag="HUMAN_AGENT")
    assert graph(standins, IG_ACCOUNT, tagged, INSTAGRAM_TOKEN)[0] == 200
    wrong_tag = ig_text(igsid, "x", messaging_type="MESSAGE_TAG", tag="ACCOUNT_UPDATE")
    assert graph(standins, IG_ACCOUNT, wrong_tag, INSTAGRAM_TOKEN)[2]["error"]["code"] == 100


# -- outbox, control, lifecycle ----------------------------------------------------------------------


def test_outbox_lists_every_accepted_message_and_ses_mail_oldest_first(aws: Any, standins: StandIns) -> None:
    from helpdesk.store import mail

    sender = f"support@{uuid.uuid4().hex[:8]}.example"
    recipient = f"jiwoo.{uuid.uuid4().hex[:8]}@example.com"
    aws.client("ses").verify_email_identity(EmailAddress=sender)
    sms_to = customer()
    send_sms(standins, {"To": sms_to, "From": OUR_NUMBER, "Body": "first"})
    send_sms(standins, {"To": sms_to, "From": OUR_NUMBER, "Body": "x" * 1601})  # refused: not in the outbox
    message_id = mail.send(sender, recipient, "Re: 주문 #1001", "두 번째 메시지\nsecond line")
    graph(standins, IG_ACCOUNT, ig_text("1254459154682919", "third"), INSTAGRAM_TOKEN)

    status, _, answer = call("GET", standins.url + "/outbox")
    assert status == 200
    ours = [i for i in answer["items"] if i["to"] in (sms_to, recipient, "1254459154682919")]
    assert [(i["channel"], i["body"]) for i in ours] == [
        ("sms", "first"), ("email", "두 번째 메시지\nsecond line"), ("instagram", "third")]
    assert ours[1]["subject"] == "Re: 주문 #1001" and ours[1]["id"] == message_id and ours[1]["from"] == sender
    assert "subject" not in ours[0]
    assert [i["at"] for i in ours] == sorted(i["at"] for i in ours)
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", i["at"]) for i in ours)
    assert [i for i in standins.outbox() if i["to"] in (sms_to, recipient, "1254459154682919")] == ours
    only_email = call("GET", standins.url + "/outbox?channel=email&to=" + urllib.parse.quote(recipient))[2]["items"]
    assert only_email == [ours[1]]


def test_control_refuses_what_it_does_not_know(standins: StandIns) -> None:
    for modes in ({"twilio_optedout": []}, {"throttle": {"twilio": -1}}, {"throttle": {"fax": 1}},
                  {"callbacks": "no"}, {"twilio_opted_out": "+15550001111"}, ["reset"]):
        status, _, answer = call("POST", standins.url + "/_control", json.dumps(modes).encode())
        assert status == 400 and answer["error"], modes
    # all or nothing: the good half of a wrong request is not applied either
    assert call("POST", standins.url + "/_control", b'{"callbacks": false, "throttle": {"fax": 1}}')[0] == 400
    assert call("GET", standins.url + "/_control")[2] == {
        "twilio_opted_out": [], "whatsapp_window_closed": [], "instagram_window_closed": [], "undeliverable": [],
        "throttle": {}, "callbacks": True, "whatsapp_phone_numbers": {PHONE_NUMBER_ID: DISPLAY_NUMBER},
        "instagram_accounts": [IG_ACCOUNT]}


def test_control_adds_accounts_a_test_brand_sends_from(standins: StandIns, receiver: Receiver) -> None:
    standins.control(whatsapp_phone_numbers={"200000000000001": "+15550002222"}, instagram_accounts=["178410000002"])
    assert graph(standins, "200000000000001", wa_text("16505550100", "x"), WHATSAPP_TOKEN)[0] == 200
    assert graph(standins, "178410000002", ig_text("1254459154682919", "x"), INSTAGRAM_TOKEN)[0] == 200
    reports = receiver.wait("/webhooks/whatsapp", 1)
    metadata = json.loads(reports[0].body)["entry"][0]["changes"][0]["value"]["metadata"]
    assert metadata == {"display_phone_number": "15550002222", "phone_number_id": "200000000000001"}


def test_a_webhook_that_cannot_be_reached_never_breaks_the_send(caplog: pytest.LogCaptureFixture) -> None:
    closed = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead_url = f"http://127.0.0.1:{closed.server_address[1]}"
    closed.server_close()  # nothing listens there any more
    server = _standins(dead_url)
    try:
        with caplog.at_level("WARNING", logger="infra.local.standins"):
            status, _, _ = graph(server, PHONE_NUMBER_ID, wa_text("16505550100", "x"), WHATSAPP_TOKEN)
            assert status == 200
            deadline = time.monotonic() + 5
            while len(reports := [r.getMessage() for r in caplog.records if "report" in r.getMessage()]) < 2:
                assert time.monotonic() < deadline, reports
                time.sleep(0.02)
        assert [line.split()[0] for line in reports] == ["sent", "delivered"]
        assert all(line.startswith(("sent report to " + dead_url, "delivered report to " + dead_url))
                   for line in reports)
        assert call("GET", server.url + "/outbox")[0] == 200  # still serving
    finally:
        server.stop()


def test_stop_drops_reports_not_yet_due_and_stops_serving(receiver: Receiver) -> None:
    server = _standins(receiver.url, delay=30)
    url = server.url
    send_sms(server, {"To": customer(), "From": OUR_NUMBER, "Body": "x",
                      "StatusCallback": receiver.url + "/webhooks/sms"})
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 5
    assert receiver.requests == []
    with pytest.raises(urllib.error.URLError):
        _OPENER.open(url + "/outbox", timeout=2)


def test_environment_points_every_client_at_the_stand_ins(standins: StandIns) -> None:
    assert standins.environment() == {"TWILIO_API_URL": standins.url, "META_GRAPH_URL": standins.url,
                                      "INSTAGRAM_GRAPH_URL": standins.url}
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", standins.url)
