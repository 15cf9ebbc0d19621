"""Short links of outbound SMS: written with their message, counted on each redirect."""
from __future__ import annotations

import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.exceptions import PynamoDBException

from helpdesk.store.failures import applied, transient
from helpdesk.store.models import Link
from helpdesk.store.transact import Transaction

LINK_SK = "LINK"
CODE = re.compile(r"[A-Za-z0-9_-]{8}")  # 6 bytes, URL-safe base64: what helpdesk.links makes
MAX_LINKS_PER_WRITE = 100  # TransactWriteItems' limit: one request holds every link of a message
_CONFLICT_TRIES = 3
_SAME_LINK = ("account_id", "url", "ticket_id", "message_id", "source_kind", "source_id")


@dataclass(frozen=True)
class NewLink:
    """A link to store under `code`: the URL and the message (campaign, flow) it was sent in."""

    code: str
    account_id: str
    url: str
    created_at: str
    ticket_id: str | None = None
    message_id: str | None = None
    source_kind: str | None = None
    source_id: str | None = None


def link_pk(code: str) -> str:
    return f"L#{code}"


def put_links(links: Sequence[NewLink]) -> list[int]:
    """Write `links` (at most MAX_LINKS_PER_WRITE) in one TransactWriteItems, each only where its
    code is free. Returns the positions of the items left unwritten because their code already
    holds another link: the caller gives those new codes. An item whose code already holds this
    very link (a retry of the same send) is as good as written and keeps its clicks.

    One request when every code is free, or when every one is already this send's; another only
    for what a cancelled transaction left (DynamoDB writes none of it when one condition fails)."""
    if len(links) > MAX_LINKS_PER_WRITE:
        raise ValueError(f"{len(links)} links in one write (at most {MAX_LINKS_PER_WRITE})")
    items = [link_item(link) for link in links]
    pending = list(range(len(items)))
    taken: list[int] = []
    conflicts = 0
    while pending:
        t = Transaction()
        for i in pending:
            t.put(str(i), items[i], condition=Link.pk.does_not_exist(), old=True)
        refused = t.commit()
        if refused is None:
            break
        failed = [i for i in pending if refused.failed(str(i))]
        if not failed:
            if not refused.retryable or conflicts + 1 >= _CONFLICT_TRIES:
                raise transient(PynamoDBException("link write refused for no stated reason"))
            conflicts += 1
            time.sleep(random.uniform(0, 0.01 * 2 ** conflicts))  # another writer of the same items
            continue
        for i in failed:
            image = refused.old(str(i))
            if image is None or not _same(Link.from_raw_data(image), items[i]):
                taken.append(i)
        pending = [i for i in pending if i not in failed]
    return sorted(taken)


def link_item(link: NewLink) -> Link:
    """The item of a new link (no clicks yet)."""
    return Link(link_pk(link.code), LINK_SK, account_id=link.account_id, url=link.url, ticket_id=link.ticket_id,
                message_id=link.message_id, source_kind=link.source_kind, source_id=link.source_id, clicks=0,
                created_at=link.created_at)


def _same(stored: Link, item: Link) -> bool:
    return all(getattr(stored, name) == getattr(item, name) for name in _SAME_LINK)


def click(code: str, now: str) -> Link | None:
    """Count one click of `code` and return its link (one UpdateItem, ALL_NEW); None for a code no
    link has, and for anything not shaped like a code (without a request)."""
    if not CODE.fullmatch(code):
        return None
    link = Link(link_pk(code), LINK_SK)
    if not applied(link, [Link.clicks.add(1), Link.last_click_at.set(now)], Link.pk.exists()):
        return None
    return link
