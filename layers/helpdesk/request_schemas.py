"""Request bodies checked against the schemas the OpenAPI document shows (helpdesk/openapi.py): one
description of what each route takes, so the document and the checks cannot drift apart. The
domain checks what no schema can say (an agent of this account, a variable a macro may use); the
shape is refused here first, with the path of the bad field.

Each route's schema is compiled (fastjsonschema generates a plain function) on first use, not at
import: the API Lambda's cold start compiles nothing it is not asked.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from helpdesk.errors import BadRequest


def _inlined(schema: Any, components: dict[str, Any]) -> Any:
    """The schema with `#/components/schemas/...` references replaced by what they name."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _inlined(components[ref.rsplit("/", 1)[1]], components)
        return {k: _inlined(v, components) for k, v in schema.items()}
    if isinstance(schema, list):
        return [_inlined(v, components) for v in schema]
    return schema


def _reason(error: Any) -> str:
    """fastjsonschema says `data.filters.status must be one of [...]`; the caller sent no `data`."""
    if error.rule == "additionalProperties" and isinstance(error.value, dict):
        known = set((error.definition or {}).get("properties") or {})
        where = error.name[len("data."):] + "." if error.name.startswith("data.") else ""
        return "unknown field: " + ", ".join(where + k for k in sorted(set(error.value) - known))
    message = str(getattr(error, "message", error))
    if message.startswith("data."):
        return message[len("data."):]
    if message.startswith("data "):
        return "the body " + message[len("data "):].replace("must be object", "must be a JSON object")
    return message


@functools.cache
def body_check(path: str, method: str) -> Callable[[Any], None] | None:
    """The check of `method path`'s JSON body, or None when the document gives it no body."""
    from helpdesk import openapi

    document = openapi.document()
    operation = (document["paths"].get(path) or {}).get(method.lower()) or {}
    body = operation.get("requestBody") or {}
    schema = ((body.get("content") or {}).get("application/json") or {}).get("schema")
    if schema is None:
        return None
    import fastjsonschema

    validate = fastjsonschema.compile(_inlined(schema, document["components"]["schemas"]),
                                      formats={"date-time": _date_time})
    required = bool(body.get("required"))

    def check(value: Any) -> None:
        if value is None and not required:
            return
        try:
            validate(value)
        except fastjsonschema.JsonSchemaValueException as error:
            raise BadRequest(_reason(_closest(error, value))) from error

    return check


def _closest(error: Any, value: Any) -> Any:
    """For a body that fits none of a route's alternative shapes (`anyOf`), what is wrong with it in
    the shape it came nearest to (the error deepest in the body), not "fits no definition"."""
    import fastjsonschema

    branches = (error.definition or {}).get("anyOf") or (error.definition or {}).get("oneOf")
    if error.rule not in ("anyOf", "oneOf") or not branches:
        return error
    found = []
    for branch in branches:
        try:
            fastjsonschema.compile(branch, formats={"date-time": _date_time})(value)
        except fastjsonschema.JsonSchemaValueException as inner:
            found.append(inner)
    return max(found, key=lambda e: len(e.path or ())) if found else error


def _date_time(value: str) -> bool:
    """ISO 8601 with a date and a time, as the API writes them (the domain normalises the zone)."""
    from helpdesk.clock import parse_iso

    try:
        parse_iso(value)
    except ValueError:
        return False
    return "T" in value
