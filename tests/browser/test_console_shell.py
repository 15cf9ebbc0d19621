"""The console's shell in headless Chromium against the local stack: sign-in and sign-out, a user who is
no agent, the presence switch and round-robin assignment, English and Korean, the keyboard, snooze and
wake."""
from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import Stack, new_number, wait_for
from tests.browser.conftest import PageErrors, open_row, screenshot, show_view, sign_in

pytestmark = pytest.mark.e2e


def test_a_wrong_password_is_told_and_the_right_one_enters(page: Any, stack: Stack, page_errors: PageErrors) -> None:
    page_errors.expect(400, stack.info["aws_endpoint_url"])  # Cognito: NotAuthorizedException
    page.goto(stack.console_url)
    page.wait_for_selector("#signin-email")
    screenshot(page, "sign-in")
    page.fill("#signin-email", stack.users["support"]["email"])
    page.fill("#signin-password", "not-the-password")
    page.click("form.signin button[type=submit]")
    expect(page.locator("#signin-error")).to_have_text("Wrong email or password.")
    assert page.locator("#sidebar").count() == 0

    page.fill("#signin-password", stack.users["support"]["password"])
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("#sidebar a.view-link[data-view=mine]")
    assert "Sam Support" in page.inner_text("header")
    views = page.eval_on_selector_all("#sidebar a.view-link", "links => links.map(a => a.dataset.view)")
    assert views[:4] == ["mine", "unassigned", "all", "spam"]


def test_a_user_who_is_no_agent_sees_why_and_can_sign_out(page: Any, stack: Stack, page_errors: PageErrors) -> None:
    page_errors.expect(403, "/api/agents/me")
    sign_in(page, stack, "analyst", expect_shell=False)
    page.wait_for_selector("#not-agent")
    assert "not an agent of the helpdesk" in page.inner_text("#not-agent")
    assert page.locator("#sidebar").count() == 0 and page.locator("#ticket-list").count() == 0
    page.click("#not-agent button")
    page.wait_for_selector("#signin-email")


def test_sign_out_ends_the_session_in_this_tab(page: Any, stack: Stack) -> None:
    # The admin is offline in the demo: signing out (which also says offline) changes no one's assignment.
    sign_in(page, stack, "admin")
    assert page.evaluate("sessionStorage.getItem('helpdesk.session')") is not None
    page.click("#signout")
    page.wait_for_selector("#signin-email")
    assert page.evaluate("sessionStorage.getItem('helpdesk.session')") is None
    page.reload()
    page.wait_for_selector("#signin-email")
    assert page.locator("#sidebar").count() == 0


def test_the_token_is_refreshed_before_it_expires(page: Any, stack: Stack) -> None:
    """A session whose ID token is about to expire asks the user pool for a new one (the refresh token)
    and goes on with it, without the agent signing in again."""
    sign_in(page, stack, "manager")
    old = page.evaluate("JSON.parse(sessionStorage.getItem('helpdesk.session'))")
    # As if the token had 5 min 6 s left: the page refreshes 5 min ahead, so in about a second.
    page.evaluate("""() => {
        const s = JSON.parse(sessionStorage.getItem('helpdesk.session'));
        s.expiresAt = Date.now() + 306000;
        sessionStorage.setItem('helpdesk.session', JSON.stringify(s));
    }""")
    with page.expect_request(lambda r: r.url.startswith(stack.info["aws_endpoint_url"]) and r.method == "POST"
                             and "REFRESH_TOKEN_AUTH" in (r.post_data or ""), timeout=20000):
        page.reload()
    # Polled from here: wait_for_function compiles its predicate with eval, which the console's CSP refuses
    # once the predicate is not true at the first try.
    wait_for(lambda: page.evaluate("JSON.parse(sessionStorage.getItem('helpdesk.session')).expiresAt"
                                   " > Date.now() + 600000"), 10, "the session holds a fresh token")
    new = page.evaluate("JSON.parse(sessionStorage.getItem('helpdesk.session'))")
    assert new["refreshToken"] == old["refreshToken"] and new["email"] == old["email"]
    # The API takes the session's token (a refresh of the inbox answers).
    with page.expect_response(lambda r: "/api/tickets?" in r.url and r.status == 200):
        page.click("#inbox-refresh")


