"""The web-chat Lambda against moto (ARCHITECTURE §6): sessions and their tokens, every conversation its
own ticket and a closed one never reopened, exactly once under replays and races, the widget reading
agent replies, the presence follow-up email (SES), the autoresponder by office hours, and bad input."""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email import message_from_string
from email.policy import default as default_policy
from email.utils import getaddresses
from typing import Any

import jwt
import pytest

from functions.webhooks import webchat
from helpdesk import replies, sweep
from helpdesk.assignment import TicketEvent
from helpdesk.assignment import handle as assignment_handle
from helpdesk.auth import AgentIdentity
from helpdesk.store import accounts
from helpdesk.store import mail as mail_store
from helpdesk.store.tickets import get_ticket
from helpdesk.workspace import ticket_detail
from tests.conftest import Brand
from tests.integration import tables
from tests.integration.edits import update_ticket
from tests.providers import gateway_event

SECRET = os.environ["WEBCHAT_SECRET"]  # as tests/conftest.py sets it
AUDIENCE = "helpdesk-webchat"
MESSAGES_ROUTE = "/webhooks/webchat/{conversation_id}/messages"


@pytest.fixture(autouse=True)
def _setup(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    """The widget of the test's brand (DEFAULT_ACCOUNT_ID, as a single-brand deployment sets it); the
    product's lazily made AWS clients built before threads race to build them."""
    assert os.environ["WEBCHAT_SECRET"] == SECRET
    monkeypatch.setenv("DEFAULT_ACCOUNT_ID", brand.account_id)
    mail_store._ses()
    from helpdesk.store.models import Item

    Item._get_connection().connection.client  # noqa: B018


# --- the widget -----------------------------------------------------------------------------------------

def identity_hash(email: str, secret: str = SECRET) -> str:
    """What the brand's site computes: HMAC-SHA256 of the trimmed, lower-cased email (README)."""
    return hmac.new(secret.encode(), email.strip().lower().encode(), hashlib.sha256).hexdigest()


def call(event: dict[str, Any]) -> tuple[int, Any]:
    response = webchat.handler(event, None)
    body = response.get("body") or ""
    return response["statusCode"], (json.loads(body) if body else None)


def start(body: dict[str, Any] | None = None) -> tuple[int, Any]:
    return call(gateway_event("POST", "/webchat/sessions", json.dumps(body if body is not None else {}),
                              {"Content-Type": "application/json"}))


def session(email: str | None = None) -> dict[str, Any]:
    """A new session: anonymous, or verified for `email`."""
    status, body = start({"email": email, "identity_hash": identity_hash(email)} if email else {})
    assert status == 201, body
    return dict(body)


def customer_email() -> str:
    return f"kim.{uuid.uuid4().hex[:8]}@customer.example"


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token is not None else {}


def post_raw(token: str | None, raw: bytes | str, content_type: str = "application/json") -> tuple[int, Any]:
    return call(gateway_event("POST", "/webhooks/webchat", raw, {"Content-Type": content_type, **auth(token)}))


def post(token: str | None, body: dict[str, Any]) -> tuple[int, Any]:
    return post_raw(token, json.dumps(body))


def say(token: str, text: str, conversation_id: str | None = None, message_id: str | None = None) -> dict[str, Any]:
    """One chat message; asserts the 2xx answer and returns it ({conversation_id, ticket_id})."""
    body: dict[str, Any] = {"type": "message", "message_id": message_id or uuid.uuid4().hex, "text": text}
    if conversation_id is not None:
        body["conversation_id"] = conversation_id
    status, answer = post(token, body)
    assert 200 <= status < 300, answer
    assert answer["conversation_id"] and answer["ticket_id"], answer
    return dict(answer)


def presence(token: str, conversation_id: str, state: str) -> None:
    status, answer = post(token, {"type": "presence", "conversation_id": conversation_id, "state": state})
    assert 200 <= status < 300, answer


def read_replies(token: str | None, conversation_id: str, after: str | None = None) -> tuple[int, Any]:
    event = gateway_event("GET", f"/webhooks/webchat/{conversation_id}/messages", headers=auth(token),
                          query={"after": after} if after else None)
    event["resource"] = event["requestContext"]["resourcePath"] = MESSAGES_ROUTE
    event["pathParameters"] = {"conversation_id": conversation_id}
    return call(event)


# --- the agent side ---------------------------------------------------------------------------------------

def agent(brand: Brand) -> AgentIdentity:
    return AgentIdentity("agent-1", brand.account_id, ("owner",))


def reply(brand: Brand, ticket_id: str, text: str) -> dict[str, Any]:
    return replies.post(agent(brand), ticket_id, {"body": text, "type": "reply"})


def close(brand: Brand, ticket_id: str) -> None:
    update_ticket(get_ticket(brand.account_id, ticket_id), status="closed")


def bodies_of(brand: Brand, ticket_id: str, direction: str = "inbound") -> list[str]:
    return [m["body"] for m in ticket_detail(agent(brand), ticket_id)["messages"] if m["direction"] == direction]


def ticket(brand: Brand, ticket_id: str) -> dict[str, Any]:
    found = tables.ticket_item(brand.account_id, ticket_id)
    assert found is not None, ticket_id
    return found


def all_at_once(calls: list[Callable[[], tuple[int, Any]]]) -> list[tuple[int, Any]]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(lambda c: c(), calls))


