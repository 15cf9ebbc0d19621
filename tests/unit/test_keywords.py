"""Compliance keywords (SPEC §3, PROVIDERS Twilio): an exact single word, any case, after trimming."""
from __future__ import annotations

import pytest

from helpdesk.keywords import Keyword, classify

OPT_OUT = ["STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT",
           "ARRET", "OPT-OUT", "REMOVE", "TD"]
OPT_IN = ["START", "YES", "UNSTOP"]
HELP = ["HELP", "INFO"]
ALL = [(w, Keyword.OPT_OUT) for w in OPT_OUT] + [(w, Keyword.OPT_IN) for w in OPT_IN] + \
      [(w, Keyword.HELP) for w in HELP]


@pytest.mark.parametrize(("word", "expected"), ALL)
def test_every_listed_keyword_is_recognised(word: str, expected: Keyword) -> None:
    assert classify(word) is expected


@pytest.mark.parametrize(("word", "expected"), ALL)
def test_keywords_match_in_any_case(word: str, expected: Keyword) -> None:
    assert classify(word.lower()) is expected
    assert classify(word.capitalize()) is expected


@pytest.mark.parametrize("body", ["  STOP", "STOP  ", "\tstop\n", "\r\nStop\r\n", " \u00a0STOP\u00a0 "])
def test_surrounding_whitespace_is_trimmed(body: str) -> None:
    assert classify(body) is Keyword.OPT_OUT


@pytest.mark.parametrize(("body", "expected"), [
    ("sToP", Keyword.OPT_OUT), ("unstop", Keyword.OPT_IN), ("Yes", Keyword.OPT_IN),
    ("help", Keyword.HELP), (" info ", Keyword.HELP), ("opt-out", Keyword.OPT_OUT), ("Arret", Keyword.OPT_OUT),
])
def test_mixed_case_examples(body: str, expected: Keyword) -> None:
    assert classify(body) is expected


@pytest.mark.parametrize("body", [
    "stop texting me", "Stop texting me", "STOP PLEASE", "please stop", "PLEASE CANCEL", "help me",
    "yes please", "I want to unsubscribe", "stop stop", "STOP ALL", "OPT OUT",
    "STOPPING", "STOPP", "HELPFUL", "ending", "yesterday", "information", "start over",
    "Can I cancel my order?", "TD bank", "hello", "x",
])
def test_anything_but_an_exact_single_keyword_is_an_ordinary_message(body: str) -> None:
    assert classify(body) is None


@pytest.mark.parametrize("body", [None, "", " ", "\n\t "])
def test_empty_bodies_are_not_keywords(body: str | None) -> None:
    assert classify(body) is None


def test_a_long_body_ending_in_a_keyword_is_not_a_keyword() -> None:
    assert classify("a" * 500 + " STOP") is None
    assert classify("STOP " + "a" * 500) is None


def test_keyword_inside_a_multiline_message_is_not_a_keyword() -> None:
    assert classify("STOP\nthanks") is None
