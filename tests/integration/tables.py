"""Read back what intake left in the table and on the queue, with plain boto3 or from moto's own table (not
the product's data-access code), so the integration tests judge the product by what is really stored. Queue
reads first pump the table's stream through the pipe (tests.conftest.pump), and tell each record's
meaning by themselves (`summary`), not by the product's reading of it."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from boto3.dynamodb.types import TypeDeserializer

_deserializer = TypeDeserializer()


@lru_cache(maxsize=1)
def _dynamodb() -> Any:
    import boto3

    # Made on first use, after the session's fixture has pointed AWS_ENDPOINT_URL at the moto server.
    return boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


@lru_cache(maxsize=1)
def _sqs() -> Any:
    import boto3

    return boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def _table() -> str:
    return os.environ["TABLE_NAME"]


def _plain(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def account_items(account_id: str) -> list[dict[str, Any]]:
    """Every item whose partition key is the account's (`A#<account>` or `A#<account>#...`), in key order (as a
    Scan returns them). Read from the moto server of this process (tests.conftest), as it stores them, in the
    server's DynamoDB turn: a Scan costs a test as much as the whole table every time (moto walks, sizes and
    copies each item of it), and the tests read back many times."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from tests.conftest import dynamodb_turn

    prefix = f"A#{account_id}"
    with dynamodb_turn():
        table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].get_table(_table())
        stored = [item.to_json()["Attributes"] for pk, partition in table.items.items()
                  if pk.value == prefix or pk.value.startswith(prefix + "#") for item in partition.values()]
    return sorted((_plain(raw) for raw in stored), key=lambda item: (item["pk"], item["sk"]))


def snapshot(account_id: str) -> frozenset[str]:
    """The account's items as a comparable set: equal snapshots mean nothing was written."""
    return frozenset(json.dumps(i, sort_keys=True, default=str) for i in account_items(account_id))


def items_of_type(account_id: str, kind: str) -> list[dict[str, Any]]:
    return [i for i in account_items(account_id) if i.get("type") == kind]


def tickets(account_id: str) -> list[dict[str, Any]]:
    return items_of_type(account_id, "ticket")


def all_messages(account_id: str) -> list[dict[str, Any]]:
    return items_of_type(account_id, "message")


def ticket_item(account_id: str, ticket_id: str) -> dict[str, Any] | None:
    raw = _dynamodb().get_item(TableName=_table(), ConsistentRead=True,
                               Key={"pk": {"S": f"A#{account_id}#T#{ticket_id}"}, "sk": {"S": "TICKET"}})
    return _plain(raw["Item"]) if "Item" in raw else None


def messages_of(account_id: str, ticket_id: str) -> list[dict[str, Any]]:
    """The messages stored in a ticket's partition, oldest first."""
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {
        "TableName": _table(), "ConsistentRead": True,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :m)",
        "ExpressionAttributeValues": {":pk": {"S": f"A#{account_id}#T#{ticket_id}"}, ":m": {"S": "M#"}}}
    while True:
        page = _dynamodb().query(**kwargs)
        found += [_plain(i) for i in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


SMS_STORED = "sms.stored"  # a customer's SMS stored: the cue of the SMS automations, not of assignment


def summary(record: dict[str, Any]) -> dict[str, Any]:
    """A stream record as the event it stands for: `{"type", "account_id", "ticket_id" | "agent_id",
    "version"}`; `type` is ticket.created, ticket.reopened, agent.online, sms.stored, or `other`."""
    images = record["dynamodb"]
    new, old = _plain(images.get("NewImage") or {}), _plain(images.get("OldImage") or {})
    kind = "other"
    if new.get("type") == "ticket" and record["eventName"] == "INSERT":
        kind = "ticket.created"
    elif new.get("type") == "ticket" and new.get("status") == "open" and old.get("status") not in (None, "open"):
        kind = "ticket.reopened"
    elif new.get("type") == "agent" and new.get("online") and not old.get("online"):
        kind = "agent.online"
    elif new.get("type") == "message" and record["eventName"] == "INSERT" and new.get("channel") == "sms" \
            and new.get("direction") == "inbound":
        kind = SMS_STORED
    out = {"type": kind, "account_id": str(new.get("pk", "")).split("#")[1] if new.get("pk") else None,
           "version": int(new.get("version") or 0)}
    if "ticket_id" in new:
        out["ticket_id"], out["channel"] = new["ticket_id"], new.get("channel")
    if "agent_id" in new:
        out["agent_id"] = new["agent_id"]
    return out


def queue_depth(queue_url: str) -> int:
    """Messages on the queue (after a pump of the stream), visible or in flight or delayed."""
    from tests.conftest import pump

    pump()
    attrs = _sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return sum(int(v) for v in attrs.values())


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Pump the stream, then receive (and delete) every visible message; the events they stand for
    (`summary`), in no particular order."""
    from tests.conftest import pump

    pump()
    bodies: list[dict[str, Any]] = []
    while True:
        got = _sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                     VisibilityTimeout=60).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            event = summary(json.loads(m["Body"]))
            if event["type"] != SMS_STORED:  # the automations' cue (test_sms_automations.py); these are assignment's
                bodies.append(event)
            _sqs().delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
