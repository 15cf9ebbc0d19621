"""Regressions from review: inputs and failures that once lost messages or events, or answered 5xx."""
from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from tests.conftest import Brand, customer_number
from tests.integration.agents import add_agents, text, ticket_id_of
from tests.integration.test_email_webhook import customer, handle, mime, mime_route


def _later(minutes: float) -> str:
    moment = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _agent(brand: Brand) -> Any:
    from helpdesk.auth import AgentIdentity

    online, _ = add_agents(brand.account_id, 1)
    return AgentIdentity(online[0], brand.account_id, ("support",))


@pytest.mark.parametrize("kind", ["long_message_id", "long_reference", "huge_body"])
def test_oversized_mail_is_stored_not_refused_forever(brand: Brand, kind: str) -> None:
    from helpdesk.store import tickets as ticket_store
    from helpdesk.store.inbound import MAX_BODY_BYTES

    frm = customer()
    if kind == "long_message_id":
        raw, _ = mime(frm, brand.support_email, message_id="a" * 1100 + "@x.example")
    elif kind == "long_reference":
        raw, _ = mime(frm, brand.support_email, in_reply_to="b" * 2100 + "@x.example")
    else:
        raw, _ = mime(frm, brand.support_email, text="한국어 " * 90_000)
    answer = handle(mime_route(raw, brand.support_email, frm))
    assert answer["statusCode"] == 200, answer["body"]
    [ticket] = [t for t in ticket_store.iter_all_tickets(brand.account_id) if t.contact == frm.lower()]
    [message] = ticket_store.latest_messages(brand.account_id, ticket.ticket_id)
    assert len(message.body.encode()) <= MAX_BODY_BYTES
    if kind == "huge_body":
        assert message.extra.as_dict().get("truncated") == "true"
    again = handle(mime_route(raw, brand.support_email, frm))  # a replay is still recognised
    assert again["statusCode"] == 200
    assert len(ticket_store.latest_messages(brand.account_id, ticket.ticket_id)) == 1


def test_unsnoozing_with_null_opens_the_ticket(brand: Brand) -> None:
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import patch_ticket

    customer_phone = customer_number()
    text(brand, customer_phone, "hello")
    ticket_id = ticket_id_of(brand, customer_phone)
    who = _agent(brand)
    assert patch_ticket(who, ticket_id, {"snooze_until": _later(60)})["status"] == "snoozed"
    assert patch_ticket(who, ticket_id, {"snooze_until": None})["status"] == "open"
    assert ticket_store.get_ticket(brand.account_id, ticket_id).gsi4pk is None


@pytest.mark.parametrize("body", [{"status": []}, {"status": {"a": 1}}, {"spam": "yes"}, {"tags": "vip"}])
def test_patch_values_of_the_wrong_type_are_400(brand: Brand, body: dict[str, Any]) -> None:
    from helpdesk.errors import BadRequest
    from helpdesk.workspace import patch_ticket

    customer_phone = customer_number()
    text(brand, customer_phone, "hello")
    with pytest.raises(BadRequest):
        patch_ticket(_agent(brand), ticket_id_of(brand, customer_phone), body)


@pytest.mark.parametrize("key", [
    {"gsi3pk": {"S": "A#{a}#ALL"}, "gsi3sk": 5},
    {"gsi3pk": {"S": "A#{a}#ALL"}, "gsi3sk": {"Q": "x"}},
    {"gsi3pk": {"S": "A#{a}#ALL"}, "evil": {"S": "x"}},
    {"gsi3pk": {"S": "A#{a}0#ALL"}, "pk": {"S": "A#{a}0#T#t"}},
])
def test_cursors_of_the_wrong_shape_or_account_are_400(brand: Brand, key: dict[str, Any]) -> None:
    from helpdesk.auth import AgentIdentity
    from helpdesk.errors import BadRequest
    from helpdesk.store.tickets import encode_cursor
    from helpdesk.workspace import list_tickets

    cursor = encode_cursor(json.loads(json.dumps(key).replace("{a}", brand.account_id)))
    with pytest.raises(BadRequest):
        list_tickets(AgentIdentity("x", brand.account_id, ("support",)), {"view": "all", "next": cursor or ""})


