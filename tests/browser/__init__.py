"""The agent console in a real browser: the local stack as a process (`python -m infra.local.stack`),
Debian's headless Chromium driven through Playwright (browsers that download themselves cannot be
fetched here, so Playwright never installs one), and customers' messages sent into the stack signed as
each provider signs them. The browser tests (conftest.py, test_console_*.py) and the console bench
(tests/bench/console.py) share what is here."""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any, TypeVar

from tests.providers import meta_signature, twilio_signature

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
# No sandbox (CI runs as root), no GPU (none here), and nothing that calls out to Google's services on
# its own: the only traffic is the page's.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
T = TypeVar("T")


def http(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


@contextmanager
def local_stack(workdir: Path, sweep_seconds: int = 2) -> Iterator[dict[str, Any]]:
    """`python -m infra.local.stack` on a free port with a state file of its own, as tests/e2e starts
    it; stopped with SIGINT to its process group (then SIGKILL), so nothing it started outlives it.
    Yields its stack.json; on the way out, a stack that did not stop cleanly or logged a traceback fails."""
    state = workdir / ".local" / "stack.json"
    log_path = workdir / "stack.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "ASSIGNMENT_", "COGNITO_"))}
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'layers'}"
    # Snoozed tickets wake on the sweep: every 2 s, a snooze a few seconds ahead wakes within the test.
    env["HELPDESK_SWEEP_SECONDS"] = str(sweep_seconds)
    # The stack logs a line per message: into a file, since an undrained pipe would fill and stall it.
    output = log_path.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "infra.local.stack", "--port", "0", "--state-file", str(state)],
                            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    problems: list[str] = []
    try:
        deadline = time.time() + 90
        while not state.exists():
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"local stack did not start:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.1)
        info = json.loads(state.read_text())
        info["_workdir"] = workdir
        yield info
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            code = proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
            problems.append("local stack did not stop on SIGINT")
            code = 0
        output.close()
        log = log_path.read_text()
        if code != 0:
            problems.append(f"local stack exited {code}:\n{log[-3000:]}")
        failure = _first_failure(log)
        if failure:  # a Lambda that failed is only a traceback in the stack's output
            problems.append(failure)
    if problems:
        raise AssertionError("\n".join(problems))


# A browser drops connections it no longer needs (a closed tab, a page that moved on) while the local
# server still writes its answer: the standard library's server prints that as a traceback of its own.
_CLIENT_GONE = ("BrokenPipeError", "ConnectionResetError", "ConnectionAbortedError")


def _first_failure(log: str) -> str | None:
    """The first traceback in the stack's output that is not a client hanging up, with its context."""
    start = 0
    while (at := log.find("Traceback", start)) >= 0:
        end = log.find("\n----------------------------------------", at)
        block = log[at:end if end >= 0 else len(log)]
        # (The stack's threads log while the server prints: the exception's line need not be the block's last.)
        if not any(line.startswith(_CLIENT_GONE) for line in block.splitlines()):
            return log[max(0, at - 200):][:3000]
        start = at + len("Traceback")
    return None


