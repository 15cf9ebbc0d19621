"""Ticket and message reads and writes: the intake transactions, the agent views, agent edits."""
from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from pynamodb.exceptions import GetError, PutError, PynamoDBException, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from helpdesk.clock import now_iso
from helpdesk.conversation import Channel, CurrentTicket, InboundMessage, Status, profile_id_for
from helpdesk.errors import BadRequest, Conflict, NotFound
from helpdesk.followup import TicketTimes, next_due
from helpdesk.store.failures import read_cancellation, transient
from helpdesk.store.models import Contact, Item, Message, MessageRef, Profile, Ticket, account_pk

ALL_OLD = "ALL_OLD"
UNASSIGNED = "-"


def ticket_pk(account_id: str, ticket_id: str) -> str:
    return f"A#{account_id}#T#{ticket_id}"


MAX_KEY_ID = 200  # bytes of a provider id used as is in a key (DynamoDB: sort key 1 KB, partition 2 KB)
MAX_BODY_BYTES = 64 * 1024  # the stored body of one message; the item must stay under 400 KB
MAX_ORIGINAL_BYTES = 128 * 1024


def key_id(provider_id: str) -> str:
    """A provider id as it goes into keys: as is, or hashed when it is too long (anyone can send a
    mail with a 1,000-character Message-ID)."""
    if len(provider_id.encode()) <= MAX_KEY_ID:
        return provider_id
    return "h:" + hashlib.sha256(provider_id.encode()).hexdigest()


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def ref_pk(account_id: str, channel: Channel, provider_message_id: str) -> str:
    return f"A#{account_id}#REF#{channel.value}#{key_id(provider_message_id)}"


def contact_pk(account_id: str, channel: Channel | str, address: str) -> str:
    return f"A#{account_id}#C#{Channel(channel).value}#{address}"


def profile_pk(account_id: str, profile_id: str) -> str:
    return f"A#{account_id}#P#{profile_id}"


def index_keys(account_id: str, ticket_id: str, status: str, assignee_id: str | None, spam: bool,
               updated_at: str) -> dict[str, str | None]:
    """Where a ticket appears in the views. Spam leaves My inbox, Unassigned and All."""
    order = f"{updated_at}#{ticket_id}"
    a = account_pk(account_id)
    if spam:
        return {"gsi1pk": f"{a}#SPAM", "gsi1sk": order, "gsi2pk": None, "gsi2sk": None,
                "gsi3pk": None, "gsi3sk": None}
    return {"gsi1pk": f"{a}#ST#{status}", "gsi1sk": order,
            "gsi2pk": f"{a}#AS#{assignee_id or UNASSIGNED}#{status}", "gsi2sk": order,
            "gsi3pk": f"{a}#ALL", "gsi3sk": order}


def index_actions(keys: dict[str, str | None]) -> list[Action]:
    """The update actions that file a ticket under `keys` (a None key takes it out of that view)."""
    actions: list[Action] = []
    for name, value in keys.items():
        attr = getattr(Ticket, name)
        actions.append(attr.set(value) if value is not None else attr.remove())
    return actions


# --- intake ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Stored:
    event: str  # created / reopened / message / stored (kept without waking the ticket)


@dataclass(frozen=True)
class Duplicate:
    ticket_id: str | None
    event: str


@dataclass(frozen=True)
class Mismatch:
    """The ticket was not in the state the write assumed; `current` says what it is (None: absent)."""

    current: CurrentTicket | None


@dataclass(frozen=True)
class Contended:
    """Another writer touched the same items at the same moment: try the same write again."""


@dataclass(frozen=True)
class PointerMoved:
    """The customer's current-ticket pointer moved meanwhile: plan again from a fresh read."""


Outcome = Stored | Duplicate | Mismatch | Contended | PointerMoved


@dataclass(frozen=True)
class NewTicket:
    """What a new ticket starts with besides its first message."""

    ticket_id: str
    subject: str | None = None
    conversation_id: str | None = None
    # Instagram: the contact's generation must still be `expected`; it becomes `expected + bump`.
    generation: int | None = None
    bump: int = 0


