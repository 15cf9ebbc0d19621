"""Plays the EventBridge Pipes of infra/merge-template.json on moto: the TicketEventsPipe, or another by
name (the TableChangesPipe). A pipe reads the table's stream (moto implements DynamoDB Streams), keeps the
records its FilterCriteria match (judged by moto's own EventBridge pattern matcher) and hands each on as the
pipe would: the ticket-events pipe sends it to its queue (one SQS message per record, its body the record's
JSON); the table-changes pipe puts it on its event bus, which EventBus plays: the record becomes the
EventBridge event the pipe puts (its `detail`), and every rule on the bus whose pattern matches that event
sends it to its queue (its body the event's JSON). (Tests may hand the records to a function instead:
`pump(sink=...)`.)

Records go in batches of BatchSize, and its position in each shard moves past a batch only once the
whole batch was sent: a failed send retries that batch (some of its records again: the pipe is
at-least-once too, and the consumer is idempotent), never what came before it.
"""
from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.checks import references

MERGE_TEMPLATE = Path(__file__).resolve().parents[1] / "merge-template.json"
PIPE = "TicketEventsPipe"
TABLE_CHANGES_PIPE = "TableChangesPipe"


def filter_patterns(template: Path = MERGE_TEMPLATE, pipe: str = PIPE) -> list[dict[str, Any]]:
    """The pipe's FilterCriteria patterns, as the deployed pipe has them."""
    resource = json.loads(template.read_text())["Resources"][pipe]
    filters = resource["Properties"]["SourceParameters"]["FilterCriteria"]["Filters"]
    return [json.loads(f["Pattern"]) for f in filters]


class Filter:
    """Any of the patterns matches (a pipe's filters are alternatives)."""

    def __init__(self, patterns: list[dict[str, Any]]):
        from moto.events.models import EventPattern

        self._patterns = [EventPattern(json.dumps(p), p) for p in patterns]

    def matches(self, record: dict[str, Any]) -> bool:
        return any(p.matches_event(record) for p in self._patterns)  # type: ignore[arg-type]


