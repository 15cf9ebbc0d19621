"""Auto-close in the sweep: open tickets whose customer has been silent for the account's period are
closed (`auto_closed`), found through the sparse IDLE index; everything else is left alone, and a
customer who writes meanwhile wins. Tickets are made through the real SMS webhook; the sweep runs
at a chosen `now`, and a moment taken between two writes (`_moment`) splits old from recent."""
from __future__ import annotations

import datetime as dt
import threading
import time
from typing import Any

import pytest

from tests.conftest import Brand, customer_number
from tests.integration import tables
from tests.integration.agents import text, ticket_id_of
from tests.integration.edits import update_ticket


def _plus(iso: str, **delta: float) -> str:
    from helpdesk.clock import parse_iso

    moment = parse_iso(iso) + dt.timedelta(**delta)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _moment() -> str:
    """Now, with the clock moved on past it: what is written before is older, what after newer."""
    from helpdesk.clock import now_iso

    moment = now_iso()
    time.sleep(0.005)
    return moment


def _settings(brand: Brand, change: dict[str, Any]) -> dict[str, Any]:
    from helpdesk import account_settings
    from helpdesk.auth import AgentIdentity

    owner = AgentIdentity("owner-1", brand.account_id, ("owner",))
    return account_settings.change(owner, {"auto_close": change})


def _ticket(brand: Brand, body: str = "hello") -> tuple[str, str]:
    """A new customer's ticket: (customer, ticket id)."""
    customer = customer_number()
    text(brand, customer, body)
    return customer, ticket_id_of(brand, customer)


def _get(brand: Brand, ticket_id: str) -> Any:
    from helpdesk.store import tickets as ticket_store

    return ticket_store.get_ticket(brand.account_id, ticket_id)


def _stored(brand: Brand, ticket_id: str) -> dict[str, Any]:
    item = tables.ticket_item(brand.account_id, ticket_id)
    assert item is not None
    return item


def test_idle_open_tickets_close_and_nothing_else_does(swept: Brand) -> None:
    from helpdesk import sweep

    brand = swept
    _settings(brand, {"enabled": True, "after": "PT1H"})
    _, idle = _ticket(brand, "where is my order?")
    _, snoozed = _ticket(brand)
    update_ticket(_get(brand, snoozed), status="snoozed", snooze_until=_plus(_moment(), days=2))
    _, spam = _ticket(brand, "cheap pills")
    update_ticket(_get(brand, spam), spam=True)
    _, closed = _ticket(brand)
    update_ticket(_get(brand, closed), status="closed")
    active_customer, active = _ticket(brand, "first question")
    split = _moment()
    text(brand, active_customer, "and another thing")  # the customer's silence starts again
    version = int(_get(brand, idle).version or 0)

    assert sweep.run(now=_plus(split, hours=1))["auto_closed"] == 1

    stored = _stored(brand, idle)
    assert (stored["status"], stored["auto_closed"], int(stored["version"])) == ("closed", True, version + 1)
    a = f"A#{brand.account_id}"
    assert (stored["gsi1pk"], stored["gsi2pk"], stored["gsi3pk"]) == (f"{a}#ST#closed", f"{a}#AS#-#closed", f"{a}#ALL")
    assert "gsi5pk" not in stored and "gsi5sk" not in stored  # out of the IDLE index
    assert stored["updated_at"] == _plus(split, hours=1)
    assert _get(brand, snoozed).status == "snoozed"
    assert (_get(brand, spam).status, _get(brand, spam).spam) == ("open", True)
    assert (_get(brand, closed).status, _get(brand, closed).auto_closed) == ("closed", None)
    assert _get(brand, active).status == "open" and _get(brand, active).message_count == 2

    # Much later, the tickets left open close too (the snoozed one stays snoozed until its time).
    assert sweep.run(now=_plus(split, hours=1))["auto_closed"] == 0  # once
    assert sweep.run(now=_plus(split, hours=2))["auto_closed"] == 1
    assert _get(brand, active).auto_closed is True
    assert (_get(brand, snoozed).status, _get(brand, spam).status) == ("snoozed", "open")


