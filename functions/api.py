"""The agent-facing REST API (`/api/...`): the API Lambda's whole code. Its handler is
`functions.api.app`, so a cold start imports this module and the domain it calls, never a webhook,
the worker or the sweep (app.py adds those to the same Chalice app, for packaging and the local stack)."""
from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from chalice import Chalice, Response
from chalice.app import Request

from helpdesk import (
    account_settings,
    agents,
    attribution,
    auth,
    console,
    customers,
    kb,
    macros,
    openapi,
    replies,
    reports,
    request_schemas,
    routing,
    tagging,
    views,
    workspace,
)
from helpdesk.errors import HelpdeskError
from helpdesk.providers import http
from helpdesk.settings import ConfigurationError
from helpdesk.skills import catalog as skills
from helpdesk.store import accounts


class _Chalice(Chalice):
    """Chalice keeps the request it is serving on the app. A Lambda serves one at a time; the local stack's
    gateway serves the console's parallel requests on threads, so here it is kept per thread (shared, a
    view could read another request's body: seen as a presence heartbeat refused for a missing body)."""

    _serving = threading.local()

    @property  # type: ignore[override]
    def current_request(self) -> Request | None:
        return getattr(self._serving, "request", None)

    @current_request.setter
    def current_request(self, request: Request | None) -> None:
        self._serving.request = request


app = _Chalice(app_name="helpdesk")
app.api.cors = True  # the agent UI may be served from another origin; tokens travel in a header


def agent_route(path: str, methods: list[str], *,
                allow_integration: bool = False) -> Callable[[Callable[..., Any]], Any]:
    """An agent API route: the caller is authenticated first; domain errors become HTTP answers. Only
    a route that says `allow_integration` lets an integration's user in (its role table decides the rest)."""

    def register(view: Callable[..., Any]) -> Any:
        @wraps(view)
        def guarded(**params: Any) -> Any:
            try:
                who = auth.authenticate(_request().headers.get("authorization"), allow_integration=allow_integration)
                check = request_schemas.body_check(path, _request().method)
                if check is not None:  # the body as the OpenAPI document describes it, or a 400
                    check(_json())
                return view(who, **params)
            except HelpdeskError as error:
                return Response({"error": error.reason}, status_code=error.status)
            except ConfigurationError:
                return Response({"error": "agent API not configured"}, status_code=500)

        return app.route(path, methods=methods)(guarded)

    return register


def _request() -> Request:
    request = app.current_request
    assert request is not None, "only called while Chalice serves a request"
    return request


def _json() -> Any:
    """The request's JSON body (None when empty); malformed JSON is a 400 in our error shape, parsed
    only after the caller is authenticated."""
    request = _request()
    if "helpdesk.json" not in request.context:  # parsed once per request (the schema check reads it first)
        raw = request.raw_body
        body = http.json_body(raw.encode() if isinstance(raw, str) else raw) if raw else None
        request.context["helpdesk.json"] = body
    return request.context["helpdesk.json"]


def _query() -> dict[str, str]:
    return dict(_request().query_params or {})


@agent_route("/api/tickets", ["GET"])
def list_tickets(who: auth.AgentIdentity) -> Any:
    return workspace.list_tickets(who, _query())


@agent_route("/api/tickets/{ticket_id}", ["GET"])
def get_ticket(who: auth.AgentIdentity, ticket_id: str) -> Any:
    detail = workspace.ticket_detail(who, ticket_id)
    return Response(detail, headers={"ETag": f'"{detail["version"]}"'})


@agent_route("/api/tickets/{ticket_id}", ["PATCH"])
def patch_ticket(who: auth.AgentIdentity, ticket_id: str) -> Any:
    request = _request()
    ticket = workspace.patch_ticket(who, ticket_id, _json(), request.headers.get("if-match"))
    return Response(ticket, headers={"ETag": f'"{ticket["version"]}"'})


@agent_route("/api/tickets/bulk", ["POST"])
def bulk_edit(who: auth.AgentIdentity) -> Any:
    return workspace.bulk_edit(who, _json())


@agent_route("/api/tickets/{ticket_id}/messages", ["GET"])
def list_messages(who: auth.AgentIdentity, ticket_id: str) -> Any:
    return workspace.older_messages(who, ticket_id, _query())


