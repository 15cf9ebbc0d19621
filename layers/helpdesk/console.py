"""The agent console's files (layers/console: plain ES modules, no build step), answered by the agent
API's Lambda under `/console/`, and the page's configuration, read from the function's environment at
request time: the same files serve every deployment, and nothing about one is baked into them.

Only files that exist under the console folder, with a known type, are served; a name that climbs out
of it (`..`, a slash in a path parameter) is a 404 like any unknown name.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

# Beside the helpdesk package, both in the repository (layers/) and in the layer (/opt/python/).
ROOT = Path(__file__).resolve().parents[1] / "console"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/json",
}
# Revalidated on every load (an ETag answers 304): a deployment's new files are seen at once, and an
# unchanged file costs a request but no body.
CACHE = "no-cache"


class NotServed(Exception):
    pass


def _read(relative: str) -> tuple[bytes, str, str]:
    path = (ROOT / relative).resolve()
    if ROOT.resolve() not in path.parents or not path.is_file() or path.suffix not in TYPES:
        raise NotServed(relative)
    # Keyed by the file's mtime too: an edited file is served at once on the local stack.
    return _contents(path, path.stat().st_mtime_ns)


@lru_cache(maxsize=128)
def _contents(path: Path, mtime_ns: int) -> tuple[bytes, str, str]:
    body = path.read_bytes()
    return body, TYPES[path.suffix], '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def file(parts: list[str], if_none_match: str | None) -> tuple[int, dict[str, str], str]:
    """(status, headers, body) of the console's file at `parts` (index.html for none)."""
    if any(not p or p.startswith(".") or "/" in p or "\\" in p for p in parts):
        raise NotServed("/".join(parts))
    body, content_type, etag = _read("/".join(parts) or "index.html")
    headers = {"Content-Type": content_type, "Cache-Control": CACHE, "ETag": etag,
               "X-Content-Type-Options": "nosniff"}
    if content_type.startswith("text/html"):
        # The page loads its own scripts only and talks to this API and the user pool alone.
        headers["Content-Security-Policy"] = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
            f"connect-src 'self' {_cognito_endpoint()}; frame-ancestors 'none'; base-uri 'self'")
        headers["Referrer-Policy"] = "no-referrer"
    if if_none_match and etag in [tag.strip() for tag in if_none_match.split(",")]:
        return 304, headers, ""
    return 200, headers, body.decode("utf-8")


def _cognito_endpoint() -> str:
    pool_id = os.environ.get("COGNITO_USER_POOL_ID", "")
    region = pool_id.split("_", 1)[0] if "_" in pool_id else os.environ.get("AWS_REGION", "us-east-1")
    # The local stack's user pool is moto's; deployed, the region's Cognito endpoint.
    return os.environ.get("COGNITO_ENDPOINT_URL") or f"https://cognito-idp.{region}.amazonaws.com/"


def config() -> dict[str, Any]:
    """What the page needs to sign agents in: the user pool's client and where to reach it. Nothing
    secret (the app client has no secret; the pool's id is in every token)."""
    from helpdesk.agents import presence_ttl

    return {
        "cognito": {"endpoint": _cognito_endpoint(), "user_pool_id": os.environ.get("COGNITO_USER_POOL_ID", ""),
                    "client_id": os.environ.get("COGNITO_APP_CLIENT_ID", ""),
                    # Sign-out revokes the refresh token (the app client enables revocation); moto's pool,
                    # the local stack's, does not implement RevokeToken.
                    "revoke_tokens": not os.environ.get("COGNITO_ENDPOINT_URL")},
        # The page beats well inside the presence expiry, so an open tab stays online and a closed one
        # drops out of round robin once it passes.
        "presence_seconds": int(presence_ttl().total_seconds()),
    }