def _current(raw: dict[str, Any] | None) -> CurrentTicket | None:
    if not raw:
        return None
    t = Ticket.from_raw_data(raw)
    return CurrentTicket(t.ticket_id, Status(t.status), t.contact, t.assignee_id, bool(t.spam))


def _message_item(account_id: str, ticket_id: str, msg: InboundMessage) -> Message:
    extra = dict(msg.extra)
    if "original" in extra:
        extra["original"] = _cut(extra["original"], MAX_ORIGINAL_BYTES)
    body = _cut(msg.body, MAX_BODY_BYTES)
    if body != msg.body:
        extra["truncated"] = "true"
    return Message(
        ticket_pk(account_id, ticket_id), f"M#{msg.received_at}#{key_id(msg.provider_message_id)}",
        message_id=msg.provider_message_id[:1000], ticket_id=ticket_id, channel=msg.channel.value,
        direction=msg.direction, body=body, created_at=msg.received_at,
        sender=msg.contact if msg.direction == "inbound" else msg.account_address,
        media=[{"url": m.url, "content_type": m.content_type} for m in msg.media],
        extra=extra, story=dict(msg.story) if msg.story else None, automatic=msg.automatic,
    )


def _ref_item(account_id: str, ticket_id: str | None, msg: InboundMessage, event: str,
              message_sk: str | None) -> MessageRef:
    return MessageRef(ref_pk(account_id, msg.channel, msg.provider_message_id), "REF",
                      ticket_id=ticket_id, message_sk=message_sk, event=event, created_at=now_iso())


def _commit(transaction: TransactWrite, ref: int, ticket: int, pointer: int | None = None) -> Outcome | None:
    """Commit; None when it went through, else what the cancellation reasons say (indexes are the
    items' positions: pynamodb sends condition checks, deletes, puts, then updates)."""
    try:
        with transaction:
            pass
    except TransactWriteError as error:
        cancelled = read_cancellation(error)
        if cancelled.failed(ref):
            image = cancelled.old_images[ref]
            old = MessageRef.from_raw_data(image) if image else None
            return Duplicate(old.ticket_id if old else None, old.event if old else "message")
        if cancelled.retryable:
            return Contended()
        if pointer is not None and cancelled.failed(pointer):
            return PointerMoved()
        if cancelled.failed(ticket):
            return Mismatch(_current(cancelled.old_images[ticket]))
        raise transient(error) from error
    return None