def test_presence_off_stops_assignment_to_the_agent(page: Any, stack: Stack) -> None:
    support = stack.agent_id("support")

    def status_of_support() -> str:
        _, agents = stack.api("GET", "/api/agents")
        return str(next(a["status"] for a in agents["items"] if a["id"] == support))

    sign_in(page, stack, "support")
    switch = page.locator("#presence")
    assert switch.get_attribute("role") == "switch"
    assert switch.get_attribute("aria-checked") == "true"  # online in the demo, and the page beats
    assert status_of_support() == "online"

    switch.click()
    page.wait_for_selector("#presence[aria-checked=false]")
    assert switch.inner_text().strip() == "Offline"
    wait_for(lambda: status_of_support() == "offline", 10, "the API sees the agent offline")

    # Round robin spreads new tickets over the online agents: three in a row would reach an online Sam.
    customers = [new_number() for _ in range(3)]
    for frm in customers:
        stack.send_sms(frm, "Hello, a question about sizes")
    for ticket_id in [stack.ticket_of(frm)["id"] for frm in customers]:
        assigned = wait_for(lambda t=ticket_id: stack.ticket(t)["assignee_id"], 20, "the ticket assigned")
        assert assigned != support

    switch.click()
    page.wait_for_selector("#presence[aria-checked=true]")
    wait_for(lambda: status_of_support() == "online", 10, "the API sees the agent online again")


def test_the_language_button_switches_to_korean_and_back(page: Any, stack: Stack) -> None:
    sign_in(page, stack, "manager")
    mine = page.locator("#sidebar a.view-link[data-view=mine] .view-name")
    assert mine.inner_text() == "My inbox"
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    assert page.locator("#sidebar a.view-link[data-view=mine] .view-name").inner_text() == "내 티켓"
    assert page.locator("#sidebar a.view-link[data-view=unassigned] .view-name").inner_text() == "미배정"
    assert page.inner_text("#nav-inbox") == "받은 편지함"
    assert page.inner_text("#signout") == "로그아웃"
    assert page.locator("#presence .presence-text").inner_text() in ("온라인", "오프라인")
    page.locator("#status-filter").wait_for()
    assert page.locator("#status-filter option[value=open]").inner_text() == "열림"
    assert page.inner_text("#lang") == "English"

    page.reload()  # the choice is kept
    page.wait_for_selector("#sidebar a.view-link[data-view=mine]")
    assert page.locator("#sidebar a.view-link[data-view=mine] .view-name").inner_text() == "내 티켓"
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.locator("#sidebar a.view-link[data-view=mine] .view-name").inner_text() == "My inbox"


def test_a_refusal_of_the_api_is_told_in_the_agents_language(page: Any, stack: Stack,
                                                             page_errors: PageErrors) -> None:
    """The API gives its reasons in English; a Korean agent reads what happened in Korean, then why."""
    page_errors.expect(400, "/api/agents")
    sign_in(page, stack, "owner")
    page.click("#lang")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    page.goto(page.url.split("#")[0] + "#/settings/agents")
    page.locator("#agent-invite-form").wait_for()
    page.fill("#agent-invite-email", "not-an-address")
    with page.expect_response(lambda r: r.url.endswith("/api/agents") and r.request.method == "POST") as answer:
        page.click("#agent-invite-submit")
    assert answer.value.status == 400
    reason = answer.value.json()["error"]
    expect(page.locator("#agent-invite-error")).to_have_text(f"받아들여지지 않았습니다 ({reason})")
    _, agents = stack.api("GET", "/api/agents")
    assert all(a.get("email") != "not-an-address" for a in agents["items"])
    page.click("#lang")  # back to English for the tests after (the choice is kept in the browser)
    expect(page.locator("#agent-invite-form")).to_be_visible()


def test_the_unread_badge_setting_turned_off_hides_every_badge(page: Any, stack: Stack) -> None:
    stack.send_sms(new_number(), "unread badge: a new unread ticket")  # at least one unread, unassigned or not
    sign_in(page, stack, "manager")
    badges = page.locator("#sidebar .badge")
    expect(badges.first).to_be_visible()
    assert stack.api("PATCH", "/api/settings", body={"unread_badge": False})[0] == 200
    try:
        page.reload()
        page.wait_for_selector("#sidebar a.view-link[data-view=mine]")
        page.wait_for_selector("#ticket-list li.ticket-row")
        page.wait_for_timeout(500)  # the badges are counted after the list shows
        expect(badges).to_have_count(0)
    finally:
        assert stack.api("PATCH", "/api/settings", body={"unread_badge": True})[0] == 200