def test_an_instagram_event_with_a_bad_timestamp_is_400() -> None:
    from helpdesk.errors import BadRequest
    from helpdesk.providers import meta

    payload = {"object": "instagram", "entry": [{"id": "1", "messaging": [{
        "sender": {"id": "2"}, "recipient": {"id": "1"}, "timestamp": "soon", "message": {"mid": "m", "text": "x"}}]}]}
    with pytest.raises(BadRequest):
        meta.parse_instagram(payload, "2026-11-26T00:00:00.000Z")


def test_a_reopen_refused_for_a_stale_version_changes_nothing_and_announces_nothing(brand: Brand) -> None:
    from helpdesk.errors import Conflict
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import patch_ticket
    from tests.integration import tables

    customer_phone = customer_number()
    text(brand, customer_phone, "hello")
    ticket_id = ticket_id_of(brand, customer_phone)
    who = _agent(brand)
    closed = patch_ticket(who, ticket_id, {"status": "closed"})
    tables.drain(brand.queue_url)
    with pytest.raises(Conflict):
        patch_ticket(who, ticket_id, {"status": "open"}, if_match=str(closed["version"] - 1))
    assert ticket_store.get_ticket(brand.account_id, ticket_id).status == "closed"
    assert tables.drain(brand.queue_url) == []
    patch_ticket(who, ticket_id, {"status": "open"}, if_match=str(closed["version"]))
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.reopened", ticket_id)]


