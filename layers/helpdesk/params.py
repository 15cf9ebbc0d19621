"""Query parameters every listing route reads the same way."""
from __future__ import annotations

from helpdesk.errors import BadRequest


def page_limit(params: dict[str, str], default: int, maximum: int) -> int:
    """`limit`: how many items a page holds, 1 to `maximum`, `default` when not given; else a 400."""
    try:
        limit = int(params.get("limit") or default)
    except ValueError as exc:
        raise BadRequest("limit must be a number") from exc
    if not 1 <= limit <= maximum:
        raise BadRequest(f"limit must be between 1 and {maximum}")
    return limit
