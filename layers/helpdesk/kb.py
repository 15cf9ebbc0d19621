"""The knowledge base (SPEC §8): a brand's articles on its policies (the order edit window, the changes
allowed, cancellation rules, returns, product exceptions), written by owners and admins, read by every
agent, and searched by the order skill, which quotes the brand's own words and never invents a policy.

Where the search index lives. Each search ranks the account's articles with an index built in the
container (helpdesk/kb_search.py) from one Query of the account's `KB#` items, kept per container and
checked on every use against the account's KbState `version` (one consistent GetItem), which every
article write bumps in its own transaction: a search never answers from articles older than the last
write, and a warm container pays one GetItem per search. Precomputed term statistics stored in the
table were the alternative; they would make every write rewrite account-wide figures (document
frequencies, average lengths) under contention, and one item cannot hold them for 500 articles of
20,000 characters (400 KB). A brand has tens to hundreds of articles: for 500 of 2,000 characters,
building the index took 0.7-1.6 s here (once per container and change), a search 1.2-2.5 ms.
"""
from __future__ import annotations

import re
import secrets
import threading
from collections import OrderedDict
from typing import Any

from helpdesk import roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso
from helpdesk.errors import BadRequest, Conflict, NotFound
from helpdesk.kb_search import TOPICS, Article, Hit, Index, detect_locale
from helpdesk.kb_search import policy as find_policy
from helpdesk.store import kb as store
from helpdesk.store.models import KbArticle, account_pk

MAX_TITLE, MAX_BODY, MAX_ARTICLES = 200, 20_000, 500
MAX_TAGS, MAX_TAG = 20, 50
LOCALES = ("en", "ko")
FIELDS = ("title", "body", "locale", "tags")
MAX_QUERY = 500
SEARCH_LIMIT, MAX_SEARCH_LIMIT = 10, 50
EXCERPT = 200
# The indexes a container keeps, least recently used dropped first once their articles hold more
# than this many characters in all (a few of the largest knowledge bases, or dozens of usual ones).
CACHE_CHARS = 8_000_000

_cache: OrderedDict[str, tuple[int, int, Index]] = OrderedDict()  # account -> (version, chars, index)
_lock = threading.Lock()


# --- the index ------------------------------------------------------------------------------------------


def _article(item: KbArticle) -> Article:
    return Article(item.article_id, item.title, item.body, item.locale or "en", tuple(str(t) for t in item.tags or ()),
                   int(item.version or 1), item.created_at, item.updated_at)


def index_of(account_id: str) -> Index:
    """The account's articles, indexed: the container's copy while the account's version is unchanged."""
    version = int(store.state(account_id).version or 0)
    with _lock:
        cached = _cache.get(account_id)
        if cached is not None and cached[0] == version:
            _cache.move_to_end(account_id)
            return cached[2]
    # Read after the version: a write between the two leaves newer articles under an older version,
    # which the next search finds changed and reads again (never the other way round).
    articles = sorted((_article(a) for a in store.articles(account_id)), key=lambda a: a.id)
    index = Index.build(articles)
    chars = sum(len(a.title) + len(a.body) for a in articles)
    with _lock:
        _cache[account_id] = (version, chars, index)
        _cache.move_to_end(account_id)
        while len(_cache) > 1 and sum(entry[1] for entry in _cache.values()) > CACHE_CHARS:
            _cache.popitem(last=False)
    return index


def forget() -> None:
    """Drop every kept index (tests)."""
    with _lock:
        _cache.clear()


# --- for the order skill -----------------------------------------------------------------------------


def search(account_id: str, text: str, limit: int = 3, *, locale: str | None = None) -> list[Hit]:
    """The account's articles that answer `text` (a shopper's words, any mix of English and Korean),
    best first, only those relevant enough (kb_search.MIN_RELEVANCE): each with its score (0..1) and
    the passage that best answers, to quote. `locale` puts articles in that language first among
    articles about as good."""
    if not text or not text.strip() or limit < 1:
        return []
    return index_of(account_id).search(text[:MAX_QUERY], limit, prefer_locale=locale)


def policy(account_id: str, topic: str, *, locale: str | None = None) -> Hit | None:
    """The brand's policy on `topic` (`order_edit`, `order_cancel`, `returns`), found by searching the
    account's articles (titles, tags, bodies), in `locale` when the brand has it in that language; None
    when no article is about it, and then the skill cannot confirm a policy and must not make one up."""
    if topic not in TOPICS:
        raise ValueError(f"unknown policy topic {topic!r}: one of {', '.join(TOPICS)}")
    return find_policy(index_of(account_id), topic, prefer_locale=locale)


# --- the API ----------------------------------------------------------------------------------------------


def _text(body: dict[str, Any], field: str, limit: int) -> str:
    value = body[field]
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise BadRequest(f"{field} must be non-empty text of at most {limit:,} characters")
    return value.strip()


