"""SES answers sorted into what a retry may cure (Transient, 503) and what it never will (BadRequest:
the reply shows as failed, the follow-up is given up): botocore's Stubber plays SES's error answers."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from helpdesk.errors import BadRequest, Transient
from helpdesk.store import mail


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import boto3
    from botocore.stub import Stubber

    client = boto3.client("ses", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    monkeypatch.setattr(mail, "_ses", lambda: client)
    with Stubber(client) as stubber:
        yield stubber


def _send() -> str:
    return mail.send("support@shop.example", "kim@example.com", "Re: order", "It ships today.")


@pytest.mark.parametrize("code", ["AccessDenied", "MessageRejected", "MailFromDomainNotVerifiedException"])
def test_a_refusal_no_retry_cures_is_permanent(ses: Any, code: str) -> None:
    ses.add_client_error("send_raw_email", service_error_code=code, http_status_code=400 if code != "AccessDenied"
                         else 403)
    with pytest.raises(BadRequest) as caught:
        _send()
    assert code in caught.value.reason


@pytest.mark.parametrize("code", ["Throttling", "ServiceUnavailable", "InternalFailure"])
def test_throttling_and_outages_are_transient(ses: Any, code: str) -> None:
    ses.add_client_error("send_raw_email", service_error_code=code, http_status_code=503)
    with pytest.raises(Transient):
        _send()


def test_a_sent_mail_returns_its_message_id(ses: Any) -> None:
    ses.add_response("send_raw_email", {"MessageId": "ses-1"})
    assert _send().endswith("@shop.example")
