"""AI auto-tagging (SPEC §5): new and reopened tickets get tags of a fixed e-commerce set from the customer's
message, by the offline classifier shipped with the layer (helpdesk/autotag.py; no network, nothing leaves
the account), in the assignment worker, before routing reads the tags.

Each tag of a ticket records its source in `tag_sources` (`ai` with its confidence, `rule` for what an
automation added, `agent`). An agent's change is final: a tag an agent removed is remembered
(`tags_rejected`) and never added again by a later message's tagging, and a tag an agent added is theirs.
Both are counted as feedback on the tagger (metrics `autotag_rejected`, `autotag_missed`).

An account may rename a tag of the set or disable it (settings `tags.renamed`, `tags.disabled`); tickets
carry the name the account gives it.
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from helpdesk.errors import BadRequest

if TYPE_CHECKING:  # (the tagger itself, helpdesk/autotag.py, imports this module without AWS's libraries)
    from helpdesk.store.models import Account, Ticket

FIXED = ("returns", "exchange", "order_status", "shipping", "cancellation", "order_edit", "product_question",
         "discount", "payment", "damaged_or_wrong_item", "subscription", "account", "feedback", "spam")
AI, RULE, AGENT = "ai", "rule", "agent"
MAX_TEXT = 20_000
MAX_TAGS = 50  # a ticket's (helpdesk/workspace.py)


def names(account: Account | None) -> dict[str, str]:
    """The account's name of each tag of the set it has not disabled."""
    from helpdesk import account_settings

    config = account_settings.of(account)["tags"] if account is not None else {"renamed": {}, "disabled": []}
    renamed: Mapping[str, str] = config.get("renamed") or {}
    disabled = set(config.get("disabled") or ())
    return {tag: (renamed.get(tag) or tag) for tag in FIXED if tag not in disabled}


def suggested(text: str, account: Account | None) -> list[tuple[str, float]]:
    """The tags the classifier gives the text, under the account's names, most confident first. The classifier
    is the shipped one (helpdesk/autotag.py), or Bedrock's model when the deployment names one
    (AUTOTAG_BEDROCK_MODEL_ID: helpdesk/autotag_bedrock.py, which falls back to the shipped one)."""
    if os.environ.get("AUTOTAG_BEDROCK_MODEL_ID", "").strip():
        # Imported only then: the API's cold start does not load boto3's bedrock-runtime otherwise.
        from helpdesk import autotag_bedrock as classifier
    else:
        from helpdesk import autotag as classifier  # type: ignore[no-redef]

    shown = names(account)
    return [(shown[tag], round(float(confidence), 3)) for tag, confidence in classifier.suggest(text[:MAX_TEXT])
            if tag in shown]


def preview(account: Account, body: Any) -> dict[str, Any]:
    """POST /api/tags/preview: what the tagger would give `text`; nothing is stored."""
    if not isinstance(body, dict) or set(body) != {"text"} or not isinstance(body["text"], str) \
            or not body["text"].strip() or len(body["text"]) > MAX_TEXT:
        raise BadRequest(f'expected {{"text": "..."}} of at most {MAX_TEXT} characters')
    return {"tags": [{"name": name, "confidence": confidence} for name, confidence in suggested(body["text"], account)]}


def _tags(ticket: Ticket) -> list[str]:
    return [str(t) for t in ticket.tags or []]


def sources(ticket: Ticket) -> dict[str, dict[str, Any]]:
    try:
        value = json.loads(ticket.tag_sources or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def details_json(ticket: Ticket) -> list[dict[str, Any]]:
    """Ticket JSON's `tag_details`: each tag with its source and (for `ai`) confidence; a tag with no record
    predates the records, or came from a path that keeps none: `agent`."""
    known = sources(ticket)
    return [{"name": tag, "source": known.get(tag, {}).get("source", AGENT),
             "confidence": known.get(tag, {}).get("confidence")} for tag in _tags(ticket)]


def ai_fields(ticket: Ticket, found: list[tuple[str, float]]) -> dict[str, Any]:
    """The ticket's fields after the tagger found `found` in a customer's message: the new tags added (never
    one an agent removed, never past MAX_TAGS), their records; {} when nothing changes."""
    tags = _tags(ticket)
    rejected = {str(t) for t in ticket.tags_rejected or ()}
    known = sources(ticket)
    added = False
    for name, confidence in found:
        if name in tags or name in rejected or len(tags) >= MAX_TAGS:
            continue
        tags.append(name)
        known[name] = {"source": AI, "confidence": confidence}
        added = True
    return {"tags": tags, "tag_sources": json.dumps(known, separators=(",", ":"))} if added else {}


def rule_fields(ticket: Ticket, tag: str) -> dict[str, Any]:
    """An automation adds `tag` (recorded as `rule`); {} when the ticket has it or is full."""
    tags = _tags(ticket)
    if tag in tags or len(tags) >= MAX_TAGS:
        return {}
    known = {**sources(ticket), tag: {"source": RULE}}
    return {"tags": [*tags, tag], "tag_sources": json.dumps(known, separators=(",", ":"))}


def agent_fields(ticket: Ticket, new_tags: list[str]) -> dict[str, Any]:
    """An agent set the ticket's tags to `new_tags`: what they added is theirs, what they removed is
    remembered so the tagger never adds it back."""
    old = set(_tags(ticket))
    known = sources(ticket)
    for tag in set(new_tags) - old:
        known[tag] = {"source": AGENT}
    removed = old - set(new_tags)
    for tag in removed:
        known.pop(tag, None)
    rejected = sorted({str(t) for t in ticket.tags_rejected or ()} | removed)[-MAX_TAGS:]
    return {"tag_sources": json.dumps(known, separators=(",", ":")), "tags_rejected": rejected or None}


@dataclass(frozen=True)
class Feedback:
    """An agent's tag change as feedback on the tagger: `ai` tags removed (false positives), tags of the set
    added by hand that the tagger had not given (misses). Decided on the ticket as read, counted once the
    change is written."""

    account_id: str
    ticket_id: str
    rejected: tuple[str, ...]
    missed: tuple[str, ...]

    @classmethod
    def of(cls, ticket: Ticket, new_tags: list[str], account: Account | None = None) -> Feedback:
        known = sources(ticket)
        old = set(_tags(ticket))
        ours = set(names(account).values())
        return cls(ticket.account_id, ticket.ticket_id,
                   tuple(sorted(t for t in old - set(new_tags) if known.get(t, {}).get("source") == AI)),
                   tuple(sorted(t for t in set(new_tags) - old if t in ours)))

    def count(self) -> None:
        from helpdesk.observability import count, logger

        if self.rejected:
            count("autotag_rejected", len(self.rejected))
        if self.missed:
            count("autotag_missed", len(self.missed))
        if self.rejected or self.missed:
            logger.info("autotag feedback", extra={"account_id": self.account_id, "ticket_id": self.ticket_id,
                                                   "rejected": list(self.rejected), "missed": list(self.missed)})
