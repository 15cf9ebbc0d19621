"""`make bench`: the hot-path figures of ARCHITECTURE §4, one `name: value` line each on stdout.

- AWS requests per inbound SMS: every HTTP request botocore sends, counted around exactly one
  handler invocation, in a warm process (steady state) and, as information, in cold ones. Ticket
  events follow from the table's stream (the EventBridge Pipe), so a webhook sends nothing else.
- Cold import of the SMS webhook module against `import boto3` + a DynamoDB client, each in fresh
  `python -B` processes with an empty PYTHONPYCACHEPREFIX (no bytecode found, none written).
- Ingest time of 500 SMS (50 customers × 10) through the webhook handler against an in-process moto
  server, against the floor: the fewest raw boto3 requests those messages need (one TransactWriteItems
  each), the two taking turns message by message on the same server and table. The product's ticket
  events are read back through the pipe (outside the timing) and checked.
- The agent console (tests/bench/console.py): first paint, sign-in to inbox, ticket open, bytes of a cold
  load, in headless Chromium against a local stack process.
- Events lost under faults (tests/bench/faults.py): 1,000 messages through webhook, stream, pipe,
  queue and assignment Lambda while deliveries fail and the worker dies mid-batch.

Diagnostics go to stderr. `BENCH_REPEATS` (default 3) and `BENCH_IMPORT_RUNS` (default 5) tune the run;
`BENCH_STOCK_MOTO=1` skips `lean_moto` (infra/local/moto_server.py); then the ingest part takes many minutes and
gigabytes, and measures moto's table copies more than our code).
"""
from __future__ import annotations

import base64
import gc
import hashlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TABLE = "helpdesk-bench"
REGION = "us-east-1"
TWILIO_TOKEN = "bench-twilio-token"
PRODUCT_ACCOUNT = "bench-product"
FLOOR_ACCOUNT = "bench-floor"
OUR_NUMBER = "+14155550100"
CUSTOMERS = 50
PER_CUSTOMER = 10
BODIES = (
    "Hi, where is my order? It was supposed to arrive yesterday.",
    "Order number is 10482",
    "ok thanks",
    "Can I change the delivery address to 12 Market St, Apt 4?",
    "still nothing here :(",
    "The tracking link says delivered but it isn't at my door",
    "Should I wait another day?",
    "Great, thank you so much!",
    "Actually one more thing - can I return the blue one?",
    "\N{THUMBS UP SIGN}",
)

# --- environment and output --------------------------------------------------------------------------


def _environment() -> None:
    """What tests/conftest.py sets, before any product module is imported."""
    os.environ.update({
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION, "TABLE_NAME": TABLE, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "META_APP_SECRET": "bench-meta-secret", "META_VERIFY_TOKEN": "bench-verify",
        "HELPDESK_METRICS": "off", "POWERTOOLS_LOG_LEVEL": "WARNING",
        "MAILGUN_SIGNING_KEY": MAILGUN_KEY, "WEBCHAT_SECRET": WEBCHAT_SECRET,
        "WEBCHAT_SESSION_KEY": WEBCHAT_SECRET + "-session", "MAIL_BUCKET": "bench-mail",
    })
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "PUBLIC_WEBHOOK_BASE_URL"):
        os.environ.pop(var, None)


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def emit(name: str, value: float | int) -> None:
    text = f"{value:.3f}" if isinstance(value, float) and abs(value) < 100 else (
        f"{value:.1f}" if isinstance(value, float) else str(value))
    print(f"{name}: {text}", flush=True)


# --- counting AWS requests ----------------------------------------------------------------------------


