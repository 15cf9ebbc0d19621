"""Secrets from SSM Parameter Store (the deployed way: `<NAME>_PARAM`), on the moto server: read
when first needed, cached five minutes, and a rotated value is in use once they have passed."""
from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from helpdesk import settings
from tests.conftest import Aws


@pytest.fixture
def parameter(aws: Aws, monkeypatch: pytest.MonkeyPatch) -> Any:
    ssm = aws.client("ssm")
    name = f"/helpdesk/test/{uuid.uuid4().hex[:8]}/twilio-auth-token"
    ssm.put_parameter(Name=name, Value="first-token", Type="SecureString")
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN_PARAM", name)
    settings.reset()
    yield ssm, name
    settings.reset()


def test_a_rotated_secret_is_used_within_five_minutes(parameter: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from aws_lambda_powertools.utilities.parameters import base

    ssm, name = parameter
    assert settings.secret("TWILIO_AUTH_TOKEN") == "first-token"
    ssm.put_parameter(Name=name, Value="rotated-token", Type="SecureString", Overwrite=True)
    assert settings.secret("TWILIO_AUTH_TOKEN") == "first-token"  # cached: no SSM call per request

    later = dt.datetime.now() + dt.timedelta(seconds=301)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:
            return later

    monkeypatch.setattr(base, "datetime", Later)
    assert settings.secret("TWILIO_AUTH_TOKEN") == "rotated-token"


def test_a_missing_secret_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOT_A_SECRET", raising=False)
    monkeypatch.delenv("NOT_A_SECRET_PARAM", raising=False)
    with pytest.raises(settings.ConfigurationError, match="NOT_A_SECRET"):
        settings.secret("NOT_A_SECRET")
