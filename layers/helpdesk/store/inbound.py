"""The writes of the intake path: a customer's message stored in its ticket, exactly once.

Each write is one TransactWriteItems. A failed write says why through its cancellation reasons
(the message was stored before, the ticket is not as assumed and here is how it is, another writer
got there first), so the intake service picks its next try without a read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from pynamodb.exceptions import GetError, PutError, PynamoDBException, UpdateError
from pynamodb.expressions.update import Action

from helpdesk.clock import now_iso
from helpdesk.conversation import Channel, CurrentTicket, InboundMessage, Status, profile_id_for
from helpdesk.store.accounts import profile_ticket_keys
from helpdesk.store.failures import transient
from helpdesk.store.keys import (
    contact_pk,
    idle_keys,
    idle_moved,
    index_actions,
    index_keys,
    key_id,
    profile_pk,
    ref_pk,
    resorted,
    sender_scoped,
    ticket_pk,
)
from helpdesk.store.models import Contact, Message, MessageRef, Profile, Ticket
from helpdesk.store.transact import Refused, Transaction

MAX_BODY_BYTES = 64 * 1024  # the stored body of one message; the item must stay under 400 KB
MAX_ORIGINAL_BYTES = 128 * 1024


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


def _cut(text: str, limit: int) -> str:
    data = text.encode()
    return text if len(data) <= limit else data[:limit].decode("utf-8", "ignore")


def _current(raw: dict[str, Any] | None) -> CurrentTicket | None:
    if not raw:
        return None
    t = Ticket.from_raw_data(raw)
    return CurrentTicket(t.ticket_id, Status(t.status), t.contact, t.assignee_id, bool(t.spam))


def _ordered_at(msg: InboundMessage) -> str:
    """Where the message sorts in its ticket: when the customer sent it, as the provider says (Meta
    does, to the second), so a batch or a late redelivery keeps the customer's order; then when it
    arrived (two messages of one second). A provider time after the arrival (a skewed clock) never
    sorts a message ahead of its arrival."""
    sent_at = msg.extra.get("sent_at")
    if not sent_at or sent_at >= msg.received_at:
        return msg.received_at
    return f"{sent_at}#{msg.received_at}"


def wrote_at(msg: InboundMessage) -> str:
    """When the customer sent `msg`: the provider's time, never after its arrival."""
    sent_at = msg.extra.get("sent_at")
    return sent_at if sent_at and sent_at < msg.received_at else msg.received_at


def _message_item(account_id: str, ticket_id: str, msg: InboundMessage) -> Message:
    extra = dict(msg.extra)
    if "original" in extra:
        extra["original"] = _cut(extra["original"], MAX_ORIGINAL_BYTES)
    body = _cut(msg.body, MAX_BODY_BYTES)
    if body != msg.body:
        extra["truncated"] = "true"
    return Message(
        ticket_pk(account_id, ticket_id), f"M#{_ordered_at(msg)}#{key_id(msg.provider_message_id)}",
        message_id=msg.provider_message_id[:1000], ticket_id=ticket_id, channel=msg.channel.value,
        direction=msg.direction, body=body, created_at=msg.received_at,
        sender=msg.contact if msg.direction == "inbound" else msg.account_address,
        media=[{"url": m.url, "content_type": m.content_type} for m in msg.media],
        extra=extra, story=dict(msg.story) if msg.story else None, automatic=msg.automatic,
    )


def ref_id(msg: InboundMessage) -> str:
    """The id a message's ref (its exactly-once claim) is keyed by."""
    if msg.channel is Channel.EMAIL and msg.direction == "inbound":
        return sender_scoped(msg.contact, msg.provider_message_id)
    return msg.provider_message_id


def _ref_item(account_id: str, ticket_id: str | None, msg: InboundMessage, event: str,
              message_sk: str | None) -> MessageRef:
    return MessageRef(ref_pk(account_id, msg.channel, ref_id(msg)), "REF",
                      ticket_id=ticket_id, message_sk=message_sk, event=event, created_at=now_iso())


def _outcome(refused: Refused | None) -> Outcome | None:
    """None when the write went through, else what its cancellation reasons say."""
    if refused is None:
        return None
    if refused.failed("ref"):
        image = refused.old("ref")
        old = MessageRef.from_raw_data(image) if image else None
        return Duplicate(old.ticket_id if old else None, old.event if old else "message")
    if refused.retryable:
        return Contended()
    if refused.failed("contact"):
        return PointerMoved()
    if refused.failed("ticket"):
        return Mismatch(_current(refused.old("ticket")))
    raise transient(PynamoDBException("intake write refused for no stated reason"))


