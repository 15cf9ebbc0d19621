"""Order-lookup Lambda: the order skill live on web chat and SMS (helpdesk/skills/live.py). Each customer
message stored on those channels is decided and answered in its conversation. Its records come from the
table's stream through the table-changes bus (its OrderLookupRule, infra/merge-template.json, keeps inbound
web-chat and SMS message inserts) onto its own queue. Partial batch failures: a decision that failed (Shopify
throttling, an outage) comes back alone."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from functions import consumer
from helpdesk.skills import live

bp = Blueprint(__name__)

# Chalice wants a queue; the merge template replaces this placeholder with the order-lookup queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-order-lookup"


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="order_lookup")
def handler(event: Any) -> Any:
    return consumer.process(event, live.on_change)
