"""The campaign and flow messages customers received, and the attribution of their SMS replies."""
from __future__ import annotations

import random
import time
from typing import Any

from pynamodb.exceptions import PynamoDBException

from helpdesk.store.failures import saved, transient
from helpdesk.store.keys import ticket_pk
from helpdesk.store.models import Link, Message, OutboundMessage, SourceStats, Ticket, account_pk
from helpdesk.store.transact import Transaction

RETENTION_SECONDS = 30 * 24 * 3600  # past any attribution window an account may set
CONFLICT_TRIES = 5
NONE: dict[str, Any] = {}  # a reply attributed to nothing (decided), unlike a missing attribute (not yet)


def outbound_pk(account_id: str, channel: str, to: str) -> str:
    return f"{account_pk(account_id)}#OB#{channel}#{to}"


def source_pk(account_id: str, kind: str, source_id: str) -> str:
    return f"{account_pk(account_id)}#SRC#{kind}#{source_id}"


def put_outbound(account_id: str, channel: str, to: str, kind: str, source_id: str, message_id: str,
                 received_at: str, now: str) -> bool:
    """Store one recipient's message, once: a replay (same message, same time) finds it there and
    changes nothing, so a claim by a reply already made stays. False for a replay."""
    item = OutboundMessage(outbound_pk(account_id, channel, to), f"{received_at}#{message_id}", channel=channel,
                           to=to, kind=kind, source_id=source_id, message_id=message_id, received_at=received_at,
                           created_at=now, expires_at=int(time.time()) + RETENTION_SECONDS)
    return saved(item, OutboundMessage.pk.does_not_exist())


def last_outbound(account_id: str, channel: str, to: str, before: str) -> OutboundMessage | None:
    """The latest message `to` received up to `before`: one Query, newest first, one item."""
    try:
        found = list(OutboundMessage.query(outbound_pk(account_id, channel, to), OutboundMessage.sk <= f"{before}#~",
                                           scan_index_forward=False, limit=1, consistent_read=True))
    except PynamoDBException as error:
        raise transient(error) from error
    return found[0] if found and isinstance(found[0], OutboundMessage) else None


def attribute(account_id: str, message: Message, outbound: OutboundMessage | None) -> bool:
    """Decide the reply `message`: attributed to `outbound` if this is the first reply since it came
    (its claim, `replied_by`, is free or already this message's: a redelivery decides the same),
    else to nothing. In one transaction: the claim, the message's `attribution`, the ticket's (its
    first only) and the source's reply count. True when it was attributed."""
    for attempt in range(CONFLICT_TRIES):
        t = Transaction()
        pk = ticket_pk(account_id, message.ticket_id)
        decided = NONE
        if outbound is not None:
            decided = {"kind": outbound.kind, "source_id": outbound.source_id, "message_id": outbound.message_id}
            t.update("claim", OutboundMessage(outbound.pk, outbound.sk), [OutboundMessage.replied_by.set(
                message.message_id)], (OutboundMessage.replied_by.does_not_exist()
                                       | (OutboundMessage.replied_by == message.message_id)))
            t.update("ticket", Ticket(pk, "TICKET"), [Ticket.attribution.set(Ticket.attribution | decided)],
                     Ticket.pk.exists())
            t.update("source", SourceStats(source_pk(account_id, outbound.kind, outbound.source_id), "STATS"),
                     [SourceStats.type.set(SourceStats), SourceStats.kind.set(outbound.kind),
                      SourceStats.source_id.set(outbound.source_id), SourceStats.replies.add(1)])
        # Decided once: a redelivery of a message already decided changes nothing (no second count).
        t.update("message", Message(pk, message.sk), [Message.attribution.set(decided)],
                 Message.pk.exists() & Message.attribution.does_not_exist())
        refused = t.commit()
        if refused is None:
            return bool(decided)
        if refused.failed("message"):
            return False  # decided before (a redelivery), or the message is gone
        if refused.failed("claim") or refused.failed("ticket"):
            outbound = None  # a reply before this one took it (or the ticket is gone): nothing
            continue
        if not refused.retryable:
            raise transient(PynamoDBException("attribution refused for no stated reason"))
        time.sleep(random.uniform(0, 0.01 * 2 ** attempt))  # another writer of the same items
    raise transient(PynamoDBException("attribution kept conflicting"))


def count_click(link: Link) -> None:
    """A click on a link sent in a ticket a campaign or flow caused counts for it too."""
    if link.source_kind and link.source_id:
        from helpdesk.store.failures import applied

        applied(SourceStats(source_pk(link.account_id, link.source_kind, link.source_id), "STATS"),
                [SourceStats.type.set(SourceStats), SourceStats.kind.set(link.source_kind),
                 SourceStats.source_id.set(link.source_id), SourceStats.clicks.add(1)], None)


def stats(account_id: str, kind: str, source_id: str) -> SourceStats | None:
    try:
        return SourceStats.get(source_pk(account_id, kind, source_id), "STATS", consistent_read=True)
    except SourceStats.DoesNotExist:
        return None
    except PynamoDBException as error:
        raise transient(error) from error
