"""The optional Bedrock tagger (helpdesk/autotag_bedrock.py) through the real bedrock-runtime client and moto's
InvokeModel (the session's moto server). moto answers InvokeModel with an empty body; the tests script only
the model's answer (`Model`, patching moto's BedrockRuntimeBackend.invoke_model), so the request each test
judges is the one botocore serialised and moto parsed, and each answer goes back through botocore as Bedrock's
would. Any failure falls back to the shipped classifier, counted."""
from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from moto.core.exceptions import JsonRESTError

from helpdesk.auth import AgentIdentity
from tests.conftest import Aws, Brand, customer_number
from tests.integration.agents import settle, text, ticket_id_of

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"  # a cross-Region inference profile id


def anthropic_answer(text: str) -> dict[str, Any]:
    """An InvokeModel response body of an Anthropic Messages call, as Bedrock returns it."""
    return {"id": "msg_bdrk_01XyZ", "type": "message", "role": "assistant", "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
            "usage": {"input_tokens": 612, "output_tokens": 38}}


def tags_answer(*tags: tuple[str, Any]) -> dict[str, Any]:
    return anthropic_answer(json.dumps({"tags": [{"name": n, "confidence": c} for n, c in tags]}))


class ServiceError(JsonRESTError):
    """An error Bedrock Runtime answers, with its HTTP status."""

    def __init__(self, kind: str, message: str, status: int):
        super().__init__(kind, message)
        self.code = status


@dataclass
class Model:
    """What moto's InvokeModel answers: each call takes the next of `answers` (a response body, an exception to
    raise, or a callable making either), or moto's own (empty) answer when none is left; `calls` records each
    (model id, request body)."""

    answers: list[Any] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def answer(self, *answers: Any) -> Model:
        self.answers.extend(answers)
        return self


