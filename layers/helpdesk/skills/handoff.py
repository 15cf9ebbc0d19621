"""The soft handoff every skill makes when a person must take over: what the customer is told (the
account's `skills.handoff_message`, else the skill's own words in the customer's language), the tag that
puts the ticket in the human queue, and the note that tells the agent what happened so far."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from helpdesk import account_settings
from helpdesk.skills import texts
from helpdesk.store.models import Account, Message

# A ticket a skill handed over carries this tag until someone removes it: its customer is a person's to
# answer (no skill answers it again), and a view or a routing rule on the tag is the human queue.
TAG = "skill-handoff"
SUMMARY_MESSAGES = 6  # of the conversation, the latest, in the note
SUMMARY_CHARS = 200  # of each


def config(account: Account) -> dict[str, Any]:
    """The account's `skills` settings, defaults filled in."""
    return dict(account_settings.of(account)["skills"])


def customer_message(skills: dict[str, Any], locale: str) -> str:
    return str(skills.get("handoff_message") or "").strip() or texts.say("handoff", locale)


def _who(message: Message) -> str:
    if message.direction == "inbound":
        return "Customer"
    if message.automatic:
        return "Skill" if str(message.sender or "").startswith("skill:") else "Automatic"
    return "Agent"


def summary(messages: Sequence[Message]) -> list[str]:
    """The conversation's latest messages, a line each ("Customer: ..."), notes left out."""
    shown = [m for m in messages if m.direction in ("inbound", "outbound") and not m.deleted][-SUMMARY_MESSAGES:]
    lines = []
    for message in shown:
        text = " ".join(str(message.body or "").split())
        if len(text) > SUMMARY_CHARS:
            text = text[:SUMMARY_CHARS - 1] + "…"
        lines.append(f"{_who(message)}: {text or '(no text)'}")
    return lines
