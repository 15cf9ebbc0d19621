"""Agents' replies on SMS, WhatsApp and Instagram: sent through the same client code that talks to
Twilio and Meta, here to the local stand-ins on their real wire formats; the channel rules (consent,
the customer-service windows) checked before anything is sent; one provider call per reply whatever
retries or races; delivery reports moving the message forward only."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.conftest import Brand, customer_number
from tests.integration import tables
from tests.integration.agents import TWILIO_TOKEN, text
from tests.providers import gateway_event, meta_signature, sms_event, whatsapp_event, whatsapp_payload

META_SECRET = "meta-test-secret"  # as tests/conftest.py sets META_APP_SECRET


def agent(brand: Brand) -> Any:
    from helpdesk.auth import AgentIdentity

    return AgentIdentity("agent-1", brand.account_id, ("owner",))


def reply(brand: Brand, ticket_id: str, body: str = "Your order ships today.", key: str | None = None) -> Any:
    from helpdesk import replies

    return replies.post(agent(brand), ticket_id, {"type": "reply", "body": body}, idempotency_key=key)


def sms_customer(brand: Brand, consent: str | None = "subscribed", body: str = "where is my order?") -> tuple[str, str]:
    from helpdesk.conversation import Channel
    from helpdesk.store import accounts
    from tests.integration.agents import ticket_id_of

    number = customer_number()
    if consent:
        accounts.put_customer(brand.account_id, Channel.SMS, number, "Kim", consent)
    text(brand, number, body)
    return number, ticket_id_of(brand, number)


def whatsapp_customer(brand: Brand) -> tuple[str, str]:
    from functions.webhooks import whatsapp
    from helpdesk.conversation import Channel, customer_ticket_id

    wa_id = "1650" + str(uuid.uuid4().int % 10**7).zfill(7)
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, wa_id,
                               {"type": "text", "text": {"body": "is the blue one back?"}})
    assert whatsapp.handler(whatsapp_event(META_SECRET, payload), None)["statusCode"] == 200
    return "+" + wa_id, customer_ticket_id(brand.account_id, Channel.WHATSAPP, "+" + wa_id)


def instagram_event(brand: Brand, messaging: list[dict[str, Any]]) -> dict[str, Any]:
    raw = json.dumps({"object": "instagram", "entry": [{"id": brand.instagram_id, "time": int(time.time() * 1000),
                                                        "messaging": messaging}]}).encode()
    return gateway_event("POST", "/webhooks/instagram", raw,
                         {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(META_SECRET, raw)})


def instagram_customer(brand: Brand) -> tuple[str, str]:
    from functions.webhooks import instagram
    from helpdesk.store import tickets as ticket_store

    igsid = str(uuid.uuid4().int % 10**16)
    event = instagram_event(brand, [{"sender": {"id": igsid}, "recipient": {"id": brand.instagram_id},
                                     "timestamp": int(time.time() * 1000),
                                     "message": {"mid": "aWdf" + uuid.uuid4().hex, "text": "do you ship to Busan?"}}])
    assert instagram.handler(event, None)["statusCode"] == 200
    [ticket] = [t for t in ticket_store.iter_all_tickets(brand.account_id) if t.contact == igsid]
    return igsid, ticket.ticket_id


def age_ticket(brand: Brand, ticket_id: str, hours: float) -> None:
    """The customer's last message was `hours` ago."""
    from helpdesk.store import tickets as ticket_store

    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    then = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)).isoformat(timespec="milliseconds")
    then = then.replace("+00:00", "Z")
    assert ticket_store.change(ticket, last_inbound_at=then, customer_wrote_at=then) is not None


def outbound(brand: Brand, ticket_id: str) -> list[dict[str, Any]]:
    return [m for m in tables.messages_of(brand.account_id, ticket_id) if m["direction"] == "outbound"]


def sent(standins: Any, channel: str) -> list[dict[str, Any]]:
    return [m for m in standins.outbox() if m["channel"] == channel]


# --- SMS ------------------------------------------------------------------------------------------------

