"""The view-index pipe's filter (infra/merge-template.json's ViewIndexPipe, matched by moto's EventBridge
pattern matcher as infra.local.pipe plays it): every committed change of a ticket or a view reaches the
view index, nothing else does (not its own entries' writes, which would wake it for what it just did);
and the ticket-events pipe still keeps those changes from assignment."""
from __future__ import annotations

from typing import Any

import pytest

from helpdesk.store.models import View, ViewEntry
from infra.local.pipe import PIPE, VIEW_INDEX_PIPE, Filter, filter_patterns
from tests.unit.test_ticket_events import ACCOUNT, NOW, agent, contact, message, record, ticket


def view(generation: int = 1, built: bool = False) -> View:
    return View(f"A#{ACCOUNT}", "VIEW#v_1", view_id="v_1", name="Open SMS", filters={"status": "open"},
                sort="newest", generation=generation, built=built, created_by="ag-1", created_at=NOW, updated_at=NOW)


def entry() -> ViewEntry:
    pk = f"A#{ACCOUNT}#V#v_1#1"
    return ViewEntry(pk, "T#t-1", ticket_id="t-1", ticket_version=2, ticket="{}", gsi1pk=pk,
                     gsi1sk=f"{NOW}#t-1", status="open")


KEPT = [
    ("ticket INSERT", record("INSERT", ticket("open", 1))),
    ("ticket MODIFY open->open (a follow-up message)", record("MODIFY", ticket("open", 3), ticket("open", 2))),
    ("ticket MODIFY open->closed", record("MODIFY", ticket("closed", 3), ticket("open", 2))),
    ("ticket MODIFY (tagged)", record("MODIFY", ticket("open", 3, tags=["shipping"]), ticket("open", 2))),
    ("ticket REMOVE", record("REMOVE", old=ticket("open", 2))),
    ("view INSERT", record("INSERT", view())),
    ("view MODIFY (a build step)", record("MODIFY", view(built=True), view())),
    ("view MODIFY (filters changed)", record("MODIFY", view(2), view(1, built=True))),
    ("view REMOVE", record("REMOVE", old=view(built=True))),
]
DROPPED = [
    ("message INSERT", record("INSERT", message())),
    ("message MODIFY", record("MODIFY", message(), message())),
    ("agent INSERT", record("INSERT", agent(True))),
    ("agent MODIFY offline->online", record("MODIFY", agent(True), agent(False))),
    ("contact INSERT", record("INSERT", contact())),
    ("view entry INSERT (the worker's own write)", record("INSERT", entry())),
    ("view entry MODIFY (the worker's own write)", record("MODIFY", entry(), entry())),
    ("view entry REMOVE (the worker's own delete)", record("REMOVE", old=entry())),
]


@pytest.fixture(scope="module")
def view_filter() -> Filter:
    return Filter(filter_patterns(pipe=VIEW_INDEX_PIPE))


@pytest.mark.parametrize("raw", [r for _, r in KEPT], ids=[n for n, _ in KEPT])
def test_every_change_of_a_ticket_or_a_view_reaches_the_view_index(view_filter: Filter, raw: dict[str, Any]) -> None:
    assert view_filter.matches(raw)


@pytest.mark.parametrize("raw", [r for _, r in DROPPED], ids=[n for n, _ in DROPPED])
def test_nothing_else_does(view_filter: Filter, raw: dict[str, Any]) -> None:
    assert not view_filter.matches(raw)


def test_assignment_does_not_wake_for_what_only_the_view_index_wants() -> None:
    """Why the view index has a pipe of its own: the ticket-events filter stays as narrow as it was."""
    tickets = Filter(filter_patterns(pipe=PIPE))
    only_views = [raw for name, raw in KEPT if not name.startswith("ticket INSERT")]
    assert not any(tickets.matches(raw) for raw in only_views)
    assert tickets.matches(record("INSERT", ticket("open", 1)))  # a new ticket: both want it
