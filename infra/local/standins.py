"""Local stand-ins for the sending APIs (Twilio Messages, WhatsApp Cloud, Instagram Send), and the outbox.

The send clients call these exactly as they call the real services; only the base URL differs
(`TWILIO_API_URL`, `META_GRAPH_URL`, `INSTAGRAM_GRAPH_URL`, see `StandIns.environment`). Each accepted
message then gets the provider's delivery reports, as the provider sends them: Twilio status callbacks
to the message's `StatusCallback`, signed with `X-Twilio-Signature`; WhatsApp `statuses` and Instagram
read receipts to the stack's own webhooks, signed with `X-Hub-Signature-256`.

    POST /2010-04-01/Accounts/{AccountSid}/Messages.json   Twilio (form, HTTP Basic)
    GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json
    POST /{version}/{phone_number_id}/messages              WhatsApp Cloud (JSON, Bearer)
    POST /{version}/{ig_account_id or me}/messages          Instagram (JSON, Bearer or access_token)
    GET  /outbox                                            every message sent, email through moto SES included
    GET/POST /_control                                      failure modes for tests

`/outbox` answers `{"items": [{"channel": "sms"|"whatsapp"|"instagram"|"email", "to", "body", "at", "subject"?,
"id", "from"}]}`, oldest first (`?channel=` and `?to=` narrow it); a refused send is not in it. `/_control`
takes any of `{"twilio_opted_out": [numbers]}` (21610), `{"whatsapp_window_closed": [numbers]}` (131047; over
Twilio a `failed` 63016 callback), `{"instagram_window_closed": [igsids]}` (code 10/2018278 unless tagged
HUMAN_AGENT), `{"undeliverable": [numbers]}` (Twilio `undelivered` 30003, WhatsApp `failed` 131026),
`{"throttle": {"twilio"|"whatsapp"|"instagram": n}}` (the next n sends refused), `{"callbacks": false}`,
`{"reset": true}`, and `{"whatsapp_phone_numbers": {id: display}, "instagram_accounts": [ids]}` to serve more.

WhatsApp and Instagram share the Graph path shape, so the id in the path says which service is meant:
the stand-ins know the WhatsApp phone number ids and Instagram account ids they serve.
"""
from __future__ import annotations

import base64
import copy
import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, Self

from infra.local import demo

log = logging.getLogger(__name__)

Answer = tuple[int, dict[str, str], bytes]
TWILIO_API_VERSION = "2010-04-01"
TWILIO_BODY_LIMIT = 1600
WHATSAPP_BODY_LIMIT = 4096
INSTAGRAM_TEXT_LIMIT_BYTES = 1000
WHATSAPP_BUSINESS_ACCOUNT_ID = "102290129340398"  # the envelope's entry id; the helpdesk routes on phone_number_id
_TWILIO_CREATE = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages\.json$")
_TWILIO_FETCH = re.compile(r"^/2010-04-01/Accounts/([^/]+)/Messages/([^/]+)\.json$")
_GRAPH_SEND = re.compile(r"^/(v\d+\.\d+)/([^/]+)/messages$")
_E164 = re.compile(r"^\+?[1-9]\d{6,14}$")
_MSS = re.compile(r"^MG[0-9a-f]{32}$")
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # callbacks go to loopback, never a proxy

# GSM 03.38: the basic set costs one septet, the extension set two; anything else makes the message UCS-2.
_GSM_BASIC = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                       "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")

_CONTROL_LISTS = ("twilio_opted_out", "whatsapp_window_closed", "instagram_window_closed", "undeliverable")
_PROVIDERS = ("twilio", "whatsapp", "instagram")


def num_segments(body: str) -> int:
    """How many SMS segments Twilio bills for `body` (GSM-7: 160, or 153 each when split; UCS-2: 70/67)."""
    if set(body) <= _GSM_BASIC | _GSM_EXTENSION:
        units, single, part = sum(2 if c in _GSM_EXTENSION else 1 for c in body), 160, 153
    else:
        units, single, part = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else math.ceil(units / part)


