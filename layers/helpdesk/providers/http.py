"""API Gateway (REST, proxy integration) events in, proxy responses out."""
from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable
from functools import wraps
from typing import Any

from helpdesk.errors import BadRequest, HelpdeskError, PayloadTooLarge, UnsupportedMediaType

MAX_BODY_BYTES = 256 * 1024


def header(event: dict[str, Any], name: str) -> str | None:
    wanted = name.lower()
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == wanted:
            return value
    return None


def raw_body(event: dict[str, Any], limit: int = MAX_BODY_BYTES) -> bytes:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as exc:
            raise BadRequest("body is not valid base64") from exc
    else:
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    if len(data) > limit:
        raise PayloadTooLarge(f"body over {limit} bytes")
    return data


def require_content_type(event: dict[str, Any], expected: str) -> None:
    ctype = (header(event, "content-type") or "").split(";")[0].strip().lower()
    if ctype != expected:
        raise UnsupportedMediaType(f"expected {expected}")


def form_pairs(data: bytes) -> list[tuple[str, str]]:
    """A form body as (name, value) pairs, in order, repeated names kept."""
    try:
        text = data.decode("utf-8")
        return urllib.parse.parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text),
                                      errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest("malformed form body") from exc


def json_body(data: bytes) -> Any:
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: "[" * 20000
        raise BadRequest("malformed JSON body") from exc


def query(event: dict[str, Any]) -> dict[str, str]:
    return dict(event.get("queryStringParameters") or {})


def public_url(event: dict[str, Any], override: str | None = None) -> str:
    """The URL the provider called, as it signed it.

    `override` (the PUBLIC_WEBHOOK_BASE_URL setting) wins behind a proxy or CDN. Otherwise the
    domain API Gateway itself says the request came in on (`requestContext.domainName`, never the
    client's Host header, which a caller could set to anything it had a signature for) and
    `requestContext.path`, which on an execute-api host carries the stage and on a custom domain the
    mapped path, rebuild it.
    """
    context = event.get("requestContext") or {}
    path = context.get("path") or event.get("path") or "/"
    if override:
        base = override.rstrip("/")
        path = event.get("path") or path
        url = base + path
    else:
        proto = (header(event, "x-forwarded-proto") or "https").split(",")[0].strip()
        host = context.get("domainName") or ""
        url = f"{proto}://{host}{path}"
    params = event.get("multiValueQueryStringParameters") or {}
    if params:
        url += "?" + urllib.parse.urlencode([(k, v) for k, vs in params.items() for v in vs])
    return url


def response(status: int, body: str = "", content_type: str = "application/json",
             headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"Content-Type": content_type, **(headers or {})},
            "body": body, "isBase64Encoded": False}


def json_response(status: int, payload: Any) -> dict[str, Any]:
    return response(status, json.dumps(payload, separators=(",", ":")))


def error_response(error: HelpdeskError) -> dict[str, Any]:
    """The one mapping of domain errors to HTTP answers: a short reason, never the payload."""
    return json_response(error.status, {"error": error.reason})


def answers_errors(handler: Callable[[dict[str, Any], Any], dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Wrap a webhook handler: domain errors become their 4xx/5xx answer; a missing setting is a
    500 the deployment must fix (logged by name, never the payload)."""
    from helpdesk.observability import logger
    from helpdesk.settings import ConfigurationError

    @wraps(handler)
    def wrapper(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return handler(event, context)
        except HelpdeskError as error:
            log = logger.warning if error.status >= 500 else logger.info
            log("request refused", extra={"status": error.status, "reason": error.reason})
            return error_response(error)
        except ConfigurationError as error:
            logger.error("misconfigured", extra={"reason": str(error)})
            return json_response(500, {"error": "webhook not configured"})

    return wrapper
