"""Email Lambda: Mailgun route POSTs (signed form or multipart) and SES receipt events (raw MIME in S3)."""
from __future__ import annotations

import hashlib
import time
from typing import Any

from chalice import Blueprint

from helpdesk import clock, mail_intake, settings
from helpdesk.errors import BadRequest, Forbidden, NotAcceptable, UnknownAddress
from helpdesk.observability import logger
from helpdesk.providers import http, mailgun, ses
from helpdesk.store import files, sessions

bp = Blueprint(__name__)
MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit


def _mailgun(event: dict[str, Any]) -> dict[str, Any]:
    raw = http.raw_body(event, MAX_BODY_BYTES)
    content_type = http.header(event, "content-type")
    # The signature first, from the three small fields: an unsigned body is refused before it is parsed.
    timestamp, token, signature = mailgun.signed_fields(content_type, raw)
    mailgun.verify(settings.secret("MAILGUN_SIGNING_KEY"), timestamp, token, signature, time.time())
    # Mailgun's signature covers the timestamp and token, not the body: a captured triple would
    # carry any mail for five minutes. The token is remembered with the body it came with.
    if not sessions.claim_signature("mailgun", str(token), hashlib.sha256(raw).hexdigest(),
                                    int(str(timestamp)) + 2 * mailgun.MAX_AGE_S):
        raise Forbidden("this Mailgun signature was used for another message")
    form = mailgun.parse_form(content_type, raw)
    try:
        recipients = [form.recipient] if form.recipient else []
        mail_intake.receive(mailgun.to_mime(form), recipients, clock.now_iso(),
                            fallback_id=form.message_id or _delivery_id(form))
    except (BadRequest, UnknownAddress) as error:
        # Mailgun retries every answer but 200 and 406 for hours; a message that can never be taken
        # is refused with 406 so it is not.
        return http.json_response(406, {"error": error.reason})
    return http.json_response(200, {"status": "taken"})


def _delivery_id(form: mailgun.MailgunForm) -> str:
    """A stable id for a mail without a Message-ID: the posted fields without the per-delivery
    signature, and the attachments; a rebuilt MIME message (random boundaries) would not do."""
    digest = hashlib.sha256()
    for name, value in sorted(form.fields.items()):
        if name not in ("timestamp", "token", "signature"):
            digest.update(f"{name}\x1f{value}\x1e".encode())
    for attachment in form.attachments:
        digest.update(attachment.filename.encode() + b"\x1f" + hashlib.sha256(attachment.content).digest())
    return "mailgun-" + digest.hexdigest()


def _ses(event: dict[str, Any]) -> dict[str, Any]:
    receipts = ses.parse_receipt(event, settings.optional("MAIL_BUCKET"), settings.optional("SES_OBJECT_PREFIX", "")
                                 or "")
    for receipt in receipts:
        raw = receipt.content if receipt.content is not None else files.get(str(receipt.bucket), str(receipt.key))
        try:
            mail_intake.receive(raw, receipt.recipients, clock.now_iso(), fallback_id=receipt.message_id,
                                verdicts=receipt.verdicts)
        except (BadRequest, UnknownAddress, NotAcceptable) as error:
            # Retrying cannot cure these: log and let the other receipts of the event through.
            logger.warning("inbound mail refused", extra={"reason": error.reason, "ses_message_id": receipt.message_id})
    return {"disposition": "CONTINUE"}


@bp.lambda_function(name="email_webhook")
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if "Records" in event:  # SES (or SNS) invoked us directly: failures raise, so Lambda retries
        return _ses(event)
    return _mailgun_answer(event, context)


@http.answers_errors
def _mailgun_answer(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return _mailgun(event)


