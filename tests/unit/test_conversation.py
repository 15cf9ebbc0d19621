"""Threading rules of SPEC §3 for the five channels, and the derived per-customer ids."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from helpdesk.conversation import (
    Action,
    Channel,
    CurrentTicket,
    Decision,
    Status,
    customer_ticket_id,
    decide,
    new_ticket_id,
    profile_id_for,
)

PHONE = "+14155550100"
EMAIL = "kim@example.com"
IGSID = "17841400000000001"
VISITOR = "visitor-5f2c9d"
CONTACTS = {Channel.SMS: PHONE, Channel.WHATSAPP: PHONE, Channel.EMAIL: EMAIL,
            Channel.INSTAGRAM: IGSID, Channel.WEBCHAT: VISITOR}
TICKET = "t7c2hxq4m3k2a6bde"


def ticket(channel: Channel, status: Status, contact: str | None = None) -> CurrentTicket:
    return CurrentTicket(ticket_id=TICKET, status=status, contact=contact or CONTACTS[channel])


# (channel, status of the candidate ticket or None, expected action) — SPEC §3 table.
RULES = [
    # SMS and WhatsApp: one ticket per customer; follow-ups reopen it.
    (Channel.SMS, None, Action.OPEN_NEW),
    (Channel.SMS, Status.OPEN, Action.JOIN),
    (Channel.SMS, Status.SNOOZED, Action.REOPEN),
    (Channel.SMS, Status.CLOSED, Action.REOPEN),
    (Channel.WHATSAPP, None, Action.OPEN_NEW),
    (Channel.WHATSAPP, Status.OPEN, Action.JOIN),
    (Channel.WHATSAPP, Status.SNOOZED, Action.REOPEN),
    (Channel.WHATSAPP, Status.CLOSED, Action.REOPEN),
    # Email: a reply on the thread reopens it, however old.
    (Channel.EMAIL, None, Action.OPEN_NEW),
    (Channel.EMAIL, Status.OPEN, Action.JOIN),
    (Channel.EMAIL, Status.SNOOZED, Action.REOPEN),
    (Channel.EMAIL, Status.CLOSED, Action.REOPEN),
    # Instagram: follow-ups join while not closed; once closed, the next message opens a new ticket.
    (Channel.INSTAGRAM, None, Action.OPEN_NEW),
    (Channel.INSTAGRAM, Status.OPEN, Action.JOIN),
    (Channel.INSTAGRAM, Status.SNOOZED, Action.REOPEN),
    (Channel.INSTAGRAM, Status.CLOSED, Action.OPEN_NEW),
    # Web chat: a closed ticket is never reopened.
    (Channel.WEBCHAT, None, Action.OPEN_NEW),
    (Channel.WEBCHAT, Status.OPEN, Action.JOIN),
    (Channel.WEBCHAT, Status.SNOOZED, Action.REOPEN),
    (Channel.WEBCHAT, Status.CLOSED, Action.OPEN_NEW),
]


@pytest.mark.parametrize(("channel", "status", "expected"), RULES,
                         ids=[f"{c.value}-{s.value if s else 'none'}" for c, s, _ in RULES])
def test_threading_rules(channel: Channel, status: Status | None, expected: Action) -> None:
    current = ticket(channel, status) if status else None
    decision = decide(channel, CONTACTS[channel], current)
    assert decision.action is expected
    if expected is Action.OPEN_NEW:
        assert decision.ticket_id is None
    else:
        assert decision.ticket_id == TICKET


@pytest.mark.parametrize("status", list(Status))
def test_email_reply_from_a_different_address_never_joins(status: Status) -> None:
    current = ticket(Channel.EMAIL, status, contact=EMAIL)
    decision = decide(Channel.EMAIL, "someone.else@example.org", current)
    assert decision == Decision(Action.OPEN_NEW)


@pytest.mark.parametrize("status", list(Status))
def test_automatic_email_from_a_different_address_never_joins(status: Status) -> None:
    current = ticket(Channel.EMAIL, status, contact=EMAIL)
    decision = decide(Channel.EMAIL, "mailer-daemon@example.org", current, automatic=True)
    assert decision.action is Action.OPEN_NEW
    assert decision.ticket_id is None


@pytest.mark.parametrize("status", [Status.CLOSED, Status.SNOOZED])
def test_automatic_email_is_stored_without_waking_the_ticket(status: Status) -> None:
    decision = decide(Channel.EMAIL, EMAIL, ticket(Channel.EMAIL, status), automatic=True)
    assert decision == Decision(Action.STORE_ONLY, TICKET)


def test_automatic_email_to_an_open_ticket_is_kept_there_without_moving_it() -> None:
    decision = decide(Channel.EMAIL, EMAIL, ticket(Channel.EMAIL, Status.OPEN), automatic=True)
    assert decision == Decision(Action.STORE_ONLY, TICKET)


def test_closed_email_thread_reopens_for_the_customer_but_not_for_automatic_mail() -> None:
    closed = ticket(Channel.EMAIL, Status.CLOSED)
    assert decide(Channel.EMAIL, EMAIL, closed).action is Action.REOPEN
    assert decide(Channel.EMAIL, EMAIL, closed, automatic=True).action is Action.STORE_ONLY


def test_decide_never_reopens_a_closed_webchat_or_instagram_ticket() -> None:
    for channel in (Channel.WEBCHAT, Channel.INSTAGRAM):
        decision = decide(channel, CONTACTS[channel], ticket(channel, Status.CLOSED))
        assert decision.action is Action.OPEN_NEW
        assert decision.ticket_id != TICKET


# --- derived ids -------------------------------------------------------------------------------------

TICKET_ID = re.compile(r"^t[a-z2-7]{16}$")
PROFILE_ID = re.compile(r"^p[a-z2-7]{16}$")


@pytest.mark.parametrize("channel", [Channel.SMS, Channel.WHATSAPP])
def test_customer_ticket_id_is_deterministic(channel: Channel) -> None:
    first = customer_ticket_id("acct-1", channel, PHONE)
    assert first == customer_ticket_id("acct-1", channel, PHONE)
    assert TICKET_ID.match(first)


def test_customer_ticket_id_is_stable_across_processes() -> None:
    """Two Lambda containers (different hash seeds) must derive the same id for one customer."""
    code = ("from helpdesk.conversation import Channel, customer_ticket_id;"
            f"print(customer_ticket_id('acct-1', Channel.SMS, {PHONE!r}))")
    root = Path(__file__).resolve().parents[2]
    outputs = set()
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": f"{root}{os.pathsep}{root / 'layers'}"}
        result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                check=True, timeout=60)
        outputs.add(result.stdout.strip())
    assert outputs == {customer_ticket_id("acct-1", Channel.SMS, PHONE)}


@pytest.mark.parametrize(("other_account", "other_channel", "other_contact"), [
    ("acct-2", Channel.SMS, PHONE),
    ("acct-1", Channel.WHATSAPP, PHONE),
    ("acct-1", Channel.SMS, "+14155550101"),
])
def test_customer_ticket_id_differs_per_account_channel_and_contact(
        other_account: str, other_channel: Channel, other_contact: str) -> None:
    assert customer_ticket_id("acct-1", Channel.SMS, PHONE) != customer_ticket_id(
        other_account, other_channel, other_contact)


def test_customer_ticket_id_is_not_confused_by_separator_like_values() -> None:
    assert customer_ticket_id("acct-1", Channel.SMS, PHONE) != customer_ticket_id("acct-", Channel.SMS, "1" + PHONE)


@pytest.mark.parametrize("channel", [Channel.EMAIL, Channel.INSTAGRAM, Channel.WEBCHAT])
def test_customer_ticket_id_only_for_per_customer_channels(channel: Channel) -> None:
    with pytest.raises(ValueError):
        customer_ticket_id("acct-1", channel, CONTACTS[channel])


def test_new_ticket_ids_are_unique_and_shaped_like_ticket_ids() -> None:
    ids = {new_ticket_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(TICKET_ID.match(i) for i in ids)


@pytest.mark.parametrize("channel", list(Channel))
def test_profile_id_for_is_deterministic_on_every_channel(channel: Channel) -> None:
    first = profile_id_for("acct-1", channel, CONTACTS[channel])
    assert first == profile_id_for("acct-1", channel, CONTACTS[channel])
    assert PROFILE_ID.match(first)


def test_profile_id_differs_per_account_channel_and_contact() -> None:
    ids = {
        profile_id_for("acct-1", Channel.SMS, PHONE),
        profile_id_for("acct-2", Channel.SMS, PHONE),
        profile_id_for("acct-1", Channel.WHATSAPP, PHONE),
        profile_id_for("acct-1", Channel.SMS, "+14155550101"),
    }
    assert len(ids) == 4


def test_profile_id_is_not_the_ticket_id() -> None:
    assert profile_id_for("acct-1", Channel.SMS, PHONE)[1:] != customer_ticket_id("acct-1", Channel.SMS, PHONE)[1:]
