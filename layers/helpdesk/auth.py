"""Agents' identity: a Cognito JWT verified against the user pool's keys; roles from its groups."""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from helpdesk.errors import Forbidden, Unauthorized

HELPDESK_ROLES = ("owner", "admin", "manager", "support")


@dataclass(frozen=True)
class AgentIdentity:
    agent_id: str
    account_id: str
    roles: tuple[str, ...]
    email: str | None = None

    @property
    def role(self) -> str:
        return next((r for r in HELPDESK_ROLES if r in self.roles), "")


def _pool() -> tuple[str, str]:
    pool_id = os.environ.get("COGNITO_USER_POOL_ID", "")
    if not pool_id:
        from helpdesk.settings import ConfigurationError

        raise ConfigurationError("COGNITO_USER_POOL_ID is not configured")
    region = pool_id.split("_", 1)[0]
    return pool_id, region


def issuer() -> str:
    pool_id, region = _pool()
    return os.environ.get("COGNITO_ISSUER") or f"https://cognito-idp.{region}.amazonaws.com/{pool_id}"


@lru_cache(maxsize=1)
def _jwks() -> Any:
    import jwt

    url = os.environ.get("COGNITO_JWKS_URL") or issuer() + "/.well-known/jwks.json"
    return jwt.PyJWKClient(url, cache_keys=True, lifespan=3600)


def authenticate(authorization: str | None) -> AgentIdentity:
    """The agent behind an `Authorization: Bearer <jwt>` header: 401 without a valid token, 403
    for a role that may not use the helpdesk."""
    import jwt

    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token")
    token = authorization[7:].strip()
    try:
        key = _jwks().get_signing_key_from_jwt(token).key
        claims = jwt.decode(token, key, algorithms=["RS256"], issuer=issuer(),
                            options={"verify_aud": False, "require": ["exp", "iss", "sub"]})
    except jwt.PyJWKClientConnectionError as exc:
        from helpdesk.errors import Transient

        raise Transient("cannot reach the user pool keys") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    client_id = os.environ.get("COGNITO_APP_CLIENT_ID")
    token_use = claims.get("token_use")
    audience = claims.get("aud") if token_use == "id" else claims.get("client_id")
    if token_use not in ("id", "access") or (client_id and audience != client_id):
        raise Unauthorized("invalid token")
    groups = tuple(claims.get("cognito:groups") or ())
    if not any(g in HELPDESK_ROLES for g in groups):
        raise Forbidden("this role may not use the helpdesk")
    account_id = claims.get("custom:account_id") or os.environ.get("DEFAULT_ACCOUNT_ID")
    if not account_id:
        raise Forbidden("the user belongs to no account")
    return AgentIdentity(str(claims["sub"]), str(account_id), groups, claims.get("email"))


def reset() -> None:
    _jwks.cache_clear()
