"""The customer beside the conversation (SPEC §4, issue 9 item 5), through the agent API: the profile
panel of the ticket screen (consent, segments, predictive analytics, the number of tickets), the
contact's name and subject on ticket JSON, older messages a page at a time, and the marketing
system's profile events (stored once per id, read newest first by metric), with the plan and role
rules, the integration role's one route, and another account's ids as 404."""
from __future__ import annotations

import collections
import json
import time
import urllib.parse
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import Member, member, settle, text, ticket_id_of


def call(api: Any, method: str, path: str, who: Any, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    headers = {**who.headers, "Content-Type": "application/json"}
    if method == "GET":
        response = api.get(path, headers=headers)
    else:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = api.request(method, path, headers=headers, body=data)
    return response.status_code, (json.loads(response.body) if response.body else None)


def integration(aws: Aws, pool: Any, brand: Brand) -> Member:
    """The marketing system's user: a pool user whose Agent item has the integration role."""
    from helpdesk.store import agents as agent_store

    user = member(aws, pool, brand.account_id, "analyst", agent_item=False)  # a pool user, no Agent item yet
    agent_store.put_agent(brand.account_id, user.agent_id, name="Marketing sync", role="integration")
    return Member(user.agent_id, "integration", user.token, brand.account_id)


def email_ticket(brand: Brand, sender: str, subject: str = "Where is my order?") -> str:
    from tests.integration.test_email_webhook import send

    before = {t["ticket_id"] for t in tables.tickets(brand.account_id)}
    send(brand, sender, subject=subject)
    [new] = [t["ticket_id"] for t in tables.tickets(brand.account_id) if t["ticket_id"] not in before]
    return str(new)


def event(event_id: str, metric: str, at: str, who: dict[str, str], **properties: Any) -> dict[str, Any]:
    return {"id": event_id, "metric": metric, "time": at, "properties": properties, "profile": who}


def q(**params: Any) -> str:
    return urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})


def set_plan(brand: Brand, plan: str) -> None:
    from helpdesk.store import accounts

    assert accounts.change_settings(accounts.get_account(brand.account_id, fresh=True), {"plan": plan}, {})
    accounts.forget_addresses()


# --- the panel --------------------------------------------------------------------------------------


