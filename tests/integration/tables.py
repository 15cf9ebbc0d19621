"""Read back what intake left in the table and on the queue, with plain boto3 (not the product's
data-access code), so the integration tests judge the product by what is really stored."""
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

    # Made on first use, after the session fixture has pointed AWS_ENDPOINT_URL at the moto server.
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
    """Every item whose partition key is the account's (`A#<account>` or `A#<account>#...`)."""
    prefix = f"A#{account_id}"
    found: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": _table(), "ConsistentRead": True,
                              "FilterExpression": "begins_with(pk, :p)",
                              "ExpressionAttributeValues": {":p": {"S": prefix}}}
    while True:
        page = _dynamodb().scan(**kwargs)
        for raw in page.get("Items", []):
            pk = raw["pk"]["S"]
            if pk == prefix or pk.startswith(prefix + "#"):
                found.append(_plain(raw))
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


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


def queue_depth(queue_url: str) -> int:
    """Messages on the queue, visible or in flight or delayed."""
    attrs = _sqs().get_queue_attributes(QueueUrl=queue_url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed"])["Attributes"]
    return sum(int(v) for v in attrs.values())


def drain(queue_url: str) -> list[dict[str, Any]]:
    """Receive (and delete) every visible message; their JSON bodies, in no particular order."""
    bodies: list[dict[str, Any]] = []
    while True:
        got = _sqs().receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                     VisibilityTimeout=60).get("Messages", [])
        if not got:
            return bodies
        for m in got:
            bodies.append(json.loads(m["Body"]))
            _sqs().delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])


def lighten_moto_transactions(monkeypatch: Any = None) -> None:
    """Kept for the test modules that call it: moto's per-transaction whole-table copy (and its
    instance tracker) is now made lean once for the whole server by `infra.local.moto_server.lean_moto`,
    which this makes sure of (idempotent; `monkeypatch` is no longer needed)."""
    from infra.local.moto_server import lean_moto

    lean_moto()