# --- sessions -------------------------------------------------------------------------------------------

def test_anonymous_session(brand: Brand) -> None:
    status, body = start({})
    assert status == 201, body
    assert body["authenticated"] is False
    assert isinstance(body["token"], str) and isinstance(body["visitor_id"], str) and body["visitor_id"]
    assert session()["visitor_id"] != body["visitor_id"], "every anonymous visitor is someone new"


def test_verified_session_is_authenticated_and_keeps_its_visitor(brand: Brand) -> None:
    email = customer_email()
    first, second = session(email), session(email)
    assert first["authenticated"] is True and second["authenticated"] is True
    assert first["visitor_id"] == second["visitor_id"]
    assert session(customer_email())["visitor_id"] != first["visitor_id"]


def test_session_token_says_who_and_whether_authenticated(brand: Brand) -> None:
    anonymous, verified = session(), session(customer_email())
    a = say(anonymous["token"], "hi")
    v = say(verified["token"], "hi")
    assert ticket(brand, a["ticket_id"])["contact"] == anonymous["visitor_id"]
    assert ticket(brand, v["ticket_id"])["contact"] == verified["visitor_id"]
    [a_msg] = tables.messages_of(brand.account_id, a["ticket_id"])
    [v_msg] = tables.messages_of(brand.account_id, v["ticket_id"])
    assert a_msg["extra"]["authenticated"] == "false" and v_msg["extra"]["authenticated"] == "true"


def test_wrong_identity_hash_is_403(brand: Brand) -> None:
    email = customer_email()
    status, body = start({"email": email, "identity_hash": identity_hash(email, "another-secret")})
    assert status == 403 and body.get("error")
    status, body = start({"email": email, "identity_hash": identity_hash(customer_email())})
    assert status == 403


def test_a_hash_of_one_spelling_of_an_email_does_not_vouch_for_another(brand: Brand) -> None:
    email = customer_email()
    shouted = email.upper()
    raw_hash = hmac.new(SECRET.encode(), shouted.encode(), hashlib.sha256).hexdigest()  # not canonicalised
    status, _ = start({"email": email, "identity_hash": raw_hash})
    assert status == 403
    status, _ = start({"email": shouted, "identity_hash": raw_hash})
    assert status == 403
    status, body = start({"email": f"  {shouted} ", "identity_hash": identity_hash(email)})
    assert status == 201 and body["authenticated"] is True


def test_email_without_identity_hash_is_400(brand: Brand) -> None:
    status, body = start({"email": customer_email()})
    assert status == 400 and body.get("error")


def test_session_request_that_is_not_json_is_refused(brand: Brand) -> None:
    status, _ = call(gateway_event("POST", "/webchat/sessions", "{}", {"Content-Type": "text/plain"}))
    assert status == 415
    status, _ = call(gateway_event("POST", "/webchat/sessions", "{", {"Content-Type": "application/json"}))
    assert status == 400


def test_session_for_an_unknown_account_is_404(brand: Brand) -> None:
    status, _ = start({"account_id": "acct-" + uuid.uuid4().hex[:10]})
    assert status == 404


