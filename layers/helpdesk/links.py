"""Link shortening of outbound SMS: each link becomes `<base>/l/<code>`, whose clicks are counted."""
from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field

from helpdesk import settings
from helpdesk.clock import now_iso
from helpdesk.errors import Transient
from helpdesk.observability import count, logger
from helpdesk.store import links as store
from helpdesk.store.models import Link

# The characters a URL may hold (RFC 3986), ASCII only: a link ends at the first space, quote, angle
# bracket or non-ASCII character, so the Korean particle written straight after it ("…/orders에서")
# is not taken for part of it. A link with raw Hangul in its path is cut there, as most phones'
# linkifiers cut it; percent-encoded, it is whole.
_URL_CHAR = r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]"
# `www.` only where a word starts (not in "awww.", an address's domain or the middle of a URL).
_LINK = re.compile(rf"(?:https?://|(?<![A-Za-z0-9.@_/\-])www\.){_URL_CHAR}+", re.IGNORECASE)
_TRAILING = ".,:;!?'*"  # sentence punctuation after a link, never the end of one
_CLOSERS = {")": "(", "]": "["}  # kept only when the link opened them: "…/Foo_(bar)"
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*")
# Longer links stay as written: a Location header this long is near what gateways and browsers take.
MAX_URL_CHARS = 4096
MAX_LINKS = store.MAX_LINKS_PER_WRITE  # distinct links of one message: all written in one request
_CODE_BYTES = 6  # 48 bits: 8 URL-safe characters
_CODE_TRIES = 5


@dataclass(frozen=True)
class FoundLink:
    """A link in a text: where it is written, and the absolute http(s) URL it leads to."""

    start: int
    end: int
    url: str


def find_links(text: str) -> list[FoundLink]:
    """Every http(s) and `www.` link in `text`, in order, without the punctuation that follows it."""
    found = []
    for match in _LINK.finditer(text):
        written = _trim(match.group())
        url = _absolute(written)
        if url is not None:
            found.append(FoundLink(match.start(), match.start() + len(written), url))
    return found


def _trim(candidate: str) -> str:
    while candidate:
        last = candidate[-1]
        if last in _TRAILING or (last in _CLOSERS and candidate.count(_CLOSERS[last]) < candidate.count(last)):
            candidate = candidate[:-1]
        else:
            break
    return candidate


def _absolute(written: str) -> str | None:
    """The URL a link leads to (`www.` ones over https), or None when it names no host."""
    scheme, sep, rest = written.partition("://")
    url = f"{scheme.lower()}://{rest}" if sep else f"https://{written}"
    try:
        parts = urllib.parse.urlsplit(url)
        port_ok = parts.port is None or parts.port > 0  # .port raises ValueError when it is not a number
    except ValueError:
        return None
    host = parts.hostname or ""
    if not port_ok or not _valid_host(host):
        return None
    if not sep and "." not in host.removeprefix("www."):
        return None  # "www." with nothing after it
    return url


def _valid_host(host: str) -> bool:
    """A DNS name or an IP address (an IPv6 one written in brackets)."""
    if _HOST.fullmatch(host):
        return True
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def base_url() -> str:
    """Where short links point: LINK_BASE_URL, else the webhook API (PUBLIC_WEBHOOK_BASE_URL, else
    WEBHOOK_BASE_URL), which serves `/l/<code>`."""
    base = settings.optional("LINK_BASE_URL") or settings.webhook_base_url()
    if not base:
        raise settings.ConfigurationError(
            "LINK_BASE_URL is not configured (set LINK_BASE_URL, or PUBLIC_WEBHOOK_BASE_URL to the webhook API)")
    return base.rstrip("/")


def derived_code(account_id: str, message_id: str, url: str, attempt: int = 0) -> str:
    """The code of `url` in message `message_id`: the same on every try to send that message, so a
    retried send writes the same links again instead of a second set. The hash needs no secret key:
    its input holds the URL, so whoever could compute a code already knows where it leads. `attempt`
    moves to another code when this one holds another link."""
    data = "\x1f".join((account_id, message_id, url, str(attempt))).encode()
    digest = hashlib.blake2b(data, digest_size=_CODE_BYTES, person=b"helpdesk-link").digest()
    return base64.urlsafe_b64encode(digest).decode()


