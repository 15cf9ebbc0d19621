"""Mailgun inbound routes: the signature (timestamp + token under the signing key), the posted form
(urlencoded or multipart with attachments), and the raw MIME every route is turned into.

A route whose URL ends in `mime` posts the original message as `body-mime`; other routes post parsed
fields, from which `to_mime` rebuilds a MIME message, so `email.parse_mime` is the one parser.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from email.errors import CloseBoundaryNotFoundDefect, NoBoundaryInMultipartDefect, StartBoundaryNotFoundDefect
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import HTTP, SMTPUTF8

from helpdesk.errors import BadRequest, Forbidden, HelpdeskError, NotAcceptable, Unauthorized, UnsupportedMediaType
from helpdesk.providers.email import Attachment, decode_bytes, safe_filename

MAX_AGE_S = 300
# A route posts some fifteen text fields and one part per attachment; more than this is not mail we
# take (and an unsigned flood of empty parts must not cost a parse).
MAX_PARTS = 100
_SIGNED = ("timestamp", "token", "signature")
_BOUNDARY = re.compile(r'boundary="?([^";\r\n]{1,200})"?', re.IGNORECASE)
_PART_NAME = re.compile(rb'(?:;|\s)name="([^"\r\n]{1,100})"', re.IGNORECASE)
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
# Headers the rebuilt message gets from its own structure, never from message-headers.
_STRUCTURAL = frozenset({"content-type", "content-transfer-encoding", "mime-version", "content-disposition",
                         "content-length"})
_ATTACHMENT_FIELD = re.compile(r"attachment-(\d{1,4})")
_BROKEN_MULTIPART = (StartBoundaryNotFoundDefect, NoBoundaryInMultipartDefect, CloseBoundaryNotFoundDefect)


def _signature(signing_key: str, timestamp: str, token: str) -> str:
    return hmac.new(signing_key.encode("utf-8"), (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()


def verify(signing_key: str, timestamp: str | None, token: str | None, signature: str | None, now: float,
           max_age_s: float = MAX_AGE_S) -> None:
    """Raise unless `signature` is Mailgun's over `timestamp + token` and the timestamp is fresh."""
    if not timestamp or not token or not signature:
        raise Unauthorized("missing Mailgun signature")
    expected = _signature(signing_key, timestamp, token).encode()
    # bytes: compare_digest refuses non-ASCII str with a TypeError
    if not hmac.compare_digest(expected, signature.strip().lower().encode("utf-8")):
        raise Forbidden("bad Mailgun signature")
    if not re.fullmatch(r"[0-9]{1,12}", timestamp.strip()):
        raise Forbidden("bad timestamp")
    if abs(now - int(timestamp.strip())) > max_age_s:
        raise Forbidden("stale timestamp")


@dataclass(frozen=True)
class MailgunForm:
    recipient: str | None = None
    sender: str | None = None
    from_: str | None = None  # the `from` field
    subject: str | None = None
    body_plain: str | None = None
    body_html: str | None = None
    stripped_text: str | None = None
    message_headers: list[tuple[str, str]] = field(default_factory=list)
    message_id: str | None = None  # the `Message-Id` field
    timestamp: str | None = None
    token: str | None = None
    signature: str | None = None
    body_mime: bytes | None = field(default=None, repr=False)
    attachments: list[Attachment] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)  # every text field, first value of each name


# --- the signature, before anything is parsed ------------------------------------------------------


