"""The agents' user pool on moto: groups by role, demo users, and their ID tokens."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("owner", "admin", "manager", "support", "analyst", "integration")  # analyst: not a helpdesk role
PASSWORD = "Helpdesk-demo-1!"


@dataclass(frozen=True)
class PoolUser:
    username: str
    sub: str
    role: str
    token: str


@dataclass(frozen=True)
class Pool:
    pool_id: str
    client_id: str
    jwks_url: str
    issuer: str


def create_pool(cognito: Any, endpoint: str, name: str = "helpdesk-agents", email_usernames: bool = False) -> Pool:
    """`email_usernames`: users sign in with their email address, as in the deployed pool (the local
    stack's, whose console signs in that way); tests that name users otherwise leave it off."""
    # No custom attributes: which account a user belongs to is the helpdesk's record, not the user's.
    by_email: dict[str, Any] = {"UsernameAttributes": ["email"],
                                "UsernameConfiguration": {"CaseSensitive": False}} if email_usernames else {}
    pool = cognito.create_user_pool(PoolName=name, **by_email)["UserPool"]
    # USER_PASSWORD_AUTH: the console's sign-in (over TLS once deployed), as the deployed app client allows.
    client = cognito.create_user_pool_client(
        UserPoolId=pool["Id"], ClientName="agent-api",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    for role in ROLES:
        cognito.create_group(GroupName=role, UserPoolId=pool["Id"])
    region = pool["Id"].split("_", 1)[0]
    return Pool(pool["Id"], client["ClientId"], f"{endpoint}/{pool['Id']}/.well-known/jwks.json",
                f"https://cognito-idp.{region}.amazonaws.com/{pool['Id']}")


def add_user(cognito: Any, pool: Pool, username: str, email: str, role: str | None) -> PoolUser:
    """Create a confirmed user in `role` and sign them in; the token is their ID token. (A user of
    the pool is no agent until the helpdesk invites them: see helpdesk.store.agents.put_agent.)"""
    cognito.admin_create_user(
        UserPoolId=pool.pool_id, Username=username, MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
    )
    cognito.admin_set_user_password(UserPoolId=pool.pool_id, Username=username, Password=PASSWORD, Permanent=True)
    if role:
        cognito.admin_add_user_to_group(UserPoolId=pool.pool_id, Username=username, GroupName=role)
    user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username=username)
    sub = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")
    return PoolUser(username, sub, role or "", sign_in(cognito, pool, username))


def sign_in(cognito: Any, pool: Pool, username: str, token: str = "IdToken") -> str:
    """A fresh token of the user (`IdToken` or `AccessToken`)."""
    auth = cognito.admin_initiate_auth(UserPoolId=pool.pool_id, ClientId=pool.client_id,
                                       AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                                       AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD})
    return str(auth["AuthenticationResult"][token])


def auth_environment(pool: Pool) -> dict[str, str]:
    """What the agent API needs to verify these tokens (see helpdesk.auth)."""
    return {"COGNITO_USER_POOL_ID": pool.pool_id, "COGNITO_APP_CLIENT_ID": pool.client_id,
            "COGNITO_JWKS_URL": pool.jwks_url}
