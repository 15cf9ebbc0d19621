"""View-index Lambda: keeps the custom views' entries (helpdesk/views.py) from the table's stream,
forwarded by its own EventBridge Pipe onto its own queue (every change of a ticket or a view: far
more than assignment wants, so neither worker wakes for the other's records). Partial batch failures."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from helpdesk import views
from helpdesk.store.stream import changes_in

bp = Blueprint(__name__)
processor = BatchProcessor(event_type=EventType.SQS)

# Chalice wants a queue; the merge template replaces this placeholder with the view-index queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-view-index"
_batch: dict[str, views.AccountViews] = {}


def record_handler(record: SQSRecord) -> None:
    for change in changes_in(record.body):
        views.on_change(change, _batch["views"])


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="view_index")
def handler(event: Any) -> Any:
    _batch["views"] = views.AccountViews()  # read afresh for each batch (see AccountViews)
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return process_partial_response(event=raw, record_handler=record_handler, processor=processor)
