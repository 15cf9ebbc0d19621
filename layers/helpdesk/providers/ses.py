"""Amazon SES receiving: the receipt events a receipt rule hands to Lambda.

A rule stores the raw MIME in S3 and invokes the Lambda (action `Lambda`: the object is at
`<prefix><messageId>` in the rule's bucket, which the function is configured with), or the S3 action
publishes to SNS (action `S3`, with `bucketName` and `objectKey`). SNS-wrapped notifications are
unwrapped; the SNS action's inline `content` (at most 150 KB) is kept when present.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from typing import Any

from helpdesk.errors import BadRequest
from helpdesk.settings import ConfigurationError

VERDICTS = {"spam": "spamVerdict", "virus": "virusVerdict", "spf": "spfVerdict", "dkim": "dkimVerdict",
            "dmarc": "dmarcVerdict"}
STATUSES = frozenset({"PASS", "FAIL", "GRAY", "PROCESSING_FAILED", "DISABLED"})
# SES message ids are 20-40 lowercase alphanumerics; anything path-like must not become an S3 key.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")


@dataclass(frozen=True)
class SesReceipt:
    message_id: str  # SES's id: the name of the S3 object, and the natural dedupe key
    timestamp: str | None
    source: str | None  # the envelope sender (MAIL FROM); "" for bounces
    destination: list[str]  # every envelope recipient of the message
    recipients: list[str]  # the ones this receipt rule matched: our addresses
    verdicts: dict[str, str]  # spam, virus, spf, dkim, dmarc → PASS / FAIL / GRAY / PROCESSING_FAILED
    dmarc_policy: str | None  # only present when DMARC failed: none, quarantine or reject
    action_type: str  # Lambda, S3 or SNS
    bucket: str | None  # where the raw MIME is; None only with inline content (SNS action)
    key: str | None
    subject: str | None = None  # commonHeaders.subject, for logs and previews
    headers_truncated: bool = False
    content: bytes | None = field(default=None, repr=False)  # SNS action only: the raw MIME itself

    @property
    def spam(self) -> bool:
        return self.verdicts.get("spam") == "FAIL"

    @property
    def virus(self) -> bool:
        return self.verdicts.get("virus") == "FAIL"


def _strings(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(f"malformed {what}")
    return [v.strip().lower() for v in value if v.strip()]


def _verdicts(receipt: dict[str, Any]) -> dict[str, str]:
    verdicts: dict[str, str] = {}
    for name, key in VERDICTS.items():
        verdict = receipt.get(key)
        if verdict is None:
            continue
        if not isinstance(verdict, dict) or not isinstance(verdict.get("status"), str):
            raise BadRequest(f"malformed {key}")
        status = verdict["status"].strip().upper()
        verdicts[name] = status if status in STATUSES else "GRAY"
    return verdicts


def _content(notification: dict[str, Any]) -> bytes | None:
    content = notification.get("content")
    if content is None:
        return None
    if not isinstance(content, str):
        raise BadRequest("malformed content")
    action = (notification.get("receipt") or {}).get("action") or {}
    if str(action.get("encoding", "")).upper() == "BASE64":
        try:
            return base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BadRequest("content is not valid base64") from exc
    return content.encode("utf-8")


def _location(action: dict[str, Any], message_id: str, bucket: str | None, prefix: str,
              inline: bool) -> tuple[str, str | None, str | None]:
    kind = action.get("type")
    if kind == "S3":
        name, key = action.get("bucketName"), action.get("objectKey")
        if not key and isinstance(action.get("objectKeyPrefix", ""), str):
            key = str(action.get("objectKeyPrefix") or "") + message_id
        if not isinstance(name, str) or not name or not isinstance(key, str) or not key:
            raise BadRequest("S3 action without bucketName or objectKey")
        return "S3", name, key
    if kind == "Lambda":
        if not bucket:
            raise ConfigurationError("the SES inbound bucket is not configured")
        return "Lambda", bucket, f"{prefix}{message_id}"
    if kind == "SNS" and inline:
        return "SNS", None, None
    raise BadRequest("unsupported SES receipt action")


def _receipt(notification: Any, bucket: str | None, prefix: str) -> SesReceipt:
    if not isinstance(notification, dict):
        raise BadRequest("malformed SES record")
    mail, receipt = notification.get("mail"), notification.get("receipt")
    if not isinstance(mail, dict) or not isinstance(receipt, dict):
        raise BadRequest("SES record without mail or receipt")
    message_id = mail.get("messageId")
    if not isinstance(message_id, str) or not _MESSAGE_ID.fullmatch(message_id):
        raise BadRequest("SES record without a valid messageId")
    action = receipt.get("action")
    if not isinstance(action, dict):
        raise BadRequest("SES receipt without action")
    content = _content(notification)
    action_type, where, key = _location(action, message_id, bucket, prefix, content is not None)
    common = mail.get("commonHeaders")
    source, subject = mail.get("source"), common.get("subject") if isinstance(common, dict) else None
    return SesReceipt(
        message_id=message_id,
        timestamp=mail.get("timestamp") if isinstance(mail.get("timestamp"), str) else None,
        source=source.strip().lower() if isinstance(source, str) else None,
        destination=_strings(mail.get("destination"), "destination"),
        recipients=_strings(receipt.get("recipients"), "recipients"),
        verdicts=_verdicts(receipt),
        dmarc_policy=str(receipt["dmarcPolicy"]).lower() if receipt.get("dmarcPolicy") else None,
        action_type=action_type,
        bucket=where,
        key=key,
        subject=subject if isinstance(subject, str) else None,
        headers_truncated=bool(mail.get("headersTruncated")),
        content=content,
    )


def _notification(record: Any) -> Any:
    if not isinstance(record, dict):
        raise BadRequest("malformed record")
    if record.get("eventSource") == "aws:ses":
        return record.get("ses")
    if record.get("EventSource") == "aws:sns":
        message = (record.get("Sns") or {}).get("Message")
        try:
            notification = json.loads(message) if isinstance(message, str) else None
        except ValueError as exc:
            raise BadRequest("SNS message is not JSON") from exc
        if not isinstance(notification, dict) or notification.get("notificationType") != "Received":
            raise BadRequest("not an SES receipt notification")
        return notification
    raise BadRequest("not an SES record")


def parse_receipt(event: Any, bucket: str | None = None, object_key_prefix: str = "") -> list[SesReceipt]:
    """Every receipt in a Lambda event from SES (or from SNS carrying SES notifications).

    `bucket` and `object_key_prefix` are the S3 action of the receipt rule: where a `Lambda` action's
    message is stored (SES names the object `<prefix><messageId>`).
    """
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list) or not event["Records"]:
        raise BadRequest("not an SES receipt event")
    return [_receipt(_notification(record), bucket, object_key_prefix) for record in event["Records"]]
