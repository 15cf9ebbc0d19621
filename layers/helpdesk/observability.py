"""One observability setup: structured logs (no bodies, numbers or emails) and business metrics."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from aws_lambda_powertools import Logger

SERVICE = os.environ.get("POWERTOOLS_SERVICE_NAME", "helpdesk")
logger = Logger(service=SERVICE)


@lru_cache(maxsize=1)
def _metrics() -> Any:
    from aws_lambda_powertools import Metrics

    return Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE", "Helpdesk"), service=SERVICE)


def count(event: str, value: int = 1) -> None:
    """One metric per business event (ticket_created, ticket_reopened, ticket_assigned, ...),
    written in Embedded Metric Format as a single line."""
    if os.environ.get("HELPDESK_METRICS", "on") == "off":
        return
    from aws_lambda_powertools.metrics import MetricUnit

    metrics = _metrics()
    metrics.add_metric(name=event, unit=MetricUnit.Count, value=value)
    metrics.flush_metrics()