@pytest.fixture
def model(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Iterator[Model]:
    """Bedrock scripted on moto, the deployment naming MODEL, metrics off; botocore's backoff before a retry
    is not waited (its retry decision and count are unchanged)."""
    import botocore.endpoint
    from moto.bedrockruntime.models import BedrockRuntimeBackend

    script = Model()
    original = BedrockRuntimeBackend.invoke_model

    def invoke_model(backend: Any, payload: dict[str, Any], model_id: str) -> dict[str, Any]:
        script.calls.append((model_id, payload))
        if not script.answers:
            return original(backend, payload, model_id)  # type: ignore[no-any-return]
        answer = script.answers.pop(0)
        answer = answer() if callable(answer) else answer
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[no-any-return]

    monkeypatch.setattr(BedrockRuntimeBackend, "invoke_model", invoke_model)
    monkeypatch.setattr(botocore.endpoint, "time", SimpleNamespace(sleep=lambda seconds: None))
    monkeypatch.setenv("AUTOTAG_BEDROCK_MODEL_ID", MODEL)
    yield script


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    from helpdesk import observability

    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(observability, "count", lambda name, value=1: seen.append((name, value)))
    return seen


def suggest(message: str) -> list[tuple[str, float]]:
    from helpdesk import autotag_bedrock

    return autotag_bedrock.suggest(message)


def shipped(message: str) -> list[tuple[str, float]]:
    from helpdesk import autotag

    return autotag.suggest(message)


# ------------------------------------------------------------------------------------------- the request


def test_the_request_is_an_anthropic_messages_body_naming_the_tags(model: Model,
                                                                   counted: list[tuple[str, int]]) -> None:
    from helpdesk.tagging import FIXED

    message = "Hi, my parcel arrived crushed and the mug inside is broken. Can I get a new one?"
    model.answer(tags_answer(("damaged_or_wrong_item", 0.94), ("exchange", 0.61)))
    assert suggest(message) == [("damaged_or_wrong_item", 0.94), ("exchange", 0.61)]
    [(model_id, body)] = model.calls
    assert model_id == MODEL
    assert body["anthropic_version"] == "bedrock-2023-05-31"
    assert isinstance(body["max_tokens"], int) and 0 < body["max_tokens"] <= 1000
    assert body["messages"] == [{"role": "user", "content": [{"type": "text", "text": message}]}]
    system = body["system"]
    assert all(f"- {tag}: " in system for tag in FIXED)  # each tag of the set, with its definition
    assert '{"tags": [{"name": "<tag>", "confidence": <0..1>}]}' in system and "JSON only" in system
    assert counted == []  # no fallback


def test_the_message_sent_is_its_new_part_and_at_most_4000_characters(model: Model) -> None:
    long = "I ordered the wrong size and want to exchange it. " * 200  # 10,000 characters
    model.answer(tags_answer(("exchange", 0.9)), tags_answer(("feedback", 0.7)))
    assert suggest(long) == [("exchange", 0.9)]
    sent = model.calls[0][1]["messages"][0]["content"][0]["text"]
    assert len(long) == 10_000 and sent == long[:4000]

    reply = ("Thanks, that's all sorted now!\n\n"
             "On Mon, Dec 7, 2026 at 9:00 AM Support <support@shop.example> wrote:\n"
             "> Your refund for the cancelled order has been issued to your card.\n")
    suggest(reply)
    sent = model.calls[1][1]["messages"][0]["content"][0]["text"]
    assert "Thanks, that's all sorted now!" in sent and "refund" not in sent and "wrote:" not in sent


def test_nothing_is_sent_for_an_empty_message(model: Model) -> None:
    assert suggest("") == [] and suggest("   \n") == []
    assert model.calls == []


# ------------------------------------------------------------------------------------------- the answer


def test_the_answer_keeps_known_tags_with_confidences_in_0_to_1_sorted(model: Model,
                                                                       counted: list[tuple[str, int]]) -> None:
    fenced = "```json\n" + json.dumps({"tags": [
        {"name": "shipping", "confidence": 0.55},
        {"name": "order_status", "confidence": 0.9},
        {"name": "refund_request", "confidence": 0.99},  # not a tag of the set
        {"name": "payment", "confidence": 1.7},  # out of range
        {"name": "discount", "confidence": -0.2},
        {"name": "account", "confidence": "high"},  # not a number
        {"name": "spam", "confidence": True},
        {"name": "feedback"},  # no confidence
        {"name": "returns", "confidence": 1},  # an int in range is kept
        {"name": "shipping", "confidence": 0.6},  # named twice: the higher one
        "cancellation",
    ]}) + "\n```"
    model.answer(anthropic_answer(fenced), anthropic_answer('```\n{"tags": []}\n```'))
    assert suggest("where is my order, it has not shipped yet") == [
        ("returns", 1.0), ("order_status", 0.9), ("shipping", 0.6)]
    assert suggest("thanks!") == []  # a fence without a language, no tags: Bedrock's answer, not a fallback
    assert counted == []


def test_nan_and_infinite_confidences_are_dropped() -> None:
    from helpdesk import autotag_bedrock

    answer = anthropic_answer('{"tags": [{"name": "returns", "confidence": NaN}, '
                              '{"name": "exchange", "confidence": Infinity}, {"name": "payment", "confidence": 0.5}]}')
    assert autotag_bedrock.parse(answer) == [("payment", 0.5)]


def test_every_tag_of_the_set_has_a_definition_for_the_model() -> None:
    from helpdesk import autotag_bedrock
    from helpdesk.tagging import FIXED

    assert set(autotag_bedrock.DEFINITIONS) == set(FIXED)


# ------------------------------------------------------------------------------------------- fallback


MESSAGE = "I want to cancel my subscription"


def test_motos_empty_answer_falls_back_to_the_shipped_classifier(model: Model,
                                                                  counted: list[tuple[str, int]]) -> None:
    expected = shipped(MESSAGE)
    assert {tag for tag, _ in expected} == {"cancellation", "subscription"}  # the fallback has something to give
    assert suggest(MESSAGE) == expected
    assert len(model.calls) == 1  # moto's own answer: {}
    assert counted == [("autotag_bedrock_fallback", 1)]


@pytest.mark.parametrize("error, attempts", [
    (lambda: ServiceError("ThrottlingException", "Too many requests, please wait before trying again.", 429), 2),
    (lambda: ServiceError("AccessDeniedException", "You don't have access to the model with the specified model "
                                                   "ID.", 403), 1),
    (lambda: ServiceError("ResourceNotFoundException", "The provided model identifier is invalid.", 404), 1),
    (lambda: ServiceError("ValidationException", "Invocation of model ID with on-demand throughput isn't "
                                                 "supported.", 400), 1),
    (lambda: ServiceError("ServiceUnavailableException", "Service unavailable", 503), 2),
], ids=["throttled", "access-denied", "unknown-model", "on-demand-unsupported", "unavailable"])
def test_an_error_falls_back_after_the_retries_botocore_makes(model: Model, counted: list[tuple[str, int]],
                                                             error: Callable[[], Exception], attempts: int) -> None:
    model.answer(*[error for _ in range(attempts)], tags_answer(("feedback", 0.99)))
    assert suggest(MESSAGE) == shipped(MESSAGE)
    assert len(model.calls) == attempts  # standard mode: 2 attempts in all for what it retries, else 1
    assert counted == [("autotag_bedrock_fallback", 1)]


@pytest.mark.parametrize("answer", [
    anthropic_answer("Sure! This message is about cancellation and subscription."),
    anthropic_answer('{"labels": ["cancellation"]}'),
    {"type": "message", "content": []},
    {"type": "message", "content": [{"type": "text", "text": None}]},
], ids=["prose", "wrong-shape", "no-content", "no-text"])
def test_an_answer_that_is_not_the_json_asked_for_falls_back(model: Model, counted: list[tuple[str, int]],
                                                             answer: dict[str, Any]) -> None:
    model.answer(answer)
    assert suggest(MESSAGE) == shipped(MESSAGE)
    assert counted == [("autotag_bedrock_fallback", 1)]


def test_a_model_slower_than_the_read_timeout_falls_back(model: Model, counted: list[tuple[str, int]],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import autotag_bedrock

    autotag_bedrock._client.cache_clear()  # a client with a read timeout short enough for a test
    monkeypatch.setattr(autotag_bedrock, "READ_TIMEOUT_S", 0.3)
    try:
        def slow() -> dict[str, Any]:
            time.sleep(1.0)
            return tags_answer(("feedback", 0.9))

        model.answer(slow, slow)
        started = time.monotonic()
        assert suggest(MESSAGE) == shipped(MESSAGE)
        assert time.monotonic() - started < 1.9  # gave up after its read timeouts, not the model's answers
        assert counted == [("autotag_bedrock_fallback", 1)]
    finally:
        autotag_bedrock._client.cache_clear()


def test_the_client_is_made_once_with_short_timeouts_and_bounded_retries(model: Model) -> None:
    from helpdesk import autotag_bedrock

    client = autotag_bedrock._client()
    assert autotag_bedrock._client() is client
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 8)
    assert config.retries == {"mode": "standard", "total_max_attempts": 2}


# ------------------------------------------------------------------------------------------- the switch


def owner(brand: Brand) -> AgentIdentity:
    return AgentIdentity("owner-" + brand.account_id, brand.account_id, ("owner",))


def test_tagging_asks_bedrock_only_when_the_deployment_names_a_model(model: Model, brand: Brand,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import account_settings, tagging
    from helpdesk.store import accounts

    account_settings.change(owner(brand), {"tags": {"renamed": {"cancellation": "cancel request"},
                                                    "disabled": ["subscription"]}})
    account = accounts.get_account(brand.account_id)

    model.answer(tags_answer(("subscription", 0.97), ("cancellation", 0.93), ("feedback", 0.4)))
    assert tagging.suggested(MESSAGE, account) == [("cancel request", 0.93), ("feedback", 0.4)]
    assert len(model.calls) == 1

    monkeypatch.delenv("AUTOTAG_BEDROCK_MODEL_ID")
    monkeypatch.delitem(sys.modules, "helpdesk.autotag_bedrock")
    assert tagging.suggested(MESSAGE, account) == [("cancel request", round(dict(shipped(MESSAGE))["cancellation"],
                                                                            3))]
    assert len(model.calls) == 1  # not asked
    assert "helpdesk.autotag_bedrock" not in sys.modules  # nor even imported

    monkeypatch.setenv("AUTOTAG_BEDROCK_MODEL_ID", "  ")  # blank is unset
    tagging.suggested(MESSAGE, account)
    assert len(model.calls) == 1 and "helpdesk.autotag_bedrock" not in sys.modules


def test_a_ticket_is_tagged_by_bedrock_once_even_when_its_write_is_retried(model: Model, brand: Brand,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import assignment
    from helpdesk.store import tickets as ticket_store

    real_change = ticket_store.change
    conflicts: list[list[str]] = []

    def change(ticket: Any, actions: Any = None, **fields: Any) -> Any:
        if "tag_sources" in fields and not conflicts:  # the tagger's first write meets a concurrent one
            conflicts.append(fields["tags"])
            return None
        return real_change(ticket, actions, **fields)

    monkeypatch.setattr(assignment.ticket_store, "change", change)
    model.answer(tags_answer(("order_status", 0.88)), tags_answer(("spam", 0.99)))
    number = customer_number()
    text(brand, number, "where is my order #1042? it's been 2 weeks")
    settle(brand)
    ticket = ticket_store.get_ticket(brand.account_id, ticket_id_of(brand, number))
    assert conflicts == [["order_status"]]  # the first write lost, the retry wrote the same tags
    assert list(ticket.tags or []) == ["order_status"]
    assert json.loads(ticket.tag_sources or "{}") == {"order_status": {"source": "ai", "confidence": 0.88}}
    assert len(model.calls) == 1  # the retry did not ask Bedrock again