@agent_route("/api/outbound-messages", ["POST"], allow_integration=True)
def post_outbound_messages(who: auth.AgentIdentity) -> Any:
    return Response(attribution.ingest(who, _json()), status_code=202)


@agent_route("/api/profile-events", ["POST"], allow_integration=True)
def post_profile_events(who: auth.AgentIdentity) -> Any:
    return Response(customers.ingest(who, _json()), status_code=202)


@agent_route("/api/profiles/{profile_id}/events", ["GET"])
def list_profile_events(who: auth.AgentIdentity, profile_id: str) -> Any:
    return customers.events(who, profile_id, _query())


@agent_route("/api/tickets/{ticket_id}/messages", ["POST"])
def post_message(who: auth.AgentIdentity, ticket_id: str) -> Any:
    request = _request()
    return Response(replies.post(who, ticket_id, _json(), request.headers.get("idempotency-key")),
                    status_code=201)


@agent_route("/api/tickets/{ticket_id}/orders", ["GET"])
def list_ticket_orders(who: auth.AgentIdentity, ticket_id: str) -> Any:
    from helpdesk import order_actions  # (the Shopify and Recharge clients: 75 ms of import, on first use)

    return order_actions.customer_orders(who, ticket_id)


@agent_route("/api/tickets/{ticket_id}/order-actions", ["POST"])
def post_order_action(who: auth.AgentIdentity, ticket_id: str) -> Any:
    from helpdesk import order_actions

    return order_actions.act(who, ticket_id, _json(), _request().headers.get("idempotency-key"))


@agent_route("/api/macros", ["GET"])
def list_macros(who: auth.AgentIdentity) -> Any:
    return macros.list_macros(who)


@agent_route("/api/macros", ["POST"])
def create_macro(who: auth.AgentIdentity) -> Any:
    return Response(macros.create(who, _json()), status_code=201)


@agent_route("/api/macros/{macro_id}", ["PATCH"])
def change_macro(who: auth.AgentIdentity, macro_id: str) -> Any:
    return macros.change(who, macro_id, _json())


@agent_route("/api/tickets/{ticket_id}/macros/{macro_id}/preview", ["GET"])
def preview_macro(who: auth.AgentIdentity, ticket_id: str, macro_id: str) -> Any:
    return macros.preview(who, macro_id, ticket_id)


@agent_route("/api/macros/{macro_id}", ["DELETE"])
def delete_macro(who: auth.AgentIdentity, macro_id: str) -> Any:
    macros.delete(who, macro_id)
    return Response("", status_code=204)


@agent_route("/api/kb/articles", ["GET"])
def list_kb_articles(who: auth.AgentIdentity) -> Any:
    return kb.list_articles(who, _query())


@agent_route("/api/kb/articles", ["POST"])
def create_kb_article(who: auth.AgentIdentity) -> Any:
    return Response(kb.create(who, _json()), status_code=201)


@agent_route("/api/kb/articles/{article_id}", ["GET"])
def get_kb_article(who: auth.AgentIdentity, article_id: str) -> Any:
    return kb.get_article(who, article_id)


@agent_route("/api/kb/articles/{article_id}", ["PATCH"])
def change_kb_article(who: auth.AgentIdentity, article_id: str) -> Any:
    return kb.change(who, article_id, _json(), _request().headers.get("if-match"))


@agent_route("/api/kb/articles/{article_id}", ["DELETE"])
def delete_kb_article(who: auth.AgentIdentity, article_id: str) -> Any:
    kb.delete(who, article_id)
    return Response("", status_code=204)


@agent_route("/api/skills", ["GET"])
def list_skills(who: auth.AgentIdentity) -> Any:
    return skills.list_skills(who)


@agent_route("/api/skills/order_editing/preview", ["POST"])
def preview_order_skill(who: auth.AgentIdentity) -> Any:
    return skills.preview(who, _json())


@agent_route("/api/views", ["GET"])
def list_views(who: auth.AgentIdentity) -> Any:
    return views.list_views(who)


@agent_route("/api/views", ["POST"])
def create_view(who: auth.AgentIdentity) -> Any:
    return Response(views.create(who, _json()), status_code=201)


@agent_route("/api/views/{view_id}", ["PATCH"])
def change_view(who: auth.AgentIdentity, view_id: str) -> Any:
    return views.change(who, view_id, _json())


