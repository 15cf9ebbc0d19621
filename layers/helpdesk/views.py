"""Custom views (SPEC §4): ticket lists an account saves from filters, answered by one Query.

A view's tickets are kept beside it as entries (store/views.py), one per matching ticket, filed by
the ticket's last update: a page of the view reads its own entries and nothing else, however many
tickets the account has and however few match. The entries follow the tickets through the table's
stream (the view-index worker, `on_change`): every committed change of a ticket files or unfiles it
in each view of its account, in ticket-version order, so a late or repeated record changes nothing.
A new view, or a view whose filters changed, is filled by a build that walks the account's tickets
in steps, each step's progress written to the view (whose own stream record starts the next step).
Views therefore follow the tickets within the stream's delay (about a second), not in the same write.

Filters: status, channel, tag, assignee_id (an agent, or null for unassigned), created and updated
ranges; sort newest or oldest updated first. Spam is in no custom view (it has its own).
"""
from __future__ import annotations

import secrets
from typing import Any

from helpdesk import roles
from helpdesk.auth import AgentIdentity
from helpdesk.clock import now_iso, parse_iso
from helpdesk.conversation import Channel, Status
from helpdesk.errors import BadRequest, Forbidden, NotFound
from helpdesk.observability import count, logger
from helpdesk.store import views as store
from helpdesk.store.failures import applied
from helpdesk.store.models import Ticket, View, plain_map
from helpdesk.store.stream import Change

MAX_VIEWS = 50  # per account: every ticket change is checked against each
MAX_NAME = 100
SORTS = ("newest", "oldest")
RANGES = ("created_after", "created_before", "updated_after", "updated_before")
FILTERS = ("status", "channel", "tag", "assignee_id", *RANGES)
BUILD_STEP = 500  # tickets read per build step (a step stays well inside the worker's timeout)


# --- the API ------------------------------------------------------------------------------------------