def test_an_sms_reply_to_a_subscriber_goes_out_through_twilio_from_the_number_they_wrote_to(
        brand: Brand, standins: Any) -> None:
    number, ticket_id = sms_customer(brand)
    answer = reply(brand, ticket_id, "Your order ships today.")
    assert answer["delivery"] == "sent"
    [out] = sent(standins, "sms")
    assert (out["to"], out["body"]) == (number, "Your order ships today.")
    [stored] = outbound(brand, ticket_id)
    assert stored["extra"]["provider_id"].startswith("SM") and stored["extra"]["delivery"] == "sent"
    ticket = tables.ticket_item(brand.account_id, ticket_id)
    assert ticket is not None and ticket["channel_address"] == brand.sms_number


@pytest.mark.parametrize("consent", [None, "unsubscribed"])
def test_an_sms_reply_without_consent_is_refused_with_the_reason_and_nothing_is_sent(
        brand: Brand, standins: Any, consent: str | None) -> None:
    from helpdesk.errors import Conflict

    _, ticket_id = sms_customer(brand, consent)
    with pytest.raises(Conflict) as refused:
        reply(brand, ticket_id)
    assert refused.value.status == 409
    assert ("opted out" if consent else "not subscribed") in refused.value.reason
    assert sent(standins, "sms") == [] and outbound(brand, ticket_id) == []


def test_a_stop_after_subscribing_revokes_the_right_to_reply(brand: Brand, standins: Any) -> None:
    from helpdesk.errors import Conflict

    number, ticket_id = sms_customer(brand)
    text(brand, number, "STOP")
    with pytest.raises(Conflict, match="opted out"):
        reply(brand, ticket_id)
    assert sent(standins, "sms") == []
    text(brand, number, "START")
    reply(brand, ticket_id)
    assert len(sent(standins, "sms")) == 1


def test_the_ticket_screen_says_before_anyone_types_that_the_customer_has_no_sms_consent(
        brand: Brand, standins: Any) -> None:
    from helpdesk.workspace import ticket_detail

    _, refused_ticket = sms_customer(brand, None)
    _, allowed_ticket = sms_customer(brand)
    refused = ticket_detail(agent(brand), refused_ticket)["can_reply"]
    assert refused["allowed"] is False and "not subscribed" in refused["reason"]
    assert refused["code"] == "not_subscribed"  # the rule, for a console showing it in the agent's language
    assert ticket_detail(agent(brand), allowed_ticket)["can_reply"] == {"allowed": True, "reason": None, "code": None}


def test_twilio_saying_the_customer_opted_out_fails_the_message_and_records_the_opt_out(
        brand: Brand, standins: Any) -> None:
    from helpdesk.providers.sending import SendRefused
    from helpdesk.store import accounts
    from helpdesk.store import tickets as ticket_store

    number, ticket_id = sms_customer(brand)
    standins.control(twilio_opted_out=[number])
    with pytest.raises(SendRefused) as refused:
        reply(brand, ticket_id)
    assert refused.value.status == 409 and "opted out" in refused.value.reason
    [stored] = outbound(brand, ticket_id)
    assert stored["extra"]["delivery"] == "failed" and "opted out" in stored["extra"]["error"]
    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    profile = accounts.get_profile(brand.account_id, str(ticket.profile_id))
    assert profile is not None and profile.consent_sms == "unsubscribed"


def test_links_in_an_sms_reply_are_shortened_and_the_redirect_counts_the_click(brand: Brand, standins: Any) -> None:
    from functions import links as link_function

    number, ticket_id = sms_customer(brand)
    original = "https://shop.example/orders/1042?utm_source=sms"
    answer = reply(brand, ticket_id, f"Track it here: {original} (thanks!)")
    [out] = sent(standins, "sms")
    assert original not in out["body"] and out["body"].startswith("Track it here: https://hd.example/l/")
    assert out["body"].endswith(" (thanks!)")
    assert answer["body"] == f"Track it here: {original} (thanks!)"  # the agent sees what they wrote
    code = out["body"].split("/l/")[1].split(" ")[0]
    for _ in range(2):
        response = link_function.handler(gateway_event("GET", "/l/{code}", b"") | {
            "path": f"/l/{code}", "pathParameters": {"code": code}}, None)
        assert response["statusCode"] == 302 and response["headers"]["Location"] == original
    from helpdesk.store.models import Link

    link = Link.get(f"L#{code}", "LINK")
    assert (link.clicks, link.ticket_id, link.account_id) == (2, ticket_id, brand.account_id)


