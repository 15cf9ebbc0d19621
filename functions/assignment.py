"""Assignment Lambda: ticket events from SQS, round robin over online agents, partial batch failures."""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from helpdesk import assignment

bp = Blueprint(__name__)
processor = BatchProcessor(event_type=EventType.SQS)

# Chalice wants a queue; the merge template replaces this placeholder with the real queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-ticket-events"


def record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if body.get("type") == "agent.online":
        assignment.hand_out_backlog(body["account_id"])
        return
    assignment.handle(assignment.TicketEvent(type=body["type"], account_id=body["account_id"],
                                             ticket_id=body["ticket_id"], automatic=bool(body.get("automatic"))))


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="assignment")
def handler(event: Any) -> Any:
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return process_partial_response(event=raw, record_handler=record_handler, processor=processor)
