"""SMS reply attribution (SPEC §7, ARCHITECTURE §6b): the campaign and flow messages the marketing
system reports, and the attribution worker's decision for each customer SMS, fed from the table's
stream (pumped here on demand)."""
from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number, pump_attribution
from tests.integration.agents import call, member, text, ticket_id_of


def ago(**delta: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(**delta)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def outbound(to: str, kind: str = "campaign", source: str = "cmp-spring", received_at: str | None = None,
             message_id: str | None = None) -> dict[str, Any]:
    return {"channel": "sms", "to": to, "kind": kind, "source_id": source,
            "message_id": message_id or "om-" + uuid.uuid4().hex, "received_at": received_at or ago(minutes=30)}


def messages(api: Any, who: Any, ticket_id: str) -> list[dict[str, Any]]:
    status, detail = call(api, "GET", f"/api/tickets/{ticket_id}", who)
    assert status == 200
    return [m for m in detail["messages"] if m["direction"] == "inbound"]


@pytest.fixture
def owner(aws: Aws, pool: Any, brand: Brand) -> Any:
    return member(aws, pool, brand.account_id, "owner")


def test_a_reply_is_attributed_to_the_last_message_and_only_the_first_reply_of_a_run(
        api: Any, brand: Brand, owner: Any) -> None:
    number = customer_number()
    campaign = outbound(number, "campaign", "cmp-spring", ago(hours=3))
    flow = outbound(number, "flow", "flow-winback", ago(hours=1))
    status, answer = call(api, "POST", "/api/outbound-messages", owner, {"messages": [campaign, flow]})
    assert (status, answer) == (202, {"accepted": 2, "duplicates": 0})
    text(brand, number, "what's the discount code?")
    text(brand, number, "hello?")
    pump_attribution()
    ticket_id = ticket_id_of(brand, number)
    first, second = messages(api, owner, ticket_id)
    assert first["attribution"] == {"kind": "flow", "source_id": "flow-winback", "message_id": flow["message_id"]}
    assert second["attribution"] is None  # later replies in a row: nothing
    status, ticket = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert ticket["attribution"]["source_id"] == "flow-winback"

    later = outbound(number, "campaign", "cmp-summer", ago(minutes=1))
    assert call(api, "POST", "/api/outbound-messages", owner, later)[0] == 202
    text(brand, number, "ok thanks")
    pump_attribution()
    third = messages(api, owner, ticket_id)[2]
    assert third["attribution"]["source_id"] == "cmp-summer"
    assert call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]["attribution"]["source_id"] == "flow-winback"


def test_the_window_is_the_accounts(api: Any, brand: Brand, owner: Any) -> None:
    early, late = customer_number(), customer_number()
    for number in (early, late):
        call(api, "POST", "/api/outbound-messages", owner, outbound(number, received_at=ago(hours=30)))
    text(brand, early, "is this still on?")
    pump_attribution()
    assert messages(api, owner, ticket_id_of(brand, early))[0]["attribution"] is None  # past 24 hours
    assert call(api, "PATCH", "/api/settings", owner, {"attribution": {"sms_window": "PT48H"}})[0] == 200
    from helpdesk.store import accounts

    accounts.get_account(brand.account_id, fresh=True)  # the worker reads the settings anew
    text(brand, late, "is this still on?")
    pump_attribution()
    assert messages(api, owner, ticket_id_of(brand, late))[0]["attribution"]["source_id"] == "cmp-spring"


def test_replays_change_nothing(api: Any, brand: Brand, owner: Any) -> None:
    from helpdesk import attribution
    from helpdesk.store import attribution as store
    from helpdesk.store.models import Message
    from helpdesk.store.stream import Change

    number = customer_number()
    record = outbound(number, source="cmp-replay")
    assert call(api, "POST", "/api/outbound-messages", owner, record)[1] == {"accepted": 1, "duplicates": 0}
    text(brand, number, "first")
    pump_attribution()
    # The marketing system sends the record again: the claim the first reply made stays.
    assert call(api, "POST", "/api/outbound-messages", owner, record)[1] == {"accepted": 0, "duplicates": 1}
    text(brand, number, "second")
    pump_attribution()
    ticket_id = ticket_id_of(brand, number)
    assert [m["attribution"] for m in messages(api, owner, ticket_id)][1] is None
    # The stream delivers the first message's record again: decided once, counted once.
    [first] = [m for m in Message.query(f"A#{brand.account_id}#T#{ticket_id}") if m.body == "first"]
    first.attribution = None  # as the stream's INSERT image has it
    attribution.on_change(Change("again", "INSERT", first, None))
    assert store.stats(brand.account_id, "campaign", "cmp-replay").replies == 1  # type: ignore[union-attr]


