"""The table-changes bus's rules (infra/merge-template.json's ViewIndexRule, AttributionRule, ReportsRule and
OrderLookupRule,
matched by moto's EventBridge pattern matcher on the event the TableChangesPipe puts on the bus, as
infra.local.pipe plays it): every committed change of a ticket or a view reaches the view index, nothing
else does (not its own entries' writes, which would wake it for what it just did); each customer SMS stored
reaches attribution; every change of a ticket reaches reports; each customer message on web chat, SMS,
WhatsApp or email stored reaches the order skill. The pipe's filter keeps exactly what some
rule wants; and the ticket-events pipe still keeps those changes from assignment."""
from __future__ import annotations

import json
from typing import Any

import pytest

from helpdesk.store.models import Ticket, View, ViewEntry
from helpdesk.store.stream import changes_in
from infra.local.pipe import PIPE, TABLE_CHANGES_PIPE, EventBus, Filter, Rule, bus_rules, filter_patterns
from tests.unit.test_ticket_events import ACCOUNT, NOW, agent, contact, message, message_ref, profile, record, ticket


def view(generation: int = 1, built: bool = False) -> View:
    return View(f"A#{ACCOUNT}", "VIEW#v_1", view_id="v_1", name="Open SMS", filters={"status": "open"},
                sort="newest", generation=generation, built=built, created_by="ag-1", created_at=NOW, updated_at=NOW)


def entry() -> ViewEntry:
    pk = f"A#{ACCOUNT}#V#v_1#1"
    return ViewEntry(pk, "T#t-1", ticket_id="t-1", ticket_version=2, ticket="{}", gsi1pk=pk,
                     gsi1sk=f"{NOW}#t-1", status="open")


TICKETS = [
    ("ticket INSERT", record("INSERT", ticket("open", 1))),
    ("ticket MODIFY open->open (a follow-up message)", record("MODIFY", ticket("open", 3), ticket("open", 2))),
    ("ticket MODIFY open->closed", record("MODIFY", ticket("closed", 3), ticket("open", 2))),
    ("ticket MODIFY (tagged)", record("MODIFY", ticket("open", 3, tags=["shipping"]), ticket("open", 2))),
    ("ticket REMOVE", record("REMOVE", old=ticket("open", 2))),
]
VIEWS = [
    ("view INSERT", record("INSERT", view())),
    ("view MODIFY (a build step)", record("MODIFY", view(built=True), view())),
    ("view MODIFY (filters changed)", record("MODIFY", view(2), view(1, built=True))),
    ("view REMOVE", record("REMOVE", old=view(built=True))),
]
INBOUND_SMS = [("inbound SMS INSERT", record("INSERT", message()))]
INBOUND_OTHER = [("inbound WhatsApp INSERT", record("INSERT", message(channel="whatsapp"))),
                 ("inbound web chat INSERT", record("INSERT", message(channel="webchat"))),
                 ("inbound email INSERT", record("INSERT", message(channel="email")))]
OTHERS = [
    ("inbound SMS MODIFY (attributed)", record("MODIFY", message(), message())),
    ("inbound SMS REMOVE", record("REMOVE", old=message())),
    ("outbound SMS INSERT", record("INSERT", message("outbound"))),
    ("note INSERT", record("INSERT", message("note"))),
    ("inbound Instagram INSERT", record("INSERT", message(channel="instagram"))),
    ("message ref INSERT", record("INSERT", message_ref())),
    ("agent INSERT", record("INSERT", agent(True))),
    ("agent MODIFY offline->online", record("MODIFY", agent(True), agent(False))),
    ("contact INSERT", record("INSERT", contact())),
    ("profile INSERT", record("INSERT", profile())),
    ("view entry INSERT (the view index's own write)", record("INSERT", entry())),
    ("view entry MODIFY (the view index's own write)", record("MODIFY", entry(), entry())),
    ("view entry REMOVE (the view index's own delete)", record("REMOVE", old=entry())),
]
EVERY = TICKETS + VIEWS + INBOUND_SMS + INBOUND_OTHER + OTHERS
# What each rule's consumer wants, by the names above.
WANTED = {"ViewIndexRule": {n for n, _ in TICKETS + VIEWS}, "AttributionRule": {n for n, _ in INBOUND_SMS},
          "ReportsRule": {n for n, _ in TICKETS}, "OrderLookupRule": {n for n, _ in INBOUND_SMS + INBOUND_OTHER}}


@pytest.fixture
def sent() -> list[tuple[str, str]]:
    """What the bus sent: (rule, body), in order."""
    return []