def forged(brand: Brand, secret: str = os.environ["WEBCHAT_SESSION_KEY"], **claims: Any) -> str:
    now = int(time.time())
    return jwt.encode({"sub": "v" + uuid.uuid4().hex[:20], "acct": brand.account_id, "auth": True,
                       "aud": AUDIENCE, "iat": now, "exp": now + 600, **claims}, secret, algorithm="HS256")


def test_expired_token_is_401(brand: Brand) -> None:
    old = int(time.time()) - 3 * 24 * 3600
    status, body = post(forged(brand, iat=old, exp=old + 24 * 3600),
                        {"type": "message", "message_id": "m1", "text": "hello"})
    assert status == 401 and body.get("error")
    assert tables.tickets(brand.account_id) == []


@pytest.mark.parametrize("token", [None, "garbage", "a.b.c"])
def test_missing_or_garbage_token_is_401(brand: Brand, token: str | None) -> None:
    status, _ = post(token, {"type": "message", "message_id": "m1", "text": "hello"})
    assert status == 401
    assert tables.tickets(brand.account_id) == []


def test_token_signed_with_another_secret_or_for_another_audience_is_401(brand: Brand) -> None:
    # The brand's site holds the web-chat secret (for identity hashes): it must not mint sessions.
    for token in (forged(brand, secret="not-the-webchat-secret"), forged(brand, secret=SECRET),
                  forged(brand, aud="someone-else")):
        status, _ = post(token, {"type": "message", "message_id": "m1", "text": "hello"})
        assert status == 401
    assert tables.tickets(brand.account_id) == []


def test_an_account_with_its_own_web_chat_secret_accepts_only_its_hashes(brand: Brand) -> None:
    """Brands of one deployment cannot vouch for each other's customers."""
    from helpdesk.store import accounts

    own = "brand-own-web-chat-secret-0123456789abcdef"
    stored = accounts.get_account(brand.account_id)
    stored.update(actions=[type(stored).webchat_secret.set(own)])
    accounts.forget_addresses()  # the account cache of this process
    email = customer_email()
    status, _ = start({"email": email, "identity_hash": identity_hash(email)})  # the deployment's secret
    assert status == 403
    status, body = start({"email": email, "identity_hash": identity_hash(email, own)})
    assert status == 201 and body["authenticated"] is True


def test_a_new_session_reusing_a_message_id_is_a_new_message_not_a_replay(brand: Brand) -> None:
    email = customer_email()
    first = say(session(email)["token"], "where is my order?", message_id="m-0001")
    second = say(session(email)["token"], "I want to cancel order 42", message_id="m-0001")  # another device
    assert first["conversation_id"] != second["conversation_id"]
    assert bodies_of(brand, first["ticket_id"]) == ["where is my order?"]
    assert bodies_of(brand, second["ticket_id"]) == ["I want to cancel order 42"]


# --- conversations and tickets ------------------------------------------------------------------------

def test_first_message_starts_a_conversation_and_its_ticket(brand: Brand) -> None:
    visitor = session()
    first = say(visitor["token"], "Hi, where is my order?")
    t = ticket(brand, first["ticket_id"])
    assert (t["channel"], t["status"], t["contact"]) == ("webchat", "open", visitor["visitor_id"])
    again = say(visitor["token"], "Order #1001", first["conversation_id"])
    assert again == first
    assert bodies_of(brand, first["ticket_id"]) == ["Hi, where is my order?", "Order #1001"]
    sent = tables.drain(brand.queue_url)
    assert [(e["type"], e["ticket_id"]) for e in sent].count(("ticket.created", first["ticket_id"])) == 1


def test_every_conversation_is_a_new_ticket_even_for_the_same_person(brand: Brand) -> None:
    email = customer_email()
    one = say(session(email)["token"], "first chat")
    two = say(session(email)["token"], "second chat")  # the same verified customer, later
    three = say(session(email)["token"], "third chat", two["conversation_id"])
    assert one["conversation_id"] != two["conversation_id"] and one["ticket_id"] != two["ticket_id"]
    assert three == two
    assert len(tables.tickets(brand.account_id)) == 2


def test_a_message_never_joins_another_visitors_conversation(brand: Brand) -> None:
    owner, stranger = session(), session()
    mine = say(owner["token"], "private question")
    theirs = say(stranger["token"], "let me in", mine["conversation_id"])
    assert theirs["ticket_id"] != mine["ticket_id"]
    assert bodies_of(brand, mine["ticket_id"]) == ["private question"]
    assert ticket(brand, theirs["ticket_id"])["contact"] == stranger["visitor_id"]