def _plain(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    """The record as the pipe hands it on: JSON all through (botocore parsed the time into a
    datetime; the wire has epoch seconds) and the source stream named."""
    images = dict(record["dynamodb"])
    created = images.get("ApproximateCreationDateTime")
    if isinstance(created, dt.datetime):
        images["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "dynamodb": images, "eventSourceARN": stream_arn}


Sink = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class Rule:
    """A rule of the table-changes bus, as the merge template has it."""

    name: str  # its logical id
    pattern: dict[str, Any]  # its EventPattern
    queue: str  # the logical id of the queue it targets


def bus_rules(template: Path = MERGE_TEMPLATE, pipe: str = TABLE_CHANGES_PIPE) -> list[Rule]:
    """The rules on the event bus the pipe targets (their EventBusName refers to it)."""
    resources = json.loads(template.read_text())["Resources"]
    bus = resources[pipe]["Properties"]["Target"]["Fn::GetAtt"][0]
    rules = []
    for name, resource in resources.items():
        props = resource.get("Properties") or {}
        if resource.get("Type") != "AWS::Events::Rule" or not references(props.get("EventBusName"), bus):
            continue
        pattern = props["EventPattern"]
        [target] = props["Targets"]
        rules.append(Rule(name, json.loads(pattern) if isinstance(pattern, str) else pattern,
                          target["Arn"]["Fn::GetAtt"][0]))
    return rules


def bus_event_parameters(template: Path = MERGE_TEMPLATE, pipe: str = TABLE_CHANGES_PIPE) -> dict[str, Any]:
    """The source and detail-type the pipe gives its events (its EventBridgeEventBusParameters)."""
    resources = json.loads(template.read_text())["Resources"]
    return dict(resources[pipe]["Properties"]["TargetParameters"]["EventBridgeEventBusParameters"])


class EventBus:
    """The table-changes bus: `put` wraps a record as the event the pipe puts on it and hands that event's JSON
    (an SQS message's body, as EventBridge sends it to a queue) to `send` once for every rule whose pattern
    matches it (moto's matcher, as Filter). `send(rule, body)` delivers to the rule's queue."""

    def __init__(self, send: Callable[[Rule, str], None], template: Path = MERGE_TEMPLATE,
                 pipe: str = TABLE_CHANGES_PIPE, account: str = "000000000000", region: str = "us-east-1"):
        self.send, self.account, self.region = send, account, region
        parameters = bus_event_parameters(template, pipe)
        self.source, self.detail_type = parameters["Source"], parameters["DetailType"]
        self.rules = [(rule, Filter([rule.pattern])) for rule in bus_rules(template, pipe)]

    def event(self, record: dict[str, Any]) -> dict[str, Any]:
        return {"version": "0", "id": str(uuid.uuid4()), "detail-type": self.detail_type, "source": self.source,
                "account": self.account, "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self.region, "resources": [], "detail": record}

    def put(self, record: dict[str, Any]) -> int:
        """Returns how many rules sent it on."""
        event = self.event(record)
        body = json.dumps(event, separators=(",", ":"))
        matched = [rule for rule, pattern in self.rules if pattern.matches(event)]
        for rule in matched:
            self.send(rule, body)
        return len(matched)


class StreamPipe:
    """`pipe`: the merge template's pipe whose filter it plays (unless `patterns` are given). `target`: the
    queue URL, or a function of the record giving one (None: skip it); None for a pipe with a `sink` (the
    table-changes pipe's: its bus's `put`) or one pumped with a sink."""

    def __init__(self, streams: Any, stream_arn: str, sqs: Any,
                 target: str | Callable[[dict[str, Any]], str | None] | None,
                 patterns: list[dict[str, Any]] | None = None, period: float = 0.1,
                 start_at: str = "TRIM_HORIZON", batch_size: int = 10, pipe: str = PIPE, sink: Sink | None = None):
        self.streams, self.stream_arn, self.sqs = streams, stream_arn, sqs
        self.target = target if callable(target) or target is None else (lambda _record, url=target: url)
        self.sink = sink
        self.filter = Filter(patterns if patterns is not None else filter_patterns(pipe=pipe))
        self.period, self.start_at, self.batch_size = period, start_at, batch_size
        self.iterators: dict[str, str] = {}
        self.sent = self.skipped = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"pipe-{pipe}", daemon=True)

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [s["ShardId"] for s in description["Shards"]]

    def _iterator(self, shard: str) -> str:
        if shard not in self.iterators:
            self.iterators[shard] = self.streams.get_shard_iterator(
                StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=self.start_at)["ShardIterator"]
        return self.iterators[shard]

    def pump(self, sink: Sink | None = None) -> int:
        """Move every record committed so far through the filter to the target (with a sink, given here or
        to the pipe: to that function instead, in this thread; what it raises is a failed send); returns how
        many were sent. Records committed meanwhile (by the sink, say) are read too. Safe to call from several
        threads (one pumps at a time)."""
        sink = sink if sink is not None else self.sink
        sent = 0
        with self._lock:
            for shard in self._shards():
                while True:
                    page = self.streams.get_records(ShardIterator=self._iterator(shard), Limit=100)
                    records = page["Records"]
                    for start in range(0, len(records), self.batch_size):
                        batch = records[start:start + self.batch_size]
                        try:
                            sent += sum(self._deliver(_plain(r, self.stream_arn), sink) for r in batch)
                        except Exception:
                            if start:  # resume after the last batch that went through
                                self._resume_after(shard, records[start - 1])
                            raise
                    self.iterators[shard] = page["NextShardIterator"]
                    if not records:
                        break
        return sent

    def _resume_after(self, shard: str, record: dict[str, Any]) -> None:
        self.iterators[shard] = self.streams.get_shard_iterator(
            StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            SequenceNumber=record["dynamodb"]["SequenceNumber"])["ShardIterator"]

    def _deliver(self, record: dict[str, Any], sink: Sink | None = None) -> int:
        if not self.filter.matches(record):
            self.skipped += 1
            return 0
        if sink is not None:
            sink(record)
            self.sent += 1
            return 1
        if self.target is None:
            raise ValueError("this pipe has no target queue: pump it with a sink")
        url = self.target(record)
        if url is None:
            self.skipped += 1
            return 0
        self.sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record, separators=(",", ":")))
        self.sent += 1
        return 1

    def start(self) -> StreamPipe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.pump()
            except Exception:  # keep polling through a transient failure, as the pipe retries
                import traceback

                traceback.print_exc()
                self._stop.wait(1)


def stream_arn(dynamodb: Any, table_name: str) -> str:
    return str(dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"])
