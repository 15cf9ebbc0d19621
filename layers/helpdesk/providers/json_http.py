"""One JSON request over the standard library, for the commerce APIs (Shopify Admin GraphQL, Recharge):
any method, the provider's answer whatever its status, and the two ways a request can fail on the wire."""
from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from helpdesk.errors import Transient


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON; None when the answer was not JSON (a proxy's HTML page)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


class Unreachable(Transient):
    """The request never reached the provider (DNS, refused, connect timeout): sending it again is safe."""


class Unanswered(Transient):
    """The request went out and no answer came back: whether the provider acted on it is not known."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would replay a redirected POST as a GET without its body; a redirect means a wrong base URL
    # (Shopify redirects a shop's old domain), so it comes back as its own status instead.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def request(method: str, url: str, *, headers: dict[str, str], payload: Any = None, timeout: float = 10.0) -> Reply:
    data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
    sent = {"Accept": "application/json", **headers}
    if data is not None:
        sent["Content-Type"] = "application/json"
    host = urllib.parse.urlsplit(url).hostname
    try:
        try:
            answer = _opener.open(urllib.request.Request(url, data=data, method=method, headers=sent), timeout=timeout)
        except urllib.error.HTTPError as error:
            answer = error  # an error status is the provider's answer, read like any other
        with answer:
            return Reply(answer.status, {k.lower(): v for k, v in answer.headers.items()}, _parsed(answer.read()))
    except urllib.error.URLError as exc:
        what = f"no connection within {timeout:g} s" if _timed_out(exc) else "the connection failed"
        raise Unreachable(f"could not reach {host} ({what}); try again in a moment") from exc
    except (OSError, http.client.HTTPException) as exc:  # read timeouts and resets come unwrapped
        what = f"no answer within {timeout:g} s" if _timed_out(exc) else "the connection dropped"
        raise Unanswered(f"{host} did not answer ({what})") from exc


def _timed_out(exc: BaseException) -> bool:
    return isinstance(exc, TimeoutError) or isinstance(getattr(exc, "reason", None), TimeoutError)


def _parsed(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