def test_message_to_a_closed_conversation_starts_a_new_one(brand: Brand) -> None:
    visitor = session()
    first = say(visitor["token"], "hello")
    close(brand, first["ticket_id"])
    tables.drain(brand.queue_url)

    answer = say(visitor["token"], "one more thing", first["conversation_id"])
    assert answer["conversation_id"] != first["conversation_id"]
    assert answer["ticket_id"] != first["ticket_id"]
    old, new = ticket(brand, first["ticket_id"]), ticket(brand, answer["ticket_id"])
    assert old["status"] == "closed" and old["message_count"] == 1
    assert new["status"] == "open" and new["contact"] == visitor["visitor_id"]
    assert bodies_of(brand, answer["ticket_id"]) == ["one more thing"]
    # the widget carries on in the new conversation; a straggler to the old one lands there too
    assert say(visitor["token"], "and another", answer["conversation_id"]) == answer
    assert say(visitor["token"], "late", first["conversation_id"]) == answer
    assert ticket(brand, first["ticket_id"])["status"] == "closed"
    assert [e["type"] for e in tables.drain(brand.queue_url)].count("ticket.created") == 1
    assert len(tables.tickets(brand.account_id)) == 2


def test_message_to_a_conversation_closed_twice_over_lands_in_a_third_ticket(brand: Brand) -> None:
    visitor = session()
    first = say(visitor["token"], "one")
    close(brand, first["ticket_id"])
    second = say(visitor["token"], "two", first["conversation_id"])
    close(brand, second["ticket_id"])
    third = say(visitor["token"], "three", first["conversation_id"])
    assert len({first["ticket_id"], second["ticket_id"], third["ticket_id"]}) == 3
    assert sorted(t["status"] for t in tables.tickets(brand.account_id)) == ["closed", "closed", "open"]


# --- exactly once -----------------------------------------------------------------------------------------

def message_body(text: str, conversation_id: str | None = None, message_id: str | None = None) -> dict[str, Any]:
    body = {"type": "message", "message_id": message_id or uuid.uuid4().hex, "text": text}
    if conversation_id:
        body["conversation_id"] = conversation_id
    return body


def test_first_message_replayed_three_times_in_sequence_is_stored_once(brand: Brand) -> None:
    token = session()["token"]
    body = message_body("hello?")
    answers = [post(token, body) for _ in range(3)]
    assert all(200 <= s < 300 for s, _ in answers)
    assert len({json.dumps(a, sort_keys=True) for _, a in answers}) == 1
    [t] = tables.tickets(brand.account_id)
    assert t["ticket_id"] == answers[0][1]["ticket_id"] and t["message_count"] == 1
    assert len(tables.all_messages(brand.account_id)) == 1


def test_message_replayed_three_times_at_once_is_stored_once(brand: Brand) -> None:
    token = session()["token"]
    first = say(token, "hello")
    body = message_body("are you there?", first["conversation_id"])
    answers = all_at_once([lambda: post(token, body)] * 3)
    assert all(200 <= s < 300 for s, _ in answers)
    assert {(a["conversation_id"], a["ticket_id"]) for _, a in answers} == {
        (first["conversation_id"], first["ticket_id"])}
    assert ticket(brand, first["ticket_id"])["message_count"] == 2
    assert len(tables.all_messages(brand.account_id)) == 2


def test_first_message_replayed_at_once_is_stored_once(brand: Brand) -> None:
    token = session()["token"]
    body = message_body("hello!")
    answers = all_at_once([lambda: post(token, body)] * 3)
    assert all(200 <= s < 300 for s, _ in answers)
    assert len({(a["conversation_id"], a["ticket_id"]) for _, a in answers}) == 1
    assert len(tables.tickets(brand.account_id)) == 1
    assert len(tables.all_messages(brand.account_id)) == 1


def test_replay_after_the_conversation_closed_answers_the_original_and_writes_nothing(brand: Brand) -> None:
    token = session()["token"]
    body = message_body("hello")
    status, first = post(token, body)
    assert status == 200
    close(brand, first["ticket_id"])
    before = tables.snapshot(brand.account_id)
    status, again = post(token, body)
    assert 200 <= status < 300 and again == first
    assert tables.snapshot(brand.account_id) == before