class TicketStore:
    """Writes of the intake path. Each method is one TransactWriteItems request (plus, when a
    ticket opens and the customer is not known yet, one read of the contact)."""

    @staticmethod
    def _transaction() -> TransactWrite:
        return TransactWrite(connection=Item._get_connection().connection)

    def append(self, account_id: str, ticket_id: str, msg: InboundMessage, *,
               current: CurrentTicket | None, wake: bool = False, quiet: bool = False) -> Outcome:
        """Add `msg` to ticket `ticket_id`, which must belong to the message's contact.

        Without `current` (the optimistic first try) the ticket must be open. With it, the ticket
        must still be as observed; `wake` makes it open again; `quiet` keeps the message without
        touching the ticket's status or place in the views (automatic mail, the brand's echoes).
        """
        message = _message_item(account_id, ticket_id, msg)
        event = "reopened" if wake else ("stored" if quiet else "message")
        now = msg.received_at
        t = self._transaction()
        t.save(_ref_item(account_id, ticket_id, msg, event, message.sk),
               condition=MessageRef.pk.does_not_exist(), return_values=ALL_OLD)
        t.save(message)
        actions: list[Action] = [Ticket.message_count.add(1)]
        if not quiet:
            actions += [Ticket.updated_at.set(now), Ticket.last_inbound_at.set(now)]
        if wake and current is not None:
            actions += [Ticket.status.set(Status.OPEN.value), Ticket.snooze_until.remove(),
                        Ticket.reopen_count.add(1)]
            actions += index_actions(index_keys(account_id, ticket_id, Status.OPEN.value,
                                                  current.assignee_id, current.spam, now))
        elif not quiet:
            # Status and assignee are unchanged, so only the sort keys of the views move.
            order = f"{now}#{ticket_id}"
            actions += [Ticket.gsi1sk.set(order), Ticket.gsi2sk.set(order), Ticket.gsi3sk.set(order)]
        expected = current.status.value if current else Status.OPEN.value
        condition = (Ticket.status == expected) & (Ticket.contact == msg.contact)
        if wake and current is not None:
            # The views it is filed under are computed from the assignee and spam flag it had when
            # read: they must still be so.
            condition &= (Ticket.assignee_id == current.assignee_id) if current.assignee_id \
                else Ticket.assignee_id.does_not_exist()
            condition &= Ticket.spam == current.spam
        t.update(Ticket(ticket_pk(account_id, ticket_id), "TICKET"), actions=actions,
                 condition=condition, return_values=ALL_OLD)
        outcome = _commit(t, ref=0, ticket=2)
        return outcome or Stored(event)

    def open(self, account_id: str, new: NewTicket, msg: InboundMessage,
             contact: Contact | None | bool = True) -> Outcome:
        """Start ticket `new.ticket_id` with `msg`. The customer's contact and profile come into
        being with it when they are new. `contact` is the contact item when the caller has read it
        already (None: known to be absent), True when unknown.

        Unknown, the write assumes what is almost always so (the contact is new, or belongs to the
        profile derived from its address) and checks it in the same transaction; only when that
        check fails is the contact read and the write done again with its profile.
        """
        if contact is not True:
            assert contact is None or isinstance(contact, Contact)
            return self._open(account_id, new, msg, contact, assumed=False)
        outcome = self._open(account_id, new, msg, None, assumed=True)
        if isinstance(outcome, PointerMoved):
            return self._open(account_id, new, msg, self.contact(account_id, msg.channel, msg.contact),
                              assumed=False)
        return outcome

    def _open(self, account_id: str, new: NewTicket, msg: InboundMessage, contact: Contact | None,
              *, assumed: bool) -> Outcome:
        message = _message_item(account_id, new.ticket_id, msg)
        now = msg.received_at
        profile_id = contact.profile_id if contact else profile_id_for(account_id, msg.channel, msg.contact)
        keys = index_keys(account_id, new.ticket_id, Status.OPEN.value, None, msg.spam, now)
        ticket = Ticket(ticket_pk(account_id, new.ticket_id), "TICKET", account_id=account_id,
                        ticket_id=new.ticket_id, channel=msg.channel.value, contact=msg.contact,
                        profile_id=profile_id, status=Status.OPEN.value, assignee_id=None, tags=[],
                        spam=msg.spam, created_at=now, updated_at=now, last_inbound_at=now,
                        message_count=1, reopen_count=0, subject=new.subject,
                        conversation_id=new.conversation_id, **cast(dict[str, Any], keys))
        t = self._transaction()
        t.save(_ref_item(account_id, new.ticket_id, msg, "created", message.sk),
               condition=MessageRef.pk.does_not_exist(), return_values=ALL_OLD)
        t.save(message)
        t.save(ticket, condition=Ticket.pk.does_not_exist(), return_values=ALL_OLD)
        checked = contact is None or new.generation is not None
        if checked:
            self._upsert_contact(t, account_id, msg, profile_id, new, contact, assumed=assumed)
        if contact is None:
            self._upsert_profile(t, account_id, msg, profile_id)
        outcome = _commit(t, ref=0, ticket=2, pointer=3 if checked else None)
        return outcome or Stored("created")

    @staticmethod
    def _upsert_contact(t: TransactWrite, account_id: str, msg: InboundMessage, profile_id: str,
                        new: NewTicket, contact: Contact | None, *, assumed: bool = False) -> None:
        now = msg.received_at
        actions: list[Action] = [
            Contact.type.set(Contact), Contact.account_id.set(account_id),
            Contact.channel.set(msg.channel.value), Contact.address.set(msg.contact),
            Contact.profile_id.set(Contact.profile_id | profile_id),
            Contact.first_seen_at.set(Contact.first_seen_at | now),
        ]
        if msg.contact_name:
            actions.append(Contact.name.set(msg.contact_name))
        condition = None
        if assumed:
            # The contact must be new, or already belong to the derived profile.
            condition = Contact.profile_id.does_not_exist() | (Contact.profile_id == profile_id)
        if new.generation is not None:
            actions.append(Contact.generation.set(new.generation + new.bump))
            moved = (Contact.generation == new.generation)
            if new.generation == 0:
                moved = moved | Contact.generation.does_not_exist()
            condition = moved if condition is None else (condition & moved)
        t.update(Contact(contact_pk(account_id, msg.channel, msg.contact), "CONTACT"), actions=actions,
                 condition=condition)

    @staticmethod
    def _upsert_profile(t: TransactWrite, account_id: str, msg: InboundMessage, profile_id: str) -> None:
        now = msg.received_at
        phone = msg.contact if msg.channel in (Channel.SMS, Channel.WHATSAPP) else None
        email = msg.contact if msg.channel is Channel.EMAIL else None
        t.update(Profile(profile_pk(account_id, profile_id), "PROFILE"), actions=[
            Profile.type.set(Profile), Profile.account_id.set(account_id),
            Profile.profile_id.set(profile_id), Profile.created_at.set(Profile.created_at | now),
            *([Profile.phone.set(Profile.phone | phone)] if phone else []),
            *([Profile.email.set(Profile.email | email)] if email else []),
            *([Profile.name.set(Profile.name | msg.contact_name)] if msg.contact_name else []),
        ])

    @staticmethod
    def contact(account_id: str, channel: Channel, address: str) -> Contact | None:
        try:
            return Contact.get(contact_pk(account_id, channel, address), "CONTACT", consistent_read=True)
        except Contact.DoesNotExist:
            return None
        except GetError as error:
            raise transient(error) from error

    @staticmethod
    def refs(account_id: str, channel: Channel, provider_ids: list[str]) -> dict[str, MessageRef]:
        """The stored refs among `provider_ids` (one BatchGetItem)."""
        if not provider_ids:
            return {}
        keys = [(ref_pk(account_id, channel, pid), "REF") for pid in dict.fromkeys(provider_ids)][:100]
        try:
            found = list(MessageRef.batch_get(keys, consistent_read=True))
        except PynamoDBException as error:
            raise transient(error) from error
        by_key = {ref_pk(account_id, channel, pid): pid for pid in provider_ids}
        return {by_key[ref.pk]: ref for ref in found if ref.pk in by_key}

    @staticmethod
    def mark_deleted(account_id: str, channel: Channel, provider_message_id: str) -> bool:
        """The customer deleted a message: blank it and mark it deleted. False when unknown."""
        try:
            ref = MessageRef.get(ref_pk(account_id, channel, provider_message_id), "REF", consistent_read=True)
        except MessageRef.DoesNotExist:
            # The delete overtook its message: claim the id now, so the message, when it comes,
            # is taken for a replay and never shown.
            try:
                MessageRef(ref_pk(account_id, channel, provider_message_id), "REF", event="deleted",
                           created_at=now_iso()).save(condition=MessageRef.pk.does_not_exist())
            except PutError as error:
                if error.cause_response_code != "ConditionalCheckFailedException":
                    raise transient(error) from error
            return False
        except PynamoDBException as error:
            raise transient(error) from error
        if not ref.ticket_id or not ref.message_sk:
            return False
        message = Message(ticket_pk(account_id, ref.ticket_id), ref.message_sk)
        try:
            message.update(actions=[Message.deleted.set(True), Message.body.set(""), Message.media.set([])],
                           condition=Message.pk.exists())
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise transient(error) from error
        return True