def twilio_signature(auth_token: str, url: str, pairs: Iterable[tuple[str, str]]) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by each name and value, sorted by name."""
    payload = url + "".join(name + value for name, value in sorted(pairs))
    return base64.b64encode(hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()).decode()


def meta_signature(app_secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _digits(address: str) -> str:
    return re.sub(r"\D", "", address)


def _json(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Answer:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(payload).encode()


def twilio_error(status: int, code: int, message: str, headers: Mapping[str, str] | None = None) -> Answer:
    return _json(status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                          "status": status}, headers)


def graph_error(status: int, code: int, message: str, *, kind: str = "OAuthException", subcode: int | None = None,
                details: str | None = None) -> Answer:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if details is not None:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    return _json(status, {"error": error})


@dataclass
class Modes:
    """The failure modes `/_control` sets. Phone numbers match on their digits (`+1555…`, `1555…`,
    `whatsapp:+1555…` are one number); Instagram ids match exactly."""

    twilio_opted_out: list[str] = field(default_factory=list)
    whatsapp_window_closed: list[str] = field(default_factory=list)
    instagram_window_closed: list[str] = field(default_factory=list)
    undeliverable: list[str] = field(default_factory=list)
    throttle: dict[str, int] = field(default_factory=dict)
    callbacks: bool = True

    def holds(self, name: str, address: str) -> bool:
        values: list[str] = getattr(self, name)
        if name == "instagram_window_closed":
            return address in values
        return bool(_digits(address)) and _digits(address) in {_digits(v) for v in values}

    def undeliverable_to(self, address: str) -> bool:
        return address in self.undeliverable or self.holds("undeliverable", address)


class ControlError(ValueError):
    pass


@dataclass
class _Delivery:
    """One accepted message's later reports: (seconds after the previous one, the POST to make)."""

    steps: list[tuple[str, Callable[[], tuple[str, bytes, dict[str, str]] | None]]]


