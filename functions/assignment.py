"""Assignment Lambda (the worker): the table's stream records (forwarded by the EventBridge Pipe onto
SQS): round robin over online agents, and the SMS automations; partial batch failures."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from chalice import Blueprint

from helpdesk import assignment, automations
from helpdesk.observability import logger
from helpdesk.store.stream import changes_in
from helpdesk.ticket_events import InboundSms, event_of

bp = Blueprint(__name__)
processor = BatchProcessor(event_type=EventType.SQS)

# Chalice wants a queue; the merge template replaces this placeholder with the real queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-ticket-events"


def record_handler(record: SQSRecord) -> None:
    for change in changes_in(record.body):
        event = event_of(change)
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
