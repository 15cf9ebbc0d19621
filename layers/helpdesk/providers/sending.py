"""What every outbound sender shares: one POST over the standard library, and the ways a send ends."""
from __future__ import annotations

import base64
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Literal

from helpdesk import settings
from helpdesk.errors import Conflict, HelpdeskError, Transient

RefusalKind = Literal["opted_out", "window_closed", "unreachable", "invalid", "refused"]


@dataclass(frozen=True)
class Sent:
    """The provider took the message; `provider_id` is its id (Twilio SID, wamid, Instagram mid)."""

    provider_id: str
    status: str = "sent"


class SendRefused(Conflict):
    """The provider refused this message for good: sending it again would fail the same way."""

    def __init__(self, reason: str, *, code: str, kind: RefusalKind):
        super().__init__(reason)
        self.code = code
        self.kind = kind


class ProviderMisconfigured(HelpdeskError):
    """Our side of the provider set-up is wrong (credentials, base URL): the reason names the setting."""

    status = 502


def base_url(name: str, default: str) -> str:
    """A provider's base URL; the environment may point it elsewhere (a local double, a proxy)."""
    return (settings.optional(name) or default).rstrip("/")


def credential(name: str) -> str:
    try:
        return settings.secret(name)
    except settings.ConfigurationError as exc:
        raise ProviderMisconfigured(str(exc)) from exc


_PHONE_NUMBER = re.compile(r"\+?\d{7,}")


def redacted(message: str, limit: int = 300) -> str:
    """A provider's own error text, fit for an agent and a log line: phone numbers masked, length capped."""
    return _PHONE_NUMBER.sub("…", " ".join(message.split()))[:limit]


def post_form(url: str, pairs: list[tuple[str, str]], *, auth_basic: tuple[str, str] | None = None,
              timeout: float = 10.0) -> tuple[int, Any]:
    """POST form fields; the HTTP status and the JSON answer (None when the answer is not JSON)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if auth_basic:
        user, password = auth_basic
        headers["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    return _post(url, urllib.parse.urlencode(pairs).encode(), headers, timeout)


def post_json(url: str, payload: Any, *, bearer: str | None = None, timeout: float = 10.0) -> tuple[int, Any]:
    """POST a JSON document; the HTTP status and the JSON answer (None when the answer is not JSON)."""
    headers = {"Content-Type": "application/json"}
    if bearer:
        headers["Authorization"] = f"Bearer {bearer}"
    return _post(url, json.dumps(payload, ensure_ascii=False).encode(), headers, timeout)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would replay a redirected POST as a GET without its body; a redirect means a wrong base
    # URL, so it comes back as its own status instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def _post(url: str, data: bytes, headers: dict[str, str], timeout: float) -> tuple[int, Any]:
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Accept": "application/json", **headers})
    try:
        try:
            answer = _opener.open(request, timeout=timeout)
        except urllib.error.HTTPError as error:
            answer = error  # an error status is the provider's answer, read like any other
        with answer:
            return answer.status, _parsed(answer.read())
    except urllib.error.URLError as exc:
        # urllib wraps what fails before the request is sent (DNS, refused, connect timeout): the
        # provider never saw it, so sending again is safe.
        host = urllib.parse.urlsplit(url).hostname
        what = f"no connection within {timeout:g} s" if _timed_out(exc) else "the connection failed"
        raise Transient(f"could not reach {host} ({what}); try again in a moment") from exc
    except (OSError, http.client.HTTPException) as exc:  # read timeouts and resets come unwrapped
        host = urllib.parse.urlsplit(url).hostname
        what = f"no answer within {timeout:g} s" if _timed_out(exc) else "the connection dropped"
        raise Unconfirmed(f"{host} did not answer ({what}): the message may have been sent; check "
                          "before sending it again") from exc


class Unconfirmed(Transient):
    """The request went out and no answer came back: whether the provider sent the message is not
    known. No provider takes an idempotency key, so the reply is not sent again automatically."""


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:  # an HTML error page of a proxy or load balancer
        return None