def test_the_keyboard_moves_opens_and_closes(page: Any, stack: Stack) -> None:
    frm = new_number()
    stack.send_sms(frm, "keyboard: a question about my order")
    ticket_id = stack.ticket_of(frm)["id"]
    sign_in(page, stack, "manager")
    show_view(page, "all")
    page.select_option("#status-filter", "open")
    page.locator(f"li.ticket-row[data-id='{ticket_id}']").wait_for()
    page.locator("#ticket-list").focus()  # no field holds the focus: the keys are the console's
    page.locator("#ticket-list").blur()
    rows = page.eval_on_selector_all("#ticket-list li.ticket-row", "rows => rows.map(r => r.dataset.id)")
    assert len(rows) >= 2

    def cursor() -> str | None:
        return page.locator("#ticket-list li.ticket-row.cursor").get_attribute("data-id")

    page.keyboard.press("j")
    assert cursor() == rows[0]
    page.keyboard.press("j")
    assert cursor() == rows[1]
    page.keyboard.press("k")
    assert cursor() == rows[0]
    for _ in range(len(rows)):  # down to the ticket of this test
        if cursor() == ticket_id:
            break
        page.keyboard.press("j")
    assert cursor() == ticket_id
    page.keyboard.press("Enter")
    page.locator(f"#ticket[data-id='{ticket_id}']").wait_for()
    assert page.url.endswith(f"#/inbox/all/t/{ticket_id}")

    page.keyboard.press("n")
    expect(page.locator("#mode-note")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#composer-text")).to_be_focused()
    page.keyboard.press("Escape")  # leaves the field
    page.keyboard.press("r")
    expect(page.locator("#mode-reply")).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Escape")

    page.keyboard.press("?")
    shortcuts = page.locator("dialog#shortcuts")
    shortcuts.wait_for()
    listed = shortcuts.locator("kbd").all_inner_texts()
    for key in ("j", "k", "r", "n", "e", "s", "a", "#", "?"):
        assert key in listed, listed
    page.keyboard.press("Escape")
    shortcuts.wait_for(state="detached")

    page.keyboard.press("e")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "closed")
    wait_for(lambda: stack.ticket(ticket_id)["status"] == "closed", 5, "the ticket closed")


def test_a_snoozed_ticket_wakes_at_the_chosen_time(page: Any, stack: Stack) -> None:
    frm = new_number()
    stack.send_sms(frm, "Please remind me about my exchange")
    ticket_id = stack.ticket_of(frm)["id"]
    sign_in(page, stack, "support")
    show_view(page, "all")
    open_row(page, ticket_id)

    page.click("#action-snooze")
    dialog = page.locator("dialog#snooze-dialog")
    dialog.wait_for()
    for choice in ("later", "tomorrow", "next_week"):
        expect(dialog.locator(f"[data-snooze={choice}]")).to_be_visible()
    # The browser runs in UTC (the `page` fixture): a local time a few seconds ahead is this UTC time.
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)).replace(tzinfo=None, microsecond=0)
    page.fill("#snooze-at", until.isoformat())
    page.click("#snooze-custom")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "snoozed")
    snoozed = stack.ticket(ticket_id)
    assert snoozed["status"] == "snoozed" and snoozed["snooze_until"].startswith(until.isoformat()[:16]), snoozed

    # The stack's sweep (every 2 s here) wakes it; the open ticket shows it without a reload.
    wait_for(lambda: stack.ticket(ticket_id)["status"] == "open", 30, "the ticket woken by the sweep")
    expect(page.locator("#ticket-status")).to_have_attribute("data-status", "open", timeout=15_000)


def test_an_invited_agent_chooses_a_password_at_the_first_sign_in(page: Any, stack: Stack) -> None:
    """An owner invites an agent (Cognito emails a temporary password); the first sign-in with it asks for
    the agent's own password, then enters; the temporary one no longer works."""
    import uuid

    import boto3

    email = f"nina-{uuid.uuid4().hex[:6]}@demo-store.example"
    status, invited = stack.api("POST", "/api/agents", "owner", {"email": email, "name": "Nina New", "role": "support"})
    assert status == 201, invited
    # The temporary password Cognito would have emailed (moto sends no mail): set by the pool's admin.
    idp = boto3.client("cognito-idp", endpoint_url=stack.info["aws_endpoint_url"], region_name="us-east-1",
                       aws_access_key_id="local", aws_secret_access_key="local")
    idp.admin_set_user_password(UserPoolId=stack.info["cognito"]["user_pool_id"], Username=email,
                                Password="Temporary-pass-1", Permanent=False)
    page.goto(stack.console_url)
    page.fill("#signin-email", email)
    page.fill("#signin-password", "Temporary-pass-1")
    page.click("form.signin button[type=submit]")
    expect(page.locator("#signin-title")).to_have_text("Choose your own password")
    assert page.locator("#signin-email").count() == 0
    page.fill("#signin-password", "Nina-own-password-1")
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("#sidebar a.view-link[data-view=mine]")
    assert "Nina New" in page.inner_text("header")
    with pytest.raises(idp.exceptions.NotAuthorizedException):  # the temporary password is spent
        idp.initiate_auth(ClientId=stack.info["cognito"]["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                          AuthParameters={"USERNAME": email, "PASSWORD": "Temporary-pass-1"})