class StandIns:
    """The stand-ins on their own HTTP server (a thread per request, threads for the delivery reports)."""

    def __init__(self, api_url: str, host: str = "127.0.0.1", port: int = 0, *,
                 account_sid: str = demo.TWILIO_ACCOUNT_SID, auth_token: str = demo.SECRETS["twilio_auth_token"],
                 whatsapp_token: str = demo.SECRETS["whatsapp_access_token"],
                 instagram_token: str = demo.SECRETS["instagram_access_token"],
                 app_secret: str = demo.SECRETS["meta_app_secret"],
                 whatsapp_phone_numbers: Mapping[str, str] | Iterable[str] | None = None,
                 instagram_accounts: Iterable[str] | None = None, sms_number: str = demo.SMS_NUMBER,
                 callback_delay: float = 0.3, mail: bool = True):
        self.api_url = api_url.rstrip("/")  # settable: the stack may learn its port after these start
        self.account_sid, self.auth_token, self.app_secret = account_sid, auth_token, app_secret
        self.whatsapp_token, self.instagram_token = whatsapp_token, instagram_token
        numbers = whatsapp_phone_numbers if whatsapp_phone_numbers is not None else {
            demo.WHATSAPP_PHONE_NUMBER_ID: demo.WHATSAPP_DISPLAY_NUMBER}
        self.whatsapp_phone_numbers: dict[str, str] = (
            dict(numbers) if isinstance(numbers, Mapping) else {str(n): "" for n in numbers})
        self.instagram_accounts = set(instagram_accounts if instagram_accounts is not None
                                      else [demo.INSTAGRAM_ACCOUNT_ID])
        self.sms_number, self.callback_delay, self.mail = sms_number, callback_delay, mail
        self.modes = Modes()
        self._lock = threading.Lock()
        self._outbox: list[dict[str, Any]] = []
        self._mail_seen: dict[tuple[str, str, int], int] = {}
        self._twilio_messages: dict[str, dict[str, Any]] = {}
        self._stopping = threading.Event()
        self._deliveries: list[threading.Thread] = []
        self._server = serve(self, host, port)
        self._threads = [threading.Thread(target=self._server.serve_forever, args=(0.1,), name="standins",
                                          daemon=True),
                         threading.Thread(target=self._watch_mail, name="standins-mail", daemon=True)]

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> StandIns:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; reports not yet due are dropped, one being posted is waited for."""
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            waiting = list(self._deliveries)
        for thread in [*self._threads, *waiting]:
            if thread.is_alive():
                thread.join(timeout=15)

    def environment(self) -> dict[str, str]:
        """The base URLs the send clients read; the credentials they send are the constructor's."""
        return {"TWILIO_API_URL": self.url, "META_GRAPH_URL": self.url, "INSTAGRAM_GRAPH_URL": self.url}

    # -- in-process helpers ------------------------------------------------------------------------

    def outbox(self) -> list[dict[str, Any]]:
        """Every message accepted so far, oldest first, email sent through moto SES included."""
        with self._lock:
            self._harvest_mail()
            return [dict(item) for item in self._outbox]

    def control(self, **modes: Any) -> dict[str, Any]:
        """Set failure modes as `POST /_control` does; answers the modes now in force."""
        with self._lock:
            self._apply(modes)
            return self._describe_modes()

    # -- HTTP --------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        parts = urllib.parse.urlsplit(target)
        path, query = parts.path, dict(urllib.parse.parse_qsl(parts.query))
        lower = {k.lower(): v for k, v in headers.items()}
        if path == "/outbox" and method == "GET":
            items = [i for i in self.outbox() if all(i.get(k) == query[k] for k in ("channel", "to") if k in query)]
            return _json(200, {"items": items})
        if path == "/_control":
            return self._control_answer(method, body)
        if (match := _TWILIO_CREATE.match(path)) and method == "POST":
            return self._twilio_create(match.group(1), lower, body)
        if (match := _TWILIO_FETCH.match(path)) and method == "GET":
            return self._twilio_fetch(match.group(1), match.group(2), lower)
        if (match := _GRAPH_SEND.match(path)) and method == "POST":
            return self._graph_send(match.group(2), lower, query, body)
        if path.startswith("/2010-04-01/"):
            return twilio_error(404, 20404, f"The requested resource {path} was not found")
        return graph_error(400, 2500, f"Unknown path components: {path}")

    def _control_answer(self, method: str, body: bytes) -> Answer:
        if method == "GET":
            with self._lock:
                return _json(200, self._describe_modes())
        if method != "POST":
            return _json(405, {"error": "GET or POST"})
        try:
            modes = json.loads(body or b"{}")
            if not isinstance(modes, dict):
                raise ControlError("a JSON object of modes")
            return _json(200, self.control(**modes))
        except (ValueError, ControlError) as error:
            return _json(400, {"error": str(error)})

    # -- Twilio ------------------------------------------------------------------------------------

    def _twilio_authenticated(self, headers: Mapping[str, str]) -> bool:
        scheme, _, encoded = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        return (hmac.compare_digest(user.encode(), self.account_sid.encode())
                and hmac.compare_digest(password.encode(), self.auth_token.encode()))

    def _twilio_refusal(self, account_sid: str, headers: Mapping[str, str]) -> Answer | None:
        if not self._twilio_authenticated(headers):
            return twilio_error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})
        if account_sid != self.account_sid:
            return twilio_error(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid} was not found")
        return None

    def _twilio_create(self, account_sid: str, headers: Mapping[str, str], body: bytes) -> Answer:
        if refusal := self._twilio_refusal(account_sid, headers):
            return refusal
        if self._throttled("twilio"):
            return twilio_error(429, 20429, "Too Many Requests")
        pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        form = dict(pairs)
        media = [v for k, v in pairs if k == "MediaUrl"]
        if invalid := _twilio_invalid(form, media):
            return invalid
        to = form["To"]
        whatsapp = to.lower().startswith("whatsapp:")
        if not whatsapp and self.modes.holds("twilio_opted_out", to):
            return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient")
        message = self._twilio_message(form, media, whatsapp)
        with self._lock:
            self._harvest_mail()
            self._twilio_messages[message["sid"]] = dict(message)  # its reports change this copy, not the answer
            self._record("whatsapp" if whatsapp else "sms", to.split(":", 1)[-1], form.get("Body", ""),
                         id=message["sid"], sender=message["from"] or self._twilio_sender(whatsapp))
        self._deliver(self._twilio_reports(message, form.get("StatusCallback"), whatsapp))
        return _json(201, message)

    def _twilio_sender(self, whatsapp: bool) -> str:
        """The number a Messaging Service picks from its pool."""
        if whatsapp:
            display = next(iter(self.whatsapp_phone_numbers.values()), "") or self.sms_number
            return "whatsapp:" + display
        return self.sms_number

    def _twilio_message(self, form: dict[str, str], media: list[str], whatsapp: bool) -> dict[str, Any]:
        sid = "SM" + uuid.uuid4().hex
        created = email.utils.format_datetime(_now().replace(microsecond=0))
        service = form.get("MessagingServiceSid")
        uri = f"/{TWILIO_API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}"
        return {
            "account_sid": self.account_sid, "api_version": TWILIO_API_VERSION, "body": form.get("Body", ""),
            "date_created": created, "date_sent": None, "date_updated": created, "direction": "outbound-api",
            "error_code": None, "error_message": None,
            # With a Messaging Service and no From, the sender is picked later: Twilio answers from: null.
            "from": form.get("From") or None, "messaging_service_sid": service, "num_media": str(len(media)),
            "num_segments": str(num_segments(form.get("Body", ""))), "price": None, "price_unit": "USD",
            "sid": sid, "status": "accepted" if service else "queued", "to": form["To"],
            "subresource_uris": {"media": uri + "/Media.json", "feedback": uri + "/Feedback.json"},
            "uri": uri + ".json",
        }

    def _twilio_fetch(self, account_sid: str, sid: str, headers: Mapping[str, str]) -> Answer:
        if refusal := self._twilio_refusal(account_sid, headers):
            return refusal
        with self._lock:
            message = self._twilio_messages.get(sid)
            snapshot = dict(message) if message else None
        if snapshot is None:
            return twilio_error(404, 20404, f"The requested resource /2010-04-01/Accounts/{account_sid}"
                                            f"/Messages/{sid}.json was not found")
        return _json(200, snapshot)

    def _twilio_reports(self, message: dict[str, Any], callback: str | None, whatsapp: bool) -> _Delivery:
        to = message["to"]
        if whatsapp and self.modes.holds("whatsapp_window_closed", to):
            outcome = [("failed", "63016")]  # outside the 24 h window: Twilio accepts, then fails it
        elif self.modes.undeliverable_to(to.split(":", 1)[-1]):
            outcome = [("sent", ""), ("undelivered", "30003")]
        else:
            outcome = [("sent", ""), ("delivered", "")]
        sender = message["from"] or self._twilio_sender(whatsapp)

        def report(status: str, error_code: str) -> Callable[[], tuple[str, bytes, dict[str, str]] | None]:
            def post() -> tuple[str, bytes, dict[str, str]] | None:
                with self._lock:
                    stored = self._twilio_messages[message["sid"]]
                    stored.update(status=status, error_code=int(error_code) if error_code else None,
                                  date_updated=email.utils.format_datetime(_now().replace(microsecond=0)))
                    if status == "sent":
                        stored["date_sent"] = stored["date_updated"]
                if not callback:
                    return None
                pairs = [("MessageSid", message["sid"]), ("SmsSid", message["sid"]), ("MessageStatus", status),
                         ("SmsStatus", status), ("AccountSid", self.account_sid), ("From", sender), ("To", to),
                         ("ApiVersion", TWILIO_API_VERSION)]
                if message["messaging_service_sid"]:
                    pairs.append(("MessagingServiceSid", message["messaging_service_sid"]))
                if error_code:
                    pairs.append(("ErrorCode", error_code))
                return callback, urllib.parse.urlencode(pairs).encode(), {
                    "Content-Type": "application/x-www-form-urlencoded", "User-Agent": "TwilioProxy/1.1",
                    "X-Twilio-Signature": twilio_signature(self.auth_token, callback, pairs),
                    "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
            return post

        return _Delivery([(status, report(status, code)) for status, code in outcome])

    # -- Graph: WhatsApp Cloud and Instagram -------------------------------------------------------

    def _graph_send(self, object_id: str, headers: Mapping[str, str], query: dict[str, str], body: bytes) -> Answer:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else query.get("access_token", "")
        send: Callable[[str, dict[str, Any]], Answer] | None = None
        if object_id in self.whatsapp_phone_numbers:
            expected, send = self.whatsapp_token, self._whatsapp_send
        elif object_id in self.instagram_accounts or (object_id == "me" and self.instagram_accounts):
            expected, send = self.instagram_token, self._instagram_send
            if object_id == "me":  # the account the token belongs to
                object_id = sorted(self.instagram_accounts)[0]
        known = (self.whatsapp_token, self.instagram_token)
        if not token or not any(hmac.compare_digest(token.encode(), t.encode()) for t in known) or (
                send is not None and token != expected):
            return graph_error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        if send is None:
            return graph_error(400, 100, f"Unsupported post request. Object with ID '{object_id}' does not exist, "
                                         "cannot be loaded due to missing permissions, or does not support this "
                                         "operation. Please read the Graph API documentation at "
                                         "https://developers.facebook.com/docs/graph-api",
                               kind="GraphMethodException", subcode=33)
        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            return graph_error(400, 100, "(#100) Invalid parameter")
        return send(object_id, payload)

    def _whatsapp_send(self, phone_number_id: str, payload: dict[str, Any]) -> Answer:
        if self._throttled("whatsapp"):
            return graph_error(400, 130429, "(#130429) Rate limit hit", details="Message failed to send because "
                               "there were too many messages sent from this phone number in a short period of time")
        if invalid := _whatsapp_invalid(payload):
            return invalid
        to, kind = str(payload["to"]), payload.get("type", "text")
        if kind == "text" and self.modes.holds("whatsapp_window_closed", to):
            return graph_error(400, 131047, "(#131047) Re-engagement message", details="Message failed to send "
                               "because more than 24 hours have passed since the customer last replied to this number.")
        wa_id = _digits(to)
        wamid = _wamid(wa_id)
        text = payload["text"]["body"] if kind == "text" else "template:" + str(payload["template"].get("name"))
        with self._lock:
            self._harvest_mail()
            self._record("whatsapp", "+" + wa_id, text, id=wamid, sender=phone_number_id)
        self._deliver(self._whatsapp_reports(phone_number_id, wamid, wa_id))
        return _json(200, {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": wa_id}],
                           "messages": [{"id": wamid}]})

    def _whatsapp_reports(self, phone_number_id: str, wamid: str, wa_id: str) -> _Delivery:
        conversation = "c" + uuid.uuid4().hex
        outcome = ["sent", "failed"] if self.modes.undeliverable_to(wa_id) else ["sent", "delivered"]

        def report(status: str) -> Callable[[], tuple[str, bytes, dict[str, str]] | None]:
            def post() -> tuple[str, bytes, dict[str, str]]:
                now = int(time.time())
                entry: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(now), "recipient_id": wa_id}
                if status == "failed":
                    entry["errors"] = [{"code": 131026, "title": "Message undeliverable",
                                        "message": "Message undeliverable",
                                        "error_data": {"details": "Message Undeliverable."}}]
                else:
                    entry["conversation"] = {"id": conversation, "origin": {"type": "service"},
                                             **({"expiration_timestamp": str(now + 86400)} if status == "sent" else {})}
                    entry["pricing"] = {"billable": False, "pricing_model": "PMP", "type": "free_customer_service",
                                        "category": "service"}
                display = self.whatsapp_phone_numbers.get(phone_number_id, "")
                return self._meta_post("whatsapp", {"object": "whatsapp_business_account", "entry": [{
                    "id": WHATSAPP_BUSINESS_ACCOUNT_ID, "changes": [{"field": "messages", "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {"display_phone_number": _digits(display), "phone_number_id": phone_number_id},
                        "statuses": [entry]}}]}]})
            return post

        return _Delivery([(status, report(status)) for status in outcome])

    def _instagram_send(self, account_id: str, payload: dict[str, Any]) -> Answer:
        if self._throttled("instagram"):
            return graph_error(400, 613, "(#613) Calls to this api have exceeded the rate limit.")
        if invalid := _instagram_invalid(payload):
            return invalid
        recipient, text = str(payload["recipient"]["id"]), str(payload["message"]["text"])
        human_agent = payload.get("messaging_type") == "MESSAGE_TAG" and payload.get("tag") == "HUMAN_AGENT"
        if not human_agent and self.modes.holds("instagram_window_closed", recipient):
            return graph_error(400, 10, "(#10) This message is sent outside of allowed window.", subcode=2018278)
        # Instagram message ids are base64 of "ig_message_item:…", hence their "aWdf" start.
        mid = base64.urlsafe_b64encode(
            f"ig_message_item:1:IGMessageThread:{account_id}:{uuid.uuid4().int}".encode()).decode().rstrip("=")
        with self._lock:
            self._harvest_mail()
            self._record("instagram", recipient, text, id=mid, sender=account_id)

        def read_receipt() -> tuple[str, bytes, dict[str, str]]:
            now = int(time.time() * 1000)
            return self._meta_post("instagram", {"object": "instagram", "entry": [{
                "id": account_id, "time": now, "messaging": [{
                    "sender": {"id": recipient}, "recipient": {"id": account_id}, "timestamp": now,
                    "read": {"mid": mid}}]}]})

        self._deliver(_Delivery([("read", read_receipt)]))
        return _json(200, {"recipient_id": recipient, "message_id": mid})

    def _meta_post(self, route: str, payload: dict[str, Any]) -> tuple[str, bytes, dict[str, str]]:
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return f"{self.api_url}/webhooks/{route}", raw, {
            "Content-Type": "application/json", "User-Agent": "facebookexternalua",
            "X-Hub-Signature-256": meta_signature(self.app_secret, raw),
            "X-Hub-Signature": "sha1=" + hmac.new(self.app_secret.encode(), raw, hashlib.sha1).hexdigest()}

    # -- delivery reports --------------------------------------------------------------------------

    def _deliver(self, delivery: _Delivery) -> None:
        thread = threading.Thread(target=self._run_delivery, args=(delivery,), name="standins-report", daemon=True)
        with self._lock:
            self._deliveries = [t for t in self._deliveries if t.is_alive()] + [thread]
        thread.start()

    def _run_delivery(self, delivery: _Delivery) -> None:
        # One thread per message, its reports in order: a report is posted only once the one before
        # it was answered, so `sent` always reaches the stack before `delivered`.
        for status, build in delivery.steps:
            if self._stopping.wait(self.callback_delay):
                return
            try:
                request = build()
                if request is not None and self.modes.callbacks:
                    _post(*request, status=status)
            except Exception:  # best effort: a report that cannot be made must not take the server down
                log.exception("delivery report %s not made", status)

    # -- control -----------------------------------------------------------------------------------

    def _throttled(self, provider: str) -> bool:
        with self._lock:
            left = self.modes.throttle.get(provider, 0)
            if left > 0:
                self.modes.throttle[provider] = left - 1
            return left > 0

    def _apply(self, modes: dict[str, Any]) -> None:
        """All of `modes` or, when any is wrong, none of them. `reset` clears the failure modes; the
        WhatsApp numbers and Instagram accounts served stay."""
        unknown = set(modes) - {*_CONTROL_LISTS, "throttle", "callbacks", "reset", "whatsapp_phone_numbers",
                                "instagram_accounts"}
        if unknown:
            raise ControlError("unknown modes: " + ", ".join(sorted(unknown)))
        new = Modes() if modes.get("reset") else copy.deepcopy(self.modes)
        for name in _CONTROL_LISTS:
            if name in modes:
                setattr(new, name, _strings(name, modes[name]))
        throttle = modes.get("throttle", {})
        if not isinstance(throttle, dict) or not all(
                p in _PROVIDERS and isinstance(n, int) and not isinstance(n, bool) and n >= 0
                for p, n in throttle.items()):
            raise ControlError("throttle: {provider: count} with providers " + ", ".join(_PROVIDERS))
        new.throttle.update(throttle)
        new.callbacks = modes.get("callbacks", new.callbacks)
        if not isinstance(new.callbacks, bool):
            raise ControlError("callbacks: true or false")
        numbers = modes.get("whatsapp_phone_numbers", {})
        if not isinstance(numbers, dict) or not all(isinstance(v, str) for v in numbers.values()):
            raise ControlError("whatsapp_phone_numbers: {phone_number_id: display_phone_number}")
        accounts = _strings("instagram_accounts", modes.get("instagram_accounts", []))
        self.modes = new
        self.whatsapp_phone_numbers.update({str(k): v for k, v in numbers.items()})
        self.instagram_accounts.update(accounts)

    def _describe_modes(self) -> dict[str, Any]:
        return {**{name: list(getattr(self.modes, name)) for name in _CONTROL_LISTS},
                "throttle": dict(self.modes.throttle), "callbacks": self.modes.callbacks,
                "whatsapp_phone_numbers": dict(self.whatsapp_phone_numbers),
                "instagram_accounts": sorted(self.instagram_accounts)}

    # -- outbox ------------------------------------------------------------------------------------

    def _record(self, channel: str, to: str, body: str, *, id: str, sender: str, subject: str | None = None,
                at: str | None = None) -> None:
        item = {"channel": channel, "to": to, "body": body, "at": at or _iso(_now()), "id": id, "from": sender}
        if subject is not None:
            item["subject"] = subject
        self._outbox.append(item)

    def _watch_mail(self) -> None:
        # Mail is noticed within a quarter second of moto taking it, so its `at` is close to when it
        # was sent; a send through a stand-in looks first too, so the outbox order is the send order.
        while self.mail and not self._stopping.wait(0.25):
            try:
                with self._lock:
                    self._harvest_mail()
            except Exception:
                log.exception("reading moto's sent mail failed")

    def _harvest_mail(self) -> None:
        """Append to the outbox what moto SES (in this process) sent since the last look. Call under the lock."""
        if not self.mail:
            return
        try:
            from moto.ses.models import ses_backends
        except ImportError:
            return
        at = _iso(_now())
        for account_id, regions in list(ses_backends.items()):
            for region, backend in list(regions.items()):
                key = (account_id, region, id(backend))
                sent = list(backend.sent_messages)
                for message in sent[self._mail_seen.get(key, 0):]:
                    for item in mail_items(message):
                        self._record("email", item["to"], item["body"], id=item["id"], sender=item["from"],
                                     subject=item["subject"], at=at)
                self._mail_seen[key] = len(sent)