def test_with_link_shortening_off_the_link_goes_out_as_written(brand: Brand, standins: Any) -> None:
    from helpdesk.store import accounts

    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {}, {"sms": {"shorten_links": False}})
    accounts.forget_addresses()
    _, ticket_id = sms_customer(brand)
    reply(brand, ticket_id, "See https://shop.example/size-guide")
    assert [m["body"] for m in sent(standins, "sms")] == ["See https://shop.example/size-guide"]


# --- one send per reply -----------------------------------------------------------------------------------

def test_three_replays_and_two_concurrent_requests_of_one_reply_make_one_provider_call(
        brand: Brand, standins: Any) -> None:
    _, ticket_id = sms_customer(brand)
    with ThreadPoolExecutor(max_workers=2) as pool:
        answers = list(pool.map(lambda _: reply(brand, ticket_id, "On its way", key="click-9"), range(2)))
    answers += [reply(brand, ticket_id, "On its way", key="click-9") for _ in range(3)]
    assert len({a["id"] for a in answers}) == 1
    assert len(sent(standins, "sms")) == 1
    assert len(outbound(brand, ticket_id)) == 1


def test_a_throttled_send_is_503_and_the_retry_sends_it_once(brand: Brand, standins: Any) -> None:
    from helpdesk.errors import Transient

    _, ticket_id = sms_customer(brand)
    standins.control(throttle={"twilio": 1})
    with pytest.raises(Transient, match="throttl"):
        reply(brand, ticket_id, key="k1")
    assert [m["extra"]["delivery"] for m in outbound(brand, ticket_id)] == ["failed"]
    again = reply(brand, ticket_id, key="k1")
    assert again["delivery"] == "sent" and len(sent(standins, "sms")) == 1
    assert len(outbound(brand, ticket_id)) == 1


# --- WhatsApp and Instagram windows ---------------------------------------------------------------------------

def test_a_whatsapp_reply_inside_the_window_goes_through_the_cloud_api(brand: Brand, standins: Any) -> None:
    from helpdesk.workspace import ticket_detail

    contact, ticket_id = whatsapp_customer(brand)
    window = ticket_detail(agent(brand), ticket_id)["reply_window"]
    assert window["open"] is True and 23.9 <= window["hours_left"] <= 24.0
    reply(brand, ticket_id, "Yes, back in stock!")
    assert [(m["to"], m["body"]) for m in sent(standins, "whatsapp")] == [(contact, "Yes, back in stock!")]
    [stored] = outbound(brand, ticket_id)
    assert stored["extra"]["provider_id"].startswith("wamid.")


def test_a_whatsapp_reply_after_24_hours_is_refused_and_the_ticket_says_the_window_closed(
        brand: Brand, standins: Any) -> None:
    from helpdesk.errors import Conflict
    from helpdesk.workspace import ticket_detail

    _, ticket_id = whatsapp_customer(brand)
    age_ticket(brand, ticket_id, 25)
    with pytest.raises(Conflict, match="24-hour"):
        reply(brand, ticket_id)
    assert sent(standins, "whatsapp") == []
    detail = ticket_detail(agent(brand), ticket_id)
    assert detail["reply_window"]["hours_left"] == 0 and detail["can_reply"]["allowed"] is False
    assert detail["can_reply"]["code"] == "window_closed"
    age_ticket(brand, ticket_id, 20)
    assert ticket_detail(agent(brand), ticket_id)["reply_window"]["hours_left"] == pytest.approx(4.0, abs=0.1)


def test_meta_refusing_for_the_window_is_a_409_and_a_failed_message(brand: Brand, standins: Any) -> None:
    from helpdesk.providers.sending import SendRefused

    contact, ticket_id = whatsapp_customer(brand)
    standins.control(whatsapp_window_closed=[contact])
    with pytest.raises(SendRefused) as refused:
        reply(brand, ticket_id)
    assert refused.value.kind == "window_closed"
    assert [m["extra"]["delivery"] for m in outbound(brand, ticket_id)] == ["failed"]