# --- agent workspace --------------------------------------------------------------------------------

def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
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


def get_ticket(account_id: str, ticket_id: str) -> Ticket:
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


def update_ticket(ticket: Ticket, *, status: str | None = None, assignee_id: Any = ...,
                  snooze_until: Any = ..., tags: list[str] | None = None, spam: bool | None = None) -> Ticket:
    """Apply an agent's edit, on condition that nothing changed the ticket since it was read."""
    new_status = status or ticket.status
    now = now_iso()
    fields: dict[str, Any] = {"status": new_status, "updated_at": now}
    if assignee_id is not ...:
        fields["assignee_id"] = assignee_id
    if snooze_until is not ...:
        fields["snooze_until"] = snooze_until
    elif new_status != Status.SNOOZED.value and ticket.snooze_until:
        fields["snooze_until"] = None
    if tags is not None:
        fields["tags"] = tags
    if spam is not None:
        fields["spam"] = spam
    new_assignee = fields.get("assignee_id", ticket.assignee_id)
    actions = index_actions(index_keys(ticket.account_id, ticket.ticket_id, new_status, new_assignee,
                                         bool(fields.get("spam", ticket.spam)), now))
    if new_status == Status.OPEN.value and ticket.status != Status.OPEN.value:
        actions.append(Ticket.reopen_count.add(1))
    if change(ticket, actions, **fields) is None:
        raise Conflict("the ticket changed meanwhile; read it again")
    return ticket


