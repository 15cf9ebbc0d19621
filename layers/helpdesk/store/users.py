"""The agents' Cognito user pool: invited users, their role groups, and signing a user out of it."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from helpdesk.errors import BadRequest, Transient
from helpdesk.settings import ConfigurationError


@lru_cache(maxsize=1)
def _idp() -> Any:
    # Made lazily, from the botocore session pynamodb already holds (as the other clients are).
    from helpdesk.store.models import Item, _region

    return Item._get_connection().connection.session.create_client("cognito-idp", region_name=_region())


def _pool_id() -> str:
    pool_id = os.environ.get("COGNITO_USER_POOL_ID")
    if not pool_id:
        raise ConfigurationError("COGNITO_USER_POOL_ID is not configured")
    return pool_id


def _call(operation: str, **kwargs: Any) -> Any:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(_idp(), operation)(UserPoolId=_pool_id(), **kwargs)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in ("InvalidParameterException", "UsernameExistsException", "UserNotFoundException"):
            raise UserPoolRefused(code, error.response.get("Error", {}).get("Message", "")) from error
        raise Transient(f"user pool unavailable ({code or 'no response'})") from error
    except BotoCoreError as error:
        raise Transient("user pool unavailable") from error


class UserPoolRefused(BadRequest):
    def __init__(self, code: str, message: str):
        super().__init__("the user pool refused it: " + (message or code))
        self.code = code


def _sub(user: dict[str, Any]) -> str:
    attributes = user.get("Attributes") or user.get("UserAttributes") or []
    return next(a["Value"] for a in attributes if a["Name"] == "sub")


def create_user(email: str, *, send_invitation: bool = True) -> tuple[str, bool]:
    """The pool user for `email`, created with an emailed temporary password if new.
    Returns (sub, created)."""
    extra = {} if send_invitation else {"MessageAction": "SUPPRESS"}
    try:
        user = _call("admin_create_user", Username=email, DesiredDeliveryMediums=["EMAIL"],
                     UserAttributes=[{"Name": "email", "Value": email}, {"Name": "email_verified", "Value": "true"}],
                     **extra)["User"]
        return _sub(user), True
    except UserPoolRefused as refused:
        if refused.code != "UsernameExistsException":
            raise
    return _sub(_call("admin_get_user", Username=email)), False


def set_group(username_or_sub: str, role: str, old_role: str | None = None) -> None:
    """Keep the user's role group as their Agent item says (tools that read groups see the same)."""
    if old_role and old_role != role:
        try:
            _call("admin_remove_user_from_group", Username=username_or_sub, GroupName=old_role)
        except UserPoolRefused:
            pass  # not in that group (any more): nothing to remove
    _call("admin_add_user_to_group", Username=username_or_sub, GroupName=role)


def username_of(sub: str) -> str:
    """Admin operations take the username; a user's sub finds it."""
    found = _call("list_users", Filter=f'sub = "{sub}"', Limit=1).get("Users") or []
    if not found:
        raise UserPoolRefused("UserNotFoundException", "no such user")
    return str(found[0]["Username"])


def disable(sub: str) -> None:
    """No new sign-ins and no refresh of the tokens they hold."""
    username = username_of(sub)
    _call("admin_disable_user", Username=username)
    _call("admin_user_global_sign_out", Username=username)


def enable(sub: str) -> None:
    _call("admin_enable_user", Username=username_of(sub))
