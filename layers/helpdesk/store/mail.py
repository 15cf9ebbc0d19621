"""Outbound email through SES (raw MIME, so our Message-ID, threading headers and Reply-To hold)."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import lru_cache
from typing import Any

from helpdesk.errors import BadRequest, Transient

# What SES answers for a message that no retry will get through. AccessDenied too: the function's
# role may not send as this sender (an identity the deployment's SesIdentity does not name), which
# only a change to the deployment cures; retried, a follow-up would come back every minute forever.
_PERMANENT = {"MessageRejected", "MailFromDomainNotVerifiedException", "InvalidParameterValue",
              "AccountSendingPausedException", "ConfigurationSetDoesNotExistException",
              "AccessDenied", "AccessDeniedException"}


@lru_cache(maxsize=1)
def _ses() -> Any:
    import boto3

    return boto3.client("ses")


def send(source: str, to: str | list[str], subject: str, text: str, *, reply_to: str | None = None,
         in_reply_to: str | None = None, references: list[str] | None = None,
         message_id: str | None = None, automatic: bool = False) -> str:
    """Send one email; returns its Message-ID (without angle brackets)."""
    from botocore.exceptions import BotoCoreError, ClientError

    domain = source.rsplit("@", 1)[-1]
    mid = message_id or make_msgid(domain=domain)[1:-1]
    msg = EmailMessage()
    recipients = [to] if isinstance(to, str) else list(to)
    msg["From"], msg["To"], msg["Subject"] = source, ", ".join(recipients), subject
    msg["Date"], msg["Message-ID"] = formatdate(usegmt=True), f"<{mid}>"
    # RFC 3834: a machine's own mail (a team notification) says so, so out-of-office responders
    # do not answer it back into the helpdesk; an agent's reply is a person's.
    msg["Auto-Submitted"] = "auto-generated" if automatic else "no"
    if reply_to:
        msg["Reply-To"] = reply_to
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    msg.set_content(text)
    try:
        _ses().send_raw_email(Source=source, Destinations=recipients, RawMessage={"Data": msg.as_bytes()})
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code in _PERMANENT:
            raise BadRequest(f"mail refused ({code})") from error
        raise Transient("mail service unavailable") from error
    except BotoCoreError as error:
        raise Transient("mail service unavailable") from error
    return mid
