"""Custom views (SPEC §4, ARCHITECTURE §6b): saved from filters, answered from their own entries,
kept from the table's stream by the view-index worker (pumped here on demand)."""
from __future__ import annotations

import uuid
from typing import Any

import pytest

from helpdesk.errors import BadRequest, Forbidden, NotFound
from tests.conftest import Aws, Brand, customer_number, pump_views
from tests.integration.agents import call, member, text, ticket_id_of


def agent(brand: Brand, role: str = "support") -> Any:
    from helpdesk.auth import AgentIdentity
    from helpdesk.store import agents as agent_store

    agent_id = f"{role}-{uuid.uuid4().hex[:8]}"
    agent_store.put_agent(brand.account_id, agent_id, name=agent_id, role=role, email=f"{agent_id}@x.example")
    return AgentIdentity(agent_id, brand.account_id, (role,))


def sms_ticket(brand: Brand, body: str = "where is my order?") -> tuple[str, str]:
    number = customer_number()
    text(brand, number, body)
    return number, ticket_id_of(brand, number)


def edit(brand: Brand, ticket_id: str, **values: Any) -> None:
    from helpdesk.clock import now_iso
    from helpdesk.store import tickets as ticket_store

    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert ticket_store.edit_ticket(ticket, values, now_iso()) is not None


def listed(who: Any, view_id: str, **params: str) -> dict[str, Any]:
    from helpdesk.workspace import list_tickets

    return list_tickets(who, {"view": view_id, **params})


def ids(page: dict[str, Any]) -> list[str]:
    return [t["id"] for t in page["items"]]


def entries(brand: Brand, view: dict[str, Any], generation: int = 1) -> list[Any]:
    from helpdesk.store import views as store
    from helpdesk.store.models import ViewEntry

    return list(ViewEntry.query(store.entries_pk(brand.account_id, view["id"], generation)))


def test_a_view_lists_the_matching_tickets_newest_first_once_built_and_follows_them(brand: Brand) -> None:
    from helpdesk import views

    ana = agent(brand)
    _, tagged = sms_ticket(brand)
    _, untagged = sms_ticket(brand)
    _, closed = sms_ticket(brand)
    edit(brand, tagged, tags=["shipping"])
    edit(brand, closed, tags=["shipping"], status="closed")
    pump_views()
    view = views.create(ana, {"name": "SMS shipping", "filters": {"channel": "sms", "status": "open",
                                                                  "tag": "Shipping"}})
    assert view["building"] is True and view["filters"]["tag"] == "shipping"
    pump_views()  # the build
    page = listed(ana, view["id"])
    assert ids(page) == [tagged] and page["building"] is False
    assert page["items"][0]["tags"] == ["shipping"] and page["items"][0]["unread"] is True

    number, later = sms_ticket(brand)
    edit(brand, later, tags=["shipping", "returns"])
    edit(brand, untagged, tags=["shipping"])
    pump_views()
    assert ids(listed(ana, view["id"])) == [untagged, later, tagged]  # the latest update first

    edit(brand, later, status="closed")
    edit(brand, tagged, spam=True)  # Spam is no custom view's
    pump_views()
    assert ids(listed(ana, view["id"])) == [untagged]
    text(brand, number, "reopening with a new question")  # the customer writes: open again, on top
    pump_views()
    assert ids(listed(ana, view["id"])) == [later, untagged]


def test_sort_ranges_assignee_and_status_paging(brand: Brand) -> None:
    from helpdesk import views
    from helpdesk.store import tickets as ticket_store

    ana = agent(brand, "manager")
    made = [sms_ticket(brand)[1] for _ in range(5)]
    edit(brand, made[1], assignee_id=ana.agent_id)
    pump_views()
    unassigned = views.create(ana, {"name": "nobody's", "filters": {"assignee_id": None}, "sort": "oldest"})
    mine = views.create(ana, {"name": "ana's", "filters": {"assignee_id": ana.agent_id}})
    pump_views()
    assert ids(listed(ana, mine["id"])) == [made[1]]
    rest = [t for t in made if t != made[1]]
    seen, cursor, pages = [], None, 0
    while pages == 0 or cursor:
        page = listed(ana, unassigned["id"], limit="2", **({"next": cursor} if cursor else {}))
        seen += ids(page)
        cursor, pages = page["next"], pages + 1
    assert seen == rest and pages in (2, 3)  # oldest first, two at a time
    edit(brand, rest[0], status="closed")
    pump_views()
    assert ids(listed(ana, unassigned["id"], status="closed")) == [rest[0]]

    middle = ticket_store.get_ticket(brand.account_id, rest[2]).updated_at
    ranged = views.create(ana, {"name": "recent", "filters": {"assignee_id": None, "updated_after": middle}})
    created = views.create(ana, {"name": "created early", "filters": {
        "created_before": ticket_store.get_ticket(brand.account_id, made[2]).created_at}})
    pump_views()
    assert ids(listed(ana, ranged["id"])) == [rest[0], rest[3], rest[2]]  # rest[0] closed since: updated
    assert set(ids(listed(ana, created["id"]))) == {made[0], made[1], made[2]}


