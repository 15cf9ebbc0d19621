"""Ticket events onto the assignment queue (SQS)."""
from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import Any

from helpdesk.errors import Transient


@lru_cache(maxsize=1)
def _sqs() -> Any:
    # Made lazily (a client made at import would escape moto in tests), and from the botocore session
    # pynamodb already holds: importing boto3 and starting a second session would add 100-300 ms to
    # a cold container's first message (see `sms_webhook_cold_first_invoke_ms` of `make bench`).
    from helpdesk.store.models import Item, _region

    return Item._get_connection().connection.session.create_client("sqs", region_name=_region())


def queue_url() -> str:
    url = os.environ.get("ASSIGNMENT_QUEUE_URL")
    if not url:
        raise RuntimeError("ASSIGNMENT_QUEUE_URL is not set")
    return url


def publish(event: dict[str, Any]) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        _sqs().send_message(QueueUrl=queue_url(), MessageBody=json.dumps(event, separators=(",", ":")))
    except (BotoCoreError, ClientError) as error:
        raise Transient("queue unavailable") from error