def iter_all_tickets(account_id: str) -> Iterator[Ticket]:
    """Every non-spam ticket of an account (tests and tools; never on a request path)."""
    try:
        yield from Ticket.gsi3.query(f"{account_pk(account_id)}#ALL")
    except PynamoDBException as error:
        raise transient(error) from error


def times_of(ticket: Ticket) -> TicketTimes:
    return TicketTimes(ticket.channel, ticket.status, ticket.snooze_until, ticket.customer_email,
                       ticket.customer_online, ticket.customer_read_at, ticket.last_outbound_at,
                       ticket.last_inbound_at, ticket.followup_sent_for)


def due_actions(ticket: Ticket) -> list[Action]:
    """Put the ticket where the sweep finds it when it next needs one (or take it out)."""
    due = next_due(times_of(ticket))
    if due is None:
        return [Ticket.gsi4pk.remove(), Ticket.gsi4sk.remove()]
    return [Ticket.gsi4pk.set(f"{account_pk(ticket.account_id)}#DUE"),
            Ticket.gsi4sk.set(f"{due}#{ticket.ticket_id}")]


def due_tickets(account_id: str, now: str, limit: int = 1000) -> list[Ticket]:
    """Tickets with work due by `now`, earliest first, over as many pages as it takes (up to `limit`)."""
    import itertools

    try:
        found = Ticket.gsi4.query(f"{account_pk(account_id)}#DUE", Ticket.gsi4sk <= f"{now}#~", page_size=200)
        return [t for t in itertools.islice(found, limit) if isinstance(t, Ticket)]
    except PynamoDBException as error:
        raise transient(error) from error


def change(ticket: Ticket, actions: list[Action] | None = None, **fields: Any) -> Ticket | None:
    """Apply `fields` (None removes) and `actions` to `ticket` if no other `change` touched it since
    it was read (its `rev`), keeping its due-work index right; None when it changed meanwhile."""
    seen, seen_updated = ticket.rev, ticket.updated_at
    for name, value in fields.items():
        setattr(ticket, name, value)
    all_actions = list(actions or [])
    for name, value in fields.items():
        attr = getattr(Ticket, name)
        all_actions.append(attr.set(value) if value is not None else attr.remove())
    all_actions += due_actions(ticket)
    all_actions.append(Ticket.rev.add(1))
    condition = (Ticket.rev == seen) if seen is not None else Ticket.rev.does_not_exist()
    try:
        ticket.update(actions=all_actions, condition=condition & (Ticket.updated_at == seen_updated))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return None
        raise transient(error) from error
    return ticket