def signed_fields(content_type: str | None, body: bytes) -> tuple[str | None, str | None, str | None]:
    """`timestamp`, `token` and `signature` of a route POST, read without parsing the form: counting
    its parts and looking at the headers of at most MAX_PARTS of them, so the signature is checked
    before an unsigned body costs anything. More parts than that is NotAcceptable (406)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    found: dict[str, str] = {}
    if ctype == FORM:
        if body.count(b"&") >= MAX_PARTS * 2:  # urlencoded: text fields only, a few more allowed
            raise NotAcceptable("too many form fields")
        for chunk in body.split(b"&"):
            name, _, value = chunk.partition(b"=")
            if name in (b"timestamp", b"token", b"signature"):
                found.setdefault(name.decode(), urllib.parse.unquote_to_bytes(value.replace(b"+", b" "))
                                 .decode("utf-8", "replace"))
    elif ctype == MULTIPART:
        boundary = _BOUNDARY.search(content_type or "")
        if not boundary:
            raise BadRequest("multipart body without a boundary")
        delimiter = b"--" + boundary.group(1).encode("latin-1", "replace")
        if body.count(delimiter) > MAX_PARTS + 1:  # one delimiter per part, and the closing one
            raise NotAcceptable(f"more than {MAX_PARTS} form parts")
        for part in body.split(delimiter)[1:]:
            end = min((i for i in (part.find(b"\r\n\r\n"), part.find(b"\n\n")) if i >= 0), default=-1)
            named = _PART_NAME.search(part[:end]) if end >= 0 else None
            field_name = named.group(1).decode("latin-1") if named else ""
            if field_name in _SIGNED and field_name not in found:
                found[field_name] = _field_value(part)
    else:
        raise UnsupportedMediaType(f"expected {FORM} or {MULTIPART}")
    return found.get("timestamp"), found.get("token"), found.get("signature")


def _field_value(part: bytes) -> str:
    """One small text part as the full parse would read it (any transfer encoding, either line end)."""
    if part.endswith(b"\r\n"):
        part = part[:-2]
    elif part.endswith(b"\n"):
        part = part[:-1]
    parsed = BytesParser(policy=HTTP).parsebytes(part.lstrip(b"\r\n"))
    payload = parsed.get_payload(decode=True)
    return decode_bytes(payload if isinstance(payload, bytes) else b"", parsed.get_content_charset() or "utf-8")


# --- form bodies ----------------------------------------------------------------------------------


def _urlencoded(body: bytes) -> list[tuple[str, bytes]]:
    pairs: list[tuple[str, bytes]] = []
    for chunk in body.split(b"&"):
        if not chunk:
            continue
        name, eq, value = chunk.partition(b"=")
        if not eq:
            raise BadRequest("malformed form body")
        try:
            key = urllib.parse.unquote_plus(name.decode("ascii"), errors="strict")
        except UnicodeError as exc:
            raise BadRequest("malformed form body") from exc
        pairs.append((key, urllib.parse.unquote_to_bytes(value.replace(b"+", b" "))))
    return pairs


def _part_header_param(part: Message, header: str, name: str) -> str | None:
    value = part.get(header)
    params = getattr(value, "params", None) or {}
    found = params.get(name)
    return str(found) if found is not None else None


def _multipart(content_type: str, body: bytes) -> tuple[list[tuple[str, bytes]], list[tuple[str, Message]]]:
    """The text fields and the file parts of a multipart/form-data body, parsed by the email package."""
    if "boundary" not in content_type.lower():
        raise BadRequest("multipart body without a boundary")
    if "\r" in content_type or "\n" in content_type:
        raise BadRequest("malformed Content-Type")
    try:
        head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    except UnicodeError as exc:
        raise BadRequest("malformed Content-Type") from exc
    msg = BytesParser(policy=HTTP).parsebytes(head + body)
    if not msg.is_multipart() or any(isinstance(defect, _BROKEN_MULTIPART) for defect in msg.defects):
        raise BadRequest("malformed multipart body")
    fields: list[tuple[str, bytes]] = []
    files: list[tuple[str, Message]] = []
    for part in msg.iter_parts():
        name = _part_header_param(part, "Content-Disposition", "name")
        if name is None:
            raise BadRequest("multipart part without a name")
        if _part_header_param(part, "Content-Disposition", "filename") is not None:
            files.append((name, part))
        else:
            payload = part.get_payload(decode=True)
            fields.append((name, payload if isinstance(payload, bytes) else b""))
    return fields, files


def _file(part: Message, index: int) -> Attachment:
    payload = part.get_payload(decode=True)
    content_type = part.get_content_type() if part.get("Content-Type") else "application/octet-stream"
    filename = safe_filename(_part_header_param(part, "Content-Disposition", "filename"), content_type, index)
    return Attachment(filename, content_type, payload if isinstance(payload, bytes) else b"")


def _message_headers(value: str | None) -> list[tuple[str, str]]:
    if not value:
        return []
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise BadRequest("malformed message-headers") from exc
    if not isinstance(data, list) or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair) for pair in data):
        raise BadRequest("malformed message-headers")
    return [(name, value) for name, value in data]


def _content_id_map(value: str | None) -> dict[str, str]:
    """`content-id-map`: {"<cid>": "attachment-1"}, inverted to {"attachment-1": "cid"}."""
    if not value:
        return {}
    try:
        data = json.loads(value)
    except ValueError as exc:
        raise BadRequest("malformed content-id-map") from exc
    if not isinstance(data, dict):
        raise BadRequest("malformed content-id-map")
    return {str(name): str(cid).strip().strip("<>") for cid, name in data.items()}


def parse_form(content_type: str | None, body: bytes) -> MailgunForm:
    """A route POST. Another content type is UnsupportedMediaType (415); a broken body BadRequest (400)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if ctype not in (FORM, MULTIPART):
        raise UnsupportedMediaType(f"expected {FORM} or {MULTIPART}")
    if not isinstance(body, bytes | bytearray):
        raise BadRequest("body is not bytes")
    files: list[tuple[str, Message]] = []
    try:
        if ctype == FORM:
            pairs = _urlencoded(bytes(body))
        else:
            pairs, files = _multipart(content_type or "", bytes(body))
        return _form(pairs, files)
    except HelpdeskError:
        raise
    except Exception as exc:  # the email package is lenient, but a crash inside it is still bad input
        raise BadRequest("malformed form body") from exc