def test_twenty_concurrent_messages_in_one_new_conversation_make_one_ticket(brand: Brand) -> None:
    token = session()["token"]
    conversation = "c" + uuid.uuid4().hex[:20]  # the widget's own id for the conversation it starts
    texts = {f"message {i}" for i in range(20)}
    answers = all_at_once([lambda t=t: post(token, message_body(t, conversation)) for t in texts])
    assert all(200 <= s < 300 for s, _ in answers), answers
    assert len({(a["conversation_id"], a["ticket_id"]) for _, a in answers}) == 1
    [t] = tables.tickets(brand.account_id)
    assert t["message_count"] == 20 and sorted(bodies_of(brand, t["ticket_id"])) == sorted(texts)
    assert [e["type"] for e in tables.drain(brand.queue_url)].count("ticket.created") == 1


def test_twenty_concurrent_messages_to_a_closed_conversation_make_exactly_one_new_ticket(brand: Brand) -> None:
    token = session()["token"]
    first = say(token, "hello")
    close(brand, first["ticket_id"])
    tables.drain(brand.queue_url)
    texts = {f"again {i}" for i in range(20)}
    answers = all_at_once([lambda t=t: post(token, message_body(t, first["conversation_id"])) for t in texts])
    assert all(200 <= s < 300 for s, _ in answers), answers
    new = {(a["conversation_id"], a["ticket_id"]) for _, a in answers}
    assert len(new) == 1, new
    [(conversation, ticket_id)] = new
    assert conversation != first["conversation_id"] and ticket_id != first["ticket_id"]
    assert len(tables.tickets(brand.account_id)) == 2
    assert ticket(brand, first["ticket_id"])["status"] == "closed"
    assert ticket(brand, ticket_id)["message_count"] == 20
    assert sorted(bodies_of(brand, ticket_id)) == sorted(texts)
    sent = tables.drain(brand.queue_url)
    assert {e["ticket_id"] for e in sent} == {ticket_id}
    assert [e["type"] for e in sent].count("ticket.created") == 1


# --- the widget reads agent replies ---------------------------------------------------------------------

def test_widget_reads_agent_replies_since_its_cursor(brand: Brand) -> None:
    token = session()["token"]
    chat = say(token, "hi")
    status, page = read_replies(token, chat["conversation_id"])
    assert status == 200 and page["messages"] == []
    reply(brand, chat["ticket_id"], "Hello! How can I help?")
    replies.post(agent(brand), chat["ticket_id"], {"body": "internal: VIP customer", "type": "note"})
    status, page = read_replies(token, chat["conversation_id"], page["next"])
    assert status == 200 and [m["body"] for m in page["messages"]] == ["Hello! How can I help?"]
    cursor = page["next"]
    status, page = read_replies(token, chat["conversation_id"], cursor)
    assert status == 200 and page["messages"] == []
    say(token, "where is my order?", chat["conversation_id"])
    reply(brand, chat["ticket_id"], "It ships today.")
    status, page = read_replies(token, chat["conversation_id"], cursor)
    assert [m["body"] for m in page["messages"]] == ["It ships today."]
    status, page = read_replies(token, chat["conversation_id"])
    assert [m["body"] for m in page["messages"]] == ["Hello! How can I help?", "It ships today."]


def test_another_visitor_cannot_read_the_conversation(brand: Brand) -> None:
    chat = say(session()["token"], "hi")
    reply(brand, chat["ticket_id"], "secret answer")
    status, body = read_replies(session()["token"], chat["conversation_id"])
    assert status == 404
    assert "secret answer" not in json.dumps(body)


def test_reading_without_a_token_is_401(brand: Brand) -> None:
    chat = say(session()["token"], "hi")
    assert read_replies(None, chat["conversation_id"])[0] == 401


# --- presence and the follow-up email -------------------------------------------------------------------

def sent_emails(source: str) -> list[dict[str, Any]]:
    """What moto's SES sent from `source` (the brand's own support address, so only this test's mail).

    The session's moto server runs in this process (infra/local/moto_server.py), so its SES backend is
    read directly: the moto API's `/moto-api/data.json` would serialise every model moto tracks, which
    grows with the whole module's table, and SES's send counters count each recipient twice in moto.
    """
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    sent = list(ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages)
    return [{"source": m.source, "destinations": list(m.destinations), "raw_data": m.raw_data}
            for m in sent if getattr(m, "source", None) == source]


