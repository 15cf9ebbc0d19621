"""Inbound email, whichever way it came (Mailgun route or SES receipt): one parsed MIME message
turned into an InboundMessage on the email channel and handed to the intake service."""
from __future__ import annotations

import hashlib
import re

from helpdesk import intake
from helpdesk.conversation import Channel, InboundMessage, Media
from helpdesk.errors import BadRequest, UnknownAddress
from helpdesk.providers import email as mime
from helpdesk.store import accounts, files
from helpdesk.store.models import ChannelAddress

MAX_ORIGINAL_CHARS = 100_000  # the full text kept on the message; the raw MIME stays in S3 for SES
_PLUS = re.compile(r"^([^+@]+)\+[^@]*@(.+)$")


def base_address(address: str) -> str:
    """`support+t123@shop.example` -> `support@shop.example` (lower-cased)."""
    address = address.strip().lower()
    match = _PLUS.match(address)
    return f"{match.group(1)}@{match.group(2)}" if match else address


def our_address(recipients: list[str]) -> tuple[ChannelAddress, str]:
    """The first recipient that is one of our support addresses, with the address as sent to."""
    for recipient in recipients:
        try:
            return accounts.channel_address(Channel.EMAIL, base_address(recipient)), recipient.strip().lower()
        except UnknownAddress:
            continue
    raise UnknownAddress("no account receives email at these addresses")


def receive(raw: bytes, recipients: list[str], received_at: str, *, fallback_id: str | None = None,
            verdicts: dict[str, str] | None = None) -> intake.Ingested:
    parsed = mime.parse_mime(raw)
    address, sent_to = our_address(recipients or parsed.to + parsed.cc)
    if parsed.from_address == address.address:
        raise BadRequest("mail from our own support address (a loop)")
    provider_id = parsed.message_id or fallback_id or hashlib.sha256(raw).hexdigest()
    verdicts = verdicts or {}
    extra = {f"{k}_verdict": v for k, v in verdicts.items()}
    if parsed.automatic_reason:
        extra["automatic_reason"] = parsed.automatic_reason
    original = parsed.full_text[:MAX_ORIGINAL_CHARS]
    if original != parsed.text:
        extra["original"] = original
    attachments = parsed.attachments
    if verdicts.get("virus") == "FAIL" and attachments:
        # Infected mail is kept for the record, but its files are not stored for agents to open.
        extra["attachments_withheld"] = str(len(attachments))
        attachments = []
    media = tuple(_store_attachments(address.account_id, provider_id, attachments))
    msg = InboundMessage(
        channel=Channel.EMAIL, account_address=address.address, contact=parsed.from_address,
        provider_message_id=provider_id, body=parsed.text, received_at=received_at, media=media,
        contact_name=parsed.from_name, automatic=parsed.automatic, extra=extra,
        spam=verdicts.get("spam") == "FAIL" or verdicts.get("virus") == "FAIL",
        subject=parsed.subject or None, thread_ids=tuple(mime.thread_ids(parsed)),
        thread_token=mime.plus_token(sent_to, address.address),
    )
    return intake.receive(msg)


def _store_attachments(account_id: str, provider_id: str, attachments: list[mime.Attachment]) -> list[Media]:
    if not attachments:
        return []
    # Keys derive from the message, so a redelivery overwrites the same objects instead of adding.
    folder = hashlib.sha256(f"{account_id}\x1f{provider_id}".encode()).hexdigest()[:32]
    return [Media(files.put(f"attachments/{account_id}/{folder}/{n}-{a.filename}", a.content, a.content_type),
                  a.content_type)
            for n, a in enumerate(attachments)]