def _form(pairs: list[tuple[str, bytes]], files: list[tuple[str, Message]]) -> MailgunForm:
    raw: dict[str, bytes] = {}
    for name, value in pairs:
        raw.setdefault(name, value)
    fields = {name: decode_bytes(value, "utf-8") for name, value in raw.items() if name != "body-mime"}
    cids = _content_id_map(fields.get("content-id-map"))

    def order(item: tuple[str, Message]) -> int:
        number = _ATTACHMENT_FIELD.fullmatch(item[0])
        return int(number.group(1)) if number else 10_000

    attachments: list[Attachment] = []
    for name, part in sorted(files, key=order):
        found = _file(part, len(attachments) + 1)
        cid = cids.get(name)
        if cid:
            found = Attachment(found.filename, found.content_type, found.content, cid, inline=True)
        attachments.append(found)
    return MailgunForm(
        recipient=fields.get("recipient"), sender=fields.get("sender"), from_=fields.get("from"),
        subject=fields.get("subject"), body_plain=fields.get("body-plain"), body_html=fields.get("body-html"),
        stripped_text=fields.get("stripped-text"), message_headers=_message_headers(fields.get("message-headers")),
        message_id=fields.get("Message-Id"), timestamp=fields.get("timestamp"), token=fields.get("token"),
        signature=fields.get("signature"), body_mime=raw.get("body-mime") or None, attachments=attachments,
        fields=fields,
    )


# --- back to MIME ---------------------------------------------------------------------------------


def _one_line(value: str) -> str:
    """A header value on one line, lone surrogates (JSON can carry them) replaced."""
    value = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
    return " ".join(value.split())


def _set_header(msg: EmailMessage, name: str, value: str) -> None:
    """Add the header when it can be written; skip it otherwise (one bad header loses only itself)."""
    limit = SMTPUTF8.header_max_count(name)
    if limit is not None and len(msg.get_all(name) or []) >= limit:
        return  # From, To, Subject, Message-Id...: the first one wins
    try:
        stored = SMTPUTF8.header_store_parse(name, _one_line(value))
        SMTPUTF8.fold_binary(*stored)
    except Exception:  # the header folder has crash bugs on hostile values
        return
    msg[name] = stored[1]


def _add_headers(msg: EmailMessage, form: MailgunForm) -> None:
    for name, value in form.message_headers:
        if name.lower() not in _STRUCTURAL and re.fullmatch(r"[!-9;-~]+", name):
            _set_header(msg, name, value)
    fallbacks = (("From", form.from_ or form.sender), ("To", form.recipient), ("Subject", form.subject),
                 ("Message-Id", form.message_id))
    for name, fallback in fallbacks:
        if name not in msg and fallback:
            _set_header(msg, name, fallback)


def _add_parts(msg: EmailMessage, form: MailgunForm) -> None:
    if form.body_plain is not None or not form.body_html:
        msg.set_content(form.body_plain or "")
    if form.body_html:
        if form.body_plain is not None:
            msg.add_alternative(form.body_html, subtype="html")
        else:
            msg.set_content(form.body_html, subtype="html")
    html = msg.get_body(preferencelist=("html",))
    for attachment in form.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        if maintype in ("multipart", "message") or not subtype:
            maintype, subtype = "application", "octet-stream"  # kept as bytes, never re-parsed
        if attachment.inline and attachment.content_id and isinstance(html, EmailMessage):
            html.add_related(attachment.content, maintype=maintype, subtype=subtype,
                             cid=f"<{attachment.content_id}>", filename=attachment.filename, disposition="inline")
        else:
            msg.add_attachment(attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename)


def to_mime(form: MailgunForm) -> bytes:
    """The message as raw MIME: `body-mime` as posted, else rebuilt from the parsed fields."""
    if form.body_mime:
        return form.body_mime
    msg = EmailMessage(policy=SMTPUTF8)
    original = next((value for name, value in form.message_headers if name.lower() == "content-type"), "")
    try:
        _add_headers(msg, form)
        _add_parts(msg, form)
        if original.split(";")[0].strip().lower() == "multipart/report":
            # a bounce stays recognisable as one (email.automatic_reason) though its parts were flattened
            if not msg.is_multipart():
                msg.make_mixed()
            msg.set_type("multipart/report")
        return msg.as_bytes(policy=SMTPUTF8)
    except Exception as exc:  # the email package's folder has crash bugs on hostile values
        raise BadRequest("cannot rebuild the message from the posted fields") from exc