def test_the_ticket_screen_shows_the_customer_with_what_the_marketing_system_says_and_their_ticket_count(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    sender = "min.seo@example.com"
    first = email_ticket(brand, sender, subject="Late parcel")
    status, detail = call(api, "GET", f"/api/tickets/{first}", owner)
    assert status == 200, detail
    profile = detail["profile"]
    assert profile == {"id": detail["profile_id"], "name": "Kim Customer", "email": sender, "phone": None,
                       "consent": {"sms": None, "whatsapp": None, "email": None}, "segments": [],
                       "predictive": None, "ticket_count": 1}
    status, answer = call(api, "POST", "/api/profile-events", owner, {"profiles": [{
        "email": sender.upper(), "segments": ["VIP", "Repeat buyer", "VIP"],
        "predictive": {"lifetime_value": 412.5, "order_count": 7, "churn_risk": 0.12,
                       "expected_next_order_date": "2026-09-01"}}]})
    assert (status, answer) == (202, {"accepted": 0, "duplicates": 0, "profiles": 1})
    second = email_ticket(brand, sender, subject="Another question")  # a new thread: a second ticket
    status, detail = call(api, "GET", f"/api/tickets/{second}", owner)
    assert status == 200 and detail["profile_id"] == profile["id"]
    assert detail["profile"]["segments"] == ["VIP", "Repeat buyer"]
    assert detail["profile"]["predictive"] == {"lifetime_value": 412.5, "order_count": 7, "churn_risk": 0.12,
                                               "expected_next_order_date": "2026-09-01"}
    assert detail["profile"]["ticket_count"] == 2
    # Predictive null clears it; segments left out stay as they were.
    assert call(api, "POST", "/api/profile-events", owner,
                {"profiles": [{"email": sender, "predictive": None}]})[0] == 202
    panel = call(api, "GET", f"/api/tickets/{first}", owner)[1]["profile"]
    assert panel["predictive"] is None and panel["segments"] == ["VIP", "Repeat buyer"]
    assert panel["ticket_count"] == 2


def test_ticket_json_has_the_contacts_name_and_an_emails_subject_in_lists_too(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    mail = email_ticket(brand, "jo@example.com", subject="Refund for order 1001")
    number = customer_number()
    text(brand, number, "where is my order?")
    status, page = call(api, "GET", "/api/tickets?" + q(view="all", limit=100), owner)
    assert status == 200
    by_id = {t["id"]: t for t in page["items"]}
    assert (by_id[mail]["contact_name"], by_id[mail]["subject"]) == ("Kim Customer", "Refund for order 1001")
    sms = by_id[ticket_id_of(brand, number)]
    assert (sms["contact_name"], sms["subject"]) == (None, None)  # Twilio gives no name, SMS no subject


def test_a_customer_the_marketing_system_made_known_is_linked_when_they_write_in_and_sms_consent_shows(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    owner = member(aws, pool, brand.account_id, "owner")
    number, email = customer_number(), "new.buyer@example.com"
    status, answer = call(api, "POST", "/api/profile-events", owner, {"events": [
        event("ev-signup-1", "Subscribed to List", "2026-01-02T03:04:05+09:00", {"email": email, "phone": number})]})
    assert (status, answer) == (202, {"accepted": 1, "duplicates": 0, "profiles": 0})
    contacts = [accounts.get_contact(brand.account_id, ch, a)
                for ch, a in ((Channel.EMAIL, email), (Channel.SMS, number), (Channel.WHATSAPP, number))]
    assert all(c is not None for c in contacts)
    made = {c.profile_id for c in contacts if c is not None}
    assert len(made) == 1
    profile_id = made.pop()
    # They text in (a new SMS ticket is linked to its customer from the stream, off the webhook's path).
    accounts.set_consent(brand.account_id, Channel.SMS, number, "SMstart" + "0" * 27, "subscribed")
    text(brand, number, "hi, is my order shipped?")
    settle(brand)
    ticket_id = ticket_id_of(brand, number)
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert status == 200 and detail["profile_id"] == profile_id
    panel = detail["profile"]
    assert (panel["email"], panel["phone"]) == (email, number)
    assert panel["consent"] == {"sms": "subscribed", "whatsapp": None, "email": None}
    assert panel["ticket_count"] == 1  # counted under the profile it was linked to
    status, events = call(api, "GET", f"/api/profiles/{profile_id}/events", owner)
    assert status == 200 and events == {"items": [{"id": "ev-signup-1", "metric": "Subscribed to List",
                                                   "time": "2026-01-01T18:04:05.000Z", "properties": {}}],
                                        "next": None}


def test_on_the_inbox_plan_the_panel_says_who_and_why_no_more_and_the_event_routes_are_403(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    ticket_id = email_ticket(brand, "plan@example.com")
    profile_id = call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]["profile_id"]
    set_plan(brand, "inbox")
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert status == 200
    assert set(detail["profile"]) == {"id", "name", "profile_details"}
    assert (detail["profile"]["id"], detail["profile"]["name"]) == (profile_id, "Kim Customer")
    assert "helpdesk plan" in detail["profile"]["profile_details"] and "inbox" in detail["profile"]["profile_details"]
    before = tables.snapshot(brand.account_id)
    status, refused = call(api, "GET", f"/api/profiles/{profile_id}/events", owner)
    assert status == 403 and "inbox plan" in refused["error"]
    status, refused = call(api, "POST", "/api/profile-events", owner, {"events": [
        event("ev-1", "Placed Order", "2026-01-01T00:00:00Z", {"email": "plan@example.com"})]})
    assert status == 403 and "inbox plan" in refused["error"]
    assert tables.snapshot(brand.account_id) == before
    set_plan(brand, "helpdesk")  # back: everything as it was
    assert call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]["profile"]["ticket_count"] == 1


# --- profile events ---------------------------------------------------------------------------------


def test_events_are_stored_once_per_id_and_read_newest_first_by_metric_a_page_at_a_time(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.store import profile_events
    from helpdesk.store.models import ProfileEvent

    owner, support = member(aws, pool, brand.account_id, "owner"), member(aws, pool, brand.account_id, "support")
    sender = "events@example.com"
    profile_id = call(api, "GET", f"/api/tickets/{email_ticket(brand, sender)}", owner)[1]["profile_id"]
    who = {"email": sender}
    batch = [event("o1", "Placed Order", "2026-03-01T10:00:00Z", who, value=20.5, items=["Mug"]),
             event("e1", "Opened Email", "2026-03-02T10:00:00Z", who, campaign="Spring"),
             event("o2", "Placed Order", "2026-03-03T10:00:00Z", who, value=12),
             event("e2", "Opened Email", "2026-03-04T10:00:00Z", who, campaign="Summer"),
             event("o3", "Placed Order", "2026-03-05T10:00:00+02:00", who, value=99)]
    assert call(api, "POST", "/api/profile-events", owner, {"events": batch}) == \
        (202, {"accepted": 5, "duplicates": 0, "profiles": 0})
    # A replay (the same ids, whatever else they now carry) is stored never twice.
    replay = [{**e, "time": "2026-04-01T00:00:00Z", "properties": {"changed": True}} for e in batch[:2]]
    assert call(api, "POST", "/api/profile-events", owner, {"events": batch + replay}) == \
        (202, {"accepted": 0, "duplicates": 7, "profiles": 0})
    stored = tables.items_of_type(brand.account_id, "profile_event")
    assert sorted(i["event_id"] for i in stored) == ["e1", "e2", "o1", "o2", "o3"]
    for item in stored:  # the table's TTL takes them some 400 days from now
        assert abs(int(item["expires_at"]) - (time.time() + 400 * 86400)) < 120

    status, every = call(api, "GET", f"/api/profiles/{profile_id}/events", support)  # every agent reads them
    assert status == 200
    assert [e["id"] for e in every["items"]] == ["o3", "e2", "o2", "e1", "o1"]
    assert every["items"][-1] == {"id": "o1", "metric": "Placed Order", "time": "2026-03-01T10:00:00.000Z",
                                  "properties": {"value": 20.5, "items": ["Mug"]}}

    # One metric: read from its own index entries, so no other metric's event is even read.
    responses: list[dict[str, Any]] = []
    connection = ProfileEvent._get_connection()
    real_query = connection.query

    def spy(*args: Any, **kwargs: Any) -> Any:
        responses.append(real_query(*args, **kwargs))
        return responses[-1]

    with pytest.MonkeyPatch.context() as spying:
        spying.setattr(connection, "query", spy)
        status, orders = call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(metric="Placed Order"), owner)
    assert status == 200 and [e["id"] for e in orders["items"]] == ["o3", "o2", "o1"]
    assert [r["ScannedCount"] for r in responses] == [3]

    # Pages: two at a time, all of them in order, then no further cursor.
    seen, cursor, pages = [], None, 0
    while True:
        status, page = call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(limit=2, next=cursor), owner)
        assert status == 200 and len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
        assert pages < 5
    assert seen == ["o3", "e2", "o2", "e1", "o1"]
    # A cursor is good for its own listing only.
    first_page = call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(limit=1), owner)[1]
    assert first_page["next"]
    for bad in (first_page["next"], "not-a-cursor", profile_events.encode_cursor({"pk": {"S": "A#x#EV#1"}})):
        status, _ = call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(metric="Opened Email", next=bad),
                         owner)
        assert status == 400, bad
    assert call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(limit=0), owner)[0] == 400
    assert call(api, "GET", f"/api/profiles/{profile_id}/events?" + q(metric="Nothing"), owner)[1] == \
        {"items": [], "next": None}