def test_a_late_copy_never_overwrites_a_newer_one(brand: Brand) -> None:
    """The build reads a ticket, the ticket changes and the stream files the change; the build's
    older copy, written last, changes nothing (nor does a redelivered record)."""
    from helpdesk import views
    from helpdesk.store import tickets as ticket_store
    from helpdesk.store import views as store

    ana = agent(brand)
    _, ticket_id = sms_ticket(brand)
    pump_views()
    view = views.create(ana, {"name": "open", "filters": {"status": "open"}})
    pump_views()
    old = ticket_store.get_ticket(brand.account_id, ticket_id)
    edit(brand, ticket_id, status="closed")
    pump_views()
    pk = store.entries_pk(brand.account_id, view["id"], 1)
    assert store.file_ticket(pk, old) is False
    assert ticket_id not in ids(listed(ana, view["id"]))
    edit(brand, ticket_id, status="open")
    pump_views()
    assert store.unfile_ticket(pk, old) is False and ticket_id in ids(listed(ana, view["id"]))


def test_new_filters_rebuild_and_the_old_entries_go_deleting_a_view_deletes_its_entries(brand: Brand) -> None:
    from helpdesk import views

    ana = agent(brand)
    _, sms = sms_ticket(brand)
    edit(brand, sms, tags=["vip"])
    pump_views()
    view = views.create(ana, {"name": "vip", "filters": {"tag": "vip"}})
    pump_views()
    assert ids(listed(ana, view["id"])) == [sms] and len(entries(brand, view)) == 1
    changed = views.change(ana, view["id"], {"filters": {"tag": "vip", "status": "closed"}, "name": "vip done"})
    assert changed["building"] is True and changed["name"] == "vip done"
    pump_views()
    assert ids(listed(ana, view["id"])) == [] and entries(brand, view) == []  # generation 1 gone
    edit(brand, sms, status="closed")
    pump_views()
    assert ids(listed(ana, view["id"])) == [sms]
    views.delete(ana, view["id"])
    pump_views()
    assert entries(brand, view, 2) == []
    with pytest.raises(NotFound):
        listed(ana, view["id"])


def test_bad_filters_are_refused_and_nothing_is_saved(brand: Brand) -> None:
    from helpdesk import views

    ana = agent(brand)
    for body in ({"name": "x", "filters": {"status": "pending"}}, {"name": "x", "filters": {"colour": "red"}},
                 {"name": "", "filters": {}}, {"name": "x", "filters": {"created_after": "yesterday"}},
                 {"name": "x", "sort": "random"}, {"name": "x", "filters": {"channel": "fax"}},
                 {"name": "x", "filters": {"updated_after": "2026-12-02T00:00:00Z",
                                           "updated_before": "2026-12-01T00:00:00Z"}}, [], None):
        with pytest.raises(BadRequest):
            views.create(ana, body)
    assert views.list_views(ana)["items"] == []
    with pytest.raises(NotFound):
        listed(ana, "v_" + "x" * 70)


def test_only_its_author_an_owner_or_an_admin_changes_a_view_and_cursors_stay_in_their_view(brand: Brand) -> None:
    from helpdesk import views

    ana, ben, boss = agent(brand), agent(brand), agent(brand, "admin")
    for _ in range(3):
        sms_ticket(brand)
    pump_views()
    view = views.create(ana, {"name": "all open", "filters": {"status": "open"}})
    other = views.create(ana, {"name": "sms", "filters": {"channel": "sms"}})
    pump_views()
    with pytest.raises(Forbidden):
        views.change(ben, view["id"], {"name": "mine now"})
    with pytest.raises(Forbidden):
        views.delete(ben, view["id"])
    assert views.change(boss, view["id"], {"name": "renamed"})["name"] == "renamed"
    assert [v["name"] for v in views.list_views(ben)["items"]] == ["renamed", "sms"]  # the team's views
    cursor = listed(ben, view["id"], limit="1")["next"]
    assert cursor
    with pytest.raises(BadRequest):
        listed(ben, other["id"], next=cursor)
    with pytest.raises(BadRequest):
        listed(ben, view["id"], next="bm9wZQ")


def test_the_api_saves_lists_and_pages_a_view(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:

    owner = member(aws, pool, brand.account_id, "owner")
    _, ticket_id = sms_ticket(brand)
    status, made = call(api, "POST", "/api/views", owner, {"name": "open sms", "filters": {"status": "open",
                                                                                         "channel": "sms"}})
    assert status == 201 and made["id"].startswith("v_")
    assert call(api, "GET", f"/api/tickets?view={made['id']}", owner)[0] == 200  # building: answers anyway
    pump_views()
    status, page = call(api, "GET", f"/api/tickets?view={made['id']}", owner)
    assert status == 200 and [t["id"] for t in page["items"]] == [ticket_id] and page["next"] is None
    assert [v["id"] for v in call(api, "GET", "/api/views", owner)[1]["items"]] == [made["id"]]
    status, refused = call(api, "POST", "/api/views", owner, {"name": "x", "filters": {"status": "pending"}})
    assert status == 400 and "filters.status" in refused["error"]
    assert call(api, "PATCH", f"/api/views/{made['id']}", owner, {"sort": "oldest"})[1]["sort"] == "oldest"
    assert call(api, "DELETE", f"/api/views/{made['id']}", owner)[0] == 204
    assert call(api, "GET", f"/api/tickets?view={made['id']}", owner)[0] == 404