class RequestLog:
    """Every HTTP request botocore sends (each retry too), from every client of the process:
    pynamodb's own botocore client and boto3's alike (the class itself is patched)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.active = False

    def install(self) -> RequestLog:
        from botocore.endpoint import Endpoint

        original = Endpoint._do_get_response
        log_ = self

        def counted(endpoint: Any, request: Any, operation_model: Any, context: Any) -> Any:
            if log_.active:
                log_.calls.append((operation_model.service_model.endpoint_prefix, operation_model.name))
            return original(endpoint, request, operation_model, context)

        Endpoint._do_get_response = counted  # type: ignore[method-assign]
        return self

    def around(self, fn: Callable[[], Any]) -> list[tuple[str, str]]:
        self.calls, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        return list(self.calls)


def _by_service(calls: list[tuple[str, str]]) -> dict[str, int]:
    return dict(Counter(service for service, _ in calls))


def _invoke(event: dict[str, Any]) -> None:
    from functions.webhooks.sms import handler

    answer = handler(event, None)
    if answer.get("statusCode") != 200:
        raise RuntimeError(f"webhook answered {answer.get('statusCode')}: {answer.get('body')}")


def _sms(frm: str, body: str, sid: str | None = None) -> dict[str, Any]:
    from tests.providers import sms_event, sms_params

    return sms_event(TWILIO_TOKEN, sms_params(frm, OUR_NUMBER, body, sid=sid))


def count_worker() -> None:
    """`--cold-count`: one message in this fresh process (started without bytecode); prints its
    requests and how long the import and the first invocation took, as JSON."""
    _environment()
    event = _sms(os.environ["BENCH_FROM"], "Is anyone there?")
    start = time.perf_counter()
    import functions.webhooks.sms  # noqa: F401

    imported = time.perf_counter()
    requests = RequestLog().install()  # after the import, so that botocore is not imported early
    started = time.perf_counter()
    calls = requests.around(lambda: _invoke(event))
    print(json.dumps({"calls": calls, "import_s": imported - start, "invoke_s": time.perf_counter() - started}))


def _cold_count(frm: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-pyc-empty-") as empty:
        env = {**os.environ, "BENCH_FROM": frm, "PYTHONPATH": ".:layers", "PYTHONPYCACHEPREFIX": empty}
        done = subprocess.run([sys.executable, "-B", "-m", "tests.bench.bench", "--cold-count"], cwd=ROOT,
                              env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"cold count worker failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    result["calls"] = [tuple(c) for c in result["calls"]]
    return result


def count_requests(requests: RequestLog) -> dict[str, float | int]:
    # Warm the process (clients, the address -> account cache) with a customer of its own.
    _invoke(_sms("+16502000001", "warm up"))
    _invoke(_sms("+16502000001", "warm up again"))

    customer = "+16502000002"
    seen = {"aws_calls_per_new_ticket": requests.around(lambda: _invoke(_sms(customer, "Where is my order?")))}
    follow = _sms(customer, "Order number is 10482", sid="SM" + "f" * 32)
    seen["aws_calls_per_inbound_sms"] = requests.around(lambda: _invoke(follow))
    replay = _sms(customer, "Order number is 10482", sid="SM" + "f" * 32)  # the same delivery, again
    seen["aws_calls_per_replayed_sms"] = requests.around(lambda: _invoke(replay))

    # Cold processes: a follow-up to the open ticket above, and a new customer's first message.
    cold = _cold_count(customer)
    seen["aws_calls_per_inbound_sms_cold"] = cold["calls"]
    seen["aws_calls_per_new_ticket_cold"] = _cold_count("+16502000003")["calls"]
    log(f"cold process (no bytecode): import {cold['import_s'] * 1000:.0f} ms, "
        f"first invocation {cold['invoke_s'] * 1000:.0f} ms")

    figures: dict[str, float | int] = {"sms_webhook_cold_first_invoke_ms": cold["invoke_s"] * 1000}
    for name, calls in seen.items():
        figures[name] = len(calls)
        log(f"{name}: {len(calls)} {_by_service(calls)} [{', '.join(f'{s}:{op}' for s, op in calls)}]")
    for kind, name in (("inbound_sms", "aws_calls_per_inbound_sms"), ("new_ticket", "aws_calls_per_new_ticket")):
        services = _by_service(seen[name])
        figures[f"dynamodb_calls_per_{kind}"] = services.get("dynamodb", 0)
        figures[f"sqs_calls_per_{kind}"] = services.get("sqs", 0)
    return figures


# --- the other channels: a follow-up to an open ticket on each ---------------------------------------

MAILGUN_KEY = "bench-mailgun-signing-key"
WEBCHAT_SECRET = "bench-webchat-secret-of-at-least-32-bytes"
INSTAGRAM_ID = "17841400000000777"
SUPPORT = "support@bench.example"


def _answer_ok(answer: dict[str, Any]) -> dict[str, Any]:
    if answer.get("statusCode") not in (200, 201):
        raise RuntimeError(f"webhook answered {answer.get('statusCode')}: {answer.get('body')}")
    return answer


def _instagram(user: str, mid: str, text: str) -> None:
    from functions.webhooks.instagram import handler
    from tests.providers import gateway_event, meta_signature

    payload = {"object": "instagram", "entry": [{"id": INSTAGRAM_ID, "time": 1, "messaging": [{
        "sender": {"id": user}, "recipient": {"id": INSTAGRAM_ID}, "timestamp": int(time.time() * 1000),
        "message": {"mid": mid, "text": text}}]}]}
    raw = json.dumps(payload).encode()
    _answer_ok(handler(gateway_event("POST", "/webhooks/instagram", raw, {
        "Content-Type": "application/json", "X-Hub-Signature-256": meta_signature("bench-meta-secret", raw)}), None))


def _email(sender: str, message_id: str, text: str, in_reply_to: str | None = None) -> None:
    import hashlib as _hashlib
    import hmac as _hmac
    import urllib.parse
    import uuid
    from email.message import EmailMessage

    from functions.webhooks.email import handler
    from tests.providers import gateway_event

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, SUPPORT, "Order question"
    mail["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        mail["In-Reply-To"] = mail["References"] = f"<{in_reply_to}>"
    mail.set_content(text)
    ts, token = str(int(time.time())), uuid.uuid4().hex
    signature = _hmac.new(MAILGUN_KEY.encode(), (ts + token).encode(), _hashlib.sha256).hexdigest()
    form = {"recipient": SUPPORT, "sender": sender, "from": sender, "subject": "Order question",
            "body-mime": mail.as_string(), "timestamp": ts, "token": token, "signature": signature}
    _answer_ok(handler(gateway_event("POST", "/webhooks/email", urllib.parse.urlencode(form),
                                     {"Content-Type": "application/x-www-form-urlencoded"}), None))


def _webchat(token: str, body: dict[str, Any], resource: str = "/webhooks/webchat") -> dict[str, Any]:
    from functions.webhooks.webchat import handler
    from tests.providers import gateway_event

    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    event = gateway_event("POST", resource, json.dumps(body), headers)
    event["resource"] = resource
    return json.loads(_answer_ok(handler(event, None))["body"])


def count_other_channels(requests: RequestLog) -> dict[str, float | int]:
    """A follow-up to an open ticket on Instagram, email and web chat, in a warm process."""
    import boto3

    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    boto3.client("s3", region_name=REGION).create_bucket(Bucket="bench-mail")
    accounts.put_account(PRODUCT_ACCOUNT, "Bench Brand", support_email=SUPPORT)
    for channel, address in ((Channel.INSTAGRAM, INSTAGRAM_ID), (Channel.EMAIL, SUPPORT),
                             (Channel.WEBCHAT, PRODUCT_ACCOUNT)):
        accounts.add_channel_address(PRODUCT_ACCOUNT, channel, address)
    seen: dict[str, list[tuple[str, str]]] = {}

    _instagram("9000000000000001", "m_warm", "warm up")
    seen["aws_calls_per_new_instagram_ticket"] = requests.around(lambda: _instagram("9000000000000002", "m_1", "hi"))
    seen["aws_calls_per_inbound_instagram"] = requests.around(lambda: _instagram("9000000000000002", "m_2", "again"))

    _email("warm@bench.example", "warm@bench.example", "warm up")
    seen["aws_calls_per_new_email_ticket"] = requests.around(
        lambda: _email("kim@bench.example", "first@bench.example", "Where is my order?"))
    seen["aws_calls_per_inbound_email"] = requests.around(
        lambda: _email("kim@bench.example", "second@bench.example", "It is #1001", "first@bench.example"))

    token = _webchat("", {"account_id": PRODUCT_ACCOUNT}, "/webchat/sessions")["token"]
    _webchat(token, {"type": "message", "message_id": "w0", "text": "warm up"})
    holder: dict[str, Any] = {}
    seen["aws_calls_per_new_webchat_ticket"] = requests.around(
        lambda: holder.update(_webchat(token, {"type": "message", "message_id": "w1", "text": "hello"})))
    seen["aws_calls_per_inbound_webchat"] = requests.around(lambda: _webchat(token, {
        "type": "message", "conversation_id": holder["conversation_id"], "message_id": "w2", "text": "anyone?"}))

    figures: dict[str, float | int] = {}
    for name, calls in seen.items():
        figures[name] = len(calls)
        log(f"{name}: {len(calls)} {_by_service(calls)} [{', '.join(f'{s}:{op}' for s, op in calls)}]")
    return figures


# --- cold import --------------------------------------------------------------------------------------

_TIMED = "import time\nt = time.perf_counter()\n{body}\nprint(repr(time.perf_counter() - t))\n"
IMPORTS = {
    "sms": _TIMED.format(body="import functions.webhooks.sms"),
    "api": _TIMED.format(body="import functions.api"),  # the API Lambda's handler module
    "boto3": _TIMED.format(body="import boto3\nboto3.client('dynamodb', region_name='us-east-1')"),
}


def _import_seconds(kind: str, cache_prefix: str, *, write: bool = False) -> float:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "AWS_ENDPOINT_URL")}
    env.update({"PYTHONPATH": ".:layers", "PYTHONPYCACHEPREFIX": cache_prefix})
    args = [sys.executable, *([] if write else ["-B"]), "-c", IMPORTS[kind]]
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"import of {kind} failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def measure_imports(runs: int) -> dict[str, float]:
    """Medians of `runs` fresh processes each: cold (an empty bytecode cache of its own, nothing
    written) and warm (a cache filled once beforehand), the two modules taking turns."""
    times: dict[str, list[float]] = {f"{state}_{kind}": [] for state in ("cold", "warm") for kind in IMPORTS}
    with tempfile.TemporaryDirectory(prefix="bench-pyc-warm-") as warm_prefix:
        for kind in IMPORTS:  # compile once into the warm cache
            _import_seconds(kind, warm_prefix, write=True)
        for i in range(runs):
            for kind in (("sms", "api", "boto3") if i % 2 == 0 else ("boto3", "api", "sms")):
                with tempfile.TemporaryDirectory(prefix="bench-pyc-empty-") as empty:
                    times[f"cold_{kind}"].append(_import_seconds(kind, empty))
                times[f"warm_{kind}"].append(_import_seconds(kind, warm_prefix))
    for key, values in times.items():
        log(f"import {key}: " + " ".join(f"{v * 1000:.0f}" for v in values) + " ms")
    med = {key: statistics.median(values) for key, values in times.items()}
    return {
        "sms_webhook_cold_import_ratio": med["cold_sms"] / med["cold_boto3"],
        "sms_webhook_cold_import_ms": med["cold_sms"] * 1000,
        "api_cold_import_ratio": med["cold_api"] / med["cold_boto3"],
        "api_cold_import_ms": med["cold_api"] * 1000,
        "boto3_dynamodb_client_cold_ms": med["cold_boto3"] * 1000,
        "sms_webhook_warm_import_ratio": med["warm_sms"] / med["warm_boto3"],
        "sms_webhook_warm_import_ms": med["warm_sms"] * 1000,
        "boto3_dynamodb_client_warm_ms": med["warm_boto3"] * 1000,
    }


# --- hostile traffic ------------------------------------------------------------------------------------

def measure_unsigned_mail(runs: int = 5) -> dict[str, float]:
    """An unsigned 6 MB Mailgun form of 70,000 empty file parts, through the email handler in-process
    until its refusal (median of `runs`): it must be refused from the part count and the signature
    fields, never by parsing the form."""
    from functions.webhooks.email import handler
    from tests.providers import gateway_event

    part = b'--b\r\nContent-Disposition: form-data; name="attachment"; filename="x"\r\n\r\n\r\n'
    event = gateway_event("POST", "/webhooks/email", part * 70_000 + b"--b--\r\n",
                          {"Content-Type": "multipart/form-data; boundary=b"})
    spent = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = handler(event, None)
        spent.append((time.perf_counter() - start) * 1000)
        if answer["statusCode"] < 400:
            raise RuntimeError(f"an unsigned form was taken: {answer}")
    return {"unsigned_mail_reject_ms": round(statistics.median(spent), 1)}


# --- ingest against the floor -------------------------------------------------------------------------


def _now_iso() -> str:
    import datetime as dt

    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Floor:
    """The fewest raw requests one inbound SMS needs in this design, with a plain boto3 client: one
    TransactWriteItems (conditional ref put, message put, and a conditional ticket put for a first
    message or a conditional ticket update for a follow-up). Items are shaped like the product's."""

    def __init__(self, endpoint: str, account_id: str):
        import boto3

        self.ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        self.account = account_id

    def ticket_id(self, contact: str) -> str:
        digest = hashlib.blake2b(f"{self.account}\x1fsms\x1f{contact}".encode(), digest_size=10).digest()
        return "t" + base64.b32encode(digest).decode().lower().rstrip("=")

    def _ticket(self, tpk: str, ticket_id: str, contact: str, now: str, first: bool) -> dict[str, Any]:
        order = f"{now}#{ticket_id}"
        a = f"A#{self.account}"
        if first:
            return {"Put": {"TableName": TABLE, "Item": {
                "pk": {"S": tpk}, "sk": {"S": "TICKET"}, "type": {"S": "ticket"},
                "account_id": {"S": self.account}, "ticket_id": {"S": ticket_id}, "channel": {"S": "sms"},
                "contact": {"S": contact}, "status": {"S": "open"}, "tags": {"L": []},
                "spam": {"BOOL": False}, "created_at": {"S": now}, "updated_at": {"S": now},
                "last_inbound_at": {"S": now}, "message_count": {"N": "1"}, "reopen_count": {"N": "0"},
                "version": {"N": "1"}, "customer_wrote_at": {"S": now},
                "gsi1pk": {"S": f"{a}#ST#open"}, "gsi1sk": {"S": order},
                "gsi2pk": {"S": f"{a}#AS#-#open"}, "gsi2sk": {"S": order},
                "gsi3pk": {"S": f"{a}#ALL"}, "gsi3sk": {"S": order},
                "gsi5pk": {"S": f"{a}#IDLE"}, "gsi5sk": {"S": order}},
                "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        return {"Update": {
            "TableName": TABLE, "Key": {"pk": {"S": tpk}, "sk": {"S": "TICKET"}},
            "UpdateExpression": "SET updated_at = :n, last_inbound_at = :n, customer_wrote_at = :n, gsi1sk = :o, "
                                "gsi2sk = :o, gsi3sk = :o, gsi5sk = :o ADD message_count :one, version :one",
            "ConditionExpression": "#s = :open", "ExpressionAttributeNames": {"#s": "status"},
            "ExpressionAttributeValues": {":n": {"S": now}, ":o": {"S": order}, ":one": {"N": "1"},
                                          ":open": {"S": "open"}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}

    def ingest(self, contact: str, sid: str, body: str, first: bool) -> None:
        now = _now_iso()
        ticket_id = self.ticket_id(contact)
        tpk = f"A#{self.account}#T#{ticket_id}"
        msk = f"M#{now}#{sid}"
        ref = {"Put": {"TableName": TABLE, "Item": {
            "pk": {"S": f"A#{self.account}#REF#sms#{sid}"}, "sk": {"S": "REF"}, "type": {"S": "message_ref"},
            "ticket_id": {"S": ticket_id}, "message_sk": {"S": msk},
            "event": {"S": "created" if first else "message"}, "created_at": {"S": now}},
            "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}
        message = {"Put": {"TableName": TABLE, "Item": {
            "pk": {"S": tpk}, "sk": {"S": msk}, "type": {"S": "message"}, "message_id": {"S": sid},
            "ticket_id": {"S": ticket_id}, "channel": {"S": "sms"}, "direction": {"S": "inbound"},
            "body": {"S": body}, "created_at": {"S": now}, "sender": {"S": contact},
            "media": {"L": []}, "extra": {"M": {}}}}}
        self.ddb.transact_write_items(TransactItems=[ref, message, self._ticket(tpk, ticket_id, contact, now, first)])


def _customer(repeat: int, role: int, index: int) -> str:
    return f"+1650{3 + role}{repeat:02d}{index:04d}"


class Events:
    """The product's ticket events, as the pipe delivers them: the table's stream pumped through the
    pipe's filter onto a queue between rounds (outside the timing), read back and tallied."""

    def __init__(self, endpoint: str, queue_url: str):
        import boto3

        from infra.local.pipe import StreamPipe, stream_arn

        self.sqs = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
        ddb = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
        streams = boto3.client("dynamodbstreams", endpoint_url=endpoint, region_name=REGION)
        product = f"A#{PRODUCT_ACCOUNT}#"
        self.pipe = StreamPipe(streams, stream_arn(ddb, TABLE), self.sqs,
                               lambda r: queue_url if _pk(r).startswith(product) else None)
        self.queue_url = queue_url
        self.events: Counter[str] = Counter()

    def drain(self, tally: bool = True) -> None:
        from tests.integration.tables import summary

        self.pipe.pump()
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", []):
            if tally:
                self.events.update(summary(json.loads(m["Body"]))["type"] for m in batch)
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)])


def _pk(record: dict[str, Any]) -> str:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    return str(image.get("pk", {}).get("S", ""))


def _timed(fn: Callable[..., None], args: tuple[Any, ...]) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def _run_once(floor: Floor, queues: Events, repeat: int) -> tuple[float, float]:
    """50 new customers × 10 messages each way, sent round by round (round 0 opens the 50 tickets,
    rounds 1-9 follow them up). Product and floor take turns message by message (and at going
    first), so that both see the table at the same size and share whatever else loads the machine."""
    from tests.providers import sms_event, sms_params

    rounds: list[list[tuple[tuple[Any, ...], tuple[Any, ...]]]] = []
    for rnd in range(PER_CUSTOMER):
        bodies = [BODIES[(rnd + c) % len(BODIES)] for c in range(CUSTOMERS)]
        rounds.append([((sms_event(TWILIO_TOKEN, sms_params(_customer(repeat, 0, c), OUR_NUMBER, body)),),
                        (_customer(repeat, 1, c), f"SM{repeat:02d}{rnd:02d}{c:04d}" + "0" * 24, body, rnd == 0))
                       for c, body in enumerate(bodies)])
    gc.collect()
    per_round = []
    for rnd, pairs in enumerate(rounds):
        spent = [0.0, 0.0]
        for i, (product_args, floor_args) in enumerate(pairs):
            if (i + rnd + repeat) % 2:
                spent[1] += _timed(floor.ingest, floor_args)
                spent[0] += _timed(_invoke, product_args)
            else:
                spent[0] += _timed(_invoke, product_args)
                spent[1] += _timed(floor.ingest, floor_args)
        queues.drain()
        per_round.append(spent)
    product, floor_ = sum(p for p, _ in per_round), sum(f for _, f in per_round)
    log(f"ingest repeat {repeat}: product {product:.2f} s, floor {floor_:.2f} s, ratio {product / floor_:.2f}; "
        f"new-ticket round {per_round[0][0]:.2f}/{per_round[0][1]:.2f} s (ratio "
        f"{per_round[0][0] / per_round[0][1]:.2f}), follow-up rounds "
        + " ".join(f"{p:.2f}/{f:.2f}" for p, f in per_round[1:]))
    return product, floor_


def _verify(floor: Floor, repeats: int) -> None:
    """Every customer of every run has a ticket that counted its 10 messages (in the transactions
    that stored them), product and floor alike; a few tickets are read back whole (moto's Query
    walks the whole table, so not all of them)."""
    from helpdesk.conversation import Channel, customer_ticket_id

    bad = []
    for repeat in range(repeats):
        for role, account in ((0, PRODUCT_ACCOUNT), (1, FLOOR_ACCOUNT)):
            for c in range(CUSTOMERS):
                pk = f"A#{account}#T#{customer_ticket_id(account, Channel.SMS, _customer(repeat, role, c))}"
                ticket = floor.ddb.get_item(TableName=TABLE, Key={"pk": {"S": pk}, "sk": {"S": "TICKET"}},
                                            ConsistentRead=True).get("Item")
                if not ticket or ticket["message_count"]["N"] != str(PER_CUSTOMER):
                    bad.append((account, c, ticket and ticket["message_count"]["N"]))
                elif c in (0, CUSTOMERS - 1):
                    items = floor.ddb.query(TableName=TABLE, KeyConditionExpression="pk = :p",
                                            ExpressionAttributeValues={":p": {"S": pk}})["Items"]
                    if sum(i["sk"]["S"].startswith("M#") for i in items) != PER_CUSTOMER:
                        bad.append((account, c, len(items)))
    if bad:
        raise RuntimeError(f"ingest left wrong data: {bad[:5]} ({len(bad)} customers)")


def measure_ingest(floor: Floor, events: Events, repeats: int) -> dict[str, float]:
    events.drain(tally=False)  # what the request counting left
    runs = [_run_once(floor, events, repeat) for repeat in range(repeats)]
    _verify(floor, repeats)
    # A new ticket is announced once; a follow-up to an open ticket is no event for assignment; each
    # customer SMS stored is the SMS automations' cue, once.
    expected = {"ticket.created": CUSTOMERS * repeats, "sms.stored": CUSTOMERS * PER_CUSTOMER * repeats}
    if dict(events.events) != expected:
        raise RuntimeError(f"the product's stream announced {dict(events.events)}, expected {expected}")
    log(f"verified: {repeats * CUSTOMERS * 2} tickets of {PER_CUSTOMER} messages, the product's events {expected}")
    n = CUSTOMERS * PER_CUSTOMER
    # Each repeat pairs the two sides under the same conditions: the figure is the median of their ratios.
    return {"ingest_vs_floor_ratio": statistics.median(p / f for p, f in runs),
            "ingest_ms_per_sms": statistics.median(p for p, _ in runs) / n * 1000,
            "floor_ms_per_sms": statistics.median(f for _, f in runs) / n * 1000}


# --- the moto server ------------------------------------------------------------------------------------


# --- main -----------------------------------------------------------------------------------------------


def deployed_calls_denied() -> int:
    """AWS calls of the sample events, run through the template deployed into moto's CloudFormation, that the
    calling function's own role would deny (infra/deploy_check.py; the test is tests/infra/test_deploy.py)."""
    from infra import deploy_check

    return deploy_check.count_denials()


def run_alone(measure: Any) -> None:
    """One bench module's figures on a moto server and table of its own, as `make bench` has them."""
    _environment()
    sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "layers")) if p not in sys.path]
    from infra.local.moto_server import MotoServer

    server = MotoServer().start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = server.url
        import boto3

        from helpdesk.store.schema import create_table

        create_table(boto3.client("dynamodb", endpoint_url=server.url, region_name=REGION), TABLE)
        figures = measure()
    finally:
        server.stop()
    for name, value in figures.items():
        emit(name, value)


