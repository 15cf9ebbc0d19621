"""Unread (SPEC §4): a ticket is unread for an agent until they open it after its customer's latest
message; `unread` on ticket JSON is the caller's, `unread_count` on /api/agents/me is the badge."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Brand, customer_number
from tests.integration.agents import text, ticket_id_of


def agent(brand: Brand, name: str) -> Any:
    import uuid

    from helpdesk.auth import AgentIdentity
    from helpdesk.store import agents as agent_store

    agent_id = f"{name}-{uuid.uuid4().hex[:8]}"  # a user is an agent of one account: unique per test
    agent_store.put_agent(brand.account_id, agent_id, name=agent_id, role="support", email=f"{agent_id}@x.example")
    return AgentIdentity(agent_id, brand.account_id, ("support",))


def assigned_ticket(brand: Brand, to: str, body: str = "where is my order?") -> tuple[str, str]:
    from helpdesk.clock import now_iso
    from helpdesk.store import tickets as ticket_store

    number = customer_number()
    text(brand, number, body)
    ticket_id = ticket_id_of(brand, number)
    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert ticket_store.edit_ticket(ticket, {"assignee_id": to}, now_iso()) is not None
    return number, ticket_id


def listed_unread(who: Any, ticket_id: str) -> bool:
    from helpdesk.workspace import list_tickets

    [found] = [t for t in list_tickets(who, {"view": "all", "limit": "100"})["items"] if t["id"] == ticket_id]
    return bool(found["unread"])


def test_a_ticket_is_unread_until_opened_after_the_customers_latest_message(
        brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import ticket_detail

    ana, ben = agent(brand, "ana"), agent(brand, "ben")
    number, ticket_id = assigned_ticket(brand, ana.agent_id)
    assert listed_unread(ana, ticket_id) and listed_unread(ben, ticket_id)
    writes: list[str] = []
    real = ticket_store.mark_read
    monkeypatch.setattr(ticket_store, "mark_read", lambda t, a, at: (writes.append(a), real(t, a, at)))
    assert ticket_detail(ana, ticket_id)["unread"] is False  # opened: read from now on
    assert listed_unread(ana, ticket_id) is False and listed_unread(ben, ticket_id) is True
    ticket_detail(ana, ticket_id)  # opened again, nothing new: no write
    assert writes == [ana.agent_id]
    text(brand, number, "hello??")
    assert listed_unread(ana, ticket_id) is True
    ticket_detail(ben, ticket_id)
    assert writes == [ana.agent_id, ben.agent_id] and listed_unread(ben, ticket_id) is False


def test_opening_a_ticket_moves_no_view_and_refuses_no_edit_in_hand(brand: Brand) -> None:
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import ticket_detail

    ana = agent(brand, "ana")
    _, ticket_id = assigned_ticket(brand, ana.agent_id)
    before = ticket_store.get_ticket(brand.account_id, ticket_id)
    ticket_detail(ana, ticket_id)
    after = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert (after.version, after.updated_at, after.gsi2sk) == (before.version, before.updated_at, before.gsi2sk)


def test_two_agents_opening_a_never_read_ticket_at_once_both_keep_their_mark(brand: Brand) -> None:
    from helpdesk.clock import now_iso
    from helpdesk.store import tickets as ticket_store

    _, ticket_id = assigned_ticket(brand, "ana")
    seen_by_ana = ticket_store.get_ticket(brand.account_id, ticket_id)
    seen_by_ben = ticket_store.get_ticket(brand.account_id, ticket_id)  # both read it with no marker at all
    ticket_store.mark_read(seen_by_ana, "ana", now_iso())
    ticket_store.mark_read(seen_by_ben, "ben", now_iso())
    stored = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert not ticket_store.unread_for(stored, "ana") and not ticket_store.unread_for(stored, "ben")
    assert ticket_store.unread_for(stored, "cy")


def test_the_badge_counts_my_open_unread_tickets_and_a_setting_turns_it_off(brand: Brand) -> None:
    from helpdesk import agents as agent_service
    from helpdesk.clock import now_iso
    from helpdesk.store import accounts
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import ticket_detail

    ana, ben = agent(brand, "ana"), agent(brand, "ben")
    mine = [assigned_ticket(brand, ana.agent_id)[1] for _ in range(3)]
    assigned_ticket(brand, ben.agent_id)
    assert agent_service.me(ana)["unread_count"] == 3
    ticket_detail(ana, mine[0])
    closed = ticket_store.get_ticket(brand.account_id, mine[1])
    assert ticket_store.edit_ticket(closed, {"status": "closed"}, now_iso()) is not None
    me = agent_service.me(ana)
    assert (me["unread_count"], me["unread_badge"]) == (1, True)
    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {}, {"unread_badge": False})
    accounts.forget_addresses()
    assert (agent_service.me(ana)["unread_count"], agent_service.me(ana)["unread_badge"]) == (0, False)
