"""Settings: secrets from the environment locally and from SSM Parameter Store when deployed
(`<NAME>_PARAM` names the parameter), checked on use. A parameter is cached five minutes (by
Powertools), so a rotated secret reaches every warm container within five minutes, no redeploy."""
from __future__ import annotations

import os


class ConfigurationError(RuntimeError):
    """A setting the function needs is missing: the deployment is wrong, not the request."""


def _secret(name: str) -> str | None:
    value = os.environ.get(name)
    if value:
        return value
    parameter = os.environ.get(f"{name}_PARAM")
    if not parameter:
        return None
    from aws_lambda_powertools.utilities import parameters

    return str(parameters.get_parameter(parameter, decrypt=True, max_age=300))


def secret(name: str) -> str:
    """A provider secret; raises ConfigurationError naming it when it is not configured."""
    value = _secret(name)
    if not value:
        raise ConfigurationError(f"{name} is not configured (set {name} or {name}_PARAM)")
    return value


def optional(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name) or default


def webhook_base_url() -> str | None:
    """The webhook API as the outside world reaches it: PUBLIC_WEBHOOK_BASE_URL (a custom domain or
    CDN), else WEBHOOK_BASE_URL (the API's own URL, which the template gives). Status callbacks and
    shortened links point there."""
    base = optional("PUBLIC_WEBHOOK_BASE_URL") or optional("WEBHOOK_BASE_URL")
    return base.rstrip("/") if base else None


def reset() -> None:
    """Forget cached parameters (tests)."""
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()
