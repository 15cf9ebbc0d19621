"""Order-lookup Lambda: the order skill live on web chat and SMS (helpdesk/skills/live.py). Each customer
message stored on those channels is decided and answered in its conversation. Its records come from the
table's stream through the table-changes bus (a rule keeps inbound web-chat and SMS message inserts:
BUS_RULE_PATTERN) onto its own queue. Partial batch failures: a decision that failed (Shopify throttling,
an outage) comes back alone."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from functions import consumer
from helpdesk.skills import live

bp = Blueprint(__name__)

# Chalice wants a queue; the merge template replaces this placeholder with the order-lookup queue's ARN.
QUEUE_ARN_PLACEHOLDER = "arn:aws:sqs:us-east-1:000000000000:helpdesk-order-lookup"

# The rule on the table-changes bus that feeds this function's queue (its EventPattern), and what the
# table-changes pipe's filter must keep for it (a pipe drops what no filter keeps: today it keeps inbound
# SMS only, for attribution). tests/integration/test_order_skill.py plays both on the table's stream.
BUS_RULE_PATTERN: dict[str, Any] = {
    "source": ["helpdesk.table"],
    "detail": {"eventName": ["INSERT"], "dynamodb": {"NewImage": {
        "type": {"S": ["message"]}, "channel": {"S": list(live.CHANNELS)}, "direction": {"S": ["inbound"]}}}},
}
PIPE_FILTER_PATTERN: dict[str, Any] = BUS_RULE_PATTERN["detail"]


@bp.on_sqs_message(queue_arn=QUEUE_ARN_PLACEHOLDER, batch_size=10, name="order_lookup")
def handler(event: Any) -> Any:
    return consumer.process(event, live.on_change)
