"""AI auto-tagging through Amazon Bedrock (issue 12: "an optional Bedrock classifier behind the same interface").

`suggest` keeps the contract of helpdesk/autotag.py's: the tags of the fixed set (helpdesk/tagging.py FIXED) a
customer's message carries, each with a confidence in [0, 1], most confident first. It is used instead of the
shipped classifier only when the deployment names a model (`AUTOTAG_BEDROCK_MODEL_ID`: an Anthropic Claude
model id or a cross-Region inference profile id; see helpdesk/tagging.py `suggested`).

The model is asked through InvokeModel with the Anthropic Messages body (anthropic_version
bedrock-2023-05-31, a system prompt naming the tags, the message as the user turn) and answers JSON. Unlike
the shipped classifier, this sends the message (its new part, at most MAX_CHARS characters) to Bedrock.

Whatever goes wrong (throttling, a timeout, access denied, a model that does not exist or was not enabled, an
answer that is not the JSON asked for) the message is tagged by the shipped classifier instead, and the fallback
is counted (metric `autotag_bedrock_fallback`) and logged with its reason: tagging never fails because of Bedrock.
"""
from __future__ import annotations

import json
import math
import os
import re
from functools import lru_cache
from typing import Any

from helpdesk import autotag
from helpdesk.providers.email import strip_reply  # what autotag.suggest strips with (autotag.strip_reply)
from helpdesk.tagging import FIXED

MODEL_ID_ENV = "AUTOTAG_BEDROCK_MODEL_ID"
ANTHROPIC_VERSION = "bedrock-2023-05-31"
MAX_CHARS = 4_000  # of the message sent; tags are decided by its start, and tokens cost
MAX_TOKENS = 300  # the answer: 14 tags with confidences fit in well under this
CONNECT_TIMEOUT_S = 2
READ_TIMEOUT_S = 8
# Attempts in all (one retry): the API handler answers POST /api/tags/preview within API Gateway's 29 s, and
# two reads of READ_TIMEOUT_S plus their connects stay under it; the worker falls back instead of waiting longer.
TOTAL_ATTEMPTS = 2

DEFINITIONS = {
    "returns": "the customer wants to send an item back or asks about a return or refund for a return",
    "exchange": "the customer wants to swap an item for another size, colour or product",
    "order_status": "where an order is, whether it shipped, when it will arrive",
    "shipping": "delivery options, costs, carriers, addresses, tracking problems, delivery times",
    "cancellation": "the customer wants to cancel an order or a subscription",
    "order_edit": "the customer wants to change an order already placed (items, quantity, address)",
    "product_question": "a question about a product: sizing, materials, use, availability, compatibility",
    "discount": "discount codes, promotions, coupons, price matching",
    "payment": "charges, refunds of money, failed or double payments, invoices, payment methods",
    "damaged_or_wrong_item": "an item arrived broken, defective, missing or not what was ordered",
    "subscription": "a recurring subscription: skip, pause, change frequency, manage deliveries",
    "account": "logging in, passwords, account details, email preferences, data deletion",
    "feedback": "praise, complaints or suggestions about the shop, products or service",
    "spam": "unsolicited marketing, scams, phishing or messages unrelated to the shop",
}

SYSTEM_PROMPT = (
    "You tag customer-support messages sent to an online shop. Choose every tag of this fixed set that the "
    "message carries, and only tags from it:\n"
    + "\n".join(f"- {tag}: {DEFINITIONS[tag]}" for tag in FIXED)
    + "\n\nThe message may be in any language (often English or Korean). Give each chosen tag your confidence "
    "that it applies, a number from 0 to 1. A greeting or a message with no request gets no tags.\n"
    'Answer with JSON only, no prose and no code fence: {"tags": [{"name": "<tag>", "confidence": <0..1>}]}'
)

_FENCE = re.compile(r"^\s*```[a-zA-Z]*\s*\n?(.*?)\n?\s*```\s*$", re.DOTALL)


class Unusable(Exception):
    """Bedrock answered, but not with tags we can use."""


def model_id() -> str:
    return os.environ.get(MODEL_ID_ENV, "").strip()


@lru_cache(maxsize=1)
def _client() -> Any:
    """The bedrock-runtime client, made once per process (making one costs about as much as a call)."""
    import boto3
    from botocore.config import Config

    return boto3.client("bedrock-runtime", config=Config(
        connect_timeout=CONNECT_TIMEOUT_S, read_timeout=READ_TIMEOUT_S,
        retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS}))


def request_body(text: str) -> dict[str, Any]:
    """The Anthropic Messages body of InvokeModel for the message `text` (already stripped)."""
    return {
        "anthropic_version": ANTHROPIC_VERSION,
        "max_tokens": MAX_TOKENS,
        "temperature": 0,
        "system": SYSTEM_PROMPT,
        "messages": [{"role": "user", "content": [{"type": "text", "text": text[:MAX_CHARS]}]}],
    }


def parse(answer: Any) -> list[tuple[str, float]]:
    """The tags of the model's answer (the InvokeModel response body, decoded): known tags only, each with a
    confidence in [0, 1] (a tag named twice keeps its highest), most confident first. Raises Unusable when the
    answer is not the JSON asked for."""
    try:
        text = answer["content"][0]["text"]
    except (KeyError, IndexError, TypeError) as error:
        raise Unusable(f"no text content ({type(error).__name__})") from None
    if not isinstance(text, str):
        raise Unusable("content text is not a string")
    fenced = _FENCE.match(text)
    try:
        value = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        raise Unusable("the text is not JSON") from None
    tags = value.get("tags") if isinstance(value, dict) else None
    if not isinstance(tags, list):
        raise Unusable('no "tags" list')
    found: dict[str, float] = {}
    for tag in tags:
        if not isinstance(tag, dict):
            continue
        name, confidence = tag.get("name"), tag.get("confidence")
        # bool is an int to Python; a model's `true` is not a confidence.
        if name not in DEFINITIONS or isinstance(confidence, bool) or not isinstance(confidence, (int, float)):
            continue
        confidence = float(confidence)
        if not math.isfinite(confidence) or not 0 <= confidence <= 1:
            continue
        found[name] = max(confidence, found.get(name, 0.0))
    return sorted(found.items(), key=lambda item: (-item[1], FIXED.index(item[0])))


def _invoke(model: str, text: str) -> list[tuple[str, float]]:
    response = _client().invoke_model(modelId=model, body=json.dumps(request_body(text)),
                                      contentType="application/json", accept="application/json")
    raw = response["body"].read()
    try:
        answer = json.loads(raw or b"{}")
    except ValueError:
        raise Unusable("the response body is not JSON") from None
    return parse(answer)


def suggest(text: str) -> list[tuple[str, float]]:
    """The tags this message carries with the model's confidence in each, most confident first; the shipped
    classifier's (helpdesk/autotag.py) when no model is configured or Bedrock fails. None for an empty message
    or an email with nothing new above what it quotes (Bedrock is not asked)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from helpdesk.observability import count, logger

    new_part = strip_reply(text or "")
    if not new_part.strip():
        return []
    model = model_id()
    if not model:
        return autotag.suggest(text)
    try:
        return _invoke(model, new_part)
    except ClientError as error:
        reason = str(error.response.get("Error", {}).get("Code") or "ClientError")
    except (BotoCoreError, Unusable) as error:  # timeouts and connection failures are BotoCoreError
        reason = f"{type(error).__name__}: {error}"[:200]
    count("autotag_bedrock_fallback")
    logger.warning("autotag: Bedrock failed, the shipped classifier tags instead",
                   extra={"model_id": model, "reason": reason})
    return autotag.suggest(text)