def _emit_all(counts: dict[str, float | int], imports: dict[str, float], ingest: dict[str, float]) -> None:
    figures = {**counts, **imports, **ingest}
    for name in ("aws_calls_per_inbound_sms", "aws_calls_per_new_ticket", "sms_webhook_cold_import_ratio",
                 "ingest_vs_floor_ratio", "events_lost_under_faults",
                 "aws_calls_per_replayed_sms", "aws_calls_per_inbound_sms_cold", "aws_calls_per_new_ticket_cold",
                 "dynamodb_calls_per_inbound_sms", "sqs_calls_per_inbound_sms",
                 "dynamodb_calls_per_new_ticket", "sqs_calls_per_new_ticket",
                 "api_cold_import_ratio", "api_cold_import_ms",
                 "sms_webhook_cold_import_ms", "boto3_dynamodb_client_cold_ms",
                 "sms_webhook_warm_import_ratio", "sms_webhook_warm_import_ms", "boto3_dynamodb_client_warm_ms",
                 "sms_webhook_cold_first_invoke_ms", "ingest_ms_per_sms", "floor_ms_per_sms",
                 "aws_calls_per_inbound_email", "aws_calls_per_inbound_instagram", "aws_calls_per_inbound_webchat",
                 "aws_calls_per_new_email_ticket", "aws_calls_per_new_instagram_ticket",
                 "aws_calls_per_new_webchat_ticket", "events_redelivered_under_faults",
                 "tickets_under_faults", "assignments_under_faults", "unsigned_mail_reject_ms",
                 "aws_calls_per_agent_reply", "provider_calls_per_reply", "sweep_items_read_per_due_ticket",
                 "view_items_read_ratio", "view_items_read_ratio_mine", "view_items_read_ratio_unassigned",
                 "view_items_read_ratio_custom", "attribution_queries_per_inbound_sms",
                 "attribution_aws_calls_per_inbound_sms", "report_items_read_per_day_dimension",
                 "skill_intent_accuracy", "skill_intent_accuracy_en", "skill_intent_accuracy_ko",
                 "skill_intent_accuracy_mixed", "skill_intent_abstain_rate", "skill_intent_ms", "intent_model_kb",
                 "intent_model_load_ms", "autotag_macro_f1", "autotag_macro_f1_en", "autotag_macro_f1_ko",
                 "autotag_macro_f1_mixed", "autotag_micro_f1", "autotag_ms_per_message", "autotag_model_kb",
                 "autotag_model_load_ms", "layer_mb", "assignment_spread", "assignment_over_capacity",
                 "assignment_unassigned", "assignment_ms", "shopify_requests_per_skill_decision", "skill_decision_ms",
                 "skill_decision_ms_p90", "skill_shopify_round_trip_ms", "console_first_paint_ms",
                 "console_inbox_ready_ms", "console_ticket_open_ms", "console_bytes"):
        emit(name, figures[name])
    emit("deployed_calls_denied", deployed_calls_denied())


