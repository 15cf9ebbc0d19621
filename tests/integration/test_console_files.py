"""The console's files and configuration as the agent API serves them (layers/console through
helpdesk.console), the list preview and the macro preview the console reads, and the API serving
requests side by side (the console sends several at once)."""
from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import call, member, text, ticket_id_of


def _gateway() -> Any:
    from app import app
    from infra.local.gateway import Gateway

    return Gateway(app)


def test_the_page_and_its_modules_are_served_with_their_types_and_revalidated_by_etag() -> None:
    gateway = _gateway()
    status, headers, body = gateway.handle("GET", "/console/", {"Host": "127.0.0.1"}, b"")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="js/main.js"' in body and b'type="module"' in body
    # The page loads its own scripts only, and talks to its own origin and the user pool.
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    status, headers, body = gateway.handle("GET", "/console/js/main.js", {}, b"")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript") and b"import" in body
    etag = headers["ETag"]
    status, again, body = gateway.handle("GET", "/console/js/main.js", {"If-None-Match": etag}, b"")
    assert (status, body) == (304, b"") and again["ETag"] == etag
    assert gateway.handle("GET", "/console/app.css", {}, b"")[1]["Content-Type"].startswith("text/css")


def test_without_the_trailing_slash_the_page_redirects_to_it() -> None:
    status, headers, _ = _gateway().handle("GET", "/console", {}, b"")
    # Relative: right under any stage prefix API Gateway puts before the path.
    assert status == 301 and headers["Location"] == "console/"


@pytest.mark.parametrize("path", [
    "/console/..%2Fhelpdesk%2Fconsole.py", "/console/js/..%2F..%2Fhelpdesk%2Fauth.py", "/console/.hidden",
    "/console/js/nothing.js", "/console/README.md", "/console/js/%2Fetc%2Fpasswd",
])
def test_nothing_outside_the_console_folder_nor_an_unknown_name_is_served(path: str) -> None:
    status, _, body = _gateway().handle("GET", path, {}, b"")
    assert status == 404, (path, body)


def test_the_configuration_comes_from_the_deployment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COGNITO_USER_POOL_ID", "eu-west-1_AbCdEf")
    monkeypatch.setenv("COGNITO_APP_CLIENT_ID", "client123")
    monkeypatch.delenv("COGNITO_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AGENT_PRESENCE_SECONDS", "90")
    status, headers, body = _gateway().handle("GET", "/console/config.json", {}, b"")
    config = json.loads(body)
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert config == {"cognito": {"endpoint": "https://cognito-idp.eu-west-1.amazonaws.com/",
                                  "user_pool_id": "eu-west-1_AbCdEf", "client_id": "client123",
                                  "revoke_tokens": True},
                      "presence_seconds": 90}
    # The page may call that endpoint (and nothing else beyond its own origin).
    _, page_headers, _ = _gateway().handle("GET", "/console/", {}, b"")
    assert "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com/" in page_headers["Content-Security-Policy"]
    monkeypatch.setenv("COGNITO_ENDPOINT_URL", "http://127.0.0.1:5000")
    assert json.loads(_gateway().handle("GET", "/console/config.json", {}, b"")[2])["cognito"]["endpoint"] == \
        "http://127.0.0.1:5000"


