"""End to end: `python -m infra.local.stack` as a process, driven over HTTP with real signatures."""
from __future__ import annotations

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
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.providers import meta_signature, twilio_signature

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_CHECK = ROOT.parent / "shared" / "tools" / "contract_check.py"
pytestmark = pytest.mark.e2e


def http(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read().decode()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("stack")
    state = workdir / ".local" / "stack.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "TABLE_NAME", "ASSIGNMENT_", "COGNITO_"))}
    env["PYTHONPATH"] = f"{ROOT}:{ROOT / 'layers'}"
    # The sweep every 2 s (README: HELPDESK_SWEEP_SECONDS, 15 by default): the auto-close test, last, waits
    # for one sweep after the ticket's two silent seconds, not for up to 15 s more.
    env["HELPDESK_SWEEP_SECONDS"] = "2"
    # The stack logs a line per message: into a file, since an undrained pipe would fill and stall it.
    output = (workdir / "stack.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "infra.local.stack", "--port", "0", "--state-file", str(state)],
                            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.time() + 90
        while not state.exists():
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"local stack did not start:\n{(workdir / 'stack.log').read_text()[-3000:]}")
            time.sleep(0.2)
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
            pytest.fail("local stack did not stop on SIGINT")
        output.close()
        log = (workdir / "stack.log").read_text()
        assert code == 0, log[-3000:]
        # A Lambda that failed is only a traceback in the stack's output (the caller sees a retry).
        assert "Traceback" not in log, log[log.index("Traceback") - 200:][:3000]
        assert not state.exists(), "stack.json outlived the stack"


def api(info: dict[str, Any], method: str, path: str, role: str = "owner", body: Any = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {info['tokens'][role]}"}
    data = None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    status, _, text = http(method, info["api_url"] + path, data, headers)
    return status, json.loads(text) if text else None


def send_sms(info: dict[str, Any], frm: str, text: str, sid: str | None = None) -> tuple[int, dict[str, str], str]:
    url = info["api_url"] + "/webhooks/sms"
    sid = sid or "SM" + uuid.uuid4().hex
    params = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "0" * 32, "From": frm,
              "To": info["channels"]["sms"], "Body": text, "NumMedia": "0",
              "SmsStatus": "received", "ApiVersion": "2010-04-01"}
    return http("POST", url, urllib.parse.urlencode(params).encode(),
                {"Content-Type": "application/x-www-form-urlencoded",
                 "X-Twilio-Signature": twilio_signature(info["twilio_auth_token"], url, params)})


def ticket_of(info: dict[str, Any], contact: str, timeout: float = 15) -> dict[str, Any]:
    end = time.time() + timeout
    while time.time() < end:
        status, page = api(info, "GET", "/api/tickets?view=all&limit=100")
        assert status == 200
        found = [t for t in page["items"] if t["contact"] == contact]
        if found:
            return found[0]
        time.sleep(0.2)
    raise AssertionError(f"no ticket for {contact}")


def wait_for(predicate: Any, timeout: float = 20) -> Any:
    end = time.time() + timeout
    while time.time() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError("condition not met in time")


def test_contract_check_passes_for_every_built_surface(stack: dict[str, Any]) -> None:
    # The shared checker reads .local/stack.json from its working directory.
    groups = ["sms", "whatsapp", "instagram", "email", "webchat", "settings", "replies", "agents", "workspace",
              "attribution", "reports"]
    out = subprocess.run([sys.executable, str(CONTRACT_CHECK), *groups], cwd=stack["_workdir"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 failed" in out.stdout


def test_sms_ticket_is_assigned_closed_and_reopened_over_http(stack: dict[str, Any]) -> None:
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    status, headers, body = send_sms(stack, frm, "Where is my parcel?")
    assert status == 200 and headers["content-type"].startswith("text/xml") and "<Response" in body

    ticket = ticket_of(stack, frm)
    assigned = wait_for(lambda: api(stack, "GET", f"/api/tickets/{ticket['id']}")[1]["assignee_id"])
    assert assigned  # the SQS mapping ran the assignment Lambda

    assert api(stack, "PATCH", f"/api/tickets/{ticket['id']}", body={"status": "closed"})[0] == 200
    send_sms(stack, frm, "Still nothing, sorry")
    detail = wait_for(lambda: (lambda d: d if d["status"] == "open" else None)(
        api(stack, "GET", f"/api/tickets/{ticket['id']}")[1]))
    assert [m["body"] for m in detail["messages"]] == ["Where is my parcel?", "Still nothing, sorry"]


def test_a_saved_view_follows_its_tickets_through_the_stream_over_http(stack: dict[str, Any]) -> None:
    """The view-index worker runs as deployed: stream -> its pipe -> its queue -> its Lambda."""
    status, view = api(stack, "POST", "/api/views", body={"name": "e2e vip", "filters": {
        "channel": "sms", "status": "open", "tag": "e2e-vip"}})
    assert status == 201
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    send_sms(stack, frm, "Where is my parcel?")
    ticket = ticket_of(stack, frm)
    assert api(stack, "PATCH", f"/api/tickets/{ticket['id']}", body={"add_tags": ["e2e-vip"]})[0] == 200

    def listed() -> list[str]:
        return [t["id"] for t in api(stack, "GET", f"/api/tickets?view={view['id']}")[1]["items"]]

    wait_for(lambda: ticket["id"] in listed())
    assert api(stack, "PATCH", f"/api/tickets/{ticket['id']}", body={"status": "closed"})[0] == 200
    wait_for(lambda: ticket["id"] not in listed())
    assert api(stack, "DELETE", f"/api/views/{view['id']}")[0] == 204


def test_an_sms_reply_is_attributed_and_counted_in_the_reports_over_http(stack: dict[str, Any]) -> None:
    """The table-changes bus feeds the attribution and reports workers as deployed."""
    import datetime as dt

    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    received = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    status, _ = api(stack, "POST", "/api/outbound-messages", body={
        "channel": "sms", "to": frm, "kind": "flow", "source_id": "flow-e2e", "message_id": "om-" + uuid.uuid4().hex,
        "received_at": received})
    assert status == 202
    send_sms(stack, frm, "is the 20% still on?")
    ticket = ticket_of(stack, frm)
    attributed = wait_for(lambda: api(stack, "GET", f"/api/tickets/{ticket['id']}")[1]["attribution"])
    assert attributed["source_id"] == "flow-e2e"

    today = dt.date.today()
    days = f"from={today - dt.timedelta(days=2)}&to={today + dt.timedelta(days=2)}"  # any account time zone

    def sms_created() -> int:
        _, report = api(stack, "GET", f"/api/reports/tickets?{days}&group_by=channel", role="manager")
        return next((r["created"] for r in report["rows"] if r["key"] == "sms"), 0)

    before = sms_created()
    send_sms(stack, "+1415" + str(uuid.uuid4().int % 10**7).zfill(7), "another customer")
    wait_for(lambda: sms_created() > before)


def test_replayed_sms_is_stored_once_over_http(stack: dict[str, Any]) -> None:
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    sid = "SM" + uuid.uuid4().hex
    for _ in range(3):
        assert send_sms(stack, frm, "only once", sid)[0] == 200
    ticket = ticket_of(stack, frm)
    assert [m["body"] for m in api(stack, "GET", f"/api/tickets/{ticket['id']}")[1]["messages"]] == ["only once"]


def test_twenty_first_messages_at_once_from_one_customer_over_http(stack: dict[str, Any]) -> None:
    """A provider's burst: twenty connections at once (the standard library's listen backlog of 5
    reset some), each answered 200, all twenty messages in the customer's one ticket."""
    import threading

    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def one(i: int) -> None:
        barrier.wait()
        statuses.append(send_sms(stack, frm, f"burst {i}")[0])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200] * 20
    ticket = ticket_of(stack, frm)
    messages = api(stack, "GET", f"/api/tickets/{ticket['id']}")[1]["messages"]
    assert sorted(m["body"] for m in messages) == sorted(f"burst {i}" for i in range(20))


def test_forged_webhooks_are_refused(stack: dict[str, Any]) -> None:
    url = stack["api_url"] + "/webhooks/sms"
    params = {"MessageSid": "SMforged", "From": "+14155550999", "To": stack["channels"]["sms"], "Body": "hi"}
    status, _, _ = http("POST", url, urllib.parse.urlencode(params).encode(),
                        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "Zm9yZ2Vk"})
    assert status == 403
    raw = b'{"object":"whatsapp_business_account","entry":[]}'
    status, _, _ = http("POST", stack["api_url"] + "/webhooks/whatsapp", raw,
                        {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature("wrong", raw)})
    assert status == 403


def test_presence_and_roles(stack: dict[str, Any]) -> None:
    status, body = api(stack, "PUT", "/api/agents/me/presence", "support", {"status": "offline"})
    assert status == 200 and body["status"] == "offline"
    status, body = api(stack, "PUT", "/api/agents/me/presence", "support", {"status": "online"})
    assert status == 200 and body["status"] == "online"
    assert api(stack, "GET", "/api/tickets?view=all", "analyst")[0] == 403
    assert api(stack, "PUT", "/api/agents/me/presence", "support", {"status": "away"})[0] == 400


SAMPLES = [  # (function, event file), in an order where each finds what it needs
    ("sms_webhook", "sms/inbound.json"), ("sms_webhook", "sms/inbound-media.json"),
    ("sms_webhook", "sms/status-callback.json"), ("sms_webhook", "sms/keyword-stop.json"),
    ("whatsapp_webhook", "whatsapp/verify.json"), ("whatsapp_webhook", "whatsapp/text.json"),
    ("whatsapp_webhook", "whatsapp/image.json"), ("whatsapp_webhook", "whatsapp/status.json"),
    ("instagram_webhook", "instagram/dm.json"), ("instagram_webhook", "instagram/story-reply.json"),
    ("instagram_webhook", "instagram/echo.json"), ("instagram_webhook", "instagram/read.json"),
    ("instagram_webhook", "instagram/delete.json"), ("link_redirect", "links/click.json"),
    ("email_webhook", "email/mailgun-mime.json"), ("email_webhook", "email/ses-receipt.json"),
    ("webchat_webhook", "webchat/session-anonymous.json"), ("webchat_webhook", "webchat/message.json"),
    ("webchat_webhook", "webchat/presence-offline.json"), ("assignment", "assignment/ticket-created.json"),
    ("autoclose", "autoclose/schedule.json"), ("api_handler", "api/list-tickets.json"),
    ("api_handler", "api/get-ticket.json"), ("api_handler", "api/presence-online.json"),
    ("api_handler", "api/console-page.json"), ("api_handler", "api/console-module.json"),
    ("api_handler", "api/console-config.json"),
]


def test_every_sample_event_invokes_its_function_against_the_stack(stack: dict[str, Any]) -> None:
    """`make invoke FN=... EVENT=...` with every sample of events/, as a developer would."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}",
           "HELPDESK_STACK_FILE": str(stack["_workdir"] / ".local" / "stack.json")}
    listed = {str(p.relative_to(ROOT / "events")) for p in (ROOT / "events").rglob("*.json")}
    assert listed == {event for _, event in SAMPLES}, "a sample event is not exercised here"
    for function, event in SAMPLES:
        out = subprocess.run([sys.executable, "-m", "infra.local.invoke", function, str(ROOT / "events" / event)],
                             cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, f"{function} {event}: {out.stderr[-2000:]}"
        # The answer is the last thing printed, indented; log lines (one JSON object each) may precede it.
        start = out.stdout.rfind("\n{\n") + 1 if "\n{\n" in out.stdout else out.stdout.index("{")
        answer = json.loads(out.stdout[start:])
        if "statusCode" in answer and function == "link_redirect":  # a redirect, to the demo link's page
            assert answer["statusCode"] == 302, f"{function} {event}: {answer}"
        elif "statusCode" in answer:
            assert 200 <= answer["statusCode"] < 300, f"{function} {event}: {answer}"
        elif "batchItemFailures" in answer:
            assert answer["batchItemFailures"] == [], f"{function} {event}: {answer}"


def _no_redirect_get(url: str) -> tuple[int, dict[str, str]]:
    class Keep(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    try:
        with urllib.request.build_opener(Keep).open(url, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}


def test_an_sms_reply_goes_out_through_the_twilio_stand_in_and_its_delivery_comes_back(
        stack: dict[str, Any]) -> None:
    """Over HTTP, as a brand's agent and Twilio would: the reply leaves through the client code to the
    stand-in, which reports `sent` then `delivered`, signed, to /webhooks/sms/status; the link in it
    is shortened and its redirect counted."""
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    for text in ("START", "Where is my parcel?"):
        assert send_sms(stack, frm, text)[0] == 200
    ticket = ticket_of(stack, frm)
    status, message = api(stack, "POST", f"/api/tickets/{ticket['id']}/messages", "support",
                          {"type": "reply", "body": "Track it at https://demo-store.example/track/1001 today"})
    assert status == 201 and message["delivery"] in ("sent", "delivered"), message
    _, _, outbox = http("GET", stack["outbox_url"] + "?to=" + urllib.parse.quote(frm))
    # (the demo's order skill may answer "Where is my parcel?" too, automatically: the agent's reply is ours)
    [sent] = [m for m in json.loads(outbox)["items"] if m["body"].startswith("Track it at ")]
    assert sent["channel"] == "sms" and sent["body"].startswith("Track it at " + stack["api_url"] + "/l/")

    def delivered() -> bool:
        _, detail = api(stack, "GET", f"/api/tickets/{ticket['id']}")
        return [m.get("delivery") for m in detail["messages"]
                if m["direction"] == "outbound" and m["id"] == message["id"]] == ["delivered"]

    wait_for(delivered)
    short = sent["body"].split(" ")[3]
    status, headers = _no_redirect_get(short)
    assert (status, headers.get("location")) == (302, "https://demo-store.example/track/1001")


def test_an_sms_reply_without_consent_is_refused_and_nothing_leaves(stack: dict[str, Any]) -> None:
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    assert send_sms(stack, frm, "hello, is this the shop?")[0] == 200
    ticket = ticket_of(stack, frm)
    status, body = api(stack, "POST", f"/api/tickets/{ticket['id']}/messages", "support",
                       {"type": "reply", "body": "Hi!"})
    assert status == 409 and "not subscribed" in body["error"]
    _, _, outbox = http("GET", stack["outbox_url"] + "?to=" + urllib.parse.quote(frm))
    assert json.loads(outbox)["items"] == []


def test_auto_close_closes_a_silent_ticket_on_the_local_sweep(stack: dict[str, Any]) -> None:
    """Last in this file: while it runs, every open ticket silent for two seconds closes."""
    frm = "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)
    assert send_sms(stack, frm, "any news on my refund?")[0] == 200
    ticket = ticket_of(stack, frm)
    status, _ = api(stack, "PATCH", "/api/settings", "owner", {"auto_close": {"enabled": True, "after": "PT2S"}})
    assert status == 200
    try:
        def closed() -> Any:
            _, t = api(stack, "GET", f"/api/tickets/{ticket['id']}")
            return t if t["status"] == "closed" else None

        found = wait_for(closed, timeout=45)  # the stack's sweep runs every 2 s (the `stack` fixture)
        assert found["auto_closed"] is True
    finally:
        api(stack, "PATCH", "/api/settings", "owner", {"auto_close": {"enabled": False}})
