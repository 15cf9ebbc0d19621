"""Custom views in the table: the View items of an account and the ViewEntry items that hold each
view's tickets (written by the view-index worker, read by a page of the view)."""
from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import PynamoDBException, QueryError

from helpdesk.errors import BadRequest
from helpdesk.store.failures import saved, transient
from helpdesk.store.models import Ticket, View, ViewEntry, account_pk
from helpdesk.store.tickets import decode_cursor, encode_cursor

TOMBSTONE_SECONDS = 24 * 3600  # long past any build that could race a removal
# Ticket attributes an entry's copy leaves out: the ticket's own places in the other indexes.
_NOT_COPIED = frozenset({"gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk", "gsi4pk", "gsi4sk",
                         "gsi5pk", "gsi5sk", "gsi6pk", "gsi6sk", "gsi7pk", "gsi7sk"})


def view_sk(view_id: str) -> str:
    return f"VIEW#{view_id}"


def entries_pk(account_id: str, view_id: str, generation: int) -> str:
    return f"{account_pk(account_id)}#V#{view_id}#{generation}"


def views_of(account_id: str) -> list[View]:
    try:
        return [v for v in View.query(account_pk(account_id), View.sk.startswith("VIEW#"), consistent_read=True)
                if isinstance(v, View)]
    except PynamoDBException as error:
        raise transient(error) from error


def put_view(account_id: str, view_id: str, name: str, filters: dict[str, Any], sort: str, created_by: str,
             now: str) -> View:
    """A new view, to be built (its stream record starts the build)."""
    view = View(account_pk(account_id), view_sk(view_id), view_id=view_id, name=name, filters=filters, sort=sort,
                generation=1, built=False, created_by=created_by, created_at=now, updated_at=now)
    try:
        view.save(condition=View.pk.does_not_exist())
    except PynamoDBException as error:
        raise transient(error) from error
    return view


def get_view(account_id: str, view_id: str) -> View | None:
    try:
        return View.get(account_pk(account_id), view_sk(view_id), consistent_read=True)
    except View.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def _copy(ticket: Ticket) -> str:
    return json.dumps({k: v for k, v in ticket.serialize().items() if k not in _NOT_COPIED},
                      separators=(",", ":"), ensure_ascii=False)


def ticket_of(entry: ViewEntry) -> Ticket:
    ticket = Ticket.from_raw_data(json.loads(entry.ticket or "{}"))
    assert isinstance(ticket, Ticket)
    return ticket


def _write(entry: ViewEntry, version: int) -> bool:
    """Put `entry` unless the view already holds a later version of the ticket (a copy that arrives
    late changes nothing); False when it did."""
    return saved(entry, ViewEntry.pk.does_not_exist() | (ViewEntry.ticket_version <= version))


def file_ticket(pk: str, ticket: Ticket) -> bool:
    """The ticket is in the view: its entry, filed by when it was last updated."""
    version = int(ticket.version or 0)
    return _write(ViewEntry(pk, f"T#{ticket.ticket_id}", ticket_id=ticket.ticket_id, ticket_version=version,
                            ticket=_copy(ticket), gsi1pk=pk, gsi1sk=f"{ticket.updated_at}#{ticket.ticket_id}",
                            status=ticket.status), version)


def unfile_ticket(pk: str, ticket: Ticket) -> bool:
    """The ticket left the view: a tombstone at its version, out of the view's order."""
    version = int(ticket.version or 0)
    return _write(ViewEntry(pk, f"T#{ticket.ticket_id}", ticket_id=ticket.ticket_id, ticket_version=version,
                            expires_at=int(time.time()) + TOMBSTONE_SECONDS), version)


def _cursor(cursor: str | None, pk: str) -> dict[str, Any] | None:
    """A cursor of this view's entries only (it names their partition; anything else is a 400)."""
    start = decode_cursor(cursor)
    if start is None:
        return None
    if set(start) != {"pk", "sk", "gsi1pk", "gsi1sk"} or not all(
            isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in start.values()) \
            or start["pk"]["S"] != pk or start["gsi1pk"]["S"] != pk:
        raise BadRequest("bad cursor")
    return start


def page(pk: str, *, newest_first: bool, updated_after: str | None, updated_before: str | None,
         status: str | None, cursor: str | None, limit: int) -> tuple[list[Ticket], str | None]:
    """One page of a view: a Query of its entries in the order of their tickets' last update, the
    updated range a key condition (nothing outside it is read). A status asked on top of the
    view's own filters is a filter of that Query."""
    condition: Any = None
    if updated_after and updated_before:
        condition = ViewEntry.gsi1sk.between(updated_after, updated_before + "#~")
    elif updated_after:
        condition = ViewEntry.gsi1sk >= updated_after
    elif updated_before:
        condition = ViewEntry.gsi1sk <= updated_before + "#~"
    try:
        result = ViewEntry.gsi1.query(pk, condition, scan_index_forward=not newest_first, limit=limit,
                                      last_evaluated_key=_cursor(cursor, pk),
                                      filter_condition=(ViewEntry.status == status) if status else None)
        entries = [e for e in result if isinstance(e, ViewEntry) and e.ticket]
    except QueryError as error:
        if error.cause_response_code == "ValidationException":
            raise BadRequest("bad cursor") from error
        raise transient(error) from error
    return [ticket_of(e) for e in entries], encode_cursor(result.last_evaluated_key)


def tickets_from(account_id: str, after: str | None, limit: int) -> tuple[list[Ticket], str | None]:
    """A build step's tickets: the account's tickets outside Spam (which no view shows), `limit`
    at most, from where the last step stopped."""
    start = json.loads(after) if after else None
    try:
        result = Ticket.gsi3.query(f"{account_pk(account_id)}#ALL", limit=limit, last_evaluated_key=start)
        tickets = [t for t in result if isinstance(t, Ticket)]
    except PynamoDBException as error:
        raise transient(error) from error
    key = result.last_evaluated_key
    return tickets, json.dumps(key, separators=(",", ":")) if key else None


def entry_keys(pk: str, limit: int = 1000) -> Iterator[tuple[str, str]]:
    try:
        for entry in ViewEntry.query(pk, limit=limit, attributes_to_get=["pk", "sk"]):
            yield entry.pk, entry.sk
    except PynamoDBException as error:
        raise transient(error) from error


def delete_entries(pk: str, limit: int = 1000) -> int:
    """Delete up to `limit` entries of a retired generation or a deleted view; how many went."""
    keys = list(entry_keys(pk, limit))
    try:
        with ViewEntry.batch_write() as batch:
            for hash_key, range_key in keys:
                batch.delete(ViewEntry(hash_key, range_key))
    except PynamoDBException as error:
        raise transient(error) from error
    return len(keys)
