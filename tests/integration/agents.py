"""Helpers of the assignment and agent-API tests: tickets made through the real SMS webhook, the
assignment queue read back as Lambda's SQS event source would deliver it, and agents who are real
users of a moto Cognito pool (their agent id is their `sub`)."""
from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from tests.conftest import Aws, Brand, customer_number
from tests.integration.tables import SMS_STORED, summary
from tests.providers import sms_event, sms_params

TWILIO_TOKEN = "twilio-test-token"  # as tests/conftest.py sets TWILIO_AUTH_TOKEN


# --- tickets through the SMS webhook ------------------------------------------------------------------

def text(brand: Brand, frm: str, body: str = "hello", sid: str | None = None) -> dict[str, Any]:
    """One signed Twilio delivery to the brand's number; asserts the webhook took it."""
    from functions.webhooks import sms

    response = sms.handler(sms_event(TWILIO_TOKEN, sms_params(frm, brand.sms_number, body, sid=sid)), None)
    assert response["statusCode"] == 200, response
    return response


def ticket_id_of(brand: Brand, contact: str) -> str:
    from helpdesk.conversation import Channel, customer_ticket_id

    return customer_ticket_id(brand.account_id, Channel.SMS, contact)


def new_customers(brand: Brand, n: int, body: str = "hi, where is my order?") -> list[str]:
    """`n` distinct customers who each text once: `n` new tickets. Returns their numbers."""
    numbers = [customer_number() for _ in range(n)]
    for number in numbers:
        text(brand, number, body)
    return numbers


# --- the queue as Lambda's event source mapping sees it ---------------------------------------------

def queue_arn(aws: Aws, queue_url: str) -> str:
    attrs = aws.client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attrs["Attributes"]["QueueArn"]


def lambda_record(message: dict[str, Any], arn: str) -> dict[str, Any]:
    """An SQS message as the Lambda SQS event source hands it to the function."""
    attributes = message.get("Attributes") or {}
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", "0"),
            "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
            "ApproximateFirstReceiveTimestamp": attributes.get("ApproximateFirstReceiveTimestamp", "0"),
        },
        "messageAttributes": {},
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": "us-east-1",
    }


def synthetic_record(body: str, arn: str) -> dict[str, Any]:
    """A record whose body we choose (a malformed or stray message)."""
    import hashlib

    return lambda_record({"MessageId": str(uuid.uuid4()), "ReceiptHandle": uuid.uuid4().hex, "Body": body,
                          "MD5OfBody": hashlib.md5(body.encode()).hexdigest()}, arn)


def drain(aws: Aws, queue_url: str, *, sms_cues: bool = False) -> list[dict[str, Any]]:
    """Every visible message of the queue (after a pump of the table's stream through the pipe),
    received and deleted, as Lambda records in queue order. The customer-SMS cues of the SMS
    automations (tables.SMS_STORED) are received and deleted too, but returned only with `sms_cues`:
    these tests are about assignment (tests/integration/test_sms_automations.py about the cues)."""
    from tests.conftest import pump

    pump()
    sqs = aws.client("sqs")
    arn = queue_arn(aws, queue_url)
    records: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                  AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            return records
        records += [lambda_record(m, arn) for m in got
                    if sms_cues or summary(json.loads(m["Body"]))["type"] != SMS_STORED]
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)])


