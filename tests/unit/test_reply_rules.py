"""The channels' reply rules and windows (helpdesk/reply_rules.py), as pure functions."""
from __future__ import annotations

import datetime as dt

import pytest

from helpdesk import reply_rules

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


def ago(hours: float) -> str:
    return (NOW - dt.timedelta(hours=hours)).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.mark.parametrize("channel", ["sms", "whatsapp", "instagram", "email", "webchat"])
def test_nobody_answers_a_customer_who_never_wrote(channel: str) -> None:
    verdict = reply_rules.check(channel, None, NOW)
    assert not verdict.allowed and "only a customer can start" in str(verdict.reason)


@pytest.mark.parametrize(("channel", "hours", "allowed"), [
    ("whatsapp", 1, True), ("whatsapp", 23.9, True), ("whatsapp", 23.99, False), ("whatsapp", 30, False),
    ("instagram", 23.9, True), ("instagram", 25, False),
    ("sms", 500, True), ("email", 500, True), ("webchat", 500, True),  # no window on these
])
def test_the_24_hour_windows_close_a_little_before_metas(channel: str, hours: float, allowed: bool) -> None:
    assert reply_rules.check(channel, ago(hours), NOW).allowed is allowed


def test_instagram_allows_seven_days_with_the_human_agent_tag_only_when_enabled() -> None:
    assert reply_rules.check("instagram", ago(72), NOW, human_agent_tag=True) == reply_rules.Verdict(
        True, None, human_agent=True)
    assert reply_rules.check("instagram", ago(10), NOW, human_agent_tag=True).human_agent is False
    off = reply_rules.check("instagram", ago(72), NOW)
    assert not off.allowed and "human_agent_tag" in str(off.reason)
    late = reply_rules.check("instagram", ago(24 * 7), NOW, human_agent_tag=True)
    assert not late.allowed and "7 days" in str(late.reason)
    # The tag is Instagram's: WhatsApp has no such window.
    assert not reply_rules.check("whatsapp", ago(30), NOW, human_agent_tag=True).allowed


def test_the_window_json_says_when_it_closes_and_how_many_hours_are_left() -> None:
    window = reply_rules.window_json("whatsapp", ago(20), NOW)
    assert window == {"closes_at": "2026-12-06T15:58:00Z", "hours_left": 4.0, "open": True}
    closed = reply_rules.window_json("whatsapp", ago(26), NOW)
    assert closed is not None and (closed["hours_left"], closed["open"]) == (0.0, False)
    longer = reply_rules.window_json("instagram", ago(30), NOW, human_agent_tag=True)
    assert longer is not None and longer["open"] is True and longer["human_agent_until"] == "2026-12-12T05:58:00Z"
    assert reply_rules.window_json("sms", ago(1), NOW) is None


@pytest.mark.parametrize(("channel", "consent", "ok"), [
    ("sms", "subscribed", True), ("sms", None, False), ("sms", "unsubscribed", False),
    ("whatsapp", None, True), ("whatsapp", "subscribed", True), ("whatsapp", "unsubscribed", False),
])
def test_consent_sms_needs_a_yes_whatsapp_only_no_stop(channel: str, consent: str | None, ok: bool) -> None:
    assert reply_rules.consent_ok(channel, consent) is ok


def test_consent_refusals_say_why() -> None:
    assert "opted out of SMS" in reply_rules.consent_refusal("sms", "unsubscribed")
    assert "opted out of WhatsApp" in reply_rules.consent_refusal("whatsapp", "unsubscribed")
    assert "not subscribed to SMS" in reply_rules.consent_refusal("sms", None)