def _time(value: Any, field: str) -> str:
    try:
        when = parse_iso(value) if isinstance(value, str) and len(value) <= 40 else None
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        raise BadRequest(f"filters.{field} must be an ISO 8601 time with a timezone")
    return when.astimezone(parse_iso(now_iso()).tzinfo).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _filters(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequest("filters must be an object")
    unknown = sorted(set(value) - set(FILTERS))
    if unknown:
        raise BadRequest(f"filters.{unknown[0]} is not a filter: use " + ", ".join(FILTERS))
    out: dict[str, Any] = {}
    for field, allowed in (("status", {s.value for s in Status}), ("channel", {c.value for c in Channel})):
        if value.get(field) is not None:
            if value[field] not in allowed:
                raise BadRequest(f"filters.{field} must be one of " + ", ".join(sorted(allowed)))
            out[field] = value[field]
    if value.get("tag") is not None:
        tag = value["tag"]
        if not isinstance(tag, str) or not 0 < len(tag.strip()) <= 100:
            raise BadRequest("filters.tag must be a tag")
        out["tag"] = tag.strip().lower()  # tags are stored so
    if "assignee_id" in value:  # null: the unassigned tickets
        agent = value["assignee_id"]
        if agent is not None and (not isinstance(agent, str) or not 0 < len(agent) <= 128):
            raise BadRequest("filters.assignee_id must be an agent id, or null for unassigned tickets")
        out["assignee_id"] = agent
    return {**out, **_ranges(value)}


def _ranges(value: dict[str, Any]) -> dict[str, str]:
    out = {field: _time(value[field], field) for field in RANGES if value.get(field) is not None}
    for kind in ("created", "updated"):
        low, high = out.get(f"{kind}_after"), out.get(f"{kind}_before")
        if low and high and low > high:
            raise BadRequest(f"filters.{kind}_after is after filters.{kind}_before")
    return out


def _checked(body: Any, partial: bool) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise BadRequest('expected {"name": "...", "filters": {...}, "sort": "newest"|"oldest"}')
    unknown = sorted(set(body) - {"name", "filters", "sort"})
    if unknown:
        raise BadRequest(f"{unknown[0]} is not a field of a view")
    out: dict[str, Any] = {}
    if "name" in body or not partial:
        name = body.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise BadRequest(f"name must be non-empty text of at most {MAX_NAME} characters")
        out["name"] = name.strip()
    if "filters" in body or not partial:
        out["filters"] = _filters(body.get("filters", {}))
    if "sort" in body:
        if body["sort"] not in SORTS:
            raise BadRequest("sort must be newest or oldest")
        out["sort"] = body["sort"]
    return out


def view_json(v: View) -> dict[str, Any]:
    return {"id": v.view_id, "name": v.name, "filters": plain_map(v.filters), "sort": v.sort or "newest",
            "building": not v.built, "created_by": v.created_by, "created_at": v.created_at,
            "updated_at": v.updated_at}


def list_views(who: AgentIdentity) -> dict[str, Any]:
    views = sorted(store.views_of(who.account_id), key=lambda v: (v.created_at or "", v.view_id))
    return {"items": [view_json(v) for v in views]}


def create(who: AgentIdentity, body: Any) -> dict[str, Any]:
    """Any agent saves a view for the account (views are the team's, as the SPEC has them)."""
    fields = _checked(body, partial=False)
    if len(store.views_of(who.account_id)) >= MAX_VIEWS:
        raise BadRequest(f"an account keeps at most {MAX_VIEWS} views; delete one first")
    view_id = "v_" + secrets.token_urlsafe(9)
    view = store.put_view(who.account_id, view_id, fields["name"], fields["filters"], fields.get("sort", "newest"),
                          who.agent_id, now_iso())
    logger.info("view created", extra={"account_id": who.account_id, "view_id": view_id})
    return view_json(view)


def _mine(who: AgentIdentity, view_id: str) -> View:
    view = store.get_view(who.account_id, view_id) if isinstance(view_id, str) and 0 < len(view_id) <= 64 else None
    if view is None:
        raise NotFound("no such view")
    if view.created_by != who.agent_id and not roles.may(who.role, roles.WRITE_SETTINGS):
        raise Forbidden("only the agent who saved a view, an owner or an admin changes it")
    return view


def change(who: AgentIdentity, view_id: str, body: Any) -> dict[str, Any]:
    """Rename, re-sort or re-filter. New filters start a new generation of entries, built from the
    tickets as they are; the old generation is deleted once the new one is built."""
    fields = _checked(body, partial=True)
    view = _mine(who, view_id)
    actions = [View.updated_at.set(now_iso())]
    actions += [getattr(View, f).set(fields[f]) for f in ("name", "sort") if f in fields]
    if "filters" in fields and fields["filters"] != plain_map(view.filters):
        generation = int(view.generation or 1)
        actions += [View.filters.set(fields["filters"]), View.generation.set(generation + 1),
                    View.built.set(False), View.build_cursor.remove(), View.retired_generation.set(generation)]
    if not applied(view, actions, View.generation == view.generation):
        raise BadRequest("the view changed meanwhile; read it again")  # another edit of its filters
    return view_json(view)


def delete(who: AgentIdentity, view_id: str) -> None:
    view = _mine(who, view_id)
    view.delete()  # its entries go in the worker, from the stream's record of this delete


def page(who: AgentIdentity, view_id: str, status: str | None, cursor: str | None, limit: int) -> dict[str, Any]:
    """`GET /api/tickets?view=<id>`: one page of the view's tickets."""
    from helpdesk.workspace import ticket_json

    view = store.get_view(who.account_id, view_id) if len(view_id) <= 64 else None
    if view is None:
        raise NotFound("no such view")
    filters = plain_map(view.filters)
    tickets, next_cursor = store.page(
        store.entries_pk(who.account_id, view.view_id, int(view.generation or 1)),
        newest_first=(view.sort or "newest") == "newest", updated_after=filters.get("updated_after"),
        updated_before=filters.get("updated_before"), status=status, cursor=cursor, limit=limit)
    return {"items": [ticket_json(t, who.agent_id) for t in tickets], "next": next_cursor,
            "building": not view.built}


# --- the index ------------------------------------------------------------------------------------------


def matches(filters: dict[str, Any], t: Ticket) -> bool:
    """Whether a ticket belongs in a view with these filters (the updated range is the page's key
    condition, not a membership: the order key moves with every update)."""
    if t.spam:
        return False
    for field in ("status", "channel"):
        if filters.get(field) is not None and getattr(t, field) != filters[field]:
            return False
    if filters.get("tag") is not None and filters["tag"] not in (t.tags or []):
        return False
    if "assignee_id" in filters and (t.assignee_id or None) != filters["assignee_id"]:
        return False
    created = t.created_at or ""
    if filters.get("created_after") and created < filters["created_after"]:
        return False
    return not (filters.get("created_before") and created > filters["created_before"])


class AccountViews:
    """The views of each account, read once per batch of stream records: a view saved after the
    batch began is filled by its build, which reads the tickets after every change of the batch."""

    def __init__(self) -> None:
        self._views: dict[str, list[View]] = {}

    def of(self, account_id: str) -> list[View]:
        if account_id not in self._views:
            self._views[account_id] = store.views_of(account_id)
        return self._views[account_id]


def on_change(change: Change, views: AccountViews) -> None:
    """One committed change of the table, as the view-index worker receives it."""
    new, old = change.new, change.old
    if isinstance(new, View) or isinstance(old, View):
        _on_view_change(new if isinstance(new, View) else None, old if isinstance(old, View) else None)
        return
    ticket = new if isinstance(new, Ticket) else old if isinstance(old, Ticket) else None
    if ticket is None:
        return
    for view in views.of(ticket.account_id):
        filters, pk = plain_map(view.filters), store.entries_pk(ticket.account_id, view.view_id,
                                                             int(view.generation or 1))
        if isinstance(new, Ticket) and matches(filters, new):
            store.file_ticket(pk, new)
        elif isinstance(old, Ticket) and matches(filters, old):
            store.unfile_ticket(pk, new if isinstance(new, Ticket) else old)  # at the version that left


def _on_view_change(new: View | None, old: View | None) -> None:
    if new is None and old is not None:  # deleted: its entries go, a thousand per record until none
        while store.delete_entries(store_pk_of(old)):
            pass
        return
    if new is not None and not new.built:
        build_step(new)


def store_pk_of(view: View, generation: int | None = None) -> str:
    account_id = view.pk.split("#", 1)[1]
    return store.entries_pk(account_id, view.view_id, int(generation or view.generation or 1))


def build_step(view: View) -> None:
    """File up to BUILD_STEP of the account's tickets in the view, then write where it stopped (or
    that it is built): that write's stream record brings the next step. Conditioned on the view
    being where this step found it, so a redelivered step moves nothing twice."""
    account_id = view.pk.split("#", 1)[1]
    filters, pk = plain_map(view.filters), store_pk_of(view)
    tickets, after = store.tickets_from(account_id, view.build_cursor, BUILD_STEP)
    for ticket in tickets:
        if matches(filters, ticket):
            store.file_ticket(pk, ticket)
    actions: list[Any]
    if after:
        actions = [View.build_cursor.set(after)]
    else:
        if view.retired_generation:  # filters changed: the old entries go once the new ones are there
            while store.delete_entries(store_pk_of(view, int(view.retired_generation))):
                pass
        actions = [View.built.set(True), View.build_cursor.remove(), View.retired_generation.remove()]
        count("view_built")
    condition = (View.generation == view.generation) & (
        (View.build_cursor == view.build_cursor) if view.build_cursor else View.build_cursor.does_not_exist())
    if applied(view, actions, condition & View.pk.exists()):
        logger.info("view build step", extra={"account_id": account_id, "view_id": view.view_id,
                                             "tickets": len(tickets), "done": not after})
