"""Customers' events from the marketing system (ProfileEvent items): stored once per event id, read
newest first by profile, all metrics or one.

Why this layout: an event is claimed by its own id (its key), so a replay, whatever else it carries,
is refused by the put's condition and stored never twice. The two ways of reading it are two entries
of the same item in the overloaded indexes (gsi3: the profile's every event; gsi1: one metric's), so a
page of one metric reads that metric's events only. Per event that is one item and two index entries,
what the alternative of a copy per metric costs too, plus the claim by id that alternative lacks.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import QueryError

from helpdesk.errors import BadRequest
from helpdesk.store.failures import saved, transient
from helpdesk.store.keys import key_id, profile_pk
from helpdesk.store.models import ProfileEvent, account_pk
from helpdesk.store.tickets import decode_cursor, encode_cursor

RETENTION_SECONDS = 400 * 24 * 3600  # the table's TTL takes an event this long after it came


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    metric: str
    occurred_at: str  # ISO 8601, UTC, as customers.py normalised it: its order is time order
    properties: dict[str, Any]


def event_pk(account_id: str, event_id: str) -> str:
    return f"{account_pk(account_id)}#EV#{key_id(event_id)}"


def all_key(account_id: str, profile_id: str) -> str:
    return f"{profile_pk(account_id, profile_id)}#EV"


def metric_key(account_id: str, profile_id: str, metric: str) -> str:
    return f"{all_key(account_id, profile_id)}#{metric}"


def put(account_id: str, profile_id: str, event: NewEvent, received_at: str, now_epoch: int) -> bool:
    """Store the event once: False when its id was stored before (a replay)."""
    order = f"{event.occurred_at}#{event.event_id}"
    item = ProfileEvent(event_pk(account_id, event.event_id), "EVENT", event_id=event.event_id,
                        profile_id=profile_id, metric=event.metric, occurred_at=event.occurred_at,
                        properties=json.dumps(event.properties, separators=(",", ":"), ensure_ascii=False),
                        received_at=received_at, expires_at=now_epoch + RETENTION_SECONDS,
                        gsi1pk=metric_key(account_id, profile_id, event.metric), gsi1sk=order,
                        gsi3pk=all_key(account_id, profile_id), gsi3sk=order)
    return saved(item, ProfileEvent.pk.does_not_exist())


def _start(cursor: str | None, index: str, key: str, account_id: str) -> dict[str, Any] | None:
    """The place a cursor names, which must be a place in this very listing (this profile, this
    metric or all) and nothing else: anything else is a 400."""
    start = decode_cursor(cursor)
    if start is None:
        return None
    names = {"pk", "sk", f"{index}pk", f"{index}sk"}
    if (set(start) != names or not all(isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str)
                                       for v in start.values())
            or start[f"{index}pk"]["S"] != key or not start["pk"]["S"].startswith(account_pk(account_id) + "#EV#")
            or start["sk"]["S"] != "EVENT"):
        raise BadRequest("bad cursor")
    return start


def page(account_id: str, profile_id: str, metric: str | None, cursor: str | None,
         limit: int) -> tuple[list[ProfileEvent], str | None]:
    """One page of the profile's events, newest first: of one metric (its own index entries: no
    other metric's event is read) or of every metric."""
    if metric:
        index, key, query = "gsi1", metric_key(account_id, profile_id, metric), ProfileEvent.gsi1.query
    else:
        index, key, query = "gsi3", all_key(account_id, profile_id), ProfileEvent.gsi3.query
    start = _start(cursor, index, key, account_id)
    try:
        result = query(key, scan_index_forward=False, limit=limit, last_evaluated_key=start)
        items = [e for e in result if isinstance(e, ProfileEvent)]
    except QueryError as error:
        if error.cause_response_code == "ValidationException":
            raise BadRequest("bad cursor") from error
        raise transient(error) from error
    return items, encode_cursor(result.last_evaluated_key)
