"""Shared fixtures: one moto server per test session, emptied for each test module (`aws`); every test
gets its own account (every key starts with the account, so tests never see each other's data) and its
own queue, which the module's pipe (infra.local.pipe, the EventBridge Pipe played on moto's stream) feeds with
the account's ticket events whenever a test reads the queue (`pump`). A second pipe plays the table-changes
pipe and its bus (infra.local.pipe.EventBus): each rule's messages wait in an inbox of its own (what its
queue would hold), which `pump_views`, `pump_attribution`, `pump_reports` and `pump_order_lookup` hand to the
view-index, attribution, reports and order-skill code as their workers read an SQS message (`changes_in`). The
two pipes read the stream as one reader (`_read`): each record, read once, goes to both, each judging it by its
own filter."""
from __future__ import annotations

import os
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

# The code under test reads these at import or first use; set them before anything imports it.
os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1", "TABLE_NAME": "helpdesk-test", "TWILIO_AUTH_TOKEN": "twilio-test-token",
    "META_APP_SECRET": "meta-test-secret", "META_VERIFY_TOKEN": "meta-verify", "HELPDESK_METRICS": "off",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "WEBCHAT_SECRET": "webchat-test-secret-of-32-bytes-or-more",
    "WEBCHAT_SESSION_KEY": "webchat-test-session-key-held-by-the-service-only",
    "MAILGUN_SIGNING_KEY": "mailgun-test-key",
})
for _var in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)

if TYPE_CHECKING:
    from helpdesk.store.stream import Change


@dataclass
class Aws:
    endpoint: str
    table_name: str
    server: Any = None  # infra.local.moto_server.MotoServer: `server.faults` injects AWS errors
    shared: dict[str, Any] = field(default_factory=dict)  # what the module's tests share, made on first use

    def client(self, service: str) -> Any:
        """A boto3 client of the service on this endpoint, made once (making one costs about as much as a call)."""
        key = (self.endpoint, service)
        if key not in _clients:
            import boto3

            _clients[key] = boto3.client(service, endpoint_url=self.endpoint, region_name="us-east-1")
        return _clients[key]

    def new_queue(self) -> str:
        sqs = self.client("sqs")
        name = "q-" + uuid.uuid4().hex[:12]
        dlq = sqs.create_queue(QueueName=name + "-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        import json

        return sqs.create_queue(QueueName=name, Attributes={
            "VisibilityTimeout": "2",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})})["QueueUrl"]


_clients: dict[tuple[str, str], Any] = {}  # (endpoint, service) -> its client (boto3 clients are thread-safe)
_server: list[Any] = []  # the session's moto server, once started


def dynamodb_turn() -> Any:
    """The moto server's DynamoDB turn, a lock (infra.local.moto_server serves its DynamoDB requests one at a
    time): while it is held, no DynamoDB request is half done."""
    return _server[0].faults.app.lock


@pytest.fixture(scope="session")
def _moto() -> Iterator[Any]:
    """The session's moto server (infra.local.moto_server.MotoServer), which AWS_ENDPOINT_URL names: the
    product's clients, made once and kept, reach it for the whole session."""
    from infra.local.moto_server import MotoServer

    server = MotoServer().start()
    os.environ["AWS_ENDPOINT_URL"] = server.url
    _server[:] = [server]
    try:
        yield server
    finally:
        _server.clear()
        server.stop()


@pytest.fixture(scope="module")
def aws(_moto: Any) -> Iterator[Aws]:
    """moto emptied (its reset: every service's state), then the table, its pipes and the mail bucket made
    anew, for each test module. moto answers a GSI query or a scan by walking the whole table, so a table
    holding every earlier module's accounts made each test slower the later it ran (three times, late
    in a run); the accounts of one module are all a test's reads walk now."""
    import urllib.request

    with urllib.request.urlopen(urllib.request.Request(_moto.url + "/moto-api/reset", method="POST"),
                                timeout=30) as answer:
        assert answer.status == 200, answer.read()
    from helpdesk.store.schema import create_table

    aws = Aws(_moto.url, os.environ["TABLE_NAME"], _moto)
    create_table(aws.client("dynamodb"), aws.table_name)
    from infra.local.pipe import TABLE_CHANGES_PIPE, EventBus, StreamPipe, filter_patterns, stream_arn

    arn = stream_arn(aws.client("dynamodb"), aws.table_name)
    _pipe[:] = [StreamPipe(aws.client("dynamodbstreams"), arn, aws.client("sqs"), _route)]
    bus = EventBus(lambda rule, body: _inboxes[rule.name].append(body))
    _inboxes.update((rule.name, deque()) for rule, _ in bus.rules)
    _table_changes[:] = [StreamPipe(aws.client("dynamodbstreams"), arn, None, None,
                                    pipe=TABLE_CHANGES_PIPE, sink=bus.put)]
    # Reads the stream for both (what either pipe's filter keeps), so each record is read once, not once a pipe.
    _read[:] = [StreamPipe(aws.client("dynamodbstreams"), arn, None, None, sink=_to_both_pipes,
                           patterns=filter_patterns() + filter_patterns(pipe=TABLE_CHANGES_PIPE))]
    aws.client("s3").create_bucket(Bucket="helpdesk-test-mail")
    os.environ["MAIL_BUCKET"] = "helpdesk-test-mail"
    try:
        yield aws
    finally:
        _read.clear()
        _pipe.clear()
        _table_changes.clear()
        _inboxes.clear()
        _routes.clear()


