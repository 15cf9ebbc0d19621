"""Assignment Lambda (the worker): the table's stream records (forwarded by the EventBridge Pipe onto
SQS): round robin over online agents, and the SMS automations; partial batch failures."""
from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from helpdesk import assignment, automations
from helpdesk.errors import BadRequest
from helpdesk.observability import logger
from helpdesk.store.stream import change_of
from helpdesk.ticket_events import InboundSms, event_of

bp = Blueprint(__name__)
processor = BatchProcessor(event_type=EventType.SQS)

# Chalice wants a queue; the merge template replaces this placeholder with the real queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-ticket-events"


def record_handler(record: SQSRecord) -> None:
    try:
        body = json.loads(record.body)
    except ValueError as exc:
        raise BadRequest("not JSON") from exc
    # One stream record per message; a list is taken too, should the pipe ever batch them.
    for raw in body if isinstance(body, list) else [body]:
        event = event_of(change_of(raw))
        if event is None:
            logger.debug("stream record of no interest", extra={"message_id": record.message_id})
            continue
        if isinstance(event, InboundSms):
            automations.on_inbound_sms(event)
        else:
            assignment.on_event(event)


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="assignment")
def handler(event: Any) -> Any:
    raw = event.to_dict() if hasattr(event, "to_dict") else event
    return process_partial_response(event=raw, record_handler=record_handler, processor=processor)