@agent_route("/api/views/{view_id}", ["DELETE"])
def delete_view(who: auth.AgentIdentity, view_id: str) -> Any:
    views.delete(who, view_id)
    return Response("", status_code=204)


@agent_route("/api/teams", ["GET"])
def list_teams(who: auth.AgentIdentity) -> Any:
    return routing.list_teams(who)


@agent_route("/api/teams", ["POST"])
def create_team(who: auth.AgentIdentity) -> Any:
    return Response(routing.create_team(who, _json()), status_code=201)


@agent_route("/api/teams/{team_id}", ["PATCH"])
def change_team(who: auth.AgentIdentity, team_id: str) -> Any:
    return routing.change_team(who, team_id, _json())


@agent_route("/api/teams/{team_id}", ["DELETE"])
def delete_team(who: auth.AgentIdentity, team_id: str) -> Any:
    routing.delete_team(who, team_id)
    return Response("", status_code=204)


@agent_route("/api/tags/preview", ["POST"])
def preview_tags(who: auth.AgentIdentity) -> Any:
    return tagging.preview(accounts.get_account(who.account_id), _json())


@agent_route("/api/routing/rules", ["GET"])
def get_routing_rules(who: auth.AgentIdentity) -> Any:
    return routing.get_rules(who)


@agent_route("/api/routing/rules", ["PUT"])
def put_routing_rules(who: auth.AgentIdentity) -> Any:
    return routing.put_rules(who, _json(), _request().headers.get("if-match"))


@agent_route("/api/agents", ["GET"])
def list_agents(who: auth.AgentIdentity) -> Any:
    return agents.list_agents(who)


@agent_route("/api/agents", ["POST"])
def invite_agent(who: auth.AgentIdentity) -> Any:
    return Response(agents.invite(who, _json()), status_code=201)


@agent_route("/api/agents/me", ["GET"])
def get_me(who: auth.AgentIdentity) -> Any:
    return agents.me(who)


@agent_route("/api/agents/{agent_id}", ["PATCH"])
def change_agent(who: auth.AgentIdentity, agent_id: str) -> Any:
    return agents.change(who, agent_id, _json())


@agent_route("/api/agents/me/presence", ["PUT"])
def put_presence(who: auth.AgentIdentity) -> Any:
    return agents.set_presence(who, _json())


@agent_route("/api/settings", ["GET"])
def get_settings(who: auth.AgentIdentity) -> Any:
    return account_settings.read(who)


@agent_route("/api/settings", ["PATCH"])
def patch_settings(who: auth.AgentIdentity) -> Any:
    return account_settings.change(who, _json())


@agent_route("/api/reports/tickets", ["GET"])
def ticket_report(who: auth.AgentIdentity) -> Any:
    query = _query()
    report = reports.tickets(who, query)
    if query.get("format") == "csv":
        return Response(reports.as_csv(report), headers={
            "Content-Type": "text/csv; charset=utf-8", "X-Report-Definitions": report["definitions"],
            "Content-Disposition": 'attachment; filename="tickets-report.csv"'})
    return report


@app.route("/api/openapi.json", methods=["GET"])
def openapi_document() -> Any:
    return openapi.document()


# --- the console's page (layers/console), served by this API so it shares its origin -----------------


def _console_file(*parts: str) -> Response:
    try:
        status, headers, body = console.file(list(parts), _request().headers.get("if-none-match"))
    except console.NotServed:
        return Response({"error": "no such file"}, status_code=404)
    return Response(body, headers=dict[str, str | list[str]](headers), status_code=status)


@app.route("/console", methods=["GET"])
def console_page() -> Response:
    # API Gateway routes `/console` and `/console/` here alike; the page's relative module paths need the
    # slash, so a visit without it is sent to the address with it.
    if not str(_request().context.get("path") or "/").endswith("/"):
        return Response("", status_code=301, headers={"Location": "console/", "Cache-Control": "no-cache"})
    return _console_file()


@app.route("/console/config.json", methods=["GET"])
def console_config() -> Response:
    return Response(console.config(), headers={"Cache-Control": "no-store"})


@app.route("/console/{name}", methods=["GET"])
def console_top_file(name: str) -> Response:
    return _console_file(name)


@app.route("/console/{folder}/{name}", methods=["GET"])
def console_nested_file(folder: str, name: str) -> Response:
    return _console_file(folder, name)
