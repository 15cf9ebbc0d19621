"""What an inbound message is, and the threading rules of SPEC §3: open, join or reopen a ticket.

Pure: no AWS, no clock, no randomness except where a caller asks for a new id. The intake service
feeds it what the table says about the customer's current ticket and acts on the decision.
"""
from __future__ import annotations

import base64
import enum
import hashlib
import secrets
from dataclasses import dataclass, field


class Channel(enum.StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    INSTAGRAM = "instagram"
    WEBCHAT = "webchat"


class Status(enum.StrEnum):
    OPEN = "open"
    SNOOZED = "snoozed"
    CLOSED = "closed"


class Action(enum.StrEnum):
    JOIN = "join"          # add to the ticket, which stays as it is (open)
    REOPEN = "reopen"      # add to the ticket and make it open again (closed or snoozed before)
    OPEN_NEW = "open_new"  # start a new ticket
    STORE_ONLY = "store_only"  # keep the message on the ticket without waking it (automatic mail)


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str | None = None


@dataclass(frozen=True)
class InboundMessage:
    """One customer message, as every channel adapter hands it to the intake service."""

    channel: Channel
    account_address: str  # which of our addresses it was sent to (number, phone_number_id, ...)
    contact: str  # the customer's address on the channel (E.164, IGSID, email, visitor id)
    provider_message_id: str  # the provider's id: the natural dedupe key
    body: str
    received_at: str  # ISO 8601 UTC, millisecond precision
    media: tuple[Media, ...] = ()
    contact_name: str | None = None
    automatic: bool = False  # auto-reply, bounce or list mail: stored, never wakes a ticket
    extra: dict[str, str] = field(default_factory=dict)  # provider extras worth keeping
    direction: str = "inbound"  # "outbound" for the brand's own messages echoed back (Instagram)
    spam: bool = False  # the provider's spam verdict (SES); a new ticket starts in the Spam view
    story: dict[str, str] | None = None  # Instagram story reply or mention: {"id", "url"}
    subject: str | None = None  # email
    thread_ids: tuple[str, ...] = ()  # email: Message-IDs this one answers, most specific first
    thread_token: str | None = None  # email: the ticket token of a plus-addressed reply address
    conversation_id: str | None = None  # web chat


@dataclass(frozen=True)
class CurrentTicket:
    """What the table says about the ticket a message may belong to."""

    ticket_id: str
    status: Status
    contact: str
    assignee_id: str | None = None
    spam: bool = False


@dataclass(frozen=True)
class Decision:
    action: Action
    ticket_id: str | None = None  # None only for OPEN_NEW on a channel without a per-customer id


PER_CUSTOMER_CHANNELS = frozenset({Channel.SMS, Channel.WHATSAPP})


def decide(channel: Channel, contact: str, current: CurrentTicket | None, *, automatic: bool = False) -> Decision:
    """Where a message from `contact` goes, given the ticket it would belong to (or none).

    `current` is the channel's candidate: for SMS and WhatsApp the customer's one ticket; for
    Instagram the customer's latest ticket; for email the ticket whose thread the message answers;
    for web chat the conversation's ticket.
    """
    if current is None:
        return Decision(Action.OPEN_NEW)
    if channel is Channel.EMAIL and current.contact != contact:
        # A reply from someone else (a newsletter answered by many) never joins a stranger's ticket.
        return Decision(Action.OPEN_NEW)
    if channel is Channel.EMAIL and automatic:
        # An auto-reply or a bounce is kept on its ticket but wakes nothing, and does not move an
        # open ticket to the top of the views either: nobody wrote.
        return Decision(Action.STORE_ONLY, current.ticket_id)
    if current.status is Status.OPEN:
        return Decision(Action.JOIN, current.ticket_id)
    if current.status is Status.CLOSED and channel in (Channel.INSTAGRAM, Channel.WEBCHAT):
        return Decision(Action.OPEN_NEW)
    return Decision(Action.REOPEN, current.ticket_id)


def _short_id(digest: bytes) -> str:
    return "t" + base64.b32encode(digest).decode().lower().rstrip("=")


def customer_ticket_id(account_id: str, channel: Channel, contact: str) -> str:
    """The one ticket id of a customer on a per-customer channel (SMS, WhatsApp).

    Derived, not stored: the first message of a customer and every later one compute the same id,
    so concurrent first messages race on one conditional put instead of on a lookup.
    """
    if channel not in PER_CUSTOMER_CHANNELS:
        raise ValueError(f"{channel.value} tickets are per conversation, not per customer")
    digest = hashlib.blake2b(f"{account_id}\x1f{channel.value}\x1f{contact}".encode(), digest_size=10).digest()
    return _short_id(digest)


def new_ticket_id() -> str:
    return _short_id(secrets.token_bytes(10))


def derived_ticket_id(*parts: str) -> str:
    """A ticket id that every delivery of the same first message computes alike, so racing
    deliveries meet on one conditional put (Instagram generation, web-chat conversation, email
    thread)."""
    digest = hashlib.blake2b("\x1f".join(parts).encode(), digest_size=10, person=b"ticket").digest()
    return _short_id(digest)


def next_conversation_id(conversation_id: str) -> str:
    """The conversation a message to a closed web-chat conversation starts: derived, so every
    message racing into the closed one lands in the same new one."""
    digest = hashlib.blake2b(conversation_id.encode(), digest_size=8, person=b"next-conv").digest()
    return "c" + base64.b32encode(digest).decode().lower().rstrip("=")


def profile_id_for(account_id: str, channel: Channel, contact: str) -> str:
    """Profile id given to a customer first seen on `channel` at `contact`."""
    digest = hashlib.blake2b(f"{account_id}\x1f{channel.value}\x1f{contact}".encode(), digest_size=10,
                             person=b"profile").digest()
    return "p" + base64.b32encode(digest).decode().lower().rstrip("=")