def mail_items(message: Any) -> list[dict[str, str]]:
    """One outbox item per recipient of a message moto SES sent (raw MIME, or SES's simple form)."""
    source = str(getattr(message, "source", "") or "")
    raw = getattr(message, "raw_data", None)
    if raw is not None:
        # As bytes: parsed from a str, an 8bit body would come back as raw-unicode-escape text.
        parsed = email.message_from_bytes(raw.encode("utf-8", "surrogateescape"), policy=email.policy.default)
        headers = [str(parsed.get(name, "")) for name in ("To", "Cc")]
        named = [address for _, address in email.utils.getaddresses(headers)]
        recipients = named + [email.utils.parseaddr(d)[1] for d in getattr(message, "destinations", [])]
        part = parsed.get_body(preferencelist=("plain", "html"))
        body = part.get_content() if part is not None else ""  # type: ignore[attr-defined]
        subject, message_id = str(parsed.get("Subject", "")), str(parsed.get("Message-ID", "")).strip("<>")
        source = source or email.utils.parseaddr(str(parsed.get("From", "")))[1]
    else:
        destinations = getattr(message, "destinations", {}) or {}
        recipients = [a for k in ("ToAddresses", "CcAddresses", "BccAddresses") for a in destinations.get(k, [])]
        body = str(getattr(message, "body", None) or getattr(message, "template_data", ""))
        subject, message_id = str(getattr(message, "subject", "") or ""), ""
    unique: dict[str, str] = {}  # moto lists a raw message's header recipients besides its Destinations
    for recipient in recipients:
        if recipient:
            unique.setdefault(recipient.lower(), recipient)
    return [{"to": to, "body": str(body).rstrip("\r\n"), "subject": subject,
             "id": message_id or str(getattr(message, "id", "")), "from": source} for to in unique.values()]