def recipients(mail: dict[str, Any]) -> set[str]:
    # moto adds the To header's addresses to the Destinations the sender gave: compare as a set
    return {a.lower() for _, a in getaddresses(mail["destinations"])}


def parsed(mail: dict[str, Any]) -> tuple[str, str, str]:
    """(From, To, text) of a sent raw email."""
    message = message_from_string(mail["raw_data"], policy=default_policy)
    body = message.get_body(("plain",))
    return str(message["From"]), str(message["To"]), body.get_content() if body is not None else ""


@pytest.fixture
def swept_brand_only(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sweep visits this test's brand only: the module's table holds every test's brands, and
    visiting them all makes each run slow and sends their follow-ups too (from their own addresses)."""
    monkeypatch.setattr(accounts, "all_accounts", lambda: [accounts.get_account(brand.account_id)])


def plus(moment: str, **delta: float) -> str:
    at = dt.datetime.fromisoformat(moment.replace("Z", "+00:00")) + dt.timedelta(**delta)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def chat_with_a_reply(brand: Brand, email: str | None) -> tuple[str, dict[str, Any], str]:
    """A customer chats, an agent replies; (token, chat, reply time)."""
    token = session(email)["token"]
    chat = say(token, "Can I change my shipping address?")
    answered = reply(brand, chat["ticket_id"], "Yes - what is the new address?")
    return token, chat, answered["created_at"]


@pytest.mark.usefixtures("swept_brand_only")
def test_offline_customer_gets_one_follow_up_email_three_minutes_after_the_reply(brand: Brand) -> None:
    email = customer_email()
    token, chat, replied_at = chat_with_a_reply(brand, email)
    presence(token, chat["conversation_id"], "offline")

    sweep.run(now=plus(replied_at, minutes=2, seconds=59))
    assert sent_emails(brand.support_email) == [], "no email before three minutes"

    sweep.run(now=plus(replied_at, minutes=3, seconds=1))
    [mail] = sent_emails(brand.support_email)
    assert recipients(mail) == {email}
    sender, to, text = parsed(mail)
    assert (sender, to) == (brand.support_email, email)
    assert "Yes - what is the new address?" in text

    sweep.run(now=plus(replied_at, minutes=3, seconds=2))
    sweep.run(now=plus(replied_at, hours=5))
    assert len(sent_emails(brand.support_email)) == 1, "one follow-up email, never two"


@pytest.mark.usefixtures("swept_brand_only")
def test_sweeps_running_at_once_send_one_follow_up_email(brand: Brand) -> None:
    email = customer_email()
    token, chat, replied_at = chat_with_a_reply(brand, email)
    presence(token, chat["conversation_id"], "offline")
    due = plus(replied_at, minutes=3, seconds=1)
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: sweep.run(now=due), range(3)))
    assert [recipients(m) for m in sent_emails(brand.support_email)] == [{email}]


@pytest.mark.usefixtures("swept_brand_only")
def test_no_follow_up_when_the_customer_comes_back_online(brand: Brand) -> None:
    token, chat, replied_at = chat_with_a_reply(brand, customer_email())
    presence(token, chat["conversation_id"], "offline")
    presence(token, chat["conversation_id"], "online")
    sweep.run(now=plus(replied_at, minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == []


@pytest.mark.usefixtures("swept_brand_only")
def test_no_follow_up_when_the_customer_read_the_reply(brand: Brand) -> None:
    token, chat, replied_at = chat_with_a_reply(brand, customer_email())
    presence(token, chat["conversation_id"], "offline")
    status, page = read_replies(token, chat["conversation_id"])
    assert status == 200 and [m["body"] for m in page["messages"]] == ["Yes - what is the new address?"]
    sweep.run(now=plus(replied_at, minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == []


@pytest.mark.usefixtures("swept_brand_only")
def test_no_follow_up_when_the_customer_wrote_back(brand: Brand) -> None:
    token, chat, replied_at = chat_with_a_reply(brand, customer_email())
    say(token, "12 Main St", chat["conversation_id"])
    presence(token, chat["conversation_id"], "offline")
    sweep.run(now=plus(replied_at, minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == []


@pytest.mark.usefixtures("swept_brand_only")
def test_no_follow_up_without_an_email(brand: Brand) -> None:
    token, chat, replied_at = chat_with_a_reply(brand, None)
    presence(token, chat["conversation_id"], "offline")
    sweep.run(now=plus(replied_at, minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == []


@pytest.mark.usefixtures("swept_brand_only")
def test_follow_up_counts_three_minutes_from_the_last_reply(brand: Brand, monkeypatch: pytest.MonkeyPatch) -> None:
    email = customer_email()
    token = session(email)["token"]
    chat = say(token, "hello")
    presence(token, chat["conversation_id"], "offline")
    start_at = plus(dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"), minutes=1)
    monkeypatch.setattr(replies, "now_iso", lambda: start_at)
    reply(brand, chat["ticket_id"], "first answer")
    monkeypatch.setattr(replies, "now_iso", lambda: plus(start_at, minutes=2))
    reply(brand, chat["ticket_id"], "second answer")

    sweep.run(now=plus(start_at, minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == [], "the second reply restarted the three minutes"
    sweep.run(now=plus(start_at, minutes=5, seconds=1))
    [mail] = sent_emails(brand.support_email)
    assert recipients(mail) == {email}
    text = parsed(mail)[2]
    assert "first answer" in text and "second answer" in text


def test_presence_for_an_unknown_conversation_is_404(brand: Brand) -> None:
    token = session()["token"]
    status, _ = post(token, {"type": "presence", "conversation_id": "c" + uuid.uuid4().hex[:12], "state": "offline"})
    assert status == 404


def test_presence_with_a_bad_state_is_400(brand: Brand) -> None:
    token = session()["token"]
    chat = say(token, "hi")
    status, _ = post(token, {"type": "presence", "conversation_id": chat["conversation_id"], "state": "away"})
    assert status == 400


# --- office hours and the autoresponder -------------------------------------------------------------------

AUTORESPONDER = {"webchat": {"open": "Thanks! An agent will be with you shortly.",
                             "closed": "We're closed right now; we'll answer when we open."}}


def configure(brand: Brand, *, open_now: bool) -> None:
    today = dt.datetime.now(dt.UTC).date()
    all_day = [["00:00", "23:59:59.999999"]]
    weekly = {d: all_day for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    holidays = [] if open_now else [(today + dt.timedelta(days=d)).isoformat() for d in (-1, 0, 1)]
    accounts.put_account(brand.account_id, "Test Brand", support_email=brand.support_email,
                         office_hours={"timezone": "UTC", "weekly": weekly, "holidays": holidays},
                         autoresponder=AUTORESPONDER)


def created_event(brand: Brand, ticket_id: str) -> TicketEvent:
    sent = [e for e in tables.drain(brand.queue_url) if e["type"] == "ticket.created"]
    assert [e["ticket_id"] for e in sent] == [ticket_id]
    return TicketEvent(sent[0]["type"], sent[0]["account_id"], sent[0]["ticket_id"])


def test_outside_office_hours_a_new_chat_gets_the_closed_autoresponse_once(brand: Brand) -> None:
    configure(brand, open_now=False)
    token = session()["token"]
    chat = say(token, "hello?")
    event = created_event(brand, chat["ticket_id"])
    assignment_handle(event)
    assignment_handle(event)  # redelivered
    outbound = [m for m in ticket_detail(agent(brand), chat["ticket_id"])["messages"] if m["direction"] == "outbound"]
    assert [m["body"] for m in outbound] == [AUTORESPONDER["webchat"]["closed"]]
    status, page = read_replies(token, chat["conversation_id"])
    assert [m["body"] for m in page["messages"]] == [AUTORESPONDER["webchat"]["closed"]]


def test_an_event_redelivered_at_once_answers_once(brand: Brand) -> None:
    configure(brand, open_now=False)
    chat = say(session()["token"], "hello?")
    event = created_event(brand, chat["ticket_id"])
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda _: assignment_handle(event), range(3)))
    assert bodies_of(brand, chat["ticket_id"], "outbound") == [AUTORESPONDER["webchat"]["closed"]]


def test_inside_office_hours_a_new_chat_gets_the_open_autoresponse(brand: Brand) -> None:
    configure(brand, open_now=True)
    chat = say(session()["token"], "hello?")
    assignment_handle(created_event(brand, chat["ticket_id"]))
    assert bodies_of(brand, chat["ticket_id"], "outbound") == [AUTORESPONDER["webchat"]["open"]]


def test_a_follow_up_message_gets_no_autoresponse(brand: Brand) -> None:
    configure(brand, open_now=False)
    token = session()["token"]
    chat = say(token, "hello?")
    assignment_handle(created_event(brand, chat["ticket_id"]))
    say(token, "anyone?", chat["conversation_id"])
    for e in tables.drain(brand.queue_url):
        assignment_handle(TicketEvent(e["type"], e["account_id"], e["ticket_id"]))
    assert bodies_of(brand, chat["ticket_id"], "outbound") == [AUTORESPONDER["webchat"]["closed"]]


@pytest.mark.usefixtures("swept_brand_only")
def test_an_autoresponse_alone_sends_no_follow_up_email(brand: Brand) -> None:
    """The follow-up email is for an agent's unread reply (issue 3: "when the customer goes offline and
    an agent's reply is unread"); the autoresponder's own message is not one."""
    configure(brand, open_now=False)
    token = session(customer_email())["token"]
    chat = say(token, "hello?")
    assignment_handle(created_event(brand, chat["ticket_id"]))
    presence(token, chat["conversation_id"], "offline")
    sweep.run(now=plus(dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                       minutes=3, seconds=1))
    assert sent_emails(brand.support_email) == []

# --- bad input ----------------------------------------------------------------------------------------

def assert_refused(brand: Brand, before: frozenset[str], answer: tuple[int, Any], status: int) -> None:
    assert answer[0] == status, answer
    assert isinstance(answer[1], dict) and answer[1].get("error") and len(str(answer[1]["error"])) < 200
    assert tables.snapshot(brand.account_id) == before, "a refused request wrote to the table"
    assert tables.queue_depth(brand.queue_url) == 0


def test_wrong_content_type_is_415(brand: Brand) -> None:
    token = session()["token"]
    before = tables.snapshot(brand.account_id)
    raw = json.dumps(message_body("hi"))
    assert_refused(brand, before, post_raw(token, raw, "application/x-www-form-urlencoded"), 415)
    assert_refused(brand, before, post_raw(token, raw, "text/plain"), 415)


def test_malformed_json_is_400(brand: Brand) -> None:
    token = session()["token"]
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post_raw(token, b'{"type": "message", "text": '), 400)
    assert_refused(brand, before, post_raw(token, b'["not", "an", "object"]'), 400)


@pytest.mark.parametrize("body", [
    {"type": "message", "text": "hi"},
    {"type": "message", "message_id": "m1"},
    {"type": "message", "message_id": "m1", "text": "   "},
    {"type": "message", "message_id": "", "text": "hi"},
    {"type": "message", "message_id": "m1", "text": 42},
    {"type": "message", "message_id": "m1", "text": "x" * 5001},
    {"type": "message", "message_id": "m1", "text": "hi", "conversation_id": ["c1"]},
    {"type": "typing", "message_id": "m1", "text": "hi"},
    {"message_id": "m1", "text": "hi"},
])
def test_unusable_message_is_400_and_writes_nothing(brand: Brand, body: dict[str, Any]) -> None:
    token = session()["token"]
    before = tables.snapshot(brand.account_id)
    assert_refused(brand, before, post(token, body), 400)


def test_a_message_to_a_long_closed_conversation_costs_one_lookup_not_one_try_per_closed_one(
        brand: Brand) -> None:
    from helpdesk.store.models import Item

    visitor = session()
    first = say(visitor["token"], "one")
    latest = first
    for i in range(5):  # five conversations, each closed before the visitor writes to the first again
        close(brand, latest["ticket_id"])
        latest = say(visitor["token"], f"again {i}", first["conversation_id"])
    close(brand, latest["ticket_id"])

    calls: list[str] = []
    client = Item._get_connection().connection.client
    record = lambda model, **_: calls.append(model.name)  # noqa: E731
    client.meta.events.register("before-call.dynamodb", record)
    try:
        answer = say(visitor["token"], "still there?", first["conversation_id"])
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)
    assert answer["ticket_id"] not in {t["ticket_id"] for t in tables.tickets(brand.account_id)
                                       if t["status"] == "closed"}
    assert len(tables.tickets(brand.account_id)) == 7
    # The try on the stale conversation, one read of the visitor's newest, a try on it, the opening.
    assert calls.count("TransactWriteItems") <= 3 and calls.count("GetItem") <= 2, calls
