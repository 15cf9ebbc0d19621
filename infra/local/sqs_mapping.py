"""Plays the Lambda event sources: the SQS event-source mapping (polls a queue, polls a queue, invokes the function
with batches, deletes what succeeded, leaves reported failures to come back and to reach the DLQ
after the queue's maxReceiveCount, which moto enforces), and schedules (EventBridge rules)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from infra.local.gateway import LambdaContext


class SqsMapping:
    def __init__(self, sqs: Any, queue_url: str, queue_arn: str, function_name: str,
                 handler: Callable[[dict[str, Any], Any], Any], batch_size: int = 10, region: str = "us-east-1"):
        self.sqs, self.queue_url, self.queue_arn = sqs, queue_url, queue_arn
        self.function_name, self.handler, self.batch_size, self.region = function_name, handler, batch_size, region
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"sqs-{function_name}", daemon=True)

    def start(self) -> SqsMapping:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _record(self, message: dict[str, Any]) -> dict[str, Any]:
        return {
            "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"], "attributes": message.get("Attributes", {}),
            "messageAttributes": message.get("MessageAttributes", {}), "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs", "eventSourceARN": self.queue_arn, "awsRegion": self.region,
        }

    def poll_once(self, wait_seconds: int = 1) -> int:
        """Receive one batch and invoke the function with it; returns how many records it carried."""
        received = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=self.batch_size,
                                            WaitTimeSeconds=wait_seconds, AttributeNames=["All"],
                                            MessageAttributeNames=["All"]).get("Messages", [])
        if not received:
            return 0
        event = {"Records": [self._record(m) for m in received]}
        try:
            result = self.handler(event, LambdaContext(self.function_name)) or {}
        except Exception:  # the whole batch failed: every message comes back after its visibility timeout
            import traceback

            traceback.print_exc()
            return len(received)
        failed = {f["itemIdentifier"] for f in result.get("batchItemFailures", [])}
        done = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                for i, m in enumerate(received) if m["MessageId"] not in failed]
        if done:
            self.sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=done)
        return len(received)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling through a transient failure, as the real mapping does
                import traceback

                traceback.print_exc()
                self._stop.wait(1)


class Schedule:
    """Invokes a scheduled function every `period` seconds with a Scheduled Event, as EventBridge would."""

    def __init__(self, function_name: str, handler: Callable[[dict[str, Any], Any], Any], period: float):
        self.function_name, self.handler, self.period = function_name, handler, period
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"schedule-{function_name}", daemon=True)

    def start(self) -> Schedule:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def event(self) -> dict[str, Any]:
        import datetime as dt
        import uuid

        return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.events",
                "account": "000000000000", "time": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": "us-east-1",
                "resources": [f"arn:aws:events:us-east-1:000000000000:rule/{self.function_name}"],
                "detail": {}}

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            try:
                self.handler(self.event(), LambdaContext(self.function_name))
            except Exception:  # a failed run is retried by the next tick, as with EventBridge
                import traceback

                traceback.print_exc()
