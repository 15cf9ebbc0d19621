"""The table's stream records (as the EventBridge Pipe forwards them) read back into the models."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from helpdesk.errors import BadRequest
from helpdesk.store.models import Item


@dataclass(frozen=True)
class Change:
    """One committed change of one item: INSERT, MODIFY or REMOVE, with its images (None where the
    stream has none: no old image for an INSERT, no new one for a REMOVE)."""

    event_id: str
    event_name: str
    new: Item | None
    old: Item | None


def _image(raw: Any) -> Item | None:
    if not raw:
        return None
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), dict):
        return None  # an item of no model (written by hand, say): nothing the helpdesk acts on
    try:
        return Item.from_raw_data(raw)
    except (ValueError, KeyError, AttributeError, TypeError):
        return None


def changes_in(sqs_body: str) -> list[Change]:
    """The changes an SQS message holds: one stream record as a pipe sends it, or the EventBridge
    event a pipe put on the table-changes bus, whose `detail` is the record (a list is taken too,
    should a pipe ever batch them). Not JSON is a BadRequest: redelivering it cannot mend it."""
    try:
        body = json.loads(sqs_body)
    except ValueError as exc:
        raise BadRequest("not JSON") from exc
    records = body if isinstance(body, list) else [body]
    return [change_of(r["detail"] if isinstance(r, dict) and "detail-type" in r and "detail" in r else r)
            for r in records]


def change_of(body: str | dict[str, Any]) -> Change:
    """The change a stream record (or an SQS body holding one) describes. A body that is no stream
    record is refused with BadRequest: redelivering it cannot make it one."""
    try:
        record = json.loads(body) if isinstance(body, str) else body
    except ValueError as exc:
        raise BadRequest("not a stream record: not JSON") from exc
    if not isinstance(record, dict) or record.get("eventName") not in ("INSERT", "MODIFY", "REMOVE") \
            or not isinstance(record.get("dynamodb"), dict):
        raise BadRequest("not a stream record")
    images = record["dynamodb"]
    return Change(str(record.get("eventID", "")), record["eventName"], _image(images.get("NewImage")),
                  _image(images.get("OldImage")))