_pipe: list[Any] = []  # the module's pipe (pumped on demand: no thread)
_read: list[Any] = []  # the one reader of the module's stream, for both pipes
_routes: dict[str, str] = {}  # account -> the queue of the test that owns it


def _route(record: dict[str, Any]) -> str | None:
    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
    parts = image.get("pk", {}).get("S", "").split("#")
    return _routes.get(parts[1]) if len(parts) > 1 and parts[0] == "A" else None


def _to_both_pipes(record: dict[str, Any]) -> None:
    """A record of the stream handed to each pipe as if it had read it itself: its filter, then its target
    (the tests' queues; the bus). A send that fails fails the batch, which the reader reads again (at least
    once, as a pipe is)."""
    _pipe[0]._deliver(record)
    _table_changes[0]._deliver(record, _table_changes[0].sink)


def pump() -> int:
    """Move what the table's stream has committed so far through the pipe's filter onto the queues
    of the accounts' tests (and through the table-changes pipe's onto its bus); returns how many records
    were sent to the queues."""
    if not _read:
        return 0
    before = _pipe[0].sent
    _read[0].pump()
    return int(_pipe[0].sent - before)


_table_changes: list[Any] = []  # the module's table-changes pipe (pumped on demand, onto the bus)
_inboxes: dict[str, deque[str]] = {}  # rule of the bus -> the SQS bodies it sent, not yet applied


def _skip_bus_backlog() -> None:
    """What earlier tests committed is none of this test's workers' business: the bus's inboxes start
    empty (else the first pump of a test applies every earlier test's changes: minutes late in a run)."""
    if _table_changes:
        pump()
        for inbox in _inboxes.values():
            inbox.clear()


def _drain(rule: str, apply: Callable[[Change], None]) -> int:
    """Apply, message by message, what the rule of the table-changes bus has sent so far (of every account) to
    its consumer's code, read as its worker reads an SQS message (`changes_in`), including what those changes
    commit that the rule wants (a build's next step); returns how many messages it applied. A message that
    fails stays in the inbox for the next call, as an SQS message comes back."""
    if not _table_changes:
        return 0
    from helpdesk.store.stream import changes_in

    inbox = _inboxes[rule]  # a KeyError: the merge template has no such rule on the bus
    applied = 0
    while True:
        pump()
        if not inbox:
            return applied
        while inbox:
            for change in changes_in(inbox[0]):
                apply(change)
            inbox.popleft()
            applied += 1


def pump_views() -> int:
    """Apply what the ViewIndexRule sends (every change of a ticket or a view) to the custom views as the
    view-index worker does (one batch: the views are read once per call); see _drain."""
    from helpdesk import views

    batch = views.AccountViews()
    return _drain("ViewIndexRule", lambda change: views.on_change(change, batch))


def pump_attribution() -> int:
    """Apply what the AttributionRule sends (each customer SMS stored) as the attribution worker does."""
    from helpdesk import attribution

    return _drain("AttributionRule", attribution.on_change)


def pump_reports() -> int:
    """Apply what the ReportsRule sends (every change of a ticket) as the reports worker does."""
    from helpdesk import reports

    return _drain("ReportsRule", reports.on_change)


def pump_order_lookup() -> int:
    """Apply what the OrderLookupRule sends (each customer message on web chat or SMS) as the order-lookup
    worker does: the order skill decides and answers."""
    from helpdesk.skills import live

    return _drain("OrderLookupRule", live.on_change)


@dataclass
class Brand:
    account_id: str
    sms_number: str
    wa_phone_number_id: str
    wa_display_number: str
    queue_url: str
    instagram_id: str = ""
    support_email: str = ""


def _number() -> str:
    return "+1415" + str(uuid.uuid4().int % 10**7).zfill(7)


@pytest.fixture
def brand(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Brand:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    account_id = "acct-" + uuid.uuid4().hex[:10]
    support = f"support@{account_id}.example"
    accounts.put_account(account_id, "Test Brand", support_email=support)
    sms, wa_display = _number(), _number()
    wa_id = str(uuid.uuid4().int % 10**15)
    ig_id = str(uuid.uuid4().int % 10**17)
    accounts.add_channel_address(account_id, Channel.SMS, sms)
    accounts.add_channel_address(account_id, Channel.WHATSAPP, wa_id, display_address=wa_display)
    accounts.add_channel_address(account_id, Channel.INSTAGRAM, ig_id)
    accounts.add_channel_address(account_id, Channel.EMAIL, support)
    accounts.add_channel_address(account_id, Channel.WEBCHAT, account_id)
    aws.client("ses").verify_email_identity(EmailAddress=support)
    queue = aws.new_queue()
    _skip_bus_backlog()  # its pump: what earlier tests left on the stream goes to their queues, not this one
    _routes[account_id] = queue
    return Brand(account_id, sms, wa_id, wa_display, queue, ig_id, support)


def customer_number() -> str:
    return "+1650" + str(uuid.uuid4().int % 10**7).zfill(7)
