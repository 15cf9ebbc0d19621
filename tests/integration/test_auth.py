"""Who may call the agent API (helpdesk.auth), through the in-process Chalice test client.

Two kinds of signing keys are used. Tokens of the moto user pool (ID and access tokens of real pool
users) show what the pool issues is accepted, and that a changed byte or another pool's issuer is not.
For the claim and header checks, the tests hold their own RSA key and serve its JWKS from a local HTTP
server (counting requests), pointed at by COGNITO_JWKS_URL and COGNITO_ISSUER: each refused token is
minted exactly like an accepted one (see the control test) but for the one thing it tests.

Every refused request is a write that the accepted token does make (PATCH a ticket, go online), and
every test asserts the account's items are unchanged afterwards.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.conftest import Aws, Brand, customer_number
from tests.integration import tables
from tests.integration.agents import text, ticket_id_of

DROP = object()  # a claim to leave out


# --- fixtures: the app, the moto pool, a brand with an owner and a ticket --------------------------------

@dataclass(frozen=True)
class Scene:
    """An owner's Agent item (offline) and an open SMS ticket of the brand: what a token may touch."""

    account_id: str
    agent_id: str
    ticket_id: str


@pytest.fixture
def scene(pool: Any, brand: Brand) -> Scene:
    from helpdesk.store import agents as agent_store

    agent_id = str(uuid.uuid4())
    agent_store.put_agent(brand.account_id, agent_id, name="Olive Owner", email="olive@brand.example",
                          role="owner", online=False)
    customer = customer_number()
    text(brand, customer, "where is my order?")
    return Scene(brand.account_id, agent_id, ticket_id_of(brand, customer))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": "Bearer " + token, "Content-Type": "application/json"}


def attempt(api: Any, token: str, scene: Scene) -> list[int]:
    """A read and two writes with `token`: list tickets, close and tag the ticket, go online."""
    return [
        api.get("/api/tickets?view=all", headers=bearer(token)).status_code,
        api.request("PATCH", f"/api/tickets/{scene.ticket_id}", headers=bearer(token),
                    body=json.dumps({"status": "closed", "tags": ["forged"]}).encode()).status_code,
        api.request("PUT", "/api/agents/me/presence", headers=bearer(token),
                    body=json.dumps({"status": "online"}).encode()).status_code,
    ]


def assert_refused(api: Any, token: str, scene: Scene, status: int = 401) -> None:
    """Every request with `token` answers `status` with an error, and nothing of the account changed."""
    before = tables.snapshot(scene.account_id)
    assert attempt(api, token, scene) == [status] * 3
    response = api.get(f"/api/tickets/{scene.ticket_id}", headers=bearer(token))
    assert response.status_code == status
    assert isinstance(json.loads(response.body).get("error"), str)
    assert tables.snapshot(scene.account_id) == before, "a refused request wrote to the table"
    ticket = tables.ticket_item(scene.account_id, scene.ticket_id)
    assert ticket is not None and ticket["status"] == "open" and "forged" not in (ticket.get("tags") or [])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def hand_made(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    """A JWT put together by hand: `sign(signing_input) -> bytes` (PyJWT refuses to make some of these)."""
    signing_input = b64(json.dumps(header).encode()) + "." + b64(json.dumps(claims).encode())
    return signing_input + "." + b64(sign(signing_input.encode()))


# --- our own signing keys and their JWKS server ------------------------------------------------------------

@dataclass(frozen=True)
class Signer:
    kid: str
    private: rsa.RSAPrivateKey

    def jwk(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def public_pem(self, fmt: str = "spki") -> bytes:
        if fmt == "pkcs1":
            return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                          serialization.PublicFormat.PKCS1)
        return self.private.public_key().public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo)

    def sign(self, claims: dict[str, Any], alg: str = "RS256", **header: Any) -> str:
        return jwt.encode(claims, self.private, algorithm=alg, headers={"kid": self.kid, **header})


_rsa_keys: list[rsa.RSAPrivateKey] = []


