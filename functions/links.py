"""Short-link Lambda: `GET /l/{code}` on the webhook API counts the click and redirects to the link."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, links
from helpdesk.providers import http

bp = Blueprint(__name__)
# Never cached by the browser or a proxy: every click must reach us to be counted.
NO_STORE = {"Cache-Control": "no-store"}
NOT_FOUND_PAGE = ('<!doctype html><html lang="en"><meta charset="utf-8"><title>Link not found</title>'
                  "<p>Link not found. It may have been mistyped.</p></html>")


@bp.lambda_function(name="link_redirect")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    code = (event.get("pathParameters") or {}).get("code") or ""
    url = links.follow(code, clock.now_iso())
    if url is None:
        return http.response(404, NOT_FOUND_PAGE, "text/html; charset=utf-8", NO_STORE)
    return http.response(302, "", "text/plain; charset=utf-8", {"Location": url, **NO_STORE})