def test_instagram_answers_within_24_hours_then_only_with_the_human_agent_tag_when_enabled(
        brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk.errors import Conflict
    from helpdesk.providers import graph_api
    from helpdesk.store import accounts

    tags: list[bool] = []
    real = graph_api.send_instagram

    def spy(*args: Any, human_agent: bool = False, **kwargs: Any) -> Any:
        tags.append(human_agent)
        return real(*args, human_agent=human_agent, **kwargs)

    monkeypatch.setattr(graph_api, "send_instagram", spy)
    igsid, ticket_id = instagram_customer(brand)
    reply(brand, ticket_id, "We do!")
    age_ticket(brand, ticket_id, 72)
    with pytest.raises(Conflict, match="human_agent_tag"):
        reply(brand, ticket_id, "Still there?")
    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {}, {"instagram": {"human_agent_tag": True}})
    accounts.forget_addresses()
    reply(brand, ticket_id, "Following up on your question")
    age_ticket(brand, ticket_id, 24 * 8)
    with pytest.raises(Conflict, match="7 days"):
        reply(brand, ticket_id, "Too late")
    assert tags == [False, True]
    assert [(m["to"], m["body"]) for m in sent(standins, "instagram")] == [
        (igsid, "We do!"), (igsid, "Following up on your question")]


def test_the_customer_must_have_written_first(brand: Brand, standins: Any) -> None:
    from helpdesk.errors import Conflict

    _, ticket_id = sms_customer(brand)
    from helpdesk.store import tickets as ticket_store

    ticket = ticket_store.get_ticket(brand.account_id, ticket_id)
    assert ticket_store.change(ticket, last_inbound_at=None, customer_wrote_at=None) is not None
    with pytest.raises(Conflict, match="only a customer can start"):
        reply(brand, ticket_id)


# --- delivery reports --------------------------------------------------------------------------------------

def status_callback(brand: Brand, sid: str, status: str, error: str | None = None,
                    path: str = "/webhooks/sms/status") -> dict[str, Any]:
    from functions.webhooks import sms

    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
              "AccountSid": "AC" + "7" * 32, "From": brand.sms_number, "To": customer_number(),
              "ApiVersion": "2010-04-01", **({"ErrorCode": error} if error else {})}
    return sms.handler(sms_event(TWILIO_TOKEN, params, path=path), None)


def delivery_of(brand: Brand, ticket_id: str) -> str:
    [stored] = outbound(brand, ticket_id)
    return str(stored["extra"]["delivery"])


def test_twilio_status_callbacks_move_the_delivery_forward_only_and_once(brand: Brand, standins: Any) -> None:
    from helpdesk.store import outbox

    _, ticket_id = sms_customer(brand)
    sid = reply(brand, ticket_id)["id"] and outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    assert status_callback(brand, sid, "delivered")["statusCode"] == 200
    assert delivery_of(brand, ticket_id) == "delivered"
    status_callback(brand, sid, "sent")  # late
    status_callback(brand, sid, "delivered")  # replayed
    assert delivery_of(brand, ticket_id) == "delivered"
    assert outbox.apply_status(brand.account_id, "sms", sid, "delivered") is False


def test_an_undelivered_report_fails_the_message_with_a_reason_an_agent_can_read(brand: Brand, standins: Any) -> None:
    from helpdesk.workspace import ticket_detail

    _, ticket_id = sms_customer(brand)
    reply(brand, ticket_id)
    sid = outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    status_callback(brand, sid, "undelivered", "30003")
    [shown] = [m for m in ticket_detail(agent(brand), ticket_id)["messages"] if m["direction"] == "outbound"]
    assert shown["delivery"] == "failed" and "unreachable" in shown["delivery_error"]