def _strings(name: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ControlError(f"{name}: a list of strings")
    return list(value)


def _twilio_invalid(form: dict[str, str], media: list[str]) -> Answer | None:
    to, body = form.get("To", ""), form.get("Body", "")
    if not to:
        return twilio_error(400, 21604, "A 'To' phone number is required.")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return twilio_error(400, 21603, "A 'From' phone number is required.")
    if form.get("MessagingServiceSid") and not _MSS.match(form["MessagingServiceSid"]):
        return twilio_error(400, 21701, f"The Messaging Service Sid {form['MessagingServiceSid']} is invalid.")
    if not _E164.match(to.split(":", 1)[-1] if to.lower().startswith("whatsapp:") else to):
        return twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
    sender = form.get("From", "")
    if sender and sender.lower().startswith("whatsapp:") != to.lower().startswith("whatsapp:"):
        return twilio_error(400, 21910, "Invalid From and To pair. From and To should be of the same channel")
    if not body and not media and not form.get("ContentSid"):
        return twilio_error(400, 21602, "Message body is required.")
    if len(body) > TWILIO_BODY_LIMIT:
        return twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
    callback = form.get("StatusCallback")
    if callback and urllib.parse.urlsplit(callback).scheme not in ("http", "https"):
        return twilio_error(400, 21609, f"The StatusCallback URL {callback} is not a valid URL.")
    return None


def _whatsapp_invalid(payload: dict[str, Any]) -> Answer | None:
    def invalid(message: str, details: str) -> Answer:
        return graph_error(400, 100, message, details=details)

    if payload.get("messaging_product") != "whatsapp":
        return invalid("(#100) The parameter messaging_product is required.",
                       "The parameter messaging_product is required.")
    to = payload.get("to")
    # Cloud API takes the number as the customer's wa_id or in any common phone format.
    if not isinstance(to, str) or not re.fullmatch(r"[+\d\s().-]+", to) or not _E164.match("+" + _digits(to)):
        return invalid("(#100) Invalid parameter", "The parameter to is required.")
    kind = payload.get("type", "text")
    if kind == "template":
        template = payload.get("template")
        if not isinstance(template, dict) or not template.get("name"):
            return invalid("(#100) Invalid parameter", "The parameter template['name'] is required.")
        return None
    if kind != "text":
        return invalid("(#100) Invalid parameter", f"Param type must be one of {{text, template}} here, not {kind}")
    text = payload.get("text")
    body = text.get("body") if isinstance(text, dict) else None
    if not isinstance(body, str) or not body:
        return invalid("(#100) The parameter text['body'] is required.", "The parameter text['body'] is required.")
    if len(body) > WHATSAPP_BODY_LIMIT:
        return invalid("(#100) Invalid parameter", "Param text['body'] must be at most 4096 characters long.")
    return None


def _instagram_invalid(payload: dict[str, Any]) -> Answer | None:
    recipient, message = payload.get("recipient"), payload.get("message")
    if not isinstance(recipient, dict) or not recipient.get("id"):
        return graph_error(400, 100, "(#100) The parameter recipient is required")
    if not isinstance(message, dict) or not isinstance(message.get("text"), str) or not message["text"]:
        return graph_error(400, 100, "(#100) The parameter message[text] is required")
    if len(message["text"].encode("utf-8")) > INSTAGRAM_TEXT_LIMIT_BYTES:
        return graph_error(400, 100, "(#100) Length of param message[text] must be less than or equal to 1000")
    kind = payload.get("messaging_type", "RESPONSE")
    if kind not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
        return graph_error(400, 100, "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}")
    if kind == "MESSAGE_TAG" and payload.get("tag") != "HUMAN_AGENT":
        return graph_error(400, 100, "(#100) Param tag must be HUMAN_AGENT with messaging_type MESSAGE_TAG")
    return None


def _wamid(wa_id: str) -> str:
    """A wamid as Cloud API shapes them: base64 of the recipient's number and a random message key."""
    key = secrets.token_hex(10).upper().encode()
    raw = (b"\x1c\x18" + bytes([len(wa_id)]) + wa_id.encode() + b"\x15\x02\x00\x11\x18" + bytes([len(key)])
           + key + b"\x00")
    return "wamid." + base64.b64encode(raw).decode()


def _post(url: str, body: bytes, headers: dict[str, str], *, status: str) -> None:
    """POST one report; its failure is logged, never raised (the provider would retry; a test reads the log)."""
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _NO_PROXY.open(request, timeout=15) as answer:
            log.info("%s report to %s answered %s", status, url, answer.status)
    except urllib.error.HTTPError as error:
        log.warning("%s report to %s answered %s", status, url, error.code)
    except (urllib.error.URLError, OSError) as error:
        log.warning("%s report to %s failed: %s", status, url, error)


class Handler(Protocol):
    """What `serve` puts on HTTP: these stand-ins, and the commerce ones (shopify_standin, recharge_standin)."""

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer: ...


def serve(standins: Handler, host: str, port: int) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            try:
                status, headers, data = standins.handle(self.command, self.path, dict(self.headers.items()), body)
            except Exception:  # a stand-in bug answers 500, as a provider outage would
                log.exception("stand-in failed on %s %s", self.command, self.path.split("?")[0])
                status, headers, data = _json(500, {"error": "stand-in failed"})
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # a burst of sends must not meet "connection reset" (as in gateway.py)
        daemon_threads = True

    return Server((host, port), RequestHandler)


class Served:
    """A stand-in answering on its own HTTP server, served from a thread between `start` and `stop`
    (the Shopify and Recharge stand-ins; each is its own provider, at its own address)."""

    def _listen(self, host: str, port: int, name: str) -> None:
        self._server = serve(self, host, port)  # type: ignore[arg-type]  # the subclass has `handle`
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.1,), name=name, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

