"""Agents working tickets in the console, in headless Chromium against the local stack: a ticket on each
channel from the customer's first message to its close, replies the rules refuse, macros, bulk close,
Korean in and out, and the main screens' screenshots for the README. What the customer receives is read where it
arrives: the provider stand-ins' outbox, or the web chat widget's own message list."""
from __future__ import annotations

import uuid
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import Stack, new_number, wait_for
from tests.browser.conftest import open_row, screenshot, show_view, sign_in

pytestmark = pytest.mark.e2e


def delivered_to(stack: Stack, text: str, timeout: float = 15) -> dict[str, Any]:
    """The outbox entry (any provider, any customer) whose body carries `text`."""
    def found() -> dict[str, Any] | None:
        return next((m for m in stack.outbox("") if text in m["body"]), None)

    return wait_for(found, timeout, f"a message with {text!r} in the outbox")


def arrive(stack: Stack, channel: str, text: str) -> tuple[str, str]:
    """A new customer's first message on the channel; answers (ticket id, the customer's address)."""
    if channel == "sms":
        frm = new_number()
        stack.send_sms(frm, "START")  # SMS replies need the customer's consent: START grants it
        stack.send_sms(frm, text)
        return stack.ticket_of(frm)["id"], frm
    if channel == "whatsapp":
        wa_id = new_number().lstrip("+")
        stack.send_whatsapp(wa_id, text, name="Dana Whatsapp")
        return stack.ticket_of(wa_id)["id"], wa_id
    if channel == "instagram":
        user = str(uuid.uuid4().int % 10**16).zfill(16)
        stack.send_instagram(user, text)
        return stack.ticket_of(user)["id"], user
    if channel == "email":
        sender = f"kim-{uuid.uuid4().hex[:8]}@customer.example"
        stack.send_email(sender, "Jacket colours", text)
        return stack.ticket_of(sender)["id"], sender
    raise AssertionError(channel)


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "instagram", "email", "webchat"])
def test_a_ticket_on_each_channel_from_arrival_to_close(page: Any, stack: Stack, channel: str) -> None:
    token = uuid.uuid4().hex[:8]
    question = f"Hello, do you have the rain jacket in blue? ({token})"
    session = conversation = None
    if channel == "webchat":
        session = stack.webchat_session()
        answer = stack.send_webchat(session, question)
        ticket_id, conversation = answer["ticket_id"], answer["conversation_id"]
        stack.ticket(ticket_id)
    else:
        ticket_id, address = arrive(stack, channel, question)

    sign_in(page, stack, "support")
    show_view(page, "all")
    row = page.locator(f"li.ticket-row[data-id='{ticket_id}']")
    # The list shows the subject, or else the conversation's first line.
    expect(row).to_contain_text("Jacket colours" if channel == "email" else token)
    open_row(page, ticket_id)
    expect(page.locator("#messages .msg.inbound").last).to_contain_text(question)
    expect(page.locator("#reply-refusal")).to_be_hidden()

    reply = f"Yes, in every size. ({token})"
    page.fill("#composer-text", reply)
    page.click("#send")
    outbound = page.locator("#messages .msg.outbound", has_text=reply)
    expect(outbound).to_have_count(1)
    assert outbound.locator(".delivery").get_attribute("data-delivery") in ("queued", "sent", "delivered")
    expect(page.locator("#composer-text")).to_have_value("")

    if channel == "webchat":
        assert session and conversation
        wait_for(lambda: any(reply in (m.get("text") or m.get("body") or "")
                             for m in stack.webchat_messages(session, conversation)), 10, "the reply in the widget")
    else:
        sent = delivered_to(stack, reply)
        assert sent["channel"] == channel and sent["to"].lstrip("+").lower() == address.lstrip("+").lower(), sent

    page.click("#action-close")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "closed")
    expect(page.locator("#action-reopen")).to_be_visible()
    assert stack.ticket(ticket_id)["status"] == "closed"


@pytest.mark.parametrize(("customer", "reason"), [("+14155550125", "opted out"), ("+14155550124", "not subscribed")],
                         ids=["unsubscribed", "no-consent"])
def test_a_reply_without_consent_is_refused_before_typing(page: Any, stack: Stack, customer: str, reason: str) -> None:
    """Demo customers: +14155550125 has unsubscribed from SMS, +14155550124 never consented."""
    token = uuid.uuid4().hex[:8]
    stack.send_sms(customer, f"Hi, are you open on Sunday? ({token})")
    ticket_id = stack.ticket_of(customer)["id"]
    wait_for(lambda: any(token in m["body"] for m in stack.ticket(ticket_id)["messages"]), 10, "the message stored")

    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)
    refusal = page.locator("#reply-refusal")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text("Replying is not possible")
    expect(refusal).to_contain_text(reason)
    expect(page.locator("#send")).to_be_disabled()

    # A note is still possible: the customer never sees it.
    page.click("#mode-note")
    expect(refusal).to_be_hidden()
    page.fill("#composer-text", f"Customer asked about Sunday ({token})")
    page.click("#send")
    expect(page.locator("#messages .msg.note", has_text=token)).to_have_count(1)
    assert not [m for m in stack.outbox(customer) if token in m["body"]]

    # In Korean, the rule is said in Korean (the API names it with a code).
    page.click("#lang")
    open_row(page, ticket_id)
    page.click("#mode-reply")
    expect(refusal).to_contain_text("답장할 수 없습니다")
    expect(refusal).to_contain_text("수신 거부" if reason == "opted out" else "수신에 동의하지 않았습니다")