def add_outbound(ticket: Ticket, message: Message, refs: list[str] | None = None,
                 **fields: Any) -> str:
    """Store an agent's reply or note and move the ticket (`fields`), all or nothing, if nothing
    changed the ticket since it was read. `refs` are ids to claim for the message (the message's
    own id, our email Message-ID so the customer's answer threads). Answers "stored", "duplicate"
    (a ref was claimed before: this message exists) or "changed" (read the ticket again)."""
    seen, seen_updated = ticket.rev, ticket.updated_at
    for name, value in fields.items():
        setattr(ticket, name, value)
    actions: list[Action] = [Ticket.rev.add(1), Ticket.message_count.add(1), *due_actions(ticket)]
    for name, value in fields.items():
        attr = getattr(Ticket, name)
        actions.append(attr.set(value) if value is not None else attr.remove())
    order = f"{ticket.updated_at}#{ticket.ticket_id}"
    actions += [Ticket.gsi1sk.set(order), Ticket.gsi2sk.set(order), Ticket.gsi3sk.set(order)]
    t = TransactWrite(connection=Item._get_connection().connection)
    t.save(message)
    for ref in refs or []:
        t.save(MessageRef(ref_pk(ticket.account_id, Channel(ticket.channel), ref), "REF", ticket_id=ticket.ticket_id,
                          message_sk=message.sk, event="outbound", created_at=message.created_at),
               condition=MessageRef.pk.does_not_exist())
    condition = (Ticket.rev == seen) if seen is not None else Ticket.rev.does_not_exist()
    t.update(Ticket(ticket_pk(ticket.account_id, ticket.ticket_id), "TICKET"), actions=actions,
             condition=condition & (Ticket.updated_at == seen_updated))
    try:
        with t:
            pass
    except TransactWriteError as error:
        cancelled = read_cancellation(error)
        if any(cancelled.failed(i) for i in range(1, 1 + len(refs or []))):
            return "duplicate"
        if cancelled.retryable or any(cancelled.failed(i) for i in range(len(cancelled.codes))):
            return "changed"
        raise transient(error) from error
    return "stored"


def outbound_message(account_id: str, channel: str, ref: str) -> Message | None:
    """The message an outbound ref was claimed for."""
    try:
        found = MessageRef.get(ref_pk(account_id, Channel(channel), ref), "REF", consistent_read=True)
        if not found.ticket_id or not found.message_sk:
            return None
        return Message.get(ticket_pk(account_id, found.ticket_id), found.message_sk, consistent_read=True)
    except (MessageRef.DoesNotExist, Message.DoesNotExist):
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def set_delivery(message: Message, delivery: str) -> None:
    try:
        message.update(actions=[Message.extra["delivery"].set(delivery)])
    except PynamoDBException as error:
        raise transient(error) from error


def messages_after(account_id: str, ticket_id: str, after: str | None, limit: int = 50) -> list[Message]:
    """Messages of a ticket after the sort key `after` (exclusive), oldest first."""
    condition = Message.sk > after if after else Message.sk.startswith("M#")
    try:
        items = list(Message.query(ticket_pk(account_id, ticket_id), condition, limit=limit))
    except QueryError as error:
        raise transient(error) from error
    return [m for m in items if isinstance(m, Message)]



def unassigned_tickets(account_id: str, limit: int = 100) -> list[Ticket]:
    """Open tickets nobody has, oldest first (the Unassigned view, read from its other end)."""
    try:
        return [t for t in Ticket.gsi2.query(f"{account_pk(account_id)}#AS#{UNASSIGNED}#{Status.OPEN.value}",
                                             scan_index_forward=True, limit=limit) if isinstance(t, Ticket)]
    except PynamoDBException as error:
        raise transient(error) from error