def _tags(value: Any) -> list[str]:
    if not isinstance(value, list) or len(value) > MAX_TAGS:
        raise BadRequest(f"tags must be a list of at most {MAX_TAGS} tags")
    out: list[str] = []
    for i, tag in enumerate(value):
        if not isinstance(tag, str) or not tag.strip() or len(tag) > MAX_TAG:
            raise BadRequest(f"tags[{i}] must be non-empty text of at most {MAX_TAG} characters")
        if tag.strip().casefold() not in (t.casefold() for t in out):
            out.append(tag.strip())
    return out


def _checked(body: Any, *, partial: bool) -> dict[str, Any]:
    """The fields of an article from a request body; a 400 naming the first bad field."""
    if not isinstance(body, dict) or not body:
        raise BadRequest('expected {"title": "...", "body": "...", "locale"?: "en"|"ko", "tags"?: [...]}')
    unknown = sorted(set(body) - set(FIELDS))
    if unknown:
        raise BadRequest(f"unknown field: {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for field, limit in (("title", MAX_TITLE), ("body", MAX_BODY)):
        if field in body:
            out[field] = _text(body, field, limit)
        elif not partial:
            raise BadRequest(f"{field} is required")
    if "locale" in body:
        if body["locale"] not in LOCALES:
            raise BadRequest("locale must be one of en, ko")
        out["locale"] = body["locale"]
    if "tags" in body:
        out["tags"] = _tags(body["tags"])
    return out


def article_json(a: Article, *, whole: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": a.id, "title": a.title, "locale": a.locale, "tags": list(a.tags),
                           "version": a.version, "created_at": a.created_at, "updated_at": a.updated_at}
    if whole:
        out["body"] = a.body
    else:  # a list of up to 500 whole articles could pass the 6 MB a Lambda may answer
        out["excerpt"] = a.body[:EXCERPT] + ("…" if len(a.body) > EXCERPT else "")
    return out


def _stored_json(item: KbArticle) -> dict[str, Any]:
    return {**article_json(_article(item)), "created_by": item.created_by, "updated_by": item.updated_by}


def list_articles(who: AgentIdentity, query: dict[str, str]) -> dict[str, Any]:
    """Every article (by title, with an excerpt), or with `q` those that answer it, best first, each
    with its `score` and `passage`."""
    unknown = sorted(set(query) - {"q", "limit"})
    if unknown:
        raise BadRequest(f"unknown parameter: {', '.join(unknown)}")
    index = index_of(who.account_id)
    if "q" not in query:
        if "limit" in query:
            raise BadRequest("limit goes with q")
        ordered = sorted(index.articles, key=lambda a: (a.title.casefold(), a.id))
        return {"items": [article_json(a, whole=False) for a in ordered]}
    text = query["q"]
    if not text.strip() or len(text) > MAX_QUERY:
        raise BadRequest(f"q must be non-empty text of at most {MAX_QUERY} characters")
    raw = query.get("limit", str(SEARCH_LIMIT))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_SEARCH_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_SEARCH_LIMIT}")
    hits = index.search(text, int(raw))
    return {"items": [{**article_json(h.article, whole=False), "score": h.score, "passage": h.passage}
                      for h in hits]}


def get_article(who: AgentIdentity, article_id: str) -> dict[str, Any]:
    found = store.get(who.account_id, article_id) if _plausible(article_id) else None
    if found is None:
        raise NotFound("no such article")
    return _stored_json(found)


def _plausible(article_id: str) -> bool:
    return 0 < len(article_id) <= 64


def _if_match(header: str | None) -> int | None:
    """The version an `If-Match` header asks for (`3`, `"3"` or `W/"3"`); None without one."""
    if header is None:
        return None
    match = re.fullmatch(r'\s*(?:W/)?"?(\d{1,12})"?\s*', header)
    if not match:
        raise BadRequest("If-Match must be an article version, as article JSON gives it")
    return int(match.group(1))


def create(who: AgentIdentity, body: Any) -> dict[str, Any]:
    roles.require(who, roles.WRITE_KB)
    values = _checked(body, partial=False)
    values.setdefault("locale", detect_locale(values["title"] + "\n" + values["body"]))
    values.setdefault("tags", [])
    now, article_id = now_iso(), "kb-" + secrets.token_hex(8)
    item = KbArticle(account_pk(who.account_id), store.article_sk(article_id), article_id=article_id,
                     version=1, created_by=who.agent_id, updated_by=who.agent_id, created_at=now,
                     updated_at=now, **values)
    if not store.create(item, MAX_ARTICLES):
        raise Conflict(f"the knowledge base holds at most {MAX_ARTICLES} articles; delete one first")
    return _stored_json(item)


def change(who: AgentIdentity, article_id: str, body: Any, if_match: str | None = None) -> dict[str, Any]:
    """Change any of title, body, locale, tags; with `If-Match: <version>` only that version (else 409)."""
    roles.require(who, roles.WRITE_KB)
    values = _checked(body, partial=True)
    expected = _if_match(if_match)
    if not _plausible(article_id):
        raise NotFound("no such article")
    store.update(who.account_id, article_id, values, who=who.agent_id, now=now_iso(), expected_version=expected)
    return get_article(who, article_id)


def delete(who: AgentIdentity, article_id: str) -> None:
    roles.require(who, roles.WRITE_KB)
    if not _plausible(article_id):
        raise NotFound("no such article")
    store.delete(who.account_id, article_id)
