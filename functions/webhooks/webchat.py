"""Web-chat Lambda: sessions for the widget, its messages and presence, and agent replies to read."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, settings, webchat
from helpdesk.providers import http
from helpdesk.store import accounts

bp = Blueprint(__name__)
MAX_BODY_BYTES = 32 * 1024


def _session(event: dict[str, Any]) -> webchat.Session:
    return webchat.verify(settings.secret("WEBCHAT_SESSION_KEY"), http.header(event, "authorization"))


def _json(event: dict[str, Any]) -> Any:
    http.require_content_type(event, "application/json")
    body = http.json_body(http.raw_body(event, MAX_BODY_BYTES))
    if not isinstance(body, dict):
        from helpdesk.errors import BadRequest

        raise BadRequest("expected a JSON object")
    return body


def _cors(response: dict[str, Any]) -> dict[str, Any]:
    # The widget runs on the brand's own site: another origin. Its token travels in a header, not
    # a cookie, so allowing any origin (the default) exposes nothing a page could not already send.
    response["headers"].update({
        "Access-Control-Allow-Origin": settings.optional("WEBCHAT_ALLOWED_ORIGIN", "*") or "*",
        "Access-Control-Allow-Headers": "Authorization, Content-Type",
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Max-Age": "600",
    })
    return response


@bp.lambda_function(name="webchat_webhook")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("httpMethod") == "OPTIONS":
        return _cors(http.response(204))
    return _cors(_route(event, context))


@http.answers_errors
def _route(event: dict[str, Any], context: Any) -> dict[str, Any]:
    resource, method = event.get("resource") or event.get("path"), event.get("httpMethod")
    if resource == "/webchat/sessions" and method == "POST":
        body = _json(event)
        account_id = body.pop("account_id", None) or settings.optional("DEFAULT_ACCOUNT_ID")
        if not isinstance(account_id, str) or not account_id:
            from helpdesk.errors import BadRequest

            raise BadRequest("account_id is required")
        if len(account_id) > 64:
            from helpdesk.errors import BadRequest

            raise BadRequest("account_id is too long")
        account = accounts.get_account(account_id)  # 404 for an account that does not exist
        identity_secret = account.webchat_secret or settings.secret("WEBCHAT_SECRET")
        session, token = webchat.start(identity_secret, settings.secret("WEBCHAT_SESSION_KEY"), account_id, body)
        return http.json_response(201, {"token": token, "visitor_id": session.visitor_id,
                                        "authenticated": session.authenticated,
                                        "expires_in": webchat.TOKEN_TTL_SECONDS})
    if resource == "/webhooks/webchat" and method == "POST":
        session = _session(event)
        body = _json(event)
        if body.get("type") == "message":
            return http.json_response(200, webchat.post_message(session, body, clock.now_iso()))
        if body.get("type") == "presence":
            return http.json_response(200, webchat.set_presence(session, body))
        from helpdesk.errors import BadRequest

        raise BadRequest('type must be "message" or "presence"')
    if resource == "/webhooks/webchat/{conversation_id}/messages" and method == "GET":
        session = _session(event)
        conversation_id = (event.get("pathParameters") or {}).get("conversation_id", "")
        after = http.query(event).get("after") or None
        return http.json_response(200, webchat.replies(session, conversation_id, after, clock.now_iso()))
    return http.json_response(404, {"error": "no such route"})
