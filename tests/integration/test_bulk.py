"""Bulk actions on All tickets (SPEC §4): close, reopen, assign, tag, spam / not spam, snooze, with a
result per ticket; a bad id never stops the rest, and each ticket is written whole or not at all."""
from __future__ import annotations

import datetime as dt
from typing import Any

from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import call, member, text, ticket_id_of


def tickets(brand: Brand, n: int) -> list[str]:
    made = []
    for _ in range(n):
        number = customer_number()
        text(brand, number, "where is my order?")
        made.append(ticket_id_of(brand, number))
    return made


def test_bulk_tag_adds_to_each_tickets_own_tags_and_a_bad_id_stops_nothing(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.store import tickets as ticket_store

    owner = member(aws, pool, brand.account_id, "owner")
    first, second = tickets(brand, 2)
    assert call(api, "PATCH", f"/api/tickets/{first}", owner, {"tags": ["vip"]})[0] == 200
    status, answer = call(api, "POST", "/api/tickets/bulk", owner,
                          {"ids": [first, "t-none", second], "changes": {"add_tags": ["Shipping"]}})
    assert status == 200
    assert [(r["id"], r["status"]) for r in answer["results"]] == [(first, 200), ("t-none", 404), (second, 200)]
    assert ticket_store.get_ticket(brand.account_id, first).tags == ["shipping", "vip"]
    assert ticket_store.get_ticket(brand.account_id, second).tags == ["shipping"]
    status, answer = call(api, "POST", "/api/tickets/bulk", owner,
                          {"ids": [first, second], "changes": {"remove_tags": ["vip"]}})
    assert [r["status"] for r in answer["results"]] == [200, 200]
    assert ticket_store.get_ticket(brand.account_id, first).tags == ["shipping"]
    status, answer = call(api, "POST", "/api/tickets/bulk", owner,
                          {"ids": [first], "changes": {"tags": ["a"], "add_tags": ["b"]}})
    assert status == 400 and ticket_store.get_ticket(brand.account_id, first).tags == ["shipping"]


def test_bulk_close_reopen_snooze_spam_and_assign(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.store import tickets as ticket_store

    owner = member(aws, pool, brand.account_id, "owner")
    made = tickets(brand, 3)

    def states() -> list[tuple[str, bool, str | None]]:
        found = [ticket_store.get_ticket(brand.account_id, t) for t in made]
        return [(t.status, bool(t.spam), t.assignee_id) for t in found]

    def bulk(changes: dict[str, Any]) -> list[int]:
        status, answer = call(api, "POST", "/api/tickets/bulk", owner, {"ids": made, "changes": changes})
        assert status == 200
        return [r["status"] for r in answer["results"]]

    assert bulk({"status": "closed"}) == [200] * 3 and {s for s, _, _ in states()} == {"closed"}
    assert bulk({"status": "open"}) == [200] * 3 and {s for s, _, _ in states()} == {"open"}
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    assert bulk({"snooze_until": later}) == [200] * 3 and {s for s, _, _ in states()} == {"snoozed"}
    assert bulk({"spam": True}) == [200] * 3 and all(spam for _, spam, _ in states())
    assert bulk({"spam": False}) == [200] * 3 and not any(spam for _, spam, _ in states())
    assert bulk({"assignee_id": owner.agent_id}) == [200] * 3
    assert {a for _, _, a in states()} == {owner.agent_id}
