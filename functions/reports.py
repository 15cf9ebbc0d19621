"""Reports Lambda: keeps the ticket reports' aggregate items (helpdesk/reports.py) from the table's
stream, through the table-changes bus (a rule keeps ticket changes) onto its own queue. Partial
batch failures; every aggregate update is exactly once (helpdesk/reports.py says how)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from functions import consumer
from helpdesk import reports

bp = Blueprint(__name__)

# Chalice wants a queue; the merge template replaces this placeholder with the reports queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-reports"


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="reports")
def handler(event: Any) -> Any:
    return consumer.process(event, reports.on_change)