def launch_chromium(playwright: Any) -> Any:
    """Debian's Chromium, headless: Playwright drives it over CDP like the browser it would download."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def wait_for(predicate: Callable[[], T | None], timeout: float = 20, what: str = "condition") -> T:
    end = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > end:
            raise AssertionError(f"{what}: not met within {timeout} s")
        time.sleep(0.2)


def new_number() -> str:
    return "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)


class Stack:
    """The running stack as a test reaches it: the agent API with the demo agents' tokens, the
    providers' webhooks, and the stand-ins' outbox."""

    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.api_url: str = info["api_url"]
        self.console_url: str = info["console_url"]
        self.users: dict[str, dict[str, str]] = info["users"]

    def token(self, role: str) -> str:
        # The stack refreshes its tokens before they expire and writes them to its state file.
        state = Path(self.info["_workdir"]) / ".local" / "stack.json"
        try:
            return str(json.loads(state.read_text())["tokens"][role])
        except (OSError, ValueError, KeyError):
            return str(self.info["tokens"][role])

    def api(self, method: str, path: str, role: str = "owner", body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token(role)}"}
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        status, _, text = http(method, self.api_url + path, data, headers)
        return status, json.loads(text) if text else None

    def ticket(self, ticket_id: str) -> dict[str, Any]:
        status, body = self.api("GET", f"/api/tickets/{ticket_id}")
        assert status == 200, (status, body)
        return dict(body)

    def agent_id(self, role: str) -> str:
        status, me = self.api("GET", "/api/agents/me", role)
        assert status == 200, (status, me)
        return str(me["id"])

    def ticket_of(self, contact: str, timeout: float = 20) -> dict[str, Any]:
        """The ticket of a customer's address (numbers with or without their +), once intake has stored it."""
        def found() -> dict[str, Any] | None:
            status, page = self.api("GET", "/api/tickets?view=all&limit=100")
            assert status == 200, page
            return next((t for t in page["items"] if t["contact"].lstrip("+") == contact.lstrip("+")), None)

        return wait_for(found, timeout, f"a ticket for {contact}")

    def outbox(self, to: str) -> list[dict[str, Any]]:
        """What the provider stand-ins carried to this customer, oldest first."""
        status, _, text = http("GET", self.info["outbox_url"] + "?to=" + urllib.parse.quote(to))
        assert status == 200, text
        return list(json.loads(text)["items"])

    # --- customers writing in, as each provider delivers it ---------------------------------------

    def send_sms(self, frm: str, text: str) -> None:
        url = self.api_url + "/webhooks/sms"
        sid = "SM" + uuid.uuid4().hex
        params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": frm,
                  "To": self.info["channels"]["sms"], "Body": text, "NumMedia": "0",
                  "SmsStatus": "received", "ApiVersion": "2010-04-01"}
        status, _, body = http("POST", url, urllib.parse.urlencode(params).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded",
                                "X-Twilio-Signature": twilio_signature(self.info["twilio_auth_token"], url, params)})
        assert status == 200, body

    def _meta(self, path: str, payload: dict[str, Any]) -> None:
        raw = json.dumps(payload).encode()
        status, _, body = http("POST", self.api_url + path, raw, {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": meta_signature(self.info["meta_app_secret"], raw)})
        assert status == 200, body

    def send_whatsapp(self, wa_id: str, text: str, name: str = "Kim") -> None:
        wa = self.info["channels"]["whatsapp"]
        self._meta("/webhooks/whatsapp", {"object": "whatsapp_business_account", "entry": [{
            "id": "102290129340398", "changes": [{"field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": {"display_phone_number": str(wa["display_phone_number"]).lstrip("+"),
                             "phone_number_id": wa["phone_number_id"]},
                "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
                "messages": [{"from": wa_id, "id": "wamid." + uuid.uuid4().hex, "timestamp": str(int(time.time())),
                              "type": "text", "text": {"body": text}}]}}]}]})

    def send_instagram(self, user: str, text: str) -> None:
        business, now = self.info["channels"]["instagram"]["account_id"], int(time.time() * 1000)
        event = {"sender": {"id": user}, "recipient": {"id": business}, "timestamp": now,
                 "message": {"mid": "m_" + uuid.uuid4().hex, "text": text}}
        self._meta("/webhooks/instagram", {"object": "instagram", "entry": [{"id": business, "time": now,
                                                                               "messaging": [event]}]})

    def send_email(self, sender: str, subject: str, text: str) -> None:
        """A Mailgun route's POST: the raw MIME and a signature over timestamp + token."""
        support = self.info["channels"]["email"]
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = sender, support, subject
        mail["Message-ID"] = f"<{uuid.uuid4().hex}@customer.example>"
        mail["Date"] = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
        mail.set_content(text)
        ts, token = str(int(time.time())), uuid.uuid4().hex
        signature = hmac.new(self.info["mailgun_signing_key"].encode(), (ts + token).encode(),
                             hashlib.sha256).hexdigest()
        form = {"recipient": support, "sender": sender, "from": sender, "subject": subject,
                "body-mime": mail.as_string(), "timestamp": ts, "token": token, "signature": signature}
        status, _, body = http("POST", self.api_url + "/webhooks/email", urllib.parse.urlencode(form).encode(),
                               {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body

    def webchat_session(self) -> str:
        status, _, body = http("POST", self.api_url + "/webchat/sessions", b"{}", {"Content-Type": "application/json"})
        assert status in (200, 201), body
        return str(json.loads(body)["token"])

    def send_webchat(self, session: str, text: str) -> dict[str, Any]:
        """A visitor's message from the chat widget: answers {conversation_id, ticket_id}."""
        raw = json.dumps({"type": "message", "message_id": uuid.uuid4().hex, "text": text}).encode()
        status, _, body = http("POST", self.api_url + "/webhooks/webchat", raw,
                               {"Content-Type": "application/json", "Authorization": f"Bearer {session}"})
        assert status in (200, 201), body
        return dict(json.loads(body))

    def webchat_messages(self, session: str, conversation_id: str) -> list[dict[str, Any]]:
        """What the visitor's widget shows."""
        status, _, body = http("GET", f"{self.api_url}/webhooks/webchat/{conversation_id}/messages",
                               headers={"Authorization": f"Bearer {session}"})
        assert status == 200, body
        data = json.loads(body)
        return list(data.get("items", data.get("messages", [])) if isinstance(data, dict) else data)