@pytest.mark.parametrize("body", [
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {"email": "bad@example.com"}),
                event("ok-2", "Placed Order", "2026-01-01", {"email": "bad@example.com"})]},  # no time of day
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00", {"email": "bad@example.com"})]},  # no zone
    {"events": [event("ok-1", "Placed Order", "2999-01-01T00:00:00Z", {"email": "bad@example.com"})]},
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {"phone": "not a number"})]},
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {"email": "no-at-sign"})]},
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {})]},
    {"events": [{**event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {"email": "bad@example.com"}),
                 "extra": 1}]},
    {"events": [{"metric": "Placed Order", "time": "2026-01-01T00:00:00Z", "profile": {"email": "bad@example.com"}}]},
    {"events": [event("ok-1", "", "2026-01-01T00:00:00Z", {"email": "bad@example.com"})]},
    {"events": [event("ok-1", "Placed Order", "2026-01-01T00:00:00Z", {"email": "bad@example.com"},
                      blob="x" * 17_000)]},
    {"events": [event(f"many-{i}", "Placed Order", "2026-01-01T00:00:00Z", {"email": "bad@example.com"})
                for i in range(101)]},
    {"profiles": [{"email": "bad@example.com", "predictive": {"churn_risk": 2}}]},
    {"profiles": [{"email": "bad@example.com", "predictive": {"order_count": 2.5}}]},
    {"profiles": [{"email": "bad@example.com", "predictive": {"expected_next_order_date": "next week"}}]},
    {"profiles": [{"email": "bad@example.com", "segments": "VIP"}]},
    {"profiles": [{"email": "bad@example.com"}]},  # nothing to set
    {"events": [], "profiles": []},
    {"orders": []},
    [],
])
def test_bad_input_is_a_400_and_nothing_is_written(aws: Aws, pool: Any, api: Any, brand: Brand, body: Any) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    before = tables.snapshot(brand.account_id)
    status, answer = call(api, "POST", "/api/profile-events", owner, body)
    assert status == 400 and answer["error"], answer
    assert tables.snapshot(brand.account_id) == before