def main() -> None:
    started = time.perf_counter()
    _environment()
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    imports = measure_imports(int(os.environ.get("BENCH_IMPORT_RUNS", "5")))  # before the server starts
    log(f"imports measured at {time.perf_counter() - started:.0f} s")

    sys.path[:0] = [p for p in (str(ROOT), str(ROOT / "layers")) if p not in sys.path]
    from tests.bench import console

    # The console in Chromium against a local stack process of its own: before this process's server starts.
    console_figures = console.measure()
    log(f"console measured at {time.perf_counter() - started:.0f} s")
    from tests.bench import skill

    skill_figures = skill.measure()  # pure CPU, no AWS: timed before the server's threads start
    from tests.bench import autotag

    skill_figures.update(autotag.measure())  # pure CPU too
    from infra.local.moto_server import MotoServer

    server = MotoServer(lean=os.environ.get("BENCH_STOCK_MOTO") != "1").start()
    try:
        os.environ["AWS_ENDPOINT_URL"] = server.url
        import boto3

        from helpdesk.store.schema import create_table

        create_table(boto3.client("dynamodb", endpoint_url=server.url, region_name=REGION), TABLE)
        sqs = boto3.client("sqs", endpoint_url=server.url, region_name=REGION)
        product_queue = sqs.create_queue(QueueName="bench-assignment")["QueueUrl"]

        from helpdesk.conversation import Channel
        from helpdesk.store import accounts

        accounts.put_account(PRODUCT_ACCOUNT, "Bench Brand")
        accounts.add_channel_address(PRODUCT_ACCOUNT, Channel.SMS, OUR_NUMBER)
        accounts.put_account(FLOOR_ACCOUNT, "Bench Floor")

        # First, on a table still small: moto answers an index query by scanning the table, and the fault
        # run's hundreds of assignment decisions (load counts on an index) slow down with every item the
        # other benchmarks leave behind (after ingest they outlasted its 300 s drain). Its figures are
        # counts (lost, redelivered), not times, so running first changes none of them.
        from tests.bench import faults

        fault_figures = faults.measure(server)
        log(f"faults measured at {time.perf_counter() - started:.0f} s")
        from tests.bench import assignment_spread

        # Likewise: 1,000 decisions of five load counts each (after the reports' 100,000 tickets, a decision
        # took seconds of moto scanning); its figures are loads, and assignment_ms is information only.
        assignment_figures = assignment_spread.measure()
        log(f"assignment measured at {time.perf_counter() - started:.0f} s")
        requests = RequestLog().install()
        counts = count_requests(requests)
        counts.update(assignment_figures)
        counts.update(count_other_channels(requests))
        from tests.bench import replies
        from tests.providers import sms_event, sms_params

        reply_figures = replies.measure(requests, TWILIO_TOKEN,
                                        lambda frm, to, body: sms_event(TWILIO_TOKEN, sms_params(frm, to, body)))
        reply_calls = reply_figures.pop("_calls")
        log(f"aws_calls_per_agent_reply: {reply_figures['aws_calls_per_agent_reply']} "
            f"[{', '.join(f'{s}:{op}' for s, op in reply_calls)}]")
        counts.update(reply_figures)
        log(f"requests counted at {time.perf_counter() - started:.0f} s")
        ingest = measure_ingest(Floor(server.url, FLOOR_ACCOUNT), Events(server.url, product_queue), repeats)
        log(f"ingest measured at {time.perf_counter() - started:.0f} s")
        ingest.update(fault_figures)
        ingest.update(measure_unsigned_mail())
        from tests.bench import attribution

        counts.update(attribution.measure())
        from tests.bench import skill_decision

        counts.update(skill_decision.measure())
        from tests.bench import views

        counts.update(views.measure())
        log(f"views measured at {time.perf_counter() - started:.0f} s")
        from tests.bench import reports as report_bench

        counts.update(report_bench.measure())
        log(f"reports measured at {time.perf_counter() - started:.0f} s")
        from tests.bench import sweep

        counts.update(sweep.measure())  # last: its 100,000 tickets would crowd the pipes above
        log(f"sweep measured at {time.perf_counter() - started:.0f} s")
    finally:
        server.stop()
    _emit_all({**counts, **skill_figures, **console_figures}, imports, ingest)


if __name__ == "__main__":
    if sys.argv[1:] == ["--cold-count"]:
        count_worker()
    else:
        main()