def signer(n: int = 0) -> Signer:
    """Our `n`th RSA key (made once per session: making them is slow) under a fresh key id."""
    while len(_rsa_keys) <= n:
        _rsa_keys.append(rsa.generate_private_key(public_exponent=65537, key_size=2048))
    return Signer("kid-" + uuid.uuid4().hex[:12], _rsa_keys[n])


class JwksServer:
    """A user pool's JWKS endpoint on 127.0.0.1, counting the requests it gets; `keys` may be
    replaced (a rotation), `status`/`body` make it answer an error or garbage."""

    def __init__(self) -> None:
        self.keys: list[dict[str, Any]] = []
        self.status = 200
        self.body: bytes | None = None
        self.hits = 0
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                with server._lock:
                    server.hits += 1
                payload = server.body if server.body is not None else json.dumps({"keys": server.keys}).encode()
                self.send_response(server.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = False  # server_close() joins the request threads
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                       name="test-jwks", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/.well-known/jwks.json"

    def start(self) -> JwksServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive()


@pytest.fixture
def jwks() -> Iterator[JwksServer]:
    server = JwksServer().start()
    try:
        yield server
    finally:
        server.stop()


OWN_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_OwnKeysTest"


@dataclass
class OwnPool:
    """The API pointed at our JWKS server and issuer; mints tokens of the pool's app client."""

    server: JwksServer
    key: Signer
    client_id: str
    issuer: str = OWN_ISSUER
    extra_keys: list[Signer] = field(default_factory=list)

    def claims(self, sub: str, kind: str = "id", **changes: Any) -> dict[str, Any]:
        """The claims the pool puts in an ID (`kind` "id") or access token; `changes` replace claims
        (`DROP` leaves one out; `__` in a name stands for `:`)."""
        now = int(time.time())
        claims: dict[str, Any] = {"iss": self.issuer, "sub": sub, "token_use": kind, "iat": now,
                                  "auth_time": now, "exp": now + 3600, "jti": str(uuid.uuid4())}
        if kind == "access":
            claims.update({"client_id": self.client_id, "username": sub, "scope": "aws.cognito.signin.user.admin"})
        else:
            claims.update({"aud": self.client_id, "cognito:username": sub, "email": "olive@brand.example"})
        for name, value in changes.items():
            name = name.replace("__", ":")
            if value is DROP:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def token(self, sub: str, kind: str = "id", **changes: Any) -> str:
        return self.key.sign(self.claims(sub, kind, **changes))


@pytest.fixture
def own(pool: Any, jwks: JwksServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[OwnPool]:
    from helpdesk import auth

    key = signer(0)
    jwks.keys = [key.jwk()]
    monkeypatch.setenv("COGNITO_JWKS_URL", jwks.url)
    monkeypatch.setenv("COGNITO_ISSUER", OWN_ISSUER)
    auth.reset()
    try:
        yield OwnPool(jwks, key, pool.client_id)
    finally:
        auth.reset()


class FakeClock:
    def __init__(self, now: float = 1000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now


# --- the control: tokens minted like the pool's are accepted ---------------------------------------------

@pytest.mark.parametrize("token_use", ["id", "access"])
def test_a_token_minted_like_the_pools_is_accepted(api: Any, own: OwnPool, scene: Scene, token_use: str) -> None:
    """What the refusals below are measured against: the same minting, unchanged, reads and writes."""
    before = tables.snapshot(scene.account_id)
    assert attempt(api, own.token(scene.agent_id, token_use), scene) == [200, 200, 200]
    assert tables.snapshot(scene.account_id) != before
    ticket = tables.ticket_item(scene.account_id, scene.ticket_id)
    assert ticket is not None and ticket["status"] == "closed" and ticket["tags"] == ["forged"]
    me = json.loads(api.get("/api/agents/me", headers=bearer(own.token(scene.agent_id, token_use))).body)
    assert me["id"] == scene.agent_id and me["status"] == "online"


# --- claims ------------------------------------------------------------------------------------------------

def test_expired_token_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    now = int(time.time())
    assert_refused(api, own.token(scene.agent_id, iat=now - 3720, auth_time=now - 3720, exp=now - 120), scene)


def test_token_of_another_issuer_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    other = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_SomeoneElse"
    assert_refused(api, own.token(scene.agent_id, iss=other), scene)
    assert_refused(api, own.token(scene.agent_id, iss=OWN_ISSUER + "/"), scene)
    assert_refused(api, own.token(scene.agent_id, iss=DROP), scene)


def test_id_token_for_another_app_client_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    assert_refused(api, own.token(scene.agent_id, "id", aud="another-app-client"), scene)
    assert_refused(api, own.token(scene.agent_id, "id", aud=DROP), scene)


def test_access_token_for_another_app_client_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    assert_refused(api, own.token(scene.agent_id, "access", client_id="another-app-client"), scene)
    assert_refused(api, own.token(scene.agent_id, "access", client_id=DROP), scene)


def test_token_without_token_use_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    # Both audience claims present: only the missing token_use can refuse it.
    assert_refused(api, own.token(scene.agent_id, "id", token_use=DROP, client_id=own.client_id), scene)


def test_refresh_token_use_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    assert_refused(api, own.token(scene.agent_id, "id", token_use="refresh", client_id=own.client_id), scene)


def test_id_token_whose_audience_is_only_in_client_id_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    assert_refused(api, own.token(scene.agent_id, "id", aud=DROP, client_id=own.client_id), scene)


def test_access_token_whose_audience_is_only_in_aud_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    assert_refused(api, own.token(scene.agent_id, "access", client_id=DROP, aud=own.client_id), scene)


# --- headers and signatures --------------------------------------------------------------------------------

def test_unsigned_alg_none_token_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    claims = own.claims(scene.agent_id)
    for alg in ("none", "None", "NONE"):
        token = hand_made({"alg": alg, "typ": "JWT", "kid": own.key.kid}, claims, lambda _: b"")
        assert_refused(api, token, scene)
    # The valid RS256 signature of the same claims, under a header that says "none".
    signed = own.token(scene.agent_id)
    header = b64(json.dumps({"alg": "none", "kid": own.key.kid}).encode())
    assert_refused(api, header + "." + signed.split(".", 1)[1], scene)


@pytest.mark.parametrize("material", ["spki-pem", "pkcs1-pem", "jwk-json"])
def test_hs256_signed_with_the_pools_public_key_is_401(api: Any, own: OwnPool, scene: Scene, material: str) -> None:
    """The classic confusion attack: the public key (anyone can fetch it) used as an HMAC secret."""
    secret = {"spki-pem": own.key.public_pem("spki"), "pkcs1-pem": own.key.public_pem("pkcs1"),
              "jwk-json": json.dumps(own.key.jwk()).encode()}[material]
    token = hand_made({"alg": "HS256", "typ": "JWT", "kid": own.key.kid}, own.claims(scene.agent_id),
                      lambda data: hmac.new(secret, data, hashlib.sha256).digest())
    assert_refused(api, token, scene)


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_hs256_with_any_secret_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    for secret in ("secret", own.client_id, "webchat-test-session-key-held-by-the-service-only"):
        token = jwt.encode(own.claims(scene.agent_id), secret, algorithm="HS256", headers={"kid": own.key.kid})
        assert_refused(api, token, scene)


@pytest.mark.parametrize("alg", ["RS512", "PS256"])
def test_another_algorithm_with_the_pools_own_key_is_401(api: Any, own: OwnPool, scene: Scene, alg: str) -> None:
    assert_refused(api, own.key.sign(own.claims(scene.agent_id), alg=alg), scene)


def test_rs256_token_without_a_kid_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    token = jwt.encode(own.claims(scene.agent_id), own.key.private, algorithm="RS256")
    assert "kid" not in jwt.get_unverified_header(token)
    assert_refused(api, token, scene)


def test_token_signed_by_a_key_not_in_the_jwks_is_401(api: Any, own: OwnPool, scene: Scene) -> None:
    stranger = signer(1)
    assert_refused(api, stranger.sign(own.claims(scene.agent_id)), scene)  # an unknown kid
    # A known kid over another key's signature.
    assert_refused(api, stranger.sign(own.claims(scene.agent_id), kid=own.key.kid), scene)


# --- fetching the pool's keys --------------------------------------------------------------------------------

def test_fifty_unknown_kids_fetch_the_jwks_at_most_twice(api: Any, own: OwnPool, scene: Scene) -> None:
    from helpdesk import auth

    stranger = signer(1)
    before = tables.snapshot(scene.account_id)
    statuses = []
    for _ in range(50):
        token = stranger.sign(own.claims(scene.agent_id), kid="kid-" + uuid.uuid4().hex)
        statuses.append(api.get("/api/tickets?view=all", headers=bearer(token)).status_code)
    assert statuses == [401] * 50
    assert 1 <= own.server.hits <= 2, f"{own.server.hits} JWKS requests for 50 unknown kids"
    assert auth.pool_keys().fetches == own.server.hits
    # The flood did not cost the real key its place.
    assert api.get("/api/tickets?view=all", headers=bearer(own.token(scene.agent_id))).status_code == 200
    assert 1 <= own.server.hits <= 2
    assert tables.snapshot(scene.account_id) == before


def test_a_key_rotated_into_the_jwks_is_accepted_once_the_refetch_interval_passed(
        api: Any, own: OwnPool, scene: Scene) -> None:
    from helpdesk import auth

    clock = FakeClock()
    auth.pool_keys().clock = clock  # the keys the API uses, on a clock the test moves
    assert api.get("/api/tickets?view=all", headers=bearer(own.token(scene.agent_id))).status_code == 200
    assert own.server.hits == 1

    new = signer(1)
    own.server.keys = [own.key.jwk(), new.jwk()]
    rotated = new.sign(own.claims(scene.agent_id))
    clock.now += 30  # within the refetch interval: not fetched again
    assert_refused(api, rotated, scene)
    assert own.server.hits == 1
    clock.now += auth.JWKS_REFETCH_SECONDS
    assert api.get("/api/tickets?view=all", headers=bearer(rotated)).status_code == 200
    assert own.server.hits == 2
    # The old key is still served, so its tokens still work.
    assert api.get("/api/tickets?view=all", headers=bearer(own.token(scene.agent_id))).status_code == 200
    assert own.server.hits == 2


def test_pool_keys_refetch_for_an_unknown_kid_at_most_once_per_interval(jwks: JwksServer) -> None:
    from helpdesk import auth
    from helpdesk.errors import Unauthorized

    old, new = signer(0), signer(1)
    jwks.keys = [old.jwk()]
    clock = FakeClock(0.0)
    keys = auth.PoolKeys(jwks.url, clock=clock)
    assert keys.key(old.kid) is not None
    assert (keys.fetches, jwks.hits) == (1, 1)

    jwks.keys = [new.jwk()]  # rotated: the old key is gone, the new one in
    for at in (0.5, 2.0, 30.0, auth.JWKS_REFETCH_SECONDS - 0.1):
        clock.now = at
        with pytest.raises(Unauthorized):
            keys.key(new.kid)
        assert keys.key(old.kid) is not None  # still the keys as fetched
    assert (keys.fetches, jwks.hits) == (1, 1)

    clock.now = auth.JWKS_REFETCH_SECONDS
    assert keys.key(new.kid) is not None
    assert (keys.fetches, jwks.hits) == (2, 2)
    with pytest.raises(Unauthorized):
        keys.key(old.kid)  # the refetch dropped it
    for at in (auth.JWKS_REFETCH_SECONDS + 1.5, 2 * auth.JWKS_REFETCH_SECONDS - 1):
        clock.now = at
        with pytest.raises(Unauthorized):
            keys.key("kid-" + uuid.uuid4().hex)
    assert (keys.fetches, jwks.hits) == (2, 2)
    clock.now = 2 * auth.JWKS_REFETCH_SECONDS
    with pytest.raises(Unauthorized):
        keys.key("kid-" + uuid.uuid4().hex)
    assert (keys.fetches, jwks.hits) == (3, 3)


def test_pool_keys_retry_an_unreachable_jwks_at_most_once_a_second(jwks: JwksServer) -> None:
    from helpdesk import auth
    from helpdesk.errors import Transient

    key = signer(0)
    jwks.keys = [key.jwk()]
    jwks.status, jwks.body = 500, b'{"message": "internal error"}'
    clock = FakeClock(0.0)
    keys = auth.PoolKeys(jwks.url, clock=clock)
    for at in (0.0, 0.2, 0.9):
        clock.now = at
        with pytest.raises(Transient):
            keys.key(key.kid)
    assert (keys.fetches, jwks.hits) == (1, 1)
    clock.now = 1.0
    with pytest.raises(Transient):
        keys.key(key.kid)
    assert (keys.fetches, jwks.hits) == (2, 2)
    jwks.status, jwks.body = 200, None  # back
    clock.now = 1.5
    with pytest.raises(Transient):
        keys.key(key.kid)  # not asked again within the second
    clock.now = 2.0
    assert keys.key(key.kid) is not None
    assert (keys.fetches, jwks.hits) == (3, 3)


@pytest.mark.parametrize("failure", ["refused", "http-500", "not-json"])
def test_jwks_unreachable_is_503(api: Any, own: OwnPool, scene: Scene, failure: str,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import auth

    if failure == "refused":
        down = JwksServer()  # bound, never started, then closed: nothing listens at its address
        url = down.url
        down.httpd.server_close()
        monkeypatch.setenv("COGNITO_JWKS_URL", url)
        auth.reset()
    elif failure == "http-500":
        own.server.status, own.server.body = 500, b'{"message": "internal error"}'
    else:
        own.server.body = b"<html>bad gateway</html>"
    assert_refused(api, own.token(scene.agent_id), scene, status=503)


def test_known_keys_keep_working_while_the_jwks_is_down(api: Any, own: OwnPool, scene: Scene) -> None:
    assert api.get("/api/tickets?view=all", headers=bearer(own.token(scene.agent_id))).status_code == 200
    own.server.status, own.server.body = 500, b"{}"
    assert attempt(api, own.token(scene.agent_id), scene) == [200, 200, 200]
    assert own.server.hits == 1


# --- tokens of the moto user pool ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PoolAgent:
    username: str
    sub: str
    id_token: str
    access_token: str


def pool_agent(aws: Aws, pool: Any, account_id: str | None, role: str, groups: tuple[str, ...] = ()) -> PoolAgent:
    """A signed-in user of `pool` in `groups` (default: the role's), an agent of `account_id` in
    `role` unless `account_id` is None."""
    from helpdesk.store import agents as agent_store
    from infra.local import cognito

    idp = aws.client("cognito-idp")
    username = f"{role}-{uuid.uuid4().hex[:10]}"
    user = cognito.add_user(idp, pool, username, f"{username}@brand.example", None)
    for group in groups or (role,):
        idp.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=username, GroupName=group)
    if account_id is not None:
        agent_store.put_agent(account_id, user.sub, name=username, email=f"{username}@brand.example", role=role)
    return PoolAgent(username, user.sub, cognito.sign_in(idp, pool, username, "IdToken"),
                     cognito.sign_in(idp, pool, username, "AccessToken"))


def claims_of(token: str) -> dict[str, Any]:
    return dict(jwt.decode(token, options={"verify_signature": False}))


def moto_signed(claims: dict[str, Any]) -> str:
    """Signed with the key every moto user pool signs with (kid "dummy", as its JWKS serves it)."""
    from moto.utilities.utils import load_resource

    private = jwt.algorithms.RSAAlgorithm.from_jwk(json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))
    return jwt.encode(claims, private, algorithm="RS256", headers={"kid": "dummy"})


def test_id_and_access_token_of_the_same_user_both_work(aws: Aws, pool: Any, api: Any, scene: Scene) -> None:
    agent = pool_agent(aws, pool, scene.account_id, "support")
    assert claims_of(agent.id_token)["token_use"] == "id"
    assert claims_of(agent.access_token)["token_use"] == "access"
    assert claims_of(agent.access_token)["client_id"] == pool.client_id
    for token in (agent.id_token, agent.access_token):
        response = api.get("/api/agents/me", headers=bearer(token))
        assert response.status_code == 200, response.body
        assert json.loads(response.body)["id"] == agent.sub
    assert api.request("PATCH", f"/api/tickets/{scene.ticket_id}", headers=bearer(agent.access_token),
                       body=json.dumps({"tags": ["by-access-token"]}).encode()).status_code == 200
    assert api.request("PATCH", f"/api/tickets/{scene.ticket_id}", headers=bearer(agent.id_token),
                       body=json.dumps({"status": "closed"}).encode()).status_code == 200
    ticket = tables.ticket_item(scene.account_id, scene.ticket_id)
    assert ticket is not None and ticket["tags"] == ["by-access-token"] and ticket["status"] == "closed"


def test_token_from_another_moto_pool_is_401_even_for_a_sub_with_an_agent_item(
        aws: Aws, pool: Any, api: Any, scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    from helpdesk import auth
    from infra.local import cognito

    other_pool = cognito.create_pool(aws.client("cognito-idp"), aws.endpoint, name="other-" + uuid.uuid4().hex[:8])
    outsider = pool_agent(aws, other_pool, scene.account_id, "owner")  # even an Agent item for its sub
    for token in (outsider.id_token, outsider.access_token):
        assert claims_of(token)["iss"] == other_pool.issuer
        assert_refused(api, token, scene)

    # The tokens are good ones of their own pool: an API configured for that pool takes them.
    for name, value in cognito.auth_environment(other_pool).items():
        monkeypatch.setenv(name, value)
    auth.reset()
    assert api.get("/api/agents/me", headers=bearer(outsider.id_token)).status_code == 200


def test_pool_signed_token_naming_another_pools_issuer_is_401(aws: Aws, pool: Any, api: Any, scene: Scene) -> None:
    """Every moto pool signs with the same key (kid "dummy"): a token of another pool, even for our
    app client and an agent's sub, differs from ours only in `iss`."""
    agent = pool_agent(aws, pool, scene.account_id, "owner")
    claims = claims_of(agent.id_token)
    resigned = moto_signed(claims)
    assert api.get("/api/agents/me", headers=bearer(resigned)).status_code == 200  # control: our pool's key
    other_issuer = claims["iss"].rsplit("/", 1)[0] + "/us-east-1_" + uuid.uuid4().hex[:9]
    assert_refused(api, moto_signed({**claims, "iss": other_issuer}), scene)
    access = claims_of(agent.access_token)
    assert_refused(api, moto_signed({**access, "iss": other_issuer}), scene)


@pytest.mark.parametrize("change", ["groups", "account", "sub", "token_use"])
def test_tampered_payload_is_401(aws: Aws, pool: Any, api: Any, scene: Scene, change: str) -> None:
    agent = pool_agent(aws, pool, scene.account_id, "support")
    header, payload, signature = agent.id_token.split(".")
    claims = json.loads(unb64(payload))
    if change == "groups":
        claims["cognito:groups"] = ["owner"]
    elif change == "account":
        claims["custom:account_id"] = "acct-" + uuid.uuid4().hex[:10]
    elif change == "sub":
        claims["sub"] = scene.agent_id  # the owner's
    else:
        claims["token_use"] = "access"
        claims["client_id"] = claims["aud"]
    assert_refused(api, f"{header}.{b64(json.dumps(claims).encode())}.{signature}", scene)


def test_pool_user_without_an_agent_item_is_403_even_in_the_owner_group(
        aws: Aws, pool: Any, api: Any, scene: Scene) -> None:
    analyst = pool_agent(aws, pool, None, "analyst", groups=("analyst", "owner"))
    assert sorted(claims_of(analyst.id_token)["cognito:groups"]) == ["analyst", "owner"]
    for token in (analyst.id_token, analyst.access_token):
        assert_refused(api, token, scene, status=403)


def test_agent_item_with_a_role_that_may_not_use_the_helpdesk_is_403(
        aws: Aws, pool: Any, api: Any, scene: Scene) -> None:
    analyst = pool_agent(aws, pool, scene.account_id, "analyst", groups=("analyst", "owner"))
    assert_refused(api, analyst.id_token, scene, status=403)
