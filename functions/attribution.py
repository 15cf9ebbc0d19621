"""Attribution Lambda: each customer SMS stored, attributed to the campaign or flow message that
caused it (helpdesk/attribution.py). Its records come from the table's stream through the
table-changes bus (a rule keeps inbound SMS inserts) onto its own queue. Partial batch failures."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from functions import consumer
from helpdesk import attribution

bp = Blueprint(__name__)

# Chalice wants a queue; the merge template replaces this placeholder with the attribution queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-attribution"


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="attribution")
def handler(event: Any) -> Any:
    return consumer.process(event, attribution.on_change)
