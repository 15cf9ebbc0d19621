"""Inbound email, whichever way it came (Mailgun route or SES receipt): one parsed MIME message
turned into an InboundMessage on the email channel and handed to the intake service."""
from __future__ import annotations

import hashlib
import re

from helpdesk import intake
from helpdesk.conversation import Channel, InboundMessage, Media
from helpdesk.errors import BadRequest, NotAcceptable, UnknownAddress
from helpdesk.providers import email as mime
from helpdesk.store import accounts, files
from helpdesk.store.models import ChannelAddress

MAX_ORIGINAL_CHARS = 100_000  # the full text kept on the message; the raw MIME stays in S3 for SES
# What one mail may bring: more is refused whole (406 to Mailgun) before anything is written.
MAX_ATTACHMENTS = 50
MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024
MAX_ATTACHMENTS_TOTAL_BYTES = 40 * 1024 * 1024  # SES takes mail up to 40 MB
MAX_FILENAME_BYTES = 200  # keys stay far under S3's 1,024 bytes
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
    _within_limits(attachments)
    planned = _planned_files(address.account_id, parsed.from_address, provider_id, attachments)
    media = tuple(Media(files.url(key), a.content_type) for key, a in planned)
    msg = InboundMessage(
        channel=Channel.EMAIL, account_address=address.address, contact=parsed.from_address,
        provider_message_id=provider_id, body=parsed.text, received_at=received_at, media=media,
        contact_name=parsed.from_name, automatic=parsed.automatic, extra=extra,
        spam=verdicts.get("spam") == "FAIL" or verdicts.get("virus") == "FAIL",
        subject=parsed.subject or None, thread_ids=tuple(mime.thread_ids(parsed)),
        thread_token=mime.plus_token(sent_to, address.address),
    )
    result = intake.receive(msg)
    # The files are written once the message id is claimed (a refused mail writes nothing), and
    # again on a redelivery, which is how a crash between the two heals: the same keys, the same bytes.
    if result.ticket_id:
        for key, attachment in planned:
            files.put(key, attachment.content, attachment.content_type, attachment.filename)
    return result


def _within_limits(attachments: list[mime.Attachment]) -> None:
    if len(attachments) > MAX_ATTACHMENTS:
        raise NotAcceptable(f"more than {MAX_ATTACHMENTS} attachments")
    if any(a.size > MAX_ATTACHMENT_BYTES for a in attachments):
        raise NotAcceptable(f"an attachment over {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB")
    if sum(a.size for a in attachments) > MAX_ATTACHMENTS_TOTAL_BYTES:
        raise NotAcceptable(f"attachments over {MAX_ATTACHMENTS_TOTAL_BYTES // (1024 * 1024)} MB in all")


def _planned_files(account_id: str, sender: str, provider_id: str,
                   attachments: list[mime.Attachment]) -> list[tuple[str, mime.Attachment]]:
    """Each attachment's key: derived from the message (its sender too) and the file's own bytes, so
    a redelivery writes the same objects, and another mail claiming the same Message-ID can never
    overwrite this one's files."""
    folder = hashlib.sha256(f"{account_id}\x1f{sender}\x1f{provider_id}".encode()).hexdigest()[:32]
    planned = []
    for n, a in enumerate(attachments):
        digest = hashlib.sha256(a.content).hexdigest()[:16]
        name = a.filename.encode()[:MAX_FILENAME_BYTES].decode("utf-8", "ignore")
        planned.append((f"attachments/{account_id}/{folder}/{n}-{digest}-{name}", a))
    return planned