@dataclass
class _Shortening:
    """The links of one text to shorten, and the code each has so far."""

    found: list[FoundLink]
    urls: list[str]  # distinct, in order of appearance
    account_id: str
    message_id: str | None
    codes: dict[str, str] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.recode(self.urls, first=True)

    def recode(self, urls: list[str], *, first: bool = False) -> None:
        """New codes for `urls` (the first ones, or after theirs were taken); two links of one text
        never share a code (they would be one item, twice, in one request)."""
        for url in urls:
            self.attempts[url] = 0 if first else self.attempts[url] + 1
            self.codes[url] = self._code(url)
        seen: set[str] = set()
        for url in self.urls:
            while self.codes[url] in seen:
                self.attempts[url] += 1
                self.codes[url] = self._code(url)
            seen.add(self.codes[url])

    def _code(self, url: str) -> str:
        if self.message_id:
            return derived_code(self.account_id, self.message_id, url, self.attempts[url])
        return secrets.token_urlsafe(_CODE_BYTES)

    def text(self, text: str, base: str) -> str:
        out, at = [], 0
        for link in self.found:
            if link.url in self.codes:
                out += [text[at:link.start], f"{base}/l/{self.codes[link.url]}"]
                at = link.end
        out.append(text[at:])
        return "".join(out)


def _shortening(text: str, base: str, account_id: str, message_id: str | None) -> _Shortening | None:
    found = [f for f in find_links(text) if not _ours(f.url, base) and len(f.url) <= MAX_URL_CHARS]
    urls = list(dict.fromkeys(f.url for f in found))[:MAX_LINKS]
    return _Shortening(found, urls, account_id, message_id) if urls else None


def shorten(text: str, *, account_id: str, base_url: str, ticket_id: str | None = None,
            message_id: str | None = None, source_kind: str | None = None,
            source_id: str | None = None) -> str:
    """`text` with each of its links replaced by `<base_url>/l/<code>`, every distinct link stored in
    one request (nothing when it has none). Links already under `base_url`, and links over
    MAX_URL_CHARS, stay as written; so do links past the MAX_LINKS-th distinct one. With
    `message_id`, codes are derived from it: a retry of the same send makes, and finds stored, the
    same codes. Without, they are random. A code another link holds is never overwritten."""
    base = base_url.rstrip("/")
    plan = _shortening(text, base, account_id, message_id)
    if plan is None:
        return text
    now = now_iso()
    pending = plan.urls
    for _ in range(_CODE_TRIES):
        taken = store.put_links([store.NewLink(plan.codes[u], account_id, u, now, ticket_id, message_id,
                                               source_kind, source_id) for u in pending])
        if not taken:
            return plan.text(text, base)
        pending = [pending[i] for i in taken]
        plan.recode(pending)
    raise Transient(f"no free link code after {_CODE_TRIES} tries")  # 48-bit codes: not in this universe


def shortened(text: str, *, account_id: str, base_url: str, ticket_id: str | None = None,
              message_id: str | None = None, source_kind: str | None = None,
              source_id: str | None = None) -> tuple[str, list[Link]]:
    """What `shorten` would send and store, without storing it: the text and the link items, for a
    caller that writes them in its own transaction with the message. Nothing is checked against the
    table here: an item put without `Link.pk.does_not_exist()` overwrites a link that drew the same
    code (48 bits: unlikely, not impossible), and with that condition a failure means a retry of the
    same send (its message id claimed too) or, if not, a clash that `shorten` would have re-coded."""
    base = base_url.rstrip("/")
    plan = _shortening(text, base, account_id, message_id)
    if plan is None:
        return text, []
    now = now_iso()
    items = [store.link_item(store.NewLink(plan.codes[u], account_id, u, now, ticket_id, message_id, source_kind,
                                           source_id)) for u in plan.urls]
    return plan.text(text, base), items


def _ours(url: str, base: str) -> bool:
    lowered, prefix = url.lower(), base.lower()
    return lowered == prefix or lowered.startswith(prefix + "/")


def follow(code: str, now: str) -> str | None:
    """The URL behind `code`, with the click counted (one request); None for a code no link has."""
    link = store.click(code, now)
    if link is None:
        return None
    from helpdesk.store import attribution

    attribution.count_click(link)  # a link in a ticket a campaign or flow caused counts for it
    # The URL may carry a customer's token (an order-edit link): logged by its code only.
    logger.info("link followed", extra={"code": code, "account_id": link.account_id, "ticket_id": link.ticket_id,
                                        "message_id": link.message_id, "source_kind": link.source_kind,
                                        "source_id": link.source_id})
    count("link_clicked")
    return link.url
