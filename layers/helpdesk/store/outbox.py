"""The outbox: an agent's reply (or note) stored and claimed for sending before anything is sent,
then what the provider said of it.

No provider offers an idempotency key for sends (Twilio has none), so the stored message decides:
it is written, claimed by the request that wrote it (`delivery: queued`, `claimed_at`), in the same
transaction that checks the ticket, the customer's consent and the idempotency key. Only the holder
of the claim sends; a repeat of the request finds the message and answers it; a send that failed, or
whose sender vanished (a crash) for longer than the lease, is claimed again by exactly one request.

After the send, the provider's id (Twilio MessageSid, WhatsApp wamid, Instagram mid) is claimed as a
ref pointing at the message, so delivery callbacks find it. A callback can overtake that write: it
parks its status on the ref, and the write that records the send picks it up.
"""
from __future__ import annotations

import time
from typing import Any

from pynamodb.exceptions import PynamoDBException
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from helpdesk.clock import now_iso
from helpdesk.conversation import Channel
from helpdesk.store.failures import applied, transient
from helpdesk.store.keys import profile_pk, ref_pk, resorted, ticket_pk, version_is
from helpdesk.store.models import Link, Message, MessageRef, Profile, Ticket
from helpdesk.store.tickets import apply_fields
from helpdesk.store.transact import Transaction

# Delivery states in the order they can follow each other; a later state never goes back (a late
# `sent` after `delivered`). Failed and delivered are both final. `read` is shown as delivered and
# read. Kept as one-digit strings: they compare in order inside a condition.
PARKED_SECONDS = 24 * 3600  # a report of a message we never record (sent from elsewhere) goes away
RANK = {"queued": "0", "sent": "1", "delivered": "2", "failed": "2", "read": "3"}


def consent_condition(channel: str) -> Condition | None:
    """The profile condition a reply on `channel` needs (None: no consent rule on that channel)."""
    if channel == "sms":
        return Profile.consent_sms == "subscribed"
    if channel == "whatsapp":
        return Profile.consent_whatsapp.does_not_exist() | (Profile.consent_whatsapp != "unsubscribed")
    return None


def store_reply(ticket: Ticket, message: Message, refs: list[str], fields: dict[str, Any], *,
                consent: Condition | None = None, links: list[Link] | None = None) -> str:
    """Store an agent's reply or note and move the ticket (`fields`), all or nothing, if nothing
    wrote the ticket since it was read and the customer's consent (`consent`, on their profile) still
    holds. `refs` are ids claimed for the message (its own id, our email Message-ID); `links` are the
    shortened links of its text. A person's reply also gives the ticket its first response, if it
    has none (`first_response`). Answers "stored", "duplicate" (a ref was claimed before: this
    message exists), "no_consent" or "changed" (read the ticket again)."""
    seen = ticket.version
    actions = [Ticket.message_count.add(1), *apply_fields(ticket, fields),
               *resorted(ticket.ticket_id, ticket.updated_at), *first_response(ticket, message)]
    t = Transaction()
    t.put("message", message)
    for i, ref in enumerate(refs):
        t.put(f"ref{i}", MessageRef(ref_pk(ticket.account_id, Channel(ticket.channel), ref), "REF",
                                    ticket_id=ticket.ticket_id, message_sk=message.sk, event="outbound",
                                    created_at=message.created_at),
              condition=MessageRef.pk.does_not_exist())
    for i, link in enumerate(links or []):
        t.put(f"link{i}", link, condition=Link.pk.does_not_exist())  # never another link's code
    t.update("ticket", Ticket(ticket_pk(ticket.account_id, ticket.ticket_id), "TICKET"), actions=actions,
             condition=version_is(seen))
    if consent is not None:
        t.check("consent", Profile, profile_pk(ticket.account_id, str(ticket.profile_id)), "PROFILE", consent)
    refused = t.commit()
    if refused is None:
        return "stored"
    if any(refused.failed(f"ref{i}") for i in range(len(refs))):
        return "duplicate"
    if refused.failed("consent"):
        return "no_consent"
    return "changed"


def by_person(message: Message) -> bool:
    """A reply a person wrote: outbound, not automatic (the autoresponders, and whatever else answers
    by itself, the order skill included, store theirs as `automatic`), and signed by its author."""
    return message.direction == "outbound" and not message.automatic and bool(message.sender)