def test_a_wake_is_announced_once_however_often_the_sweep_runs(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import sweep
    from helpdesk.store import accounts
    from helpdesk.store import tickets as ticket_store
    from helpdesk.workspace import patch_ticket
    from tests.integration import tables

    monkeypatch.setattr(accounts, "all_accounts", lambda: [accounts.get_account(brand.account_id)])
    customer_phone = customer_number()
    text(brand, customer_phone, "hello")
    ticket_id = ticket_id_of(brand, customer_phone)
    patch_ticket(_agent(brand), ticket_id, {"snooze_until": _later(1)})
    tables.drain(brand.queue_url)
    assert sweep.run(_later(2))["woken"] == 1
    assert sweep.run(_later(3))["woken"] == 0
    assert ticket_store.get_ticket(brand.account_id, ticket_id).status == "open"
    assert [(e["type"], e["ticket_id"]) for e in tables.drain(brand.queue_url)] == [("ticket.reopened", ticket_id)]


def test_not_spam_puts_a_ticket_back_in_the_views(brand: Brand) -> None:
    from helpdesk.workspace import list_tickets, patch_ticket

    customer_phone = customer_number()
    text(brand, customer_phone, "hello")
    ticket_id = ticket_id_of(brand, customer_phone)
    who = _agent(brand)
    assert patch_ticket(who, ticket_id, {"spam": True})["spam"] is True
    assert [t["id"] for t in list_tickets(who, {"view": "spam"})["items"]] == [ticket_id]
    assert list_tickets(who, {"view": "all"})["items"] == []
    assert patch_ticket(who, ticket_id, {"spam": False})["spam"] is False
    assert [t["id"] for t in list_tickets(who, {"view": "all"})["items"]] == [ticket_id]
    assert list_tickets(who, {"view": "spam"})["items"] == []


def test_help_is_answered_with_the_account_help_text(brand: Brand) -> None:
    from functions.webhooks import sms
    from helpdesk.store import accounts
    from tests.providers import sms_event, sms_params

    account = accounts.get_account(brand.account_id)
    account.update(actions=[type(account).help_text.set("Test Brand: reply STOP to opt out.")])
    accounts.forget_addresses()
    answer = sms.handler(sms_event("twilio-test-token", sms_params(customer_number(), brand.sms_number, "help")), None)
    assert answer["statusCode"] == 200
    assert "<Message>Test Brand: reply STOP to opt out.</Message>" in answer["body"]


def test_a_reopen_racing_a_reassignment_files_the_ticket_under_the_new_assignee(brand: Brand) -> None:
    """The reopen's views come from the assignee it read; a reassignment in between must make it
    read again rather than file the ticket in the old assignee's inbox."""
    import uuid

    from helpdesk import intake
    from helpdesk.auth import AgentIdentity
    from helpdesk.clock import now_iso
    from helpdesk.conversation import Channel, InboundMessage
    from helpdesk.store import tickets as ticket_store
    from helpdesk.store.inbound import Mismatch, TicketStore
    from helpdesk.workspace import patch_ticket

    customer_phone = customer_number()
    text(brand, customer_phone, "hi")
    ticket_id = ticket_id_of(brand, customer_phone)
    online, _ = add_agents(brand.account_id, 2)
    who = AgentIdentity(online[0], brand.account_id, ("manager",))  # a manager routes tickets to others
    patch_ticket(who, ticket_id, {"status": "closed", "assignee_id": online[0]})
    msg = InboundMessage(Channel.SMS, brand.sms_number, customer_phone, "SM" + uuid.uuid4().hex, "again", now_iso())
    store = TicketStore()
    first = store.append(brand.account_id, ticket_id, msg, current=None)
    assert isinstance(first, Mismatch) and first.current is not None
    patch_ticket(who, ticket_id, {"assignee_id": online[1]})  # meanwhile
    assert isinstance(store.append(brand.account_id, ticket_id, msg, current=first.current, wake=True), Mismatch)
    intake.ingest(brand.account_id, msg)  # the whole intake reads again and gets it right
    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert ticket.status == "open" and ticket.assignee_id == online[1]
    assert ticket.gsi2pk == f"A#{brand.account_id}#AS#{online[1]}#open"


def test_an_email_reply_with_an_idempotency_key_is_stored_and_sent_once(
        brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import replies
    from helpdesk.auth import AgentIdentity
    from helpdesk.errors import Transient
    from helpdesk.store import mail as mail_store
    from helpdesk.store import tickets as ticket_store
    from tests.integration.test_email_webhook import send

    frm = customer()
    send(brand, frm, subject="Gift wrap?")
    [ticket] = [t for t in ticket_store.iter_all_tickets(brand.account_id) if t.contact == frm.lower()]
    who = AgentIdentity("agent-1", brand.account_id, ("owner",))
    sent: list[str] = []
    real = mail_store.send

    def flaky(*args: Any, **kwargs: Any) -> str:
        if not sent:
            sent.append("failed")
            raise Transient("mail service unavailable")
        sent.append(kwargs["message_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_store, "send", flaky)
    reply = {"body": "Yes, gift wrap is free.", "type": "reply"}
    with pytest.raises(Transient):  # the agent sees the failure...
        replies.post(who, ticket.ticket_id, reply, idempotency_key="click-1")
    first = replies.post(who, ticket.ticket_id, reply, idempotency_key="click-1")  # ...and retries
    again = replies.post(who, ticket.ticket_id, reply, idempotency_key="click-1")  # a double click
    assert first == again
    assert sent == ["failed", first["id"]]  # sent once, under the Message-ID that was stored
    messages = ticket_store.latest_messages(brand.account_id, ticket.ticket_id)
    outbound = [m for m in messages if m.direction == "outbound"]
    assert [m.message_id for m in outbound] == [first["id"]]
    assert outbound[0].extra.as_dict()["delivery"] == "sent"


def test_a_user_without_an_agent_item_cannot_go_online_nor_become_an_agent(brand: Brand) -> None:
    import uuid

    from helpdesk.agents import set_presence
    from helpdesk.auth import AgentIdentity
    from helpdesk.errors import Forbidden
    from helpdesk.store import agents as agent_store
    from tests.integration import tables

    before = tables.snapshot(brand.account_id)
    newcomer = AgentIdentity(str(uuid.uuid4()), brand.account_id, ("support",), "new@brand.example")
    with pytest.raises(Forbidden):
        set_presence(newcomer, {"status": "online"})
    assert agent_store.roster(brand.account_id).agents == []
    assert tables.snapshot(brand.account_id) == before