class TicketStore:
    """Writes of the intake path. Each method is one TransactWriteItems request (plus, when a
    ticket opens and the customer is not known as assumed, one read of the contact)."""

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
        t = Transaction()
        t.put("ref", _ref_item(account_id, ticket_id, msg, event, message.sk),
              condition=MessageRef.pk.does_not_exist(), old=True)
        t.put("message", message)
        actions: list[Action] = [Ticket.message_count.add(1), Ticket.version.add(1)]
        if not quiet:
            actions += [Ticket.updated_at.set(now), Ticket.last_inbound_at.set(now),
                        Ticket.customer_wrote_at.set(wrote_at(msg))]
        if wake and current is not None:
            # Open again, and no longer closed by the sweep (whose idle clock starts now).
            actions += [Ticket.status.set(Status.OPEN.value), Ticket.snooze_until.remove(),
                        Ticket.reopen_count.add(1), Ticket.auto_closed.remove()]
            actions += index_actions({
                **index_keys(account_id, ticket_id, Status.OPEN.value, current.assignee_id, current.spam, now),
                **idle_keys(account_id, ticket_id, Status.OPEN.value, current.spam, now)})
        elif not quiet:
            actions += [*resorted(ticket_id, now), *idle_moved(ticket_id, now)]
        expected = current.status.value if current else Status.OPEN.value
        condition = (Ticket.status == expected) & (Ticket.contact == msg.contact)
        if wake and current is not None:
            # The views it is filed under are computed from the assignee and spam flag it had when
            # read: they must still be so.
            condition &= (Ticket.assignee_id == current.assignee_id) if current.assignee_id \
                else Ticket.assignee_id.does_not_exist()
            condition &= Ticket.spam == current.spam
        t.update("ticket", Ticket(ticket_pk(account_id, ticket_id), "TICKET"), actions=actions,
                 condition=condition, old=True)
        return _outcome(t.commit()) or Stored(event)

    def park(self, account_id: str, ticket_id: str, msg: InboundMessage) -> Outcome:
        """Keep `msg` in ticket `ticket_id`'s partition though the ticket does not exist yet: the
        brand's echo that overtook its customer's message. When the customer's message opens that
        ticket (its id is derived, so it is this one), the echo is in its conversation; if none ever
        comes, nothing shows it. Exactly once like every message (its ref); creates no ticket, so no
        event and no view."""
        message = _message_item(account_id, ticket_id, msg)
        t = Transaction()
        t.put("ref", _ref_item(account_id, ticket_id, msg, "stored", message.sk),
              condition=MessageRef.pk.does_not_exist(), old=True)
        t.put("message", message)
        return _outcome(t.commit()) or Stored("stored")

    def open(self, account_id: str, new: NewTicket, msg: InboundMessage,
             contact: Contact | None | bool = True, *, with_customer: bool = True) -> Outcome:
        """Start ticket `new.ticket_id` with `msg`. The customer's contact and profile come into
        being with it when they are new. `contact` is the contact item when the caller has read it
        already (None: known to be absent), True when unknown. Without `with_customer` the ticket
        alone is written (three puts, the lightest new ticket there is): its contact and profile
        are made after, from the stream (`link_customer`).

        Unknown, the write assumes what is almost always so (the contact is new, or belongs to the
        profile derived from its address) and checks it in the same transaction; only when that
        check fails is the contact read and the write done again with its profile.
        """
        if not with_customer:
            return self._open(account_id, new, msg, None, assumed=False, with_customer=False)
        if contact is not True:
            assert contact is None or isinstance(contact, Contact)
            return self._open(account_id, new, msg, contact, assumed=False)
        outcome = self._open(account_id, new, msg, None, assumed=True)
        if isinstance(outcome, PointerMoved):
            return self._open(account_id, new, msg, self.contact(account_id, msg.channel, msg.contact),
                              assumed=False)
        return outcome

    def _open(self, account_id: str, new: NewTicket, msg: InboundMessage, contact: Contact | None,
              *, assumed: bool, with_customer: bool = True) -> Outcome:
        message = _message_item(account_id, new.ticket_id, msg)
        now = msg.received_at
        profile_id = contact.profile_id if contact else profile_id_for(account_id, msg.channel, msg.contact)
        # (filed under its profile too: the ticket screen counts the customer's tickets there, so the
        # count costs this write no item and no request, only the index's own copy of the keys)
        keys = {**index_keys(account_id, new.ticket_id, Status.OPEN.value, None, msg.spam, now),
                **idle_keys(account_id, new.ticket_id, Status.OPEN.value, msg.spam, now),
                **profile_ticket_keys(account_id, profile_id, now, new.ticket_id)}
        ticket = Ticket(ticket_pk(account_id, new.ticket_id), "TICKET", account_id=account_id,
                        ticket_id=new.ticket_id, channel=msg.channel.value, contact=msg.contact,
                        profile_id=profile_id, status=Status.OPEN.value, assignee_id=None, tags=[],
                        spam=msg.spam, created_at=now, updated_at=now, last_inbound_at=now,
                        customer_wrote_at=wrote_at(msg),
                        message_count=1, reopen_count=0, subject=new.subject, version=1,
                        conversation_id=new.conversation_id, contact_name=msg.contact_name,
                        preview=list_preview(msg.body),
                        channel_address=msg.account_address, **cast(dict[str, Any], keys))
        t = Transaction()
        t.put("ref", _ref_item(account_id, new.ticket_id, msg, "created", message.sk),
              condition=MessageRef.pk.does_not_exist(), old=True)
        t.put("message", message)
        t.put("ticket", ticket, condition=Ticket.pk.does_not_exist(), old=True)
        # (An existing contact is written too when it keeps a pointer: Instagram's generation, web
        # chat's newest conversation.)
        if with_customer and (contact is None or new.generation is not None or new.conversation_id):
            self._upsert_contact(t, account_id, msg, profile_id, new, assumed=assumed)
        if with_customer and contact is None:
            self._upsert_profile(t, account_id, msg, profile_id)
        return _outcome(t.commit()) or Stored("created")

    @staticmethod
    def _upsert_contact(t: Transaction, account_id: str, msg: InboundMessage, profile_id: str,
                        new: NewTicket, *, assumed: bool = False) -> None:
        now = msg.received_at
        actions: list[Action] = [
            Contact.type.set(Contact), Contact.account_id.set(account_id),
            Contact.channel.set(msg.channel.value), Contact.address.set(msg.contact),
            Contact.profile_id.set(Contact.profile_id | profile_id),
            Contact.first_seen_at.set(Contact.first_seen_at | now),
        ]
        if msg.contact_name:
            actions.append(Contact.name.set(msg.contact_name))
        if new.conversation_id:
            actions.append(Contact.latest_conversation.set(new.conversation_id))
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
        t.update("contact", Contact(contact_pk(account_id, msg.channel, msg.contact), "CONTACT"),
                 actions=actions, condition=condition)

    @staticmethod
    def _upsert_profile(t: Transaction, account_id: str, msg: InboundMessage, profile_id: str) -> None:
        now = msg.received_at
        phone = msg.contact if msg.channel in (Channel.SMS, Channel.WHATSAPP) else None
        email = msg.contact if msg.channel is Channel.EMAIL else None
        t.update("profile", Profile(profile_pk(account_id, profile_id), "PROFILE"), actions=[
            Profile.type.set(Profile), Profile.account_id.set(account_id),
            Profile.profile_id.set(profile_id), Profile.created_at.set(Profile.created_at | now),
            *([Profile.phone.set(Profile.phone | phone)] if phone else []),
            *([Profile.email.set(Profile.email | email)] if email else []),
            *([Profile.name.set(Profile.name | msg.contact_name)] if msg.contact_name else []),
        ])

    @staticmethod
    def link_customer(ticket: Ticket) -> str:
        """The contact and profile of a ticket's customer, made if new (idempotent: safe to repeat);
        returns the contact's profile id, which the ticket should carry."""
        now = ticket.created_at
        contact = Contact(contact_pk(ticket.account_id, ticket.channel, ticket.contact), "CONTACT")
        try:
            contact.update(actions=[
                Contact.type.set(Contact), Contact.account_id.set(ticket.account_id),
                Contact.channel.set(ticket.channel), Contact.address.set(ticket.contact),
                Contact.profile_id.set(Contact.profile_id | str(ticket.profile_id)),
                Contact.first_seen_at.set(Contact.first_seen_at | now),
                *([Contact.name.set(Contact.name | ticket.contact_name)] if ticket.contact_name else []),
            ])
            phone = ticket.contact if ticket.channel in (Channel.SMS.value, Channel.WHATSAPP.value) else None
            Profile(profile_pk(ticket.account_id, contact.profile_id), "PROFILE").update(actions=[
                Profile.type.set(Profile), Profile.account_id.set(ticket.account_id),
                Profile.profile_id.set(contact.profile_id), Profile.created_at.set(Profile.created_at | now),
                *([Profile.phone.set(Profile.phone | phone)] if phone else []),
                *([Profile.name.set(Profile.name | ticket.contact_name)] if ticket.contact_name else []),
            ])
        except PynamoDBException as error:
            raise transient(error) from error
        return str(contact.profile_id)

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


# The ticket item is written on every message and already weighs 1.3-1.5 KB (2 write units): its
# preview stays small enough not to cross into a third (a list row shows about this much anyway).
PREVIEW_BYTES = 90


def list_preview(body: str | None) -> str | None:
    """What a ticket list shows under the contact: the first non-empty line of the first message, at
    most PREVIEW_BYTES of UTF-8 (cut on a character, marked with an ellipsis)."""
    line = next((ln.strip() for ln in (body or "").splitlines() if ln.strip()), "")
    if len(line.encode()) <= PREVIEW_BYTES:
        return line or None
    cut = line.encode()[:PREVIEW_BYTES - 3].decode("utf-8", "ignore").rstrip()
    return cut + "…"
