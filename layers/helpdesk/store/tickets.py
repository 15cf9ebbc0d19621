"""Tickets and messages outside intake: the agents' views and ticket screen, and every
read-then-write change of a ticket (agents' edits, the sweep, web-chat presence; replies and notes are
store/outbox.py's), each conditioned on the ticket's version."""
from __future__ import annotations

import base64
import itertools
import json
from collections.abc import Iterator
from typing import Any

from pynamodb.exceptions import GetError, PynamoDBException, QueryError
from pynamodb.expressions.update import Action

from helpdesk.conversation import Status
from helpdesk.errors import BadRequest, NotFound
from helpdesk.followup import TicketTimes, next_due
from helpdesk.store.accounts import profile_ticket_keys
from helpdesk.store.failures import applied, transient
from helpdesk.store.keys import (
    UNASSIGNED,
    idle_keys,
    index_actions,
    index_keys,
    ticket_pk,
    version_is,
)
from helpdesk.store.models import Message, Ticket, account_pk

# --- views -------------------------------------------------------------------------------------------


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    if len(cursor) > MAX_CURSOR:
        raise BadRequest("bad cursor")
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise BadRequest("bad cursor") from exc
    if not isinstance(key, dict):
        raise BadRequest("bad cursor")
    return key


def _cursor_of(key: dict[str, Any], account_prefix: str) -> bool:
    """A cursor may only point into the caller's own account: every partition key in it (the table's
    and the index's) starts with the account."""
    allowed = {"pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "gsi3pk", "gsi3sk"}
    if not key or set(key) - allowed or not all(
            isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in key.values()):
        return False
    partition_keys = [v["S"] for k, v in key.items() if k.endswith("pk")]
    return bool(partition_keys) and all(p.startswith(account_prefix + "#") for p in partition_keys)


def view_query(account_id: str, view: str, status: str | None, agent_id: str,
               cursor: str | None, limit: int) -> tuple[list[Ticket], str | None]:
    """One page of a view, most recently updated first."""
    a = account_pk(account_id)
    index: Any
    if view == "mine":
        index, key = Ticket.gsi2, f"{a}#AS#{agent_id}#{status or Status.OPEN.value}"
    elif view == "unassigned":
        index, key = Ticket.gsi2, f"{a}#AS#{UNASSIGNED}#{status or Status.OPEN.value}"
    elif view == "all":
        index, key = (Ticket.gsi1, f"{a}#ST#{status}") if status else (Ticket.gsi3, f"{a}#ALL")
    elif view == "spam":
        index, key = Ticket.gsi1, f"{a}#SPAM"
    else:
        raise BadRequest("view must be one of mine, all, unassigned, spam")
    start = decode_cursor(cursor)
    if start is not None and not _cursor_of(start, a):
        raise BadRequest("bad cursor")
    condition = (Ticket.status == status) if (view == "spam" and status) else None
    try:
        result = index.query(key, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                             filter_condition=condition)
        items = list(result)
    except QueryError as error:
        if error.cause_response_code == "ValidationException":
            raise BadRequest("bad cursor") from error
        raise transient(error) from error
    return [t for t in items if isinstance(t, Ticket)], encode_cursor(result.last_evaluated_key)


def iter_all_tickets(account_id: str) -> Iterator[Ticket]:
    """Every non-spam ticket of an account (tests and tools; never on a request path)."""
    try:
        yield from Ticket.gsi3.query(f"{account_pk(account_id)}#ALL")
    except PynamoDBException as error:
        raise transient(error) from error


def unassigned_tickets(account_id: str, limit: int = 100) -> list[Ticket]:
    """Open tickets nobody has, oldest first (the Unassigned view, read from its other end)."""
    try:
        return [t for t in Ticket.gsi2.query(f"{account_pk(account_id)}#AS#{UNASSIGNED}#{Status.OPEN.value}",
                                             scan_index_forward=True, limit=limit) if isinstance(t, Ticket)]
    except PynamoDBException as error:
        raise transient(error) from error


# --- the ticket screen ----------------------------------------------------------------------------------


MAX_TICKET_ID = 64  # ours are 18 characters; a longer one names nothing and would only fail at DynamoDB
MAX_CURSOR = 2048


def get_ticket(account_id: str, ticket_id: str) -> Ticket:
    if not ticket_id or len(ticket_id) > MAX_TICKET_ID:
        raise BadRequest(f"a ticket id is at most {MAX_TICKET_ID} characters")
    try:
        return Ticket.get(ticket_pk(account_id, ticket_id), "TICKET", consistent_read=True)
    except Ticket.DoesNotExist as exc:
        raise NotFound("no such ticket") from exc
    except GetError as error:
        raise transient(error) from error


def latest_messages(account_id: str, ticket_id: str, limit: int = 50) -> list[Message]:
    """The latest `limit` messages of a ticket, oldest first."""
    try:
        newest_first = list(Message.query(ticket_pk(account_id, ticket_id), Message.sk.startswith("M#"),
                                          scan_index_forward=False, limit=limit))
    except QueryError as error:
        raise transient(error) from error
    return list(reversed(newest_first))


MAX_MESSAGE_SK = 1024  # DynamoDB's limit on a sort key: a longer one in a cursor was never ours


def messages_cursor(ticket_id: str, sk: str) -> str:
    """Where the page before a message starts: the message's sort key, bound to its ticket."""
    return str(encode_cursor({"t": ticket_id, "sk": sk}))


def _before_key(ticket_id: str, cursor: str) -> str:
    """The sort key a messages cursor names; BadRequest for anything but a cursor of this ticket. (The
    query's partition is always the caller's account and ticket, so no cursor could reach another;
    one of another ticket is refused rather than quietly meaning a place in this one.)"""
    key = decode_cursor(cursor)
    sk = key.get("sk") if key else None
    if (not key or set(key) != {"t", "sk"} or key["t"] != ticket_id or not isinstance(sk, str)
            or not sk.startswith("M#") or len(sk.encode()) > MAX_MESSAGE_SK):
        raise BadRequest("bad cursor")
    return sk


def messages_page(account_id: str, ticket_id: str, before: str | None, limit: int) -> tuple[list[Message], str | None]:
    """Up to `limit` messages of a ticket, the latest ones before the cursor `before` (none: the
    latest of all), oldest first; and the cursor of the page before them, None when there is none.
    One Query: it reads one message more than it shows, to know whether an older page exists."""
    bound = _before_key(ticket_id, before) if before else None
    # `between` includes the bound itself (the oldest message already shown): read one more for it.
    condition = Message.sk.between("M#", bound) if bound else Message.sk.startswith("M#")
    try:
        found = [m for m in Message.query(ticket_pk(account_id, ticket_id), condition, scan_index_forward=False,
                                          limit=limit + (2 if bound else 1)) if isinstance(m, Message)]
    except QueryError as error:
        raise transient(error) from error
    newest_first = [m for m in found if m.sk != bound]
    page = newest_first[:limit]
    more = len(newest_first) > limit
    return list(reversed(page)), (messages_cursor(ticket_id, page[-1].sk) if more and page else None)


def messages_after(account_id: str, ticket_id: str, after: str | None, limit: int = 50) -> list[Message]:
    """Messages of a ticket after the sort key `after` (exclusive), oldest first."""
    condition = Message.sk > after if after else Message.sk.startswith("M#")
    try:
        items = list(Message.query(ticket_pk(account_id, ticket_id), condition, limit=limit))
    except QueryError as error:
        raise transient(error) from error
    return [m for m in items if isinstance(m, Message)]


# --- read-then-write changes ----------------------------------------------------------------------------


def times_of(ticket: Ticket) -> TicketTimes:
    return TicketTimes(ticket.channel, ticket.status, ticket.snooze_until, ticket.customer_email,
                       ticket.customer_online, ticket.customer_read_at, ticket.last_outbound_at,
                       ticket.last_inbound_at, ticket.followup_sent_for)


def unread_for(ticket: Ticket, agent_id: str) -> bool:
    """The customer wrote since this agent last opened the ticket."""
    if not ticket.last_inbound_at:
        return False
    read = ticket.read_by.as_dict() if hasattr(ticket.read_by, "as_dict") else dict(ticket.read_by or {})
    return str(read.get(agent_id) or "") < ticket.last_inbound_at


def mark_read(ticket: Ticket, agent_id: str, at: str) -> None:
    """The agent opened the ticket: one UpdateItem of their marker alone (no version bump, so nobody's
    edit in hand is refused for it, and no view moves)."""
    item = Ticket(ticket.pk, "TICKET")
    if ticket.read_by is None and applied(item, [Ticket.read_by.set({agent_id: at})],
                                         Ticket.pk.exists() & Ticket.read_by.does_not_exist()):
        return
    # Another agent's marker exists (or was written meanwhile): set this agent's key inside it.
    applied(item, [Ticket.read_by[agent_id].set(at)], Ticket.pk.exists() & Ticket.read_by.exists())


def unread_count(account_id: str, agent_id: str, limit: int = 2000) -> int:
    """The agent's open tickets with a customer message they have not opened since (My inbox, read
    page by page through its index; the count stops at `limit`)."""
    key = f"{account_pk(account_id)}#AS#{agent_id}#{Status.OPEN.value}"
    try:
        found = Ticket.gsi2.query(key, page_size=200)
        return sum(1 for t in itertools.islice(found, limit) if isinstance(t, Ticket) and unread_for(t, agent_id))
    except PynamoDBException as error:
        raise transient(error) from error


def due_actions(ticket: Ticket) -> list[Action]:
    """Put the ticket where the sweep finds it when it next needs one (or take it out)."""
    due = next_due(times_of(ticket))
    if due is None:
        return [Ticket.gsi4pk.remove(), Ticket.gsi4sk.remove()]
    return [Ticket.gsi4pk.set(f"{account_pk(ticket.account_id)}#DUE"),
            Ticket.gsi4sk.set(f"{due}#{ticket.ticket_id}")]


def due_tickets(account_id: str, now: str, limit: int = 1000) -> list[Ticket]:
    """Tickets with work due by `now`, earliest first, over as many pages as it takes (up to `limit`)."""
    try:
        found = Ticket.gsi4.query(f"{account_pk(account_id)}#DUE", Ticket.gsi4sk <= f"{now}#~", page_size=200)
        return [t for t in itertools.islice(found, limit) if isinstance(t, Ticket)]
    except PynamoDBException as error:
        raise transient(error) from error


def idle_tickets(account_id: str, idle_before: str, limit: int = 1000) -> Iterator[Ticket]:
    """Open tickets whose customer has been silent since `idle_before` or longer, longest first, as
    the IDLE index has them (keys, assignee and status only), over as many pages as it takes (up to
    `limit`). Only these are read: never the account's other open tickets."""
    try:
        found = Ticket.gsi5.query(f"{account_pk(account_id)}#IDLE", Ticket.gsi5sk <= f"{idle_before}#~",
                                  page_size=200)
        yield from (t for t in itertools.islice(found, limit) if isinstance(t, Ticket))
    except PynamoDBException as error:
        raise transient(error) from error


def auto_close(idle: Ticket, now: str) -> bool:
    """Close a ticket found by `idle_tickets` (its index entry, not read again) for its customer's
    silence, if it still is where that entry says: open, at the same place in the IDLE index (a
    customer message that landed meanwhile moved it: the message wins), with the same assignee (the
    views it is filed under are computed from it). False when it was not (skip it: it is no longer
    due, or the next run sees it).

    Its due-work entry (gsi4) stays: an open ticket's can only be the web-chat follow-up of an agent
    reply, which a close leaves owed (as an agent's close does)."""
    closed = Status.CLOSED.value
    actions = [Ticket.status.set(closed), Ticket.auto_closed.set(True), Ticket.updated_at.set(now),
               *index_actions({**index_keys(idle.account_id, idle.ticket_id, closed, idle.assignee_id, False, now),
                               **idle_keys(idle.account_id, idle.ticket_id, closed, False, now)}),
               Ticket.version.add(1)]
    condition = ((Ticket.status == Status.OPEN.value) & (Ticket.gsi5pk == idle.gsi5pk)
                 & (Ticket.gsi5sk == idle.gsi5sk))
    condition &= (Ticket.assignee_id == idle.assignee_id) if idle.assignee_id else Ticket.assignee_id.does_not_exist()
    return applied(Ticket(idle.pk, idle.sk), actions, condition)


def apply_fields(ticket: Ticket, fields: dict[str, Any]) -> list[Action]:
    """Set `fields` on the ticket object and as update actions (None removes), plus the due index
    and the version bump every change makes."""
    for name, value in fields.items():
        setattr(ticket, name, value)
    actions = [getattr(Ticket, name).set(value) if value is not None else getattr(Ticket, name).remove()
               for name, value in fields.items()]
    if "profile_id" in fields:  # (the customer linked to another profile) it is counted under that one
        actions += index_actions(profile_ticket_keys(ticket.account_id, fields["profile_id"], ticket.created_at,
                                              ticket.ticket_id))
    return [*actions, *due_actions(ticket), Ticket.version.add(1)]


def change(ticket: Ticket, actions: list[Action] | None = None, **fields: Any) -> Ticket | None:
    """Apply `fields` (None removes) and `actions` to `ticket` if nothing wrote it since it was read
    (its version), keeping its due-work index right; None when it changed meanwhile."""
    all_actions = [*(actions or []), *apply_fields(ticket, fields)]
    return ticket if applied(ticket, all_actions, version_is(ticket.version)) else None


def edit_ticket(ticket: Ticket, edits: dict[str, Any], now: str) -> Ticket | None:
    """Apply an agent's edit (`status`, `assignee_id`, `snooze_until`, `tags`, `spam`) to the ticket
    as read; None when something wrote the ticket since (read it again and reapply)."""
    new_status = edits.get("status") or ticket.status
    fields: dict[str, Any] = {"status": new_status, "updated_at": now}
    for name in ("assignee_id", "snooze_until", "tags", "spam", "tag_sources", "tags_rejected"):
        if name in edits:
            fields[name] = edits[name]
    if "snooze_until" not in edits and new_status != Status.SNOOZED.value and ticket.snooze_until:
        fields["snooze_until"] = None
    if "assignee_id" in edits:
        # Set by a person: an older event must not move it (see assignment.needs_agent).
        fields["assignment_reason"] = "manual" if edits["assignee_id"] else None
        fields["assigned_version"] = int(ticket.version or 0) + 1
    if ticket.auto_closed and new_status != Status.CLOSED.value:
        fields["auto_closed"] = None  # the sweep's close is undone
    new_assignee = fields.get("assignee_id", ticket.assignee_id)
    new_spam = bool(fields.get("spam", ticket.spam))
    keys = index_keys(ticket.account_id, ticket.ticket_id, new_status, new_assignee, new_spam, now)
    # Into the IDLE index (reopened, not spam after all) with its clock started now, or out of it
    # (closed, snoozed, spam); an edit that does neither leaves the customer's clock where it is.
    if (ticket.status == Status.OPEN.value and not ticket.spam) != (new_status == Status.OPEN.value and not new_spam):
        keys.update(idle_keys(ticket.account_id, ticket.ticket_id, new_status, new_spam, now))
    actions = index_actions(keys)
    if new_status == Status.OPEN.value and ticket.status != Status.OPEN.value:
        actions.append(Ticket.reopen_count.add(1))
    return change(ticket, actions, **fields)
