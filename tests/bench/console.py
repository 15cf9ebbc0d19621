"""The console's figures of `make bench` (issue 13), in headless Chromium (Debian's) against the local
stack started as a process, as `make run` starts it:

- `console_first_paint_ms`: a cold load (a new browser context: no cache, no session) from navigation
  start to the sign-in page's first contentful paint (the browser's own `first-contentful-paint`
  entry). Median of 5. Goal: at most 1000.
- `console_inbox_ready_ms`: from the sign-in form's submit to the first rows of My inbox shown (Cognito,
  who am I, the views, the inbox's module and its first page). Median of the same 5 loads.
- `console_ticket_open_ms`: a click on a row of the list to the conversation shown (its messages in the
  page), signed in, on 5 different tickets. Median. Goal: at most 300.
- `console_bytes`: everything the first cold load transfers, from the sign-in page to the inbox shown
  (the network's encoded lengths, headers included, as Chromium's DevTools count them). Goal: at most
  300 KB (307,200).

`python -m tests.bench.console` runs it alone.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RUNS = 5


def log(*parts: Any) -> None:
    print(*parts, file=sys.stderr, flush=True)


def _first_contentful_paint(page: Any, timeout: float = 10) -> float:
    end = time.time() + timeout
    while time.time() < end:
        value = page.evaluate("performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")
        if value is not None:
            return float(value)
        time.sleep(0.02)
    raise RuntimeError("no first-contentful-paint entry")


def _cold_load(browser: Any, stack: Any) -> tuple[float, float, int]:
    """One cold load as the support agent: (first paint ms, submit to inbox rows ms, bytes transferred)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        transferred = [0]
        cdp.on("Network.loadingFinished", lambda event: transferred.__setitem__(0, transferred[0] +
                                                                                   int(event["encodedDataLength"])))
        page.goto(stack.console_url)
        page.locator("#signin-email").wait_for()
        paint = _first_contentful_paint(page)
        user = stack.users["support"]
        page.fill("#signin-email", user["email"])
        page.fill("#signin-password", user["password"])
        started = time.perf_counter()
        page.click("form.signin button[type=submit]")
        page.locator("#ticket-list li.ticket-row").first.wait_for()
        ready = (time.perf_counter() - started) * 1000
        page.wait_for_load_state("networkidle")  # what the inbox fetches right after its first rows too
        return paint, ready, transferred[0]
    finally:
        context.close()


def _ticket_opens(browser: Any, stack: Any, tickets: list[str]) -> list[float]:
    from tests.browser.conftest import show_view, sign_in

    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    try:
        page = context.new_page()
        sign_in(page, stack, "support")
        show_view(page, "all")
        times = []
        for ticket_id in tickets:
            row = page.locator(f"#ticket-list li.ticket-row[data-id='{ticket_id}']")
            row.wait_for()
            started = time.perf_counter()
            row.click()
            page.locator(f"#ticket[data-id='{ticket_id}'] #messages .msg").first.wait_for()
            times.append((time.perf_counter() - started) * 1000)
        return times
    finally:
        context.close()


def measure() -> dict[str, float | int]:
    from playwright.sync_api import sync_playwright

    from tests.browser import Stack, launch_chromium, local_stack, new_number

    with tempfile.TemporaryDirectory(prefix="bench-console-") as workdir, local_stack(Path(workdir)) as info:
        stack = Stack(info)
        customers = [new_number() for _ in range(RUNS)]
        for frm in customers:
            stack.send_sms(frm, "Hello, is the rain jacket waterproof?")
        tickets = [stack.ticket_of(frm)["id"] for frm in customers]
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                _cold_load(browser, stack)  # the stack's first requests import its handlers: not the page's cost
                loads = [_cold_load(browser, stack) for _ in range(RUNS)]
                opens = _ticket_opens(browser, stack, tickets)
            finally:
                browser.close()
    paints, readies, sizes = zip(*loads, strict=True)
    log(f"console: first paint {[round(p) for p in paints]} ms, inbox ready {[round(r) for r in readies]} ms, "
        f"bytes {list(sizes)}, ticket open {[round(o) for o in opens]} ms")
    return {"console_first_paint_ms": statistics.median(paints), "console_inbox_ready_ms": statistics.median(readies),
            "console_ticket_open_ms": statistics.median(opens), "console_bytes": int(statistics.median(sizes))}


def main() -> None:
    from tests.bench.bench import emit

    for name, value in measure().items():
        emit(name, value)


if __name__ == "__main__":
    main()