def first_response(ticket: Ticket, message: Message) -> list[Action]:
    """The ticket's first response, when `message` is a person's reply: set only if not set yet
    (`if_not_exists`): the first reply stored keeps it, whatever is stored after. Actions of the
    reply's own ticket update: it costs the reply no request."""
    if not by_person(message):
        return []
    if ticket.first_response_at is None:
        ticket.first_response_at, ticket.first_responder_id = message.created_at, message.sender
    return [Ticket.first_response_at.set(Ticket.first_response_at | message.created_at),
            Ticket.first_responder_id.set(Ticket.first_responder_id | str(message.sender))]


def outbound_message(account_id: str, channel: str, ref: str) -> Message | None:
    """The message an outbound ref (our id, or the provider's) was claimed for."""
    try:
        found = MessageRef.get(ref_pk(account_id, Channel(channel), ref), "REF", consistent_read=True)
        if not found.ticket_id or not found.message_sk:
            return None
        return Message.get(ticket_pk(account_id, found.ticket_id), found.message_sk, consistent_read=True)
    except (MessageRef.DoesNotExist, Message.DoesNotExist):
        return None
    except PynamoDBException as error:
        raise transient(error) from error


def claim_delivery(message: Message, now: str, stale_before: str | None, *,
                   consent: Condition | None = None, profile_key: str | None = None) -> str:
    """Take the sending of a stored reply again: "claimed", "no_consent" or "not_claimable".

    Claimable: a send that failed before reaching the provider (`retryable`); with `stale_before`
    (email, whose Message-ID is ours, so a second copy threads as the same mail), also a send whose
    sender took it before then and never said how it went. Never a message the provider took (a
    delivery report failed it), refused for good, or may have taken without answering. One
    transaction, with the customer's consent checked again (a STOP since the first try wins): of
    two requests that try at once, one sends."""
    extra = Message.extra
    delivery, claimed_at = extra["delivery"], extra["claimed_at"]
    condition = (delivery == "failed") & extra["retryable"].exists()
    if stale_before is not None:
        condition = condition | ((delivery == "queued") & (claimed_at < stale_before))
    t = Transaction()
    t.update("message", message, actions=[delivery.set("queued"), claimed_at.set(now), extra["retryable"].remove(),
                                          extra["delivery_rank"].set(RANK["queued"])],
             condition=condition & extra["unconfirmed"].does_not_exist())
    if consent is not None and profile_key is not None:
        t.check("consent", Profile, profile_key, "PROFILE", consent)
    refused = t.commit()
    if refused is None:
        return "claimed"
    if refused.failed("message"):
        return "not_claimable"
    if refused.failed("consent"):
        return "no_consent"
    raise transient(PynamoDBException("claiming the send again was refused for no stated reason"))


def record_failed(message: Message, reason: str, *, retryable: bool = False, unconfirmed: bool = False) -> None:
    """The send failed: the message says why. `retryable` (nothing reached the provider) lets a
    retry of the request send it again; `unconfirmed` (the provider may have taken it) never does."""
    actions = [Message.extra["delivery"].set("failed"), Message.extra["error"].set(reason[:500])]
    if retryable and not unconfirmed:
        actions.append(Message.extra["retryable"].set("true"))
    if unconfirmed:
        actions.append(Message.extra["unconfirmed"].set("true"))
    applied(message, actions, Message.extra["delivery"] == "queued")


