"""An agent's edit made directly on the store (setting the scene of a test, as an agent would)."""
from __future__ import annotations

from typing import Any

from helpdesk.clock import now_iso
from helpdesk.store import tickets as ticket_store
from helpdesk.store.models import Ticket


def update_ticket(ticket: Ticket, **edits: Any) -> Ticket:
    """Apply `edits` (status, assignee_id, snooze_until, tags, spam) to the ticket as read."""
    changed = ticket_store.edit_ticket(ticket, edits, now_iso())
    assert changed is not None, "the ticket changed since it was read"
    return changed