def test_a_status_callback_that_overtakes_the_recording_of_the_send_is_kept(
        brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio reports `delivered` before the API Lambda has written the MessageSid it was given."""
    from helpdesk.providers import twilio_api

    real = twilio_api.send_message

    def fast_carrier(*args: Any, **kwargs: Any) -> Any:
        result = real(*args, **kwargs)
        assert status_callback(brand, result.provider_id, "delivered")["statusCode"] == 200
        return result

    monkeypatch.setattr(twilio_api, "send_message", fast_carrier)
    _, ticket_id = sms_customer(brand)
    answer = reply(brand, ticket_id)
    assert answer["delivery"] == "delivered"
    assert delivery_of(brand, ticket_id) == "delivered"


def test_the_status_route_takes_no_customer_message(brand: Brand, standins: Any) -> None:
    from functions.webhooks import sms
    from tests.providers import sms_params

    number = customer_number()
    response = sms.handler(sms_event(TWILIO_TOKEN, sms_params(number, brand.sms_number, "hi"),
                                     path="/webhooks/sms/status"), None)
    assert response["statusCode"] == 400
    assert tables.tickets(brand.account_id) == []


def test_an_unsigned_status_callback_changes_nothing(brand: Brand, standins: Any) -> None:
    from functions.webhooks import sms

    _, ticket_id = sms_customer(brand)
    reply(brand, ticket_id)
    sid = outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    params = {"MessageSid": sid, "MessageStatus": "failed", "From": brand.sms_number}
    response = sms.handler(sms_event("not-the-token", params, path="/webhooks/sms/status"), None)
    assert response["statusCode"] == 403
    assert delivery_of(brand, ticket_id) == "sent"


def test_whatsapp_statuses_and_instagram_reads_reach_their_messages(brand: Brand, standins: Any) -> None:
    from functions.webhooks import instagram, whatsapp
    from helpdesk.workspace import ticket_detail

    contact, wa_ticket = whatsapp_customer(brand)
    reply(brand, wa_ticket)
    wamid = outbound(brand, wa_ticket)[0]["extra"]["provider_id"]
    statuses = [{"id": wamid, "status": s, "timestamp": str(int(time.time())), "recipient_id": contact.lstrip("+")}
                for s in ("read", "delivered", "sent")]  # out of order
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, contact.lstrip("+"), None, statuses)
    assert whatsapp.handler(whatsapp_event(META_SECRET, payload), None)["statusCode"] == 200
    [shown] = [m for m in ticket_detail(agent(brand), wa_ticket)["messages"] if m["direction"] == "outbound"]
    assert (shown["delivery"], shown.get("read")) == ("delivered", True)

    igsid, ig_ticket = instagram_customer(brand)
    reply(brand, ig_ticket)
    mid = outbound(brand, ig_ticket)[0]["extra"]["provider_id"]
    event = instagram_event(brand, [{"sender": {"id": igsid}, "recipient": {"id": brand.instagram_id},
                                     "timestamp": int(time.time() * 1000), "read": {"mid": mid}}])
    assert instagram.handler(event, None)["statusCode"] == 200
    assert delivery_of(brand, ig_ticket) == "delivered"
    assert outbound(brand, ig_ticket)[0]["extra"].get("read_at")


def test_a_whatsapp_failure_reported_later_fails_the_message(brand: Brand, standins: Any) -> None:
    from functions.webhooks import whatsapp

    contact, ticket_id = whatsapp_customer(brand)
    reply(brand, ticket_id)
    wamid = outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    failed = {"id": wamid, "status": "failed", "timestamp": str(int(time.time())), "recipient_id": contact[1:],
              "errors": [{"code": 131047, "title": "Re-engagement message"}]}
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, contact[1:], None, [failed])
    whatsapp.handler(whatsapp_event(META_SECRET, payload), None)
    [stored] = outbound(brand, ticket_id)
    assert stored["extra"]["delivery"] == "failed" and "24-hour" in stored["extra"]["error"]


def test_concurrent_reports_of_one_message_end_at_the_most_advanced_state(brand: Brand, standins: Any) -> None:
    from helpdesk.store import outbox

    _, ticket_id = sms_customer(brand)
    reply(brand, ticket_id)
    sid = outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    barrier = threading.Barrier(3)

    def report(state: str) -> bool:
        barrier.wait(timeout=10)
        return outbox.apply_status(brand.account_id, "sms", sid, state)

    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(report, ["sent", "read", "delivered"]))
    [stored] = outbound(brand, ticket_id)
    assert stored["extra"]["delivery"] == "delivered" and stored["extra"]["delivery_rank"] == "3"


def test_a_send_whose_answer_was_lost_is_never_sent_again_by_a_retry(
        brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Twilio took the message but its answer never came back (a read timeout): the retry of the
    request must not send a second text; the agent sees why."""
    from helpdesk.providers import sending, twilio_api

    real = twilio_api.send_message

    def answer_lost(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise sending.Unconfirmed("api.twilio.com did not answer: the message may have been sent")

    monkeypatch.setattr(twilio_api, "send_message", answer_lost)
    _, ticket_id = sms_customer(brand)
    with pytest.raises(sending.Unconfirmed):
        reply(brand, ticket_id, key="k-lost")
    again = reply(brand, ticket_id, key="k-lost")
    assert again["delivery"] == "failed" and "may have been sent" in again["delivery_error"]
    assert len(sent(standins, "sms")) == 1


def test_a_retry_after_a_failed_send_checks_consent_again(brand: Brand, standins: Any) -> None:
    """The first try failed (Twilio down); the customer texted STOP meanwhile; the agent's client
    retries with the same key: nothing goes out."""
    from helpdesk.errors import Conflict, Transient

    number, ticket_id = sms_customer(brand)
    standins.control(throttle={"twilio": 1})
    with pytest.raises(Transient):
        reply(brand, ticket_id, key="k-stop")
    text(brand, number, "STOP")
    with pytest.raises(Conflict, match="opted out"):
        reply(brand, ticket_id, key="k-stop")
    assert sent(standins, "sms") == []


def test_a_reply_the_provider_took_is_never_sent_again_even_when_its_delivery_failed(
        brand: Brand, standins: Any) -> None:
    from helpdesk.providers.sending import SendRefused

    number, ticket_id = sms_customer(brand)
    first = reply(brand, ticket_id, key="k-once")
    sid = outbound(brand, ticket_id)[0]["extra"]["provider_id"]
    status_callback(brand, sid, "undelivered", "30003")
    again = reply(brand, ticket_id, key="k-once")
    assert (again["id"], again["delivery"]) == (first["id"], "failed")
    assert len(sent(standins, "sms")) == 1
    # Refused for good (opted out at Twilio): a retry answers the failure, it does not call Twilio again.
    other, other_ticket = sms_customer(brand)
    standins.control(twilio_opted_out=[other])
    with pytest.raises(SendRefused):
        reply(brand, other_ticket, key="k-refused")
    standins.control(reset=True)
    again = reply(brand, other_ticket, key="k-refused")  # answers the message as it is
    assert again["delivery"] == "failed" and "opted out" in again["delivery_error"]
    assert [m["to"] for m in sent(standins, "sms")] == [number]


def test_a_reply_whose_sender_vanished_mid_send_is_not_sent_twice(
        aws: Any, brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The API Lambda died between claiming and recording (a timeout): past the lease, a retry says
    the message may have gone out instead of sending a second text."""
    from helpdesk import replies
    from helpdesk.providers import twilio_api

    class Died(BaseException):
        pass

    real = twilio_api.send_message

    def dies(*args: Any, **kwargs: Any) -> Any:
        real(*args, **kwargs)
        raise Died()

    monkeypatch.setattr(twilio_api, "send_message", dies)
    _, ticket_id = sms_customer(brand)
    with pytest.raises(Died):
        reply(brand, ticket_id, key="k-died")
    monkeypatch.setattr(twilio_api, "send_message", real)
    [stored] = outbound(brand, ticket_id)
    assert reply(brand, ticket_id, key="k-died")["delivery"] == "queued"  # inside the lease: still in hand
    long_ago = (dt.datetime.now(dt.UTC) - replies.SEND_LEASE - dt.timedelta(seconds=5)).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")
    aws.client("dynamodb").update_item(
        TableName=aws.table_name, Key={"pk": {"S": stored["pk"]}, "sk": {"S": stored["sk"]}},
        UpdateExpression="SET extra.claimed_at = :t", ExpressionAttributeValues={":t": {"S": long_ago}})
    answer = reply(brand, ticket_id, key="k-died")
    assert answer["delivery"] == "failed" and "may have been sent" in answer["delivery_error"]
    assert len(sent(standins, "sms")) == 1


def test_delivery_reports_for_a_number_of_no_account_are_taken_not_refused(brand: Brand, standins: Any) -> None:
    from functions.webhooks import whatsapp

    statuses = [{"id": "wamid." + uuid.uuid4().hex, "status": "delivered", "timestamp": str(int(time.time())),
                 "recipient_id": "16505550123"}]
    payload = whatsapp_payload("999999999999999", "+15550000000", "16505550123", None, statuses)
    assert whatsapp.handler(whatsapp_event(META_SECRET, payload), None)["statusCode"] == 200


def test_the_ticket_list_shows_instagrams_longer_window_when_the_account_enabled_it(
        brand: Brand, standins: Any) -> None:
    from helpdesk.store import accounts
    from helpdesk.workspace import list_tickets

    _, ticket_id = instagram_customer(brand)
    age_ticket(brand, ticket_id, 30)
    account = accounts.get_account(brand.account_id, fresh=True)
    assert accounts.change_settings(account, {}, {"instagram": {"human_agent_tag": True}})
    accounts.forget_addresses()
    [listed] = [t for t in list_tickets(agent(brand), {"view": "all"})["items"] if t["id"] == ticket_id]
    assert listed["reply_window"]["open"] is True and 137 <= listed["reply_window"]["hours_left"] <= 138


def test_instagrams_echo_of_a_reply_that_overtakes_its_recording_leaves_one_message(
        brand: Brand, standins: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Meta echoes what we send (`is_echo`); when the echo reaches the webhook before the API has
    written the mid it got back, the conversation still shows the reply once, with its delivery."""
    from functions.webhooks import instagram
    from helpdesk.providers import graph_api

    real = graph_api.send_instagram

    def echo_first(account_id: str, recipient: str, body: str, **kwargs: Any) -> Any:
        result = real(account_id, recipient, body, **kwargs)
        event = instagram_event(brand, [{"sender": {"id": brand.instagram_id}, "recipient": {"id": recipient},
                                         "timestamp": int(time.time() * 1000),
                                         "message": {"mid": result.provider_id, "text": body, "is_echo": True}}])
        assert instagram.handler(event, None)["statusCode"] == 200
        return result

    monkeypatch.setattr(graph_api, "send_instagram", echo_first)
    igsid, ticket_id = instagram_customer(brand)
    reply(brand, ticket_id, "We ship to Busan, yes")
    [shown] = outbound(brand, ticket_id)
    assert shown["body"] == "We ship to Busan, yes" and shown["extra"]["delivery"] == "sent"
    assert shown["sender"] == "agent-1"
    # A read receipt of it reaches the agent's message.
    event = instagram_event(brand, [{"sender": {"id": igsid}, "recipient": {"id": brand.instagram_id},
                                     "timestamp": int(time.time() * 1000),
                                     "read": {"mid": shown["extra"]["provider_id"]}}])
    assert instagram.handler(event, None)["statusCode"] == 200
    assert outbound(brand, ticket_id)[0]["extra"].get("read_at")


def test_the_whatsapp_window_runs_from_when_the_customer_wrote_not_when_meta_delivered_it(
        brand: Brand, standins: Any) -> None:
    """Meta retries a webhook for days: a message written 25 hours ago and delivered now opens no
    window (Meta would refuse the reply with 131047)."""
    from functions.webhooks import whatsapp
    from helpdesk.conversation import Channel, customer_ticket_id
    from helpdesk.errors import Conflict
    from helpdesk.workspace import ticket_detail

    wa_id = "1650" + str(uuid.uuid4().int % 10**7).zfill(7)
    payload = whatsapp_payload(brand.wa_phone_number_id, brand.wa_display_number, wa_id,
                               {"type": "text", "text": {"body": "hello? anyone?"}})
    payload["entry"][0]["changes"][0]["value"]["messages"][0]["timestamp"] = str(int(time.time()) - 25 * 3600)
    assert whatsapp.handler(whatsapp_event(META_SECRET, payload), None)["statusCode"] == 200
    ticket_id = customer_ticket_id(brand.account_id, Channel.WHATSAPP, "+" + wa_id)
    assert ticket_detail(agent(brand), ticket_id)["reply_window"]["open"] is False
    with pytest.raises(Conflict, match="24-hour"):
        reply(brand, ticket_id)
    assert sent(standins, "whatsapp") == []