def bodies(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events the records stand for (tables.summary of each stream record)."""
    from tests.integration.tables import summary

    return [summary(json.loads(r["body"])) for r in records]


def ticket_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records of ticket events (leaving out agents coming online)."""
    from tests.integration.tables import summary

    return [r for r in records if summary(json.loads(r["body"]))["type"].startswith("ticket.")]


def batches(records: list[dict[str, Any]], size: int = 10) -> list[list[dict[str, Any]]]:
    return [records[i:i + size] for i in range(0, len(records), size)]


def invoke_assignment(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The assignment Lambda invoked with one SQS batch, as the event source mapping does."""
    from functions import assignment

    return assignment.handler({"Records": records}, None)


def settle(brand: Brand) -> list[dict[str, Any]]:
    """Run the assignment worker over everything the brand's writes have put on the stream so far
    (what the deployed pipe and Lambda do within a second): tickets assigned, autoresponses sent,
    new SMS/WhatsApp customers' contacts and profiles made, the SMS automations run. Returns the
    ticket and agent events it handled (`bodies`)."""
    records = drain(Aws(os.environ["AWS_ENDPOINT_URL"], os.environ["TABLE_NAME"]), brand.queue_url, sms_cues=True)
    for batch in batches(records):
        assert failed_ids(invoke_assignment(batch)) == []
    return [e for e in bodies(records) if e["type"] != SMS_STORED]  # the SMS automations' cues ran too


def failed_ids(response: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


class PerThreadProcessor:
    """Stands in for the module-level BatchProcessor while threads play concurrent Lambda instances.

    A BatchProcessor keeps the batch being processed on itself; each Lambda execution environment
    has its own and handles one event at a time. Threads sharing one would mix their batches, which
    no deployment can do, so each thread gets its own, as each instance would.
    """

    def __init__(self, event_type: Any):
        self._event_type = event_type
        self._local = threading.local()

    def _processor(self) -> Any:
        from aws_lambda_powertools.utilities.batch import BatchProcessor

        if not hasattr(self._local, "processor"):
            self._local.processor = BatchProcessor(event_type=self._event_type)
        return self._local.processor

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._processor()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._processor(), name)


# --- agents -----------------------------------------------------------------------------------------

def add_agents(account_id: str, online: int, offline: int = 0) -> tuple[list[str], list[str]]:
    """Agent items with sub-like ids; returns (online ids, offline ids), each sorted."""
    from helpdesk.store import agents as agent_store

    on = sorted(str(uuid.uuid4()) for _ in range(online))
    off = sorted(str(uuid.uuid4()) for _ in range(offline))
    for agent_id in on + off:
        agent_store.put_agent(account_id, agent_id, name="Agent " + agent_id[:4], role="support",
                              online=agent_id in on)
    return on, off


def assignee_counts(account_id: str) -> dict[str | None, int]:
    from helpdesk.store import tickets as ticket_store

    counts: dict[str | None, int] = {}
    for ticket in ticket_store.iter_all_tickets(account_id):
        counts[ticket.assignee_id] = counts.get(ticket.assignee_id, 0) + 1
    return counts


# --- the Cognito pool -------------------------------------------------------------------------------

def module_pool(aws: Aws) -> Any:
    """One moto user pool per test module (moto is emptied for each: tests.conftest.aws), shared by its tests."""
    from infra.local import cognito

    if "pool" not in aws.shared:
        aws.shared["pool"] = cognito.create_pool(aws.client("cognito-idp"), aws.endpoint,
                                                 name="agents-" + uuid.uuid4().hex[:8])
    return aws.shared["pool"]


@dataclass(frozen=True)
class Member:
    """A pool user in an account; `agent_id` is the Cognito sub."""

    agent_id: str
    role: str
    token: str
    account_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": "Bearer " + self.token}


def member(aws: Aws, pool: Any, account_id: str, role: str, *, online: bool = False,
           agent_item: bool = True) -> Member:
    """A user of the pool in `role` for `account_id`, signed in; helpdesk roles also get their Agent item."""
    from helpdesk.auth import HELPDESK_ROLES
    from helpdesk.store import agents as agent_store
    from infra.local import cognito

    name = f"{role}-{uuid.uuid4().hex[:10]}"
    user = cognito.add_user(aws.client("cognito-idp"), pool, name, f"{name}@brand.example", role)
    if agent_item and role in HELPDESK_ROLES:
        agent_store.put_agent(account_id, user.sub, name=name, email=f"{name}@brand.example", role=role,
                              online=online)
    return Member(user.sub, role, user.token, account_id)


def use_pool(pool: Any, monkeypatch: Any) -> Iterator[Any]:
    """Point the agent API at `pool` for one test; yields the pool (the body of a fixture)."""
    from helpdesk import auth
    from infra.local import cognito

    for name, value in cognito.auth_environment(pool).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("COGNITO_ISSUER", raising=False)
    monkeypatch.delenv("DEFAULT_ACCOUNT_ID", raising=False)
    auth.reset()
    try:
        yield pool
    finally:
        auth.reset()


def call(api: Any, method: str, path: str, who: Any, body: Any = None) -> tuple[int, Any]:
    """One agent-API request through the Chalice test client as `who` (a member): status and JSON."""
    headers = {**who.headers, "Content-Type": "application/json"}
    if method == "GET":
        response = api.get(path, headers=headers)
    else:
        data = json.dumps(body).encode() if body is not None else b""
        response = api.request(method, path, headers=headers, body=data)
    return response.status_code, (json.loads(response.body) if response.body else None)