def test_two_replies_at_once_one_is_attributed(api: Any, brand: Brand, owner: Any) -> None:
    """Both workers find the message unclaimed; the claim's condition lets one through."""
    from helpdesk import attribution
    from helpdesk.store.models import Message
    from helpdesk.store.stream import Change

    number = customer_number()
    call(api, "POST", "/api/outbound-messages", owner, outbound(number, source="cmp-race"))
    text(brand, number, "one")
    text(brand, number, "two")
    ticket_id = ticket_id_of(brand, number)
    stored = list(Message.query(f"A#{brand.account_id}#T#{ticket_id}"))
    for m in stored:
        m.attribution = None
    barrier = threading.Barrier(len(stored))

    def decide(m: Message) -> None:
        barrier.wait()
        attribution.on_change(Change(m.message_id, "INSERT", m, None))

    threads = [threading.Thread(target=decide, args=(m,)) for m in stored]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    decided = [m["attribution"] for m in messages(api, owner, ticket_id)]
    assert sorted(a is None for a in decided) == [False, True]


def test_a_click_on_a_link_in_a_reply_counts_for_the_campaign_that_caused_the_ticket(
        api: Any, brand: Brand, owner: Any, standins: Any) -> None:
    from helpdesk import links
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts
    from helpdesk.store import attribution as store
    from helpdesk.store.models import Link, Message

    number = customer_number()
    accounts.put_customer(brand.account_id, Channel.SMS, number, "Mina Park", "subscribed")
    call(api, "POST", "/api/outbound-messages", owner, outbound(number, "flow", "flow-cart"))
    text(brand, number, "the link in your text is broken")
    pump_attribution()
    ticket_id = ticket_id_of(brand, number)
    status, _ = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                     {"type": "reply", "body": "Try this one: https://shop.example/cart/recover?x=1"})
    assert status == 201
    [reply] = [m for m in Message.query(f"A#{brand.account_id}#T#{ticket_id}") if m.direction == "outbound"]
    code = reply.extra.as_dict()["sent_body"].rsplit("/l/", 1)[1].split()[0]
    link = Link.get(f"L#{code}", "LINK")
    assert (link.source_kind, link.source_id) == ("flow", "flow-cart")
    assert links.follow(link.pk.removeprefix("L#"), ago(seconds=0)) == "https://shop.example/cart/recover?x=1"
    assert store.stats(brand.account_id, "flow", "flow-cart").clicks == 1  # type: ignore[union-attr]


@pytest.mark.parametrize(("body", "named"), [
    ({"channel": "email", "to": "+14155550100", "kind": "campaign", "source_id": "c", "message_id": "m",
      "received_at": "2026-12-01T00:00:00Z"}, "channel"),
    ({"channel": "sms", "to": "not a number", "kind": "campaign", "source_id": "c", "message_id": "m",
      "received_at": "2026-12-01T00:00:00Z"}, "to"),
    ({"channel": "sms", "to": "+14155550100", "kind": "newsletter", "source_id": "c", "message_id": "m",
      "received_at": "2026-12-01T00:00:00Z"}, "kind"),
    ({"channel": "sms", "to": "+14155550100", "kind": "flow", "source_id": "c", "message_id": "m",
      "received_at": "2099-01-01T00:00:00Z"}, "future"),
    ({"channel": "sms", "to": "+14155550100", "kind": "flow", "source_id": "c", "message_id": "m"}, "received_at"),
    ({"messages": [{"channel": "sms", "to": "+14155550100", "kind": "flow", "source_id": "c", "message_id": "m",
                    "received_at": "2026-12-01T00:00:00Z"}, {"channel": "sms"}]}, "messages[1]"),
    ({"messages": []}, "messages"),
])
def test_bad_records_are_refused_and_nothing_is_stored(api: Any, brand: Brand, owner: Any, body: Any,
                                                         named: str) -> None:
    from tests.integration import tables

    before = tables.snapshot(brand.account_id)
    status, answer = call(api, "POST", "/api/outbound-messages", owner, body)
    assert status == 400 and named in answer["error"], answer
    assert tables.snapshot(brand.account_id) == before


def test_who_may_send_outbound_messages(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    support = member(aws, pool, brand.account_id, "support")
    from helpdesk.store import agents as agent_store

    system = member(aws, pool, brand.account_id, "integration")
    agent_store.put_agent(brand.account_id, system.agent_id, name="Klaviyo", role="integration")  # as infra.admin
    record = outbound(customer_number())
    assert call(api, "POST", "/api/outbound-messages", support, record)[0] == 403
    assert call(api, "POST", "/api/outbound-messages", system, record)[0] == 202
    assert call(api, "GET", "/api/tickets?view=all", system)[0] == 403