@pytest.fixture
def bus(sent: list[tuple[str, str]]) -> EventBus:
    return EventBus(lambda rule, body: sent.append((rule.name, body)))


def _matching(bus: EventBus, raw: dict[str, Any]) -> set[str]:
    event = bus.event(raw)
    return {rule.name for rule, pattern in bus.rules if pattern.matches(event)}


def test_the_bus_has_one_rule_per_consumer_queue() -> None:
    rules = {rule.name: rule.queue for rule in bus_rules()}
    assert rules == {"ViewIndexRule": "ViewIndexQueue", "AttributionRule": "AttributionQueue",
                     "ReportsRule": "ReportsQueue", "OrderLookupRule": "OrderLookupQueue"}


@pytest.mark.parametrize("name, raw", EVERY, ids=[n for n, _ in EVERY])
def test_each_change_reaches_exactly_the_consumers_that_want_it(bus: EventBus, name: str, raw: dict[str, Any]) -> None:
    assert _matching(bus, raw) == {rule for rule, names in WANTED.items() if name in names}


@pytest.mark.parametrize("name, raw", EVERY, ids=[n for n, _ in EVERY])
def test_the_pipe_keeps_exactly_what_some_rule_wants(bus: EventBus, name: str, raw: dict[str, Any]) -> None:
    """The pipe's filter is the union of the rules' record patterns: what it drops, no consumer wanted; what
    it sends, the bus delivers somewhere."""
    assert Filter(filter_patterns(pipe=TABLE_CHANGES_PIPE)).matches(raw) == bool(_matching(bus, raw)), name


def test_the_rules_match_the_pipes_events_only(bus: EventBus) -> None:
    """Each rule names the pipe's source: an event of another source with the same detail reaches nobody."""
    raw = record("INSERT", ticket("open", 1))
    event = bus.event(raw)
    assert (event["source"], event["detail-type"], event["detail"]) == ("helpdesk.table", "table change", raw)
    assert all(rule.pattern["source"] == ["helpdesk.table"] for rule, _ in bus.rules)
    elsewhere = {**event, "source": "helpdesk.elsewhere"}
    assert not any(pattern.matches(elsewhere) for _, pattern in bus.rules)
    # the record itself, not wrapped as the pipe's event, matches no rule either (it is under `detail`)
    assert not any(pattern.matches(raw) for _, pattern in bus.rules)


def test_each_rule_sends_the_event_whose_detail_its_worker_reads(bus: EventBus, sent: list[tuple[str, str]]) -> None:
    raw = record("MODIFY", ticket("closed", 3), ticket("open", 2))
    assert bus.put(raw) == 2
    assert sorted(rule for rule, _ in sent) == ["ReportsRule", "ViewIndexRule"]
    for _, body in sent:
        event = json.loads(body)
        assert event["detail"] == raw and event["version"] == "0" and event["resources"] == []
        [change] = changes_in(body)  # the workers' reading: the record under `detail`
        assert isinstance(change.new, Ticket) and isinstance(change.old, Ticket)
        assert (change.event_name, change.new.status, change.old.status) == ("MODIFY", "closed", "open")
    assert bus.put(record("INSERT", agent(True))) == 0


def test_a_rule_matches_as_its_pattern_says() -> None:
    """The bus judges each rule on its own pattern: a rule for outbound SMS would take outbound SMS only."""
    pattern = {"source": ["helpdesk.table"], "detail": {"eventName": ["INSERT"], "dynamodb": {"NewImage": {
        "type": {"S": ["message"]}, "direction": {"S": ["outbound"]}}}}}
    sent: list[str] = []
    bus = EventBus(lambda rule, body: sent.append(rule.name))
    bus.rules = [(Rule("OutboundRule", pattern, "OutboundQueue"), Filter([pattern]))]
    assert (bus.put(record("INSERT", message("outbound"))), bus.put(record("INSERT", message()))) == (1, 0)
    assert sent == ["OutboundRule"]


def test_assignment_does_not_wake_for_what_only_the_bus_consumers_want() -> None:
    """Why assignment has a pipe of its own: the ticket-events filter stays as narrow as it was."""
    tickets = Filter(filter_patterns(pipe=PIPE))
    only_theirs = [raw for name, raw in TICKETS + VIEWS if not name.startswith("ticket INSERT")]
    assert not any(tickets.matches(raw) for raw in only_theirs)
    assert tickets.matches(record("INSERT", ticket("open", 1)))  # a new ticket: they all want it
