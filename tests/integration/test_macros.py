"""Macros through the agent API: written by owners and admins, listed and applied by every agent,
variables checked when saved and filled when sent through the normal reply path."""
from __future__ import annotations

from typing import Any

from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import call, member, text, ticket_id_of


def test_owners_write_macros_everyone_lists_them_and_unknown_variables_are_refused_on_save(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    support = member(aws, pool, brand.account_id, "support")
    status, made = call(api, "POST", "/api/macros", owner,
                        {"name": "Shipping", "body": "Hi {{customer.first_name}}, ticket {{ticket.id}} ships today."})
    assert status == 201 and made["variables"] == ["customer.first_name", "ticket.id"]
    status, refused = call(api, "POST", "/api/macros", owner, {"name": "Bad", "body": "Hi {{customer.nickname}}"})
    assert status == 400 and "customer.nickname" in refused["error"]
    assert call(api, "POST", "/api/macros", support, {"name": "Mine", "body": "hello"})[0] == 403
    status, listed = call(api, "GET", "/api/macros", support)
    assert status == 200 and [m["id"] for m in listed["items"]] == [made["id"]]
    status, changed = call(api, "PATCH", f"/api/macros/{made['id']}", owner, {"name": "Shipping today"})
    assert status == 200 and (changed["name"], changed["body"]) == ("Shipping today", made["body"])
    assert call(api, "PATCH", f"/api/macros/{made['id']}", owner, {"body": "{{store.nam}}"})[0] == 400
    assert call(api, "DELETE", f"/api/macros/{made['id']}", owner)[0] == 204
    assert call(api, "GET", "/api/macros", owner)[1]["items"] == []
    assert call(api, "DELETE", f"/api/macros/{made['id']}", owner)[0] == 404


def test_applying_a_macro_sends_its_rendered_text_through_the_reply_path(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts
    from helpdesk.store import agents as agent_store
    from tests.integration import tables

    owner = member(aws, pool, brand.account_id, "owner")
    _, macro = call(api, "POST", "/api/macros", owner, {
        "name": "Hello", "body": "Hi {{customer.first_name}} {{customer.last_name}}, this is {{agent.first_name}} "
                                 "from {{store.name}} about {{ticket.id}}."})
    number = customer_number()
    accounts.put_customer(brand.account_id, Channel.SMS, number, "Jiwoo Kim", "unsubscribed")
    text(brand, number, "where is my order?")
    ticket_id = ticket_id_of(brand, number)
    # The rules hold for a macro as for any reply: no SMS consent, nothing sent.
    status, refused = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                           {"type": "reply", "macro_id": macro["id"]})
    assert status == 409 and "opted out" in refused["error"]
    status, note = call(api, "POST", f"/api/tickets/{ticket_id}/messages", owner,
                        {"type": "note", "macro_id": macro["id"]})
    assert status == 400
    # On email (no consent rule) it goes out, rendered.
    from tests.integration.test_email_webhook import send

    sender = "min.seo@example.com"
    send(brand, sender, subject="Late parcel")
    [email_ticket] = [t for t in tables.tickets(brand.account_id) if t["channel"] == "email"]
    status, sent = call(api, "POST", f"/api/tickets/{email_ticket['ticket_id']}/messages", owner,
                        {"type": "reply", "macro_id": macro["id"]})
    agent = agent_store.get_agent(brand.account_id, owner.agent_id)
    assert agent is not None and agent.name
    assert status == 201, sent
    # The customer's name as their mail gave it ("Kim Customer"), the agent's first name, the brand's.
    assert sent["body"] == f"Hi Kim Customer, this is {agent.name.split(' ')[0]} from Test Brand about " \
                           f"{email_ticket['ticket_id']}."


def test_the_inbox_plan_has_no_macros(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    from helpdesk.store import accounts

    owner = member(aws, pool, brand.account_id, "owner")
    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {"plan": "inbox"}, {})
    accounts.forget_addresses()
    status, refused = call(api, "GET", "/api/macros", owner)
    assert status == 403 and "inbox plan" in refused["error"]
    assert call(api, "POST", "/api/macros", owner, {"name": "x", "body": "y"})[0] == 403
