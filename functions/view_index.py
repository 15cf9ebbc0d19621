"""View-index Lambda: keeps the custom views' entries (helpdesk/views.py) from the table's stream,
through the table-changes bus (a rule keeps every change of a ticket or a view: far more than
assignment wants, so neither worker wakes for the other's records) onto its own queue. Partial
batch failures."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from functions import consumer
from helpdesk import views

bp = Blueprint(__name__)

# Chalice wants a queue; the merge template replaces this placeholder with the view-index queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-view-index"


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="view_index")
def handler(event: Any) -> Any:
    batch = views.AccountViews()  # the views read afresh for each batch (see AccountViews)
    return consumer.process(event, lambda change: views.on_change(change, batch))
