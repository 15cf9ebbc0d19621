"""What every worker fed from the table-changes bus does with an SQS batch: each message's changes
(helpdesk.store.stream.changes_in) to the worker's domain, a failed message reported alone (partial
batch failure) so only it comes back."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from helpdesk.store.stream import Change, changes_in


def process(event: Any, on_change: Callable[[Change], None]) -> Any:
    def record_handler(record: SQSRecord) -> None:
        for change in changes_in(record.body):
            on_change(change)

    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return process_partial_response(event=raw, record_handler=record_handler,
                                    processor=BatchProcessor(event_type=EventType.SQS))
