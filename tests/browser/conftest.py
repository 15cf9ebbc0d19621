"""Fixtures of the console's browser tests: one local stack and one headless Chromium per test process
(`make test` runs two processes, each test file in one of them), a fresh browser context for every test,
and a test that fails when the page throws, logs an error, or gets an error answer it did not expect."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser import ROOT, Stack, launch_chromium, local_stack

# Where the main screens' screenshots go: build/screenshots (git-ignored) on every run, so a run leaves the
# tree clean; `make screenshots` runs the tests that take them with HELPDESK_SCREENSHOTS=docs/screenshots,
# the README's copies.
SCREENSHOTS = ROOT / os.environ.get("HELPDESK_SCREENSHOTS", "build/screenshots")
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with local_stack(tmp_path_factory.mktemp("console-stack")) as info:
        yield Stack(info)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@dataclass
class PageErrors:
    """What went wrong in the page: uncaught errors, console errors, and answers of 400 or more (the
    browser logs each of those as a console error too). A test that provokes an error answer on
    purpose says so with `expect(status, url_part)`."""
    problems: list[str] = field(default_factory=list)
    failed_urls: set[str] = field(default_factory=set)
    expected: list[tuple[int, str]] = field(default_factory=list)

    def expect(self, status: int, url_part: str) -> None:
        self.expected.append((status, url_part))

    def on_response(self, response: Any) -> None:
        if response.status < 400:
            return
        self.failed_urls.add(response.url)
        if any(status == response.status and part in response.url for status, part in self.expected):
            return
        try:
            body = response.text()[:300]
        except Exception:  # the page moved on and the body went with it
            body = ""
        self.problems.append(f"{response.status} {response.request.method} {response.url} "
                             f"{(response.request.post_data or '')[:200]} -> {body}")

    def on_console(self, message: Any) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "")
        # "Failed to load resource: ... status of 409": the answer itself is judged by on_response.
        if message.text.startswith("Failed to load resource") and re.search(r"status of \d+", message.text) \
                and url in self.failed_urls | {u for u in self.failed_urls if u.startswith(url)}:
            return
        self.problems.append(f"console error: {message.text} ({url})")

    def on_page_error(self, error: Any) -> None:
        self.problems.append(f"page error: {error}")


@pytest.fixture
def page_errors() -> PageErrors:
    return PageErrors()


@pytest.fixture
def page(browser: Any, page_errors: PageErrors) -> Iterator[Any]:
    """A new context (no cookies, storage or cache from any other test) in English and UTC."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-US", timezone_id="UTC")
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("response", page_errors.on_response)
    page.on("console", page_errors.on_console)
    page.on("pageerror", page_errors.on_page_error)
    yield page
    context.close()
    assert not page_errors.problems, "the console went wrong:\n" + "\n".join(page_errors.problems)


def sign_in(page: Any, stack: Stack, role: str, *, expect_shell: bool = True) -> None:
    """Signs in through the form, as the demo user of the role; waits for the shell (sidebar) to show."""
    user = stack.users[role]
    page.goto(stack.console_url)
    page.fill("#signin-email", user["email"])
    page.fill("#signin-password", user["password"])
    page.click("form.signin button[type=submit]")
    if expect_shell:
        page.wait_for_selector("#sidebar a.view-link[data-view=mine]")
        page.wait_for_selector("#ticket-list")


def screenshot(page: Any, name: str) -> None:
    """A main screen, for the README (`make screenshots`: docs/screenshots/<name>.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def show_view(page: Any, view: str) -> None:
    """Opens a view from the sidebar."""
    page.click(f"#sidebar a.view-link[data-view={view}]")
    expect(page.locator("#inbox-title")).not_to_be_empty()


def open_row(page: Any, ticket_id: str) -> None:
    """Clicks the ticket's row, as an agent would, and waits for its conversation."""
    page.click(f"#ticket-list li.ticket-row[data-id='{ticket_id}']")
    page.locator(f"#ticket[data-id='{ticket_id}'] #messages").wait_for()