def test_a_macro_is_previewed_inserted_and_sent(page: Any, stack: Stack) -> None:
    ticket_id, frm = arrive(stack, "sms", "Hello there, quick question")
    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)
    page.locator("#macro-select option[value='mac-demo-order']").wait_for(state="attached")
    page.select_option("#macro-select", "mac-demo-order")
    preview = page.locator("#macro-preview")
    expect(preview).to_be_visible()
    expect(preview).to_contain_text("this is Sam from")  # {{agent.first_name}}, rendered for this agent
    assert "{{" not in preview.inner_text()
    rendered = preview.inner_text().split(":", 1)[1].strip()  # after "Preview:"

    page.click("#macro-insert")
    expect(page.locator("#composer-text")).to_have_value(rendered)
    page.click("#send")
    expect(page.locator("#messages .msg.outbound", has_text="this is Sam from")).to_have_count(1)
    sent = delivered_to(stack, "this is Sam from")
    assert sent["to"] == frm and sent["body"].startswith(rendered.split("{{")[0][:40])


def test_bulk_close_closes_the_selected_tickets_only(page: Any, stack: Stack) -> None:
    chosen = []
    for i in range(3):
        frm = new_number()
        stack.send_sms(frm, f"bulk {i}: my parcel question")
        chosen.append(stack.ticket_of(frm)["id"])
    other = new_number()
    stack.send_sms(other, "not part of the bulk")
    kept = stack.ticket_of(other)["id"]

    sign_in(page, stack, "manager")
    show_view(page, "all")
    page.select_option("#status-filter", "open")
    expect(page.locator("#bulkbar")).to_be_hidden()
    for ticket_id in chosen:
        page.check(f"li.ticket-row[data-id='{ticket_id}'] input.row-check")
    expect(page.locator("#bulkbar")).to_be_visible()
    expect(page.locator("#bulkbar")).to_contain_text("3 selected")
    screenshot(page, "inbox")
    page.click("#bulk-close")

    for ticket_id in chosen:
        expect(page.locator(f"li.ticket-row[data-id='{ticket_id}']")).to_have_count(0)  # the list shows open ones
        assert stack.ticket(ticket_id)["status"] == "closed"
    expect(page.locator(f"li.ticket-row[data-id='{kept}']")).to_have_count(1)
    assert stack.ticket(kept)["status"] == "open"
    expect(page.locator("#bulkbar")).to_be_hidden()


def test_korean_in_and_out(page: Any, stack: Stack) -> None:
    question = "안녕하세요! 파란색 재킷이 아직 있나요?"
    ticket_id, frm = arrive(stack, "sms", question)
    sign_in(page, stack, "support")
    show_view(page, "all")
    expect(page.locator(f"li.ticket-row[data-id='{ticket_id}']")).to_contain_text(question)
    open_row(page, ticket_id)
    expect(page.locator("#messages .msg.inbound .msg-body").last).to_have_text(question)

    reply = "네, 파란색 재킷은 모든 사이즈가 있습니다. 감사합니다 🙂"
    page.fill("#composer-text", reply)
    page.click("#send")
    expect(page.locator("#messages .msg.outbound .msg-body", has_text=reply)).to_have_count(1)
    sent = delivered_to(stack, reply)
    assert sent["to"] == frm and sent["channel"] == "sms"


def test_the_main_screens_for_the_readme(page: Any, stack: Stack) -> None:
    """The owner's inbox, a demo customer's ticket with the overview, settings and reports."""
    jiwoo = stack.info["demo_customers"]["partially_fulfilled"]["phone"]
    ticket_id = stack.ticket_of(jiwoo)["id"]
    sign_in(page, stack, "owner")
    show_view(page, "all")
    open_row(page, ticket_id)
    overview = page.locator("#overview")
    expect(overview.locator("#profile")).to_contain_text("Jiwoo")
    expect(overview.locator("#orders .order").first).to_be_visible()
    expect(overview.locator("#orders")).to_contain_text("#1001")
    overview.locator("#events").wait_for()
    screenshot(page, "ticket")

    page.click("#nav-settings")
    page.locator("#settings-save").wait_for()
    screenshot(page, "settings")
    # Every section draws (its modules load and render without a page error, which the fixture fails on).
    for section, shown in (("channels", "#channel-addresses"), ("office-hours", "#office-timezone"),
                           ("macros", "#macro-form"), ("teams", "#routing-form"), ("skills", "#skills-table"),
                           ("agents", "#agent-table"), ("plan", "#plan-table")):
        page.click(f"#settings-nav-{section}")
        page.locator(shown).wait_for()
        if section == "skills":  # its strings came with its module
            expect(page.locator(shown)).to_contain_text("Order editing")
    page.click("#nav-reports")
    page.locator("#report-csv").wait_for()
    expect(page.locator("#report-from")).to_be_visible()
    screenshot(page, "reports")