def record_sent(message: Message, provider_id: str | None) -> str:
    """The provider took the message: `sent`, and its id claimed so delivery callbacks find the
    message. One transaction; when a callback got there first, its parked status is applied too.
    Returns the message's delivery state."""
    extra = Message.extra
    if not provider_id:  # web chat and email keep no provider ref
        applied(message, [extra["delivery"].set("sent"), extra["delivery_rank"].set(RANK["sent"])],
                extra["delivery"] == "queued")
        return "sent"
    account_id = message.pk.split("#", 2)[1]
    ref = MessageRef(ref_pk(account_id, Channel(message.channel), provider_id), "REF")
    parked: str | None = None
    seen = MessageRef.delivery.does_not_exist() & MessageRef.message_sk.does_not_exist()  # nobody claimed it
    for _ in range(4):
        state = parked if parked and RANK[parked] > RANK["sent"] else "sent"
        t = Transaction()
        t.update("message", message, actions=[
            extra["delivery"].set("delivered" if state == "read" else state),
            extra["delivery_rank"].set(RANK[state]), extra["provider_id"].set(provider_id),
            *([extra["read_at"].set(now_iso())] if state == "read" else []),
        ], condition=extra["delivery"] == "queued")
        t.update("ref", ref, actions=[
            MessageRef.type.set(MessageRef), MessageRef.ticket_id.set(message.ticket_id),
            MessageRef.message_sk.set(message.sk), MessageRef.event.set("outbound"),
            MessageRef.created_at.set(MessageRef.created_at | now_iso()), MessageRef.expires_at.remove(),
            MessageRef.delivery.remove(),
        ], condition=seen, old=True)
        refused = t.commit()
        if refused is None:
            return state
        if refused.failed("message"):
            return "sent"  # recorded already (this is a retry of the recording)
        if refused.failed("ref"):
            image = refused.old("ref")
            old = MessageRef.from_raw_data(image) if image else None
            if old is not None and old.message_sk and old.ticket_id and old.message_sk != message.sk:
                # The provider's echo of this very message (Instagram echoes what we send), stored
                # by intake before we could record the send: ours is the message; the copy goes.
                _drop_copy(account_id, old.ticket_id, old.message_sk)
            parked = old.delivery if old is not None else None
            seen = _as_seen(old)
            continue
        if not refused.retryable:
            break
    raise transient(PynamoDBException("recording the send kept failing"))


def _as_seen(old: MessageRef | None) -> Condition:
    """The ref is still as it was read (a parked report, an echo's claim), or still absent."""
    if old is None:
        return MessageRef.pk.does_not_exist()
    delivery = (MessageRef.delivery == old.delivery) if old.delivery else MessageRef.delivery.does_not_exist()
    claimed = (MessageRef.message_sk == old.message_sk) if old.message_sk else MessageRef.message_sk.does_not_exist()
    return delivery & claimed


def _drop_copy(account_id: str, ticket_id: str, message_sk: str) -> None:
    try:
        Message(ticket_pk(account_id, ticket_id), message_sk).delete(
            condition=Message.pk.exists() & (Message.direction == "outbound"))
    except PynamoDBException:
        pass  # gone already, or not an echo after all: either way nothing to undo


def apply_status(account_id: str, channel: str, provider_id: str, state: str, *,
                 error: str | None = None) -> bool:
    """A provider's delivery report of one of our messages: the message's state moves forward only
    (a late `sent` never overwrites `delivered`), so a replayed or reordered report changes nothing.
    A report that overtook the recording of the send is parked on the provider id's ref. True when
    something changed."""
    if state not in RANK:
        return False
    ref = MessageRef(ref_pk(account_id, Channel(channel), provider_id), "REF")
    for _ in range(3):
        try:
            found = MessageRef.get(ref.pk, "REF", consistent_read=True)
        except MessageRef.DoesNotExist:
            found = None
        except PynamoDBException as failure:
            raise transient(failure) from failure
        if found is not None and found.event not in ("outbound", "status"):
            return False  # a customer's message (a read of their own DM, say): not ours to report on
        if found is not None and found.ticket_id and found.message_sk:
            message = Message(ticket_pk(account_id, found.ticket_id), found.message_sk)
            extra = Message.extra
            actions = [extra["delivery"].set("delivered" if state == "read" else state),
                       extra["delivery_rank"].set(RANK[state])]
            if state == "read":
                actions.append(extra["read_at"].set(now_iso()))
            if error:
                actions.append(extra["error"].set(error[:500]))
            rank = extra["delivery_rank"]
            return applied(message, actions, Message.pk.exists() & (rank.does_not_exist() | (rank < RANK[state])))
        # Not recorded yet: park the most advanced status seen, unless the recording lands meanwhile.
        parked = MessageRef.delivery
        condition = MessageRef.message_sk.does_not_exist() & (
            parked.does_not_exist() | (parked.is_in(*[s for s, r in RANK.items() if r < RANK[state]])))
        if applied(ref, [MessageRef.type.set(MessageRef), MessageRef.event.set(MessageRef.event | "status"),
                         MessageRef.created_at.set(MessageRef.created_at | now_iso()), parked.set(state),
                         MessageRef.expires_at.set(int(time.time()) + PARKED_SECONDS)],
                   condition):
            return True
        if found is not None and not found.message_sk and found.delivery and RANK[found.delivery] >= RANK[state]:
            return False
    return False
