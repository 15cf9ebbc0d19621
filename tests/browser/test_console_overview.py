"""The ticket's overview panel in headless Chromium against the local stack (SPEC §4): an agent acting on
the customer's orders and subscriptions (the demo shop's Shopify and Recharge stand-ins hold what changed,
the ticket the note that says who changed it), and the profile's events filtered by metric."""
from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import Stack, new_number
from tests.browser.conftest import PageErrors, open_row, show_view, sign_in

pytestmark = pytest.mark.e2e


def orders_of(stack: Stack, ticket_id: str) -> dict[str, Any]:
    status, data = stack.api("GET", f"/api/tickets/{ticket_id}/orders")
    assert status == 200, data
    return dict(data)


def test_an_agent_changes_an_order_and_skips_a_subscription_charge(page: Any, stack: Stack) -> None:
    alex = stack.info["demo_customers"]["unfulfilled"]["phone"]
    ticket_id = stack.ticket_of(alex)["id"]
    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)
    order = page.locator("#orders .order[data-order='#1002']")
    expect(order).to_contain_text("2 × Silk Scarf - Ivory")
    # A cancelled order offers nothing to do.
    expect(page.locator("#orders .order[data-order='#0995']")).to_be_visible()
    expect(page.locator("#orders .order[data-order='#0995'] button")).to_have_count(0)

    # Backing out of a dialog sends nothing.
    order.get_by_role("button", name="Cancel order").click()
    expect(page.locator("#order-cancel-dialog")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#order-cancel-dialog")).to_have_count(0)

    order.get_by_role("button", name="Change quantities").click()
    dialog = page.locator("#order-edit-dialog")
    scarf = dialog.get_by_label(re.compile("^Silk Scarf - Ivory"))
    page.click("#order-edit-dialog-confirm")  # nothing changed yet: told so, nothing sent
    expect(page.locator("#order-edit-dialog-error")).to_have_text("Change a quantity first.")
    scarf.fill("1")
    page.click("#order-edit-dialog-confirm")
    expect(dialog).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Changed order #1002: Silk Scarf - Ivory 2 → 1")
    expect(order).to_contain_text("1 × Silk Scarf - Ivory")
    shopify = next(o for o in orders_of(stack, ticket_id)["orders"] if o["name"] == "#1002")
    assert [line["quantity"] for line in shopify["lines"] if line["title"] == "Silk Scarf - Ivory"] == [1]
    notes = [m for m in stack.ticket(ticket_id)["messages"] if m["direction"] == "note" and "#1002" in m["body"]]
    assert len(notes) == 1  # one action, one note

    socks = page.locator("#orders [data-subscription]").filter(has_text="Wool Socks Club")
    socks.get_by_role("button", name="Skip next charge").click()
    page.click("#sub-skip-dialog-confirm")
    expect(page.locator("#sub-skip-dialog")).to_have_count(0)
    expect(page.locator("#messages")).to_contain_text("Skipped the")
    expect(page.locator("#messages")).to_contain_text("(Wool Socks Club)")


def test_a_refused_subscription_change_is_told_in_the_dialog_and_changes_nothing(page: Any, stack: Stack,
                                                                               page_errors: PageErrors) -> None:
    page_errors.expect(400, "/order-actions")
    jiwoo = stack.info["demo_customers"]["partially_fulfilled"]["phone"]
    ticket_id = stack.ticket_of(jiwoo)["id"]
    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)
    coffee = page.locator("#orders [data-subscription]").filter(has_text="Cold Brew Coffee")
    coffee.get_by_role("button", name="Change").click()
    dialog = page.locator("#sub-change-dialog")
    before = next(s for s in orders_of(stack, ticket_id)["subscriptions"] if s["product_title"] == "Cold Brew Coffee")
    # The page keeps dates before tomorrow out; the API refuses one that gets through all the same.
    page.evaluate("document.getElementById('oa-sub-date').removeAttribute('min')")
    page.fill("#oa-sub-date", "2020-01-01")
    page.click("#sub-change-dialog-confirm")
    expect(page.locator("#sub-change-dialog-error")).to_contain_text(
        "Not accepted: next_charge_date must be a day after today")
    expect(dialog).to_be_visible()
    after = next(s for s in orders_of(stack, ticket_id)["subscriptions"] if s["product_title"] == "Cold Brew Coffee")
    assert after == before
    page.fill("#oa-sub-quantity", "2")
    page.fill("#oa-sub-date", "")
    page.click("#sub-change-dialog-confirm")
    expect(dialog).to_have_count(0)
    expect(coffee).to_contain_text("Cold Brew Coffee × 2")


def test_the_profiles_events_are_filtered_by_metric_and_the_filter_is_kept(page: Any, stack: Stack) -> None:
    frm = new_number()
    stack.send_sms(frm, "a question about the events panel")
    ticket_id = stack.ticket_of(frm)["id"]
    events = [{"id": f"ev-{frm}-{i}", "metric": "Placed Order", "time": f"2026-11-0{i + 1}T10:00:00Z",
               "properties": {"value": 20 + i}, "profile": {"phone": frm}} for i in range(3)]
    events += [{"id": f"ev-{frm}-v{i}", "metric": "Viewed Product", "time": f"2026-11-1{i}T10:00:00Z",
                "properties": {"name": f"Linen Shirt {i}"}, "profile": {"phone": frm}} for i in range(2)]
    status, answer = stack.api("POST", "/api/profile-events", body={"events": events})
    assert status == 202 and answer["accepted"] == 5, answer
    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)
    panel = page.locator("#events")
    expect(panel.locator("h3")).to_have_text(["Viewed Product (2)", "Placed Order (3)"])
    panel.locator("#events-metric").select_option("Viewed Product")
    expect(panel.locator("#events-list li")).to_have_count(2)
    expect(panel.locator("#events-list")).to_contain_text("Linen Shirt 1")
    expect(panel.locator("#events-list")).not_to_contain_text("Placed Order")
    page.reload()  # the filter is the agent's: kept for the next ticket they open
    open_row(page, ticket_id)
    expect(panel.locator("#events-metric")).to_have_value("Viewed Product")
    expect(panel.locator("#events-list li")).to_have_count(2)
    panel.locator("#events-metric").select_option("")
    expect(panel.locator("h3")).to_have_count(2)