def test_malformed_json_is_a_400(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    assert call(api, "POST", "/api/profile-events", owner, raw=b'{"events": [')[0] == 400


# --- who may -----------------------------------------------------------------------------------------


def test_owners_admins_and_the_integration_send_events_and_the_integration_may_do_nothing_else(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from app import app

    sync = integration(aws, pool, brand)
    body = lambda n: {"events": [event(f"r-{n}", "Placed Order", "2026-02-01T00:00:00Z",  # noqa: E731
                                       {"email": "roles@example.com"})]}
    for n, who in enumerate([sync, member(aws, pool, brand.account_id, "owner"),
                             member(aws, pool, brand.account_id, "admin")]):
        assert call(api, "POST", "/api/profile-events", who, body(n)) == \
            (202, {"accepted": 1, "duplicates": 0, "profiles": 0}), who.role
    for role in ("manager", "support"):
        status, refused = call(api, "POST", "/api/profile-events", member(aws, pool, brand.account_id, role), body(9))
        assert status == 403 and "integration" in refused["error"], role
    assert call(api, "POST", "/api/profile-events", member(aws, pool, brand.account_id, "analyst"), body(9))[0] == 403

    ticket_id = email_ticket(brand, "roles@example.com")
    status, refused = call(api, "GET", "/api/tickets", sync)
    assert status == 403 and "integration" in refused["error"]
    # Every other agent route refuses it, before looking at anything the request names.
    samples = {"ticket_id": ticket_id, "macro_id": "m", "view_id": "v", "agent_id": sync.agent_id,
               "profile_id": "p"}
    checked = 0
    for path, methods in app.routes.items():
        if not path.startswith("/api/") or path in ("/api/profile-events", "/api/outbound-messages",
                                                    "/api/openapi.json"):  # its routes
            continue
        concrete = path.format_map(collections.defaultdict(lambda: "x", samples))  # any other id: made up
        for method in methods:
            status, _ = call(api, method, concrete, sync, {})
            assert status == 403, (method, path, status)
            checked += 1
    assert checked >= 15


# --- another account's ids -----------------------------------------------------------------------------


def test_another_accounts_profile_and_ticket_are_404(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    import uuid

    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    owner = member(aws, pool, brand.account_id, "owner")
    ticket_id = email_ticket(brand, "mine@example.com")
    profile_id = call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]["profile_id"]
    assert call(api, "POST", "/api/profile-events", owner, {"events": [
        event("x-1", "Placed Order", "2026-02-01T00:00:00Z", {"email": "mine@example.com"})]})[0] == 202

    other_id = "acct-" + uuid.uuid4().hex[:10]
    accounts.put_account(other_id, "Other Brand")
    accounts.add_channel_address(other_id, Channel.WEBCHAT, other_id)
    stranger = member(aws, pool, other_id, "owner")
    assert call(api, "GET", f"/api/profiles/{profile_id}/events", stranger)[0] == 404
    assert call(api, "GET", f"/api/tickets/{ticket_id}/messages", stranger)[0] == 404
    assert call(api, "GET", f"/api/tickets/{ticket_id}", stranger)[0] == 404
    # The same customer in the other account is another profile there, with events of its own.
    assert call(api, "POST", "/api/profile-events", stranger, {"events": [
        event("x-1", "Placed Order", "2026-02-02T00:00:00Z", {"email": "mine@example.com"})]})[1]["accepted"] == 1
    theirs = accounts.get_contact(other_id, Channel.EMAIL, "mine@example.com")
    assert theirs is not None and theirs.profile_id != profile_id
    assert [e["time"] for e in call(api, "GET", f"/api/profiles/{profile_id}/events", owner)[1]["items"]] == \
        ["2026-02-01T00:00:00.000Z"]
    assert call(api, "GET", f"/api/profiles/{'p' * 65}/events", owner)[0] == 404


# --- older messages ---------------------------------------------------------------------------------


def test_older_messages_come_a_page_at_a_time_behind_the_latest_50(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    number = customer_number()
    for n in range(57):
        text(brand, number, f"message {n:02d}")
    ticket_id = ticket_id_of(brand, number)
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert status == 200
    assert [m["body"] for m in detail["messages"]] == [f"message {n:02d}" for n in range(7, 57)]
    cursor = detail["messages_next"]
    assert cursor
    # Exactly the 7 older ones: the page knows there is none before them.
    status, page = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(before=cursor, limit=7), owner)
    assert status == 200 and page["next"] is None
    assert [m["body"] for m in page["items"]] == [f"message {n:02d}" for n in range(7)]
    status, page = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(before=cursor, limit=3), owner)
    assert [m["body"] for m in page["items"]] == ["message 04", "message 05", "message 06"]
    status, page = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(before=page["next"], limit=3), owner)
    assert [m["body"] for m in page["items"]] == ["message 01", "message 02", "message 03"]
    status, page = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(before=page["next"], limit=3), owner)
    assert [m["body"] for m in page["items"]] == ["message 00"] and page["next"] is None
    # Without a cursor: the latest.
    status, page = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(limit=2), owner)
    assert [m["body"] for m in page["items"]] == ["message 55", "message 56"] and page["next"]

    # A ticket of 50 or fewer has nothing before them.
    other = customer_number()
    text(brand, other, "just one")
    assert call(api, "GET", f"/api/tickets/{ticket_id_of(brand, other)}", owner)[1]["messages_next"] is None
    # Cursors are checked: garbage, a cursor of another ticket, a made-up key, a bad limit.
    from helpdesk.store import tickets as ticket_store

    for bad in ("garbage!", ticket_store.messages_cursor(ticket_id_of(brand, other), "M#2026"),
                ticket_store.encode_cursor({"t": ticket_id, "sk": "TICKET"}),
                ticket_store.encode_cursor({"t": ticket_id, "sk": "M#x", "pk": "A#other"})):
        status, refused = call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(before=bad), owner)
        assert status == 400 and refused["error"] == "bad cursor", bad
    for limit in ("0", "101", "many"):
        assert call(api, "GET", f"/api/tickets/{ticket_id}/messages?" + q(limit=limit), owner)[0] == 400
