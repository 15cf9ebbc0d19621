"""Agents' identity: a Cognito JWT (ID or access token) verified against the user pool's keys; the
account and role come from the caller's Agent item, which only an owner or admin can write."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from helpdesk.errors import Forbidden, Transient, Unauthorized

HELPDESK_ROLES = ("owner", "admin", "manager", "support")
# A system of the brand's (the marketing system) rather than a person: its Agent item has this role,
# and only the routes that ask for it (`allow_integration`) let it in.
INTEGRATION_ROLE = "integration"
# An unknown key id sends us to the user pool for its keys at most this often: a flood of tokens
# with made-up `kid`s must not become a flood of JWKS requests (nor wait on them).
JWKS_REFETCH_SECONDS = 60.0
JWKS_LIFETIME_SECONDS = 3600.0


@dataclass(frozen=True)
class AgentIdentity:
    agent_id: str
    account_id: str
    roles: tuple[str, ...]
    email: str | None = None

    @property
    def role(self) -> str:
        return next((r for r in (*HELPDESK_ROLES, INTEGRATION_ROLE) if r in self.roles), "")


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


class PoolKeys:
    """The user pool's signing keys by `kid`, fetched once an hour, and again for an unknown `kid`
    at most once every JWKS_REFETCH_SECONDS."""

    def __init__(self, url: str, clock: Any = time.monotonic):
        self.url, self.clock = url, clock
        self.keys: dict[str, Any] = {}
        self.fetched_at: float | None = None  # the last fetch that worked
        self.tried_at: float | None = None  # the last fetch, worked or not
        self.fetches = 0
        self._lock = threading.Lock()

    def _fetch(self, now: float) -> None:
        import jwt

        self.fetches += 1
        self.tried_at = now
        try:
            client = jwt.PyJWKClient(self.url, cache_jwk_set=False, cache_keys=False, timeout=5)
            keys = jwt.PyJWKSet.from_dict(client.fetch_data()).keys
        except jwt.PyJWKClientConnectionError as exc:
            raise Transient("cannot reach the user pool keys") from exc
        except (jwt.PyJWTError, ValueError, KeyError, TypeError) as exc:
            # Not JWKS JSON (a proxy's error page, a truncated body): a fault on the way, not the caller's.
            raise Transient("the user pool keys cannot be read") from exc
        self.keys = {k.key_id: k for k in keys if k.key_id}
        self.fetched_at = now

    def _due(self, kid: str, now: float) -> bool:
        if self.tried_at is not None and now - self.tried_at < 1.0:
            return False  # one try a second at most, whatever happens
        if self.fetched_at is None or now - self.fetched_at >= JWKS_LIFETIME_SECONDS:
            return True
        return kid not in self.keys and now - (self.tried_at or 0.0) >= JWKS_REFETCH_SECONDS

    def key(self, kid: str) -> Any:
        with self._lock:
            now = self.clock()
            if self._due(kid, now):
                self._fetch(now)
            if self.fetched_at is None:
                raise Transient("the user pool keys are unavailable")
            found = self.keys.get(kid)
        if found is None:
            raise Unauthorized("invalid token")
        return found.key


_keys: list[PoolKeys] = []
_accounts: dict[str, str] = {}  # Cognito sub -> account: a user never moves to another account


def pool_keys() -> PoolKeys:
    url = os.environ.get("COGNITO_JWKS_URL") or issuer() + "/.well-known/jwks.json"
    if not _keys or _keys[0].url != url:
        _keys[:] = [PoolKeys(url)]
    return _keys[0]


def verify(token: str) -> dict[str, Any]:
    """The claims of a token the user pool issued to our app client, or Unauthorized."""
    import jwt

    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    kid = header.get("kid")
    if header.get("alg") != "RS256" or not isinstance(kid, str) or not kid:
        raise Unauthorized("invalid token")
    try:
        claims: dict[str, Any] = jwt.decode(
            token, pool_keys().key(kid), algorithms=["RS256"], issuer=issuer(),
            options={"verify_aud": False, "require": ["exp", "iss", "sub", "token_use"]})
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid token") from exc
    client_id = os.environ.get("COGNITO_APP_CLIENT_ID")
    token_use = claims.get("token_use")
    # An ID token names our client in `aud`, an access token in `client_id`; neither may be the other.
    audience = claims.get("aud") if token_use == "id" else claims.get("client_id") if token_use == "access" else None
    if audience is None or (client_id and audience != client_id):
        raise Unauthorized("invalid token")
    return claims


def authenticate(authorization: str | None, *, allow_integration: bool = False) -> AgentIdentity:
    """The agent behind an `Authorization: Bearer <jwt>` header: 401 without a valid token, 403 for
    a user of the pool who is no active helpdesk agent. The account and role are read from the
    Agent item on every request, so a deactivation or demotion takes effect at once. An
    integration's user is let in only where the route says `allow_integration` (and is 403 on every
    other route, whatever its role table says)."""
    from helpdesk.store import agents as agent_store

    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token")
    claims = verify(authorization[7:].strip())
    sub = str(claims["sub"])
    account_id = _accounts.get(sub) or agent_store.account_of_user(sub)
    if not account_id:
        raise Forbidden("this user is not a helpdesk agent")
    _accounts[sub] = account_id
    agent = agent_store.get_agent(account_id, sub)
    if agent is None or agent.active is False or agent.role not in (*HELPDESK_ROLES, INTEGRATION_ROLE):
        raise Forbidden("this user may not use the helpdesk")
    if agent.role == INTEGRATION_ROLE and not allow_integration:
        raise Forbidden("an integration may call only the integration routes")
    return AgentIdentity(sub, account_id, (str(agent.role),), agent.email or claims.get("email"))


def reset() -> None:
    _keys.clear()
    _accounts.clear()