def test_the_list_shows_the_first_line_of_the_first_message(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    number = customer_number()
    text(brand, number, "\n  Where is order #1001?\nIt was due yesterday.")
    text(brand, number, "hello again")
    ticket_id = ticket_id_of(brand, number)
    status, ticket = call(api, "GET", f"/api/tickets/{ticket_id}", owner)
    assert status == 200 and ticket["preview"] == "Where is order #1001?"
    status, page = call(api, "GET", "/api/tickets?view=all", owner)
    assert [t["preview"] for t in page["items"] if t["id"] == ticket_id] == ["Where is order #1001?"]
    from helpdesk.store.inbound import list_preview

    assert list_preview("x" * 500) == "x" * 87 + "…" and list_preview("  \n ") is None and list_preview(None) is None
    korean = list_preview("주문한 상품이 아직 도착하지 않았어요 언제쯤 받을 수 있을까요 확인 부탁드립니다 감사합니다")
    assert korean is not None and korean.endswith("…") and len(korean.encode()) <= 90


def test_a_macro_preview_renders_it_for_the_ticket_and_stores_nothing(
        aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    owner = member(aws, pool, brand.account_id, "owner")
    support = member(aws, pool, brand.account_id, "support")
    _, macro = call(api, "POST", "/api/macros", owner,
                    {"name": "Hi", "body": "Hi {{customer.first_name}}, about {{ticket.id}}."})
    number = customer_number()
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts

    accounts.put_customer(brand.account_id, Channel.SMS, number, "Jiwoo Kim", "subscribed")
    text(brand, number, "where is my order?")
    ticket_id = ticket_id_of(brand, number)
    before = call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]
    status, preview = call(api, "GET", f"/api/tickets/{ticket_id}/macros/{macro['id']}/preview", support)
    assert status == 200 and preview == {"text": f"Hi Jiwoo, about {ticket_id}."}
    after = call(api, "GET", f"/api/tickets/{ticket_id}", owner)[1]
    assert len(after["messages"]) == len(before["messages"]) and after["version"] == before["version"]
    assert call(api, "GET", f"/api/tickets/{ticket_id}/macros/nope/preview", support)[0] == 404
    assert call(api, "GET", f"/api/tickets/t-nope/macros/{macro['id']}/preview", support)[0] == 404


def test_requests_served_side_by_side_each_read_their_own_body(aws: Aws, pool: Any, brand: Brand) -> None:
    """The local gateway runs requests on threads, as the console sends them: a PUT's body is never
    another request's (Chalice keeps the current request on the app; here it is per thread)."""
    agent = member(aws, pool, brand.account_id, "support")
    gateway = _gateway()
    answers: list[int] = []
    barrier = threading.Barrier(8)

    def presence() -> None:
        barrier.wait()
        status, _, _ = gateway.handle("PUT", "/api/agents/me/presence",
                                      {**agent.headers, "Content-Type": "application/json"}, b'{"status": "online"}')
        answers.append(status)

    def listing() -> None:
        barrier.wait()
        answers.append(gateway.handle("GET", "/api/tickets?view=all", agent.headers, b"")[0])

    threads = [threading.Thread(target=presence if i % 2 else listing) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert answers == [200] * 8


def test_settings_list_the_addresses_each_channel_receives_on(aws: Aws, pool: Any, api: Any, brand: Brand) -> None:
    support = member(aws, pool, brand.account_id, "support")
    status, settings = call(api, "GET", "/api/settings", support)
    assert status == 200
    sms = [c for c in settings["channels"] if c["channel"] == "sms"]
    assert sms and all(set(c) == {"channel", "address", "display_address"} for c in settings["channels"])
    # Shown, never written through settings.
    owner = member(aws, pool, brand.account_id, "owner")
    assert call(api, "PATCH", "/api/settings", owner, {"channels": []})[0] == 400


def test_the_local_stacks_demo_heartbeats_leave_an_agent_to_a_real_console(aws: Aws) -> None:
    """`make run` keeps the demo agents online as open consoles would; once a real console beats for
    one, it is that console's alone (closing its tab lets the presence expire), and an agent a console
    brings online later is never kept online by the demo."""
    import time

    from helpdesk.agents import fresh_since
    from helpdesk.store import agents
    from infra.local import demo
    from infra.local.stack import DemoConsole

    agents.put_agent(demo.ACCOUNT_ID, "a-sam", name="Sam", role="support", email="sam@demo-store.example", online=True)
    agents.put_agent(demo.ACCOUNT_ID, "a-adam", name="Adam", role="admin", email="adam@demo-store.example",
                     online=False)
    console = DemoConsole(None, None, None)  # type: ignore[arg-type]  (tokens are not refreshed here)
    console.beat()
    assert set(console.wrote) == {"a-sam"}
    time.sleep(0.01)
    # Sam's own console beats; Adam's console brings him online.
    agents.heartbeat(demo.ACCOUNT_ID, "a-sam", fresh_since())
    agents.heartbeat(demo.ACCOUNT_ID, "a-adam", fresh_since())
    before = {a.agent_id: a.presence_at for a in agents.roster(demo.ACCOUNT_ID).agents}
    time.sleep(0.01)
    console.beat()
    after = {a.agent_id: a.presence_at for a in agents.roster(demo.ACCOUNT_ID).agents}
    assert console.released == {"a-sam"} and after == before


def test_the_demo_heartbeat_never_undoes_a_switch_to_offline_made_after_it_read_the_roster(
        aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race a browser test met: the demo reads the roster (Mia online, as it left him), Mia's console
    switches him offline, then the demo's write lands. Mia stays offline and is the console's from then."""
    import time

    from helpdesk.store import agents
    from infra.local import demo
    from infra.local.stack import DemoConsole

    agents.put_agent(demo.ACCOUNT_ID, "a-mia", name="Mia", role="support", email="mia@demo-store.example", online=True)
    console = DemoConsole(None, None, None)  # type: ignore[arg-type]
    console.beat()
    time.sleep(0.01)
    roster = agents.roster

    def read_then_switch_off(account_id: str) -> Any:
        read = roster(account_id)
        agents.sign_off(demo.ACCOUNT_ID, "a-mia")  # the console's click, between the read and the write
        return read

    monkeypatch.setattr(agents, "roster", read_then_switch_off)
    console.beat()
    monkeypatch.setattr(agents, "roster", roster)
    mia = agents.get_agent(demo.ACCOUNT_ID, "a-mia")
    assert mia is not None and mia.online is False
    assert "a-mia" in console.released
    console.beat()
    mia = agents.get_agent(demo.ACCOUNT_ID, "a-mia")
    assert mia is not None and mia.online is False
