"""Request bodies are checked against the schemas the OpenAPI document shows: the document is the
one description of what each route takes."""
from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Aws, Brand
from tests.integration.agents import call, member


def test_every_documented_request_body_compiles_into_a_check() -> None:
    from helpdesk import openapi, request_schemas

    checked = [(path, method) for path, ops in openapi.document()["paths"].items() for method, op in ops.items()
               if isinstance(op, dict) and "requestBody" in op]
    assert len(checked) >= 10
    for path, method in checked:
        assert request_schemas.body_check(path, method) is not None, (path, method)
    assert request_schemas.body_check("/api/tickets", "get") is None


@pytest.mark.parametrize(("method", "path", "body", "named"), [
    ("PATCH", "/api/tickets/t-1", {"status": "open", "colour": "red"}, "unknown field: colour"),
    ("PATCH", "/api/tickets/t-1", {"tags": ["x" * 101]}, "tags[0]"),
    ("PATCH", "/api/tickets/t-1", {}, "properties"),
    ("POST", "/api/tickets/bulk", {"ids": [], "changes": {"status": "closed"}}, "ids"),
    ("POST", "/api/tickets/bulk", {"ids": ["t-1"] * 101, "changes": {"status": "closed"}}, "ids"),
    ("POST", "/api/views", {"name": "x", "filters": {"status": "pending"}}, "filters.status"),
    ("POST", "/api/views", {"filters": {}}, "name"),
    ("POST", "/api/macros", {"name": "x"}, "body"),
    ("PUT", "/api/agents/me/presence", {"status": "away"}, "status"),
    ("PUT", "/api/agents/me/presence", None, "JSON object"),
    ("POST", "/api/tickets/t-1/messages", {"type": "reply", "body": "hi", "cc": "x"}, "unknown field: cc"),
])
def test_a_body_the_document_refuses_is_a_400_naming_the_field_and_nothing_changes(
        aws: Aws, pool: Any, api: Any, brand: Brand, method: str, path: str, body: Any, named: str) -> None:
    from tests.integration import tables

    owner = member(aws, pool, brand.account_id, "owner")
    before = tables.snapshot(brand.account_id)
    status, answer = call(api, method, path, owner, body)
    assert status == 400 and named in answer["error"], answer
    assert tables.snapshot(brand.account_id) == before


def test_the_schema_check_comes_after_the_caller_is_known(api: Any) -> None:
    response = api.request("POST", "/api/views", headers={"Content-Type": "application/json"}, body=b"{}")
    assert response.status_code == 401