def test_off_by_default_reads_and_closes_nothing(swept: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import sweep
    from helpdesk.store import tickets as ticket_store

    brand = swept
    _, ticket_id = _ticket(brand)
    queried: list[str] = []
    real = ticket_store.idle_tickets

    def recorded(account_id: str, *args: Any) -> Any:
        queried.append(account_id)
        return real(account_id, *args)

    monkeypatch.setattr(ticket_store, "idle_tickets", recorded)
    later = _plus(_moment(), days=365)
    assert sweep.run(now=later)["auto_closed"] == 0
    assert _get(brand, ticket_id).status == "open" and queried == []

    _settings(brand, {"after": "PT1M"})  # a period alone does not turn it on
    assert sweep.run(now=later)["auto_closed"] == 0
    assert _get(brand, ticket_id).status == "open" and queried == []


def test_a_customer_message_landing_between_the_query_and_the_close_wins(
        swept: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import sweep
    from helpdesk.store import tickets as ticket_store

    brand = swept
    _settings(brand, {"enabled": True, "after": "PT1H"})
    customer, ticket_id = _ticket(brand, "hello?")
    now = _plus(_moment(), hours=1)
    real = ticket_store.auto_close
    tried: list[bool] = []

    def message_first(idle: Any, at: str) -> bool:
        assert idle.ticket_id == ticket_id  # found due by the Query ...
        text(brand, customer, "still there? I need an answer")  # ... when the customer writes
        tried.append(real(idle, at))  # the real conditional write, on what the Query found
        return tried[-1]

    monkeypatch.setattr(ticket_store, "auto_close", message_first)
    assert sweep.run(now=now)["auto_closed"] == 0
    assert tried == [False]
    ticket = _get(brand, ticket_id)
    assert (ticket.status, ticket.auto_closed, ticket.message_count) == ("open", None, 2)
    assert [m["body"] for m in tables.messages_of(brand.account_id, ticket_id)][-1] == "still there? I need an answer"

    monkeypatch.setattr(ticket_store, "auto_close", real)
    assert sweep.run(now=now)["auto_closed"] == 0  # its silence started again with that message


def test_a_ticket_woken_from_snooze_or_reopened_is_not_closed_at_once(swept: Brand) -> None:
    from helpdesk import sweep

    brand = swept
    _settings(brand, {"enabled": True, "after": "PT1H"})
    # Woken by the sweep: silent for two days when its snooze ends, yet its clock starts at the wake.
    _, woken = _ticket(brand)
    snooze_end = _plus(_moment(), days=2)
    update_ticket(_get(brand, woken), status="snoozed", snooze_until=snooze_end)
    wake_at = _plus(snooze_end, seconds=1)
    assert sweep.run(now=wake_at) == {"woken": 1, "followups": 0, "auto_closed": 0, "agents_expired": 0}
    assert _get(brand, woken).status == "open"
    assert sweep.run(now=_plus(wake_at, minutes=59))["auto_closed"] == 0
    assert sweep.run(now=_plus(wake_at, hours=1))["auto_closed"] == 1
    assert _get(brand, woken).auto_closed is True

    # Reopened by the customer (after the sweep closed it), by an agent, marked not spam: each
    # after long silence, and none closed at once.
    customer, by_customer = _ticket(brand)
    assert sweep.run(now=_plus(_moment(), hours=1))["auto_closed"] == 1
    assert _get(brand, by_customer).auto_closed is True
    _, by_agent = _ticket(brand)
    update_ticket(_get(brand, by_agent), status="closed")
    _, not_spam = _ticket(brand)
    update_ticket(_get(brand, not_spam), spam=True)
    _, control = _ticket(brand)
    split = _moment()
    text(brand, customer, "hello again")
    reopened = _get(brand, by_customer)
    assert (reopened.status, reopened.auto_closed, reopened.reopen_count) == ("open", None, 1)
    update_ticket(_get(brand, by_agent), status="open")
    update_ticket(_get(brand, not_spam), spam=False)

    # Their clocks started when they became open (after `split`); the control's did not.
    assert sweep.run(now=_plus(split, hours=1))["auto_closed"] == 1
    assert _get(brand, control).auto_closed is True
    assert [_get(brand, t).status for t in (by_customer, by_agent, not_spam)] == ["open"] * 3


def test_an_agent_reopening_an_auto_closed_ticket_clears_the_flag(swept: Brand) -> None:
    from helpdesk import sweep

    brand = swept
    _settings(brand, {"enabled": True, "after": "PT1H"})
    _, ticket_id = _ticket(brand)
    assert sweep.run(now=_plus(_moment(), hours=1))["auto_closed"] == 1
    reopened = update_ticket(_get(brand, ticket_id), status="open")
    assert (reopened.status, reopened.auto_closed) == ("open", None)
    stored = _stored(brand, ticket_id)
    assert "auto_closed" not in stored and stored["gsi5pk"] == f"A#{brand.account_id}#IDLE"


def test_a_settings_change_takes_effect_on_the_next_run(swept: Brand) -> None:
    from helpdesk import sweep

    brand = swept
    _, first = _ticket(brand)
    later = _plus(_moment(), days=1)
    assert sweep.run(now=later)["auto_closed"] == 0
    _settings(brand, {"enabled": True, "after": "P7D"})
    assert sweep.run(now=later)["auto_closed"] == 0  # on, but a day is not a week
    _settings(brand, {"after": "PT12H"})
    assert sweep.run(now=later)["auto_closed"] == 1
    assert _get(brand, first).auto_closed is True

    _settings(brand, {"enabled": False})
    _, second = _ticket(brand)
    assert sweep.run(now=_plus(later, days=30))["auto_closed"] == 0
    assert _get(brand, second).status == "open"

    _settings(brand, {"enabled": True, "after": "PT5S"})  # a few seconds, as the local stack uses
    assert sweep.run(now=_plus(_moment(), seconds=5))["auto_closed"] == 1
    assert _get(brand, second).auto_closed is True


def test_two_sweeps_at_once_close_each_ticket_once(swept: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import sweep
    from helpdesk.store import tickets as ticket_store

    brand = swept
    _settings(brand, {"enabled": True, "after": "PT1H"})
    ids = [_ticket(brand)[1] for _ in range(3)]
    versions = {t: int(_get(brand, t).version or 0) for t in ids}
    now = _plus(_moment(), hours=1)
    real = ticket_store.idle_tickets
    both_read = threading.Barrier(2, timeout=30)

    def read_then_wait(*args: Any) -> Any:
        found = list(real(*args))
        both_read.wait()  # each sweep has found the three due before either closes one
        return iter(found)

    monkeypatch.setattr(ticket_store, "idle_tickets", read_then_wait)
    results: list[dict[str, int]] = []
    runs = [threading.Thread(target=lambda: results.append(sweep.run(now=now))) for _ in range(2)]
    for run in runs:
        run.start()
    for run in runs:
        run.join(timeout=60)
    assert len(results) == 2 and sum(r["auto_closed"] for r in results) == 3
    for ticket_id in ids:
        stored = _stored(brand, ticket_id)
        assert (stored["status"], stored["auto_closed"], int(stored["version"])) == (
            "closed", True, versions[ticket_id] + 1)


def test_a_wake_acts_on_the_due_index_copy_and_reads_again_only_when_it_is_stale(
        swept: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import sweep
    from helpdesk.store import tickets as ticket_store

    brand = swept
    _, fresh = _ticket(brand)
    _, stale = _ticket(brand)
    until = _plus(_moment(), hours=2)
    for ticket_id in (fresh, stale):
        update_ticket(_get(brand, ticket_id), status="snoozed", snooze_until=until)
    real_due, real_get = ticket_store.due_tickets, ticket_store.get_ticket

    def edited_after_the_query(account_id: str, now: str) -> list[Any]:
        found = real_due(account_id, now)
        update_ticket(real_get(brand.account_id, stale), tags=["vip"])  # the copy in hand is now behind
        return found

    reads: list[str] = []

    def read(account_id: str, ticket_id: str) -> Any:
        reads.append(ticket_id)
        return real_get(account_id, ticket_id)

    monkeypatch.setattr(ticket_store, "due_tickets", edited_after_the_query)
    monkeypatch.setattr(ticket_store, "get_ticket", read)
    assert sweep.run(now=_plus(until, seconds=1))["woken"] == 2
    assert reads == [stale]
    monkeypatch.undo()
    assert [(_get(brand, t).status, _get(brand, t).tags) for t in (fresh, stale)] == [("open", []), ("open", ["vip"])]
    # Awake: filed in the IDLE index from the wake, out of the due index.
    for ticket_id in (fresh, stale):
        stored = _stored(brand, ticket_id)
        assert stored["gsi5sk"] == f"{_plus(until, seconds=1)}#{ticket_id}" and "gsi4pk" not in stored
