"""The table's keys: where each entity lives, and where a ticket is filed in the agents' views."""
from __future__ import annotations

import hashlib

from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action

from helpdesk.conversation import Channel, Status
from helpdesk.store.models import Ticket, account_pk

UNASSIGNED = "-"
MAX_KEY_ID = 200  # bytes of a provider id used as is in a key (DynamoDB: sort key 1 KB, partition 2 KB)


def ticket_pk(account_id: str, ticket_id: str) -> str:
    return f"A#{account_id}#T#{ticket_id}"


def key_id(provider_id: str) -> str:
    """A provider id as it goes into keys: as is, or hashed when it is too long (anyone can send a
    mail with a 1,000-character Message-ID)."""
    if len(provider_id.encode()) <= MAX_KEY_ID:
        return provider_id
    return "h:" + hashlib.sha256(provider_id.encode()).hexdigest()


def ref_pk(account_id: str, channel: Channel, provider_message_id: str) -> str:
    return f"A#{account_id}#REF#{channel.value}#{key_id(provider_message_id)}"


def sender_scoped(sender: str, message_id: str) -> str:
    """A customer's email as its ref names it: a Message-ID is whatever the sender's software wrote,
    so it is unique only per sender; scoped, another sender reusing it (by mistake or to suppress
    this customer's mail) neither dedupes against it nor threads into it. Our own sent Message-IDs
    are ours and are not scoped."""
    return f"{sender}|{message_id}"


def contact_pk(account_id: str, channel: Channel | str, address: str) -> str:
    return f"A#{account_id}#C#{Channel(channel).value}#{address}"


def profile_pk(account_id: str, profile_id: str) -> str:
    return f"A#{account_id}#P#{profile_id}"


def index_keys(account_id: str, ticket_id: str, status: str, assignee_id: str | None, spam: bool,
               updated_at: str) -> dict[str, str | None]:
    """Where a ticket appears in the views, and in its assignee's load (gsi7: open and assigned). Spam
    leaves My inbox, Unassigned and All, and counts for nobody's load."""
    order = f"{updated_at}#{ticket_id}"
    a = account_pk(account_id)
    if spam:
        return {"gsi1pk": f"{a}#SPAM", "gsi1sk": order, "gsi2pk": None, "gsi2sk": None,
                "gsi3pk": None, "gsi3sk": None, "gsi7pk": None, "gsi7sk": None}
    loaded = status == Status.OPEN.value and bool(assignee_id)
    return {"gsi1pk": f"{a}#ST#{status}", "gsi1sk": order,
            "gsi2pk": f"{a}#AS#{assignee_id or UNASSIGNED}#{status}", "gsi2sk": order,
            "gsi3pk": f"{a}#ALL", "gsi3sk": order,
            "gsi7pk": load_pk(account_id, str(assignee_id)) if loaded else None,
            "gsi7sk": ticket_id if loaded else None}


def load_pk(account_id: str, agent_id: str) -> str:
    """An agent's open tickets (gsi7), which assignment counts."""
    return f"{account_pk(account_id)}#LOAD#{agent_id}"


def idle_order(ticket_id: str, since: str) -> str:
    """A ticket's place in the IDLE index: the start of its customer's silence."""
    return f"{since}#{ticket_id}"


def idle_keys(account_id: str, ticket_id: str, status: str, spam: bool, since: str) -> dict[str, str | None]:
    """Where the auto-close sweep finds a ticket (gsi5): filed while it is open and not spam, by
    `since`, the later of its customer's last message and the moment it last became open (a
    ticket woken from snooze or reopened starts its clock again, so it is not closed at once)."""
    if status != Status.OPEN.value or spam:
        return {"gsi5pk": None, "gsi5sk": None}
    return {"gsi5pk": f"{account_pk(account_id)}#IDLE", "gsi5sk": idle_order(ticket_id, since)}


def idle_moved(ticket_id: str, since: str) -> list[Action]:
    """The customer wrote to an open ticket: its silence starts again. Only the sort key moves: a
    spam ticket (no `gsi5pk`) stays out of the index, and an open one keeps its partition."""
    return [Ticket.gsi5sk.set(idle_order(ticket_id, since))]


def index_actions(keys: dict[str, str | None]) -> list[Action]:
    """The update actions that file a ticket under `keys` (a None key takes it out of that view)."""
    actions: list[Action] = []
    for name, value in keys.items():
        attr = getattr(Ticket, name)
        actions.append(attr.set(value) if value is not None else attr.remove())
    return actions


def resorted(ticket_id: str, updated_at: str) -> list[Action]:
    """Status and assignee unchanged: only the ticket's place in each view's order moves."""
    order = f"{updated_at}#{ticket_id}"
    return [Ticket.gsi1sk.set(order), Ticket.gsi2sk.set(order), Ticket.gsi3sk.set(order)]


def version_is(seen: int | float | None) -> Condition:
    """The condition that a ticket is still at the version it was read at (none: never versioned)."""
    return (Ticket.version == seen) if seen is not None else Ticket.version.does_not_exist()
