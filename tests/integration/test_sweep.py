"""The scheduled sweep: snoozed tickets come back when their time comes, once."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import bodies, drain, text, ticket_id_of


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def only_this_brand(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> Brand:
    """The sweep walks every account of the table; the module's table holds every test's."""
    from helpdesk.store import accounts

    monkeypatch.setattr(accounts, "all_accounts", lambda: [accounts.get_account(brand.account_id)])
    return brand


def test_a_snoozed_ticket_wakes_when_its_time_comes_and_only_then(aws: Aws, only_this_brand: Brand) -> None:
    from helpdesk import sweep
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import tickets
    from helpdesk.workspace import patch_ticket

    brand = only_this_brand
    customer = customer_number()
    text(brand, customer, "I will be back next week")
    ticket_id = ticket_id_of(brand, customer)
    drain(aws, brand.queue_url)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    who = AgentIdentity("agent-1", brand.account_id, ("support",))
    assert patch_ticket(who, ticket_id, {"snooze_until": _iso(until)})["status"] == "snoozed"
    assert [t.ticket_id for t in tickets.due_tickets(brand.account_id, _iso(until))] == [ticket_id]

    assert sweep.run(now=_iso(until - dt.timedelta(seconds=1)))["woken"] == 0
    assert tickets.get_ticket(brand.account_id, ticket_id).status == "snoozed"

    assert sweep.run(now=_iso(until + dt.timedelta(seconds=1)))["woken"] == 1
    woken = tickets.get_ticket(brand.account_id, ticket_id)
    assert (woken.status, woken.snooze_until) == ("open", None)
    assert tickets.due_tickets(brand.account_id, _iso(until + dt.timedelta(days=1))) == []
    events = bodies(drain(aws, brand.queue_url))
    assert [(e["type"], e["ticket_id"]) for e in events] == [("ticket.reopened", ticket_id)]

    assert sweep.run(now=_iso(until + dt.timedelta(minutes=5)))["woken"] == 0  # once


def test_a_customer_message_wakes_a_snoozed_ticket_before_its_time(aws: Aws, only_this_brand: Brand) -> None:
    from helpdesk import sweep
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import tickets
    from helpdesk.workspace import patch_ticket

    brand = only_this_brand
    customer = customer_number()
    text(brand, customer, "first")
    ticket_id = ticket_id_of(brand, customer)
    until = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    patch_ticket(AgentIdentity("agent-1", brand.account_id, ("support",)), ticket_id, {"snooze_until": _iso(until)})
    text(brand, customer, "actually, one more thing")
    ticket = tickets.get_ticket(brand.account_id, ticket_id)
    assert (ticket.status, ticket.snooze_until) == ("open", None)
    # The stale due entry is cleaned up by the sweep without waking anything twice.
    assert sweep.run(now=_iso(until + dt.timedelta(seconds=1)))["woken"] == 0
    assert tickets.due_tickets(brand.account_id, _iso(until + dt.timedelta(days=1))) == []
