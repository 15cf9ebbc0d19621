"""Inbound email: one MIME parser for every way mail reaches us (Mailgun route, SES receipt).

Pure: bytes in, a `ParsedEmail` out. The standard `email` package parses (policy `default`); headers
are re-read from their raw form so that raw 8-bit headers (EUC-KR subjects, UTF-8 names) decode
instead of turning into surrogates; HTML is sanitised with nh3 (ammonia); the new part of a reply is
cut from its quoted history with mail-parser-reply (English and Korean headers) plus the patterns it
misses (Gmail's and Apple Mail's Korean attribution lines, a trailing `>` block), behind guards that
keep its regular expressions fast. Signatures are cut only after "-- " and mobile taglines: the
library's sign-off heuristics ("Thanks,", "감사합니다.") cut real text, so they are not used.
"""
from __future__ import annotations

import codecs
import datetime as dt
import email.policy
import email.utils
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage, Message
from email.parser import BytesParser
from html.parser import HTMLParser
from typing import Any

import nh3
from mailparser_reply.parser import EmailMessage as ReplyMessage

from helpdesk.errors import BadRequest, HelpdeskError

_POLICY = email.policy.default
MAX_REFERENCES = 50  # thread ids kept from References: the root and the newest ones
MAX_HEADER_CHARS = 1000  # per header kept in ParsedEmail.headers
MAX_DEPTH = 40  # multipart nesting walked; deeper parts are ignored

# Headers worth keeping on the stored message (debugging threading and automatic-mail decisions).
KEPT_HEADERS = (
    "Message-ID", "In-Reply-To", "References", "Reply-To", "Return-Path", "Date", "Auto-Submitted",
    "Precedence", "List-Id", "List-Unsubscribe", "X-Autoreply", "X-Autorespond", "X-Loop",
    "X-Auto-Response-Suppress", "X-Mailer", "User-Agent", "Thread-Index", "Thread-Topic",
    "Content-Language", "Delivered-To", "X-Original-To",
)


@dataclass(frozen=True)
class Attachment:
    filename: str  # decoded, without any directory part; `attachment-<n><ext>` when the mail gave none
    content_type: str
    content: bytes = field(repr=False)
    content_id: str | None = None  # without angle brackets: what `cid:` URLs in the HTML name
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None  # without angle brackets
    in_reply_to: list[str]
    references: list[str]  # oldest first
    from_address: str  # lower-cased addr-spec
    from_name: str | None
    to: list[str]
    cc: list[str]
    reply_to: str | None
    subject: str  # "" when absent
    date: str | None  # ISO 8601 UTC, milliseconds
    text: str  # the new part: quoted history and signature stripped
    full_text: str  # everything, nothing stripped
    html: str | None  # sanitised
    attachments: list[Attachment]
    automatic: bool
    automatic_reason: str | None
    headers: dict[str, str]


# --- charsets and raw headers ---------------------------------------------------------------------

# Labels mail clients put on Korean text; cp949 is the superset every one of them is really written in.
_CHARSET_ALIASES = {
    "euc-kr": "cp949", "euc_kr": "cp949", "euckr": "cp949", "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949", "ksc5601": "cp949", "ksc_5601": "cp949", "windows-949": "cp949",
    "x-windows-949": "cp949", "uhc": "cp949", "gb2312": "gb18030", "gbk": "gb18030",
}


def _codec(charset: str | None) -> str | None:
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    label = _CHARSET_ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):
        return None
    # codecs.lookup also knows bytes-to-bytes codecs (zlib, base64, rot13): never a text charset.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Text of `data` in its declared charset; a wrong or unknown label falls back to UTF-8, then
    CP949 (Korean), then UTF-8 with replacement characters. Never raises."""
    declared = _codec(charset)
    for candidate in dict.fromkeys(c for c in (declared, "utf-8", "cp949") if c):
        try:
            return data.decode(candidate)
        except (UnicodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _unescape_surrogates(value: str) -> str:
    """The parser keeps non-ASCII header bytes as surrogate escapes: decode them for real."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    try:
        data = value.encode("utf-8", errors="surrogateescape")
    except UnicodeError:
        return value.encode("utf-8", errors="replace").decode("utf-8", errors="replace")
    return decode_bytes(data)


def _raw_values(part: Message, name: str) -> list[str]:
    wanted = name.lower()
    return [_unescape_surrogates(str(value)) for key, value in part.raw_items() if key.lower() == wanted]


def _headers(part: Message, name: str) -> list[Any]:
    """Every `name` header, parsed by the default policy from its properly decoded raw value."""
    parsed: list[Any] = []
    for value in _raw_values(part, name):
        try:
            parsed.append(_POLICY.header_fetch_parse(name, value))
        except Exception:  # the header parser has had crash bugs on hostile input: keep the raw text
            parsed.append(" ".join(value.split()))
    return parsed


def _header_text(part: Message, name: str) -> str | None:
    values = _headers(part, name)
    if not values:
        return None
    return " ".join(str(values[0]).split())


_ADDR_SPEC = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+")


def _addresses(part: Message, *names: str) -> list[tuple[str | None, str]]:
    """(display name, lower-cased addr-spec) of every valid address in these headers, in order."""
    found: list[tuple[str | None, str]] = []
    for name in names:
        for header in _headers(part, name):
            try:
                pairs = [(a.display_name, a.addr_spec) for a in header.addresses]
            except Exception:  # a raw string (unparsable header) or a parser crash
                pairs = email.utils.getaddresses([str(header)])
            for display, addr in pairs:
                addr = (addr or "").strip().lower()
                if _ADDR_SPEC.fullmatch(addr):
                    found.append((" ".join(display.split()) or None if display else None, addr))
    return found


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


_MSG_ID = re.compile(r"<\s*([^<>\s]+)\s*>")


def _message_ids(value: str | None) -> list[str]:
    if not value:
        return []
    ids = _MSG_ID.findall(value)
    if not ids:  # some clients drop the brackets
        ids = [token.strip("<>,;") for token in value.replace(",", " ").split() if "@" in token]
    return _unique([i for i in ids if i])


def _iso_date(value: str | None) -> str | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    try:
        return when.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    except (ValueError, OverflowError):
        return None


# --- automatic mail -------------------------------------------------------------------------------

_BULK_PRECEDENCE = frozenset({"bulk", "list", "junk", "auto_reply"})


def automatic_reason(msg: Message) -> str | None:
    """Why this message was sent by a machine (out-of-office, bounce, list), or None."""
    auto = (_header_text(msg, "Auto-Submitted") or "").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"auto-submitted: {auto}"
    precedence = (_header_text(msg, "Precedence") or "").strip().lower()
    if precedence in _BULK_PRECEDENCE:
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Loop", "List-Id", "List-Unsubscribe"):
        if _raw_values(msg, name):
            return name.lower()
    if any(re.fullmatch(r"<?\s*>?", value.strip()) for value in _raw_values(msg, "Return-Path")):
        return "empty return-path"
    if msg.get_content_type() == "multipart/report":
        return "delivery report"
    sender = _addresses(msg, "From")
    if sender and sender[0][1].split("@")[0] in ("mailer-daemon", "postmaster"):
        return "mailer-daemon"
    return None


# --- bodies ---------------------------------------------------------------------------------------

_URL_SCHEMES = nh3.ALLOWED_URL_SCHEMES | {"cid"}  # inline images are referenced as cid:<content-id>


def sanitize_html(html: str) -> str:
    """Safe to show to agents: no script, style, event handlers, frames, forms or javascript: URLs."""
    return nh3.clean(html, clean_content_tags={"script", "style", "title"}, url_schemes=_URL_SCHEMES,
                     link_rel="noopener noreferrer")


_BLOCK_TAGS = frozenset({
    "address", "article", "aside", "caption", "center", "dd", "details", "div", "dl", "dt", "figcaption",
    "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "p",
    "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul",
})
_PARAGRAPH_TAGS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol"})
_SKIPPED_TAGS = frozenset({"script", "style", "title", "head"})


class _HtmlText(HTMLParser):
    """Plain text of (sanitised) HTML: blocks become lines, `<blockquote>` becomes `> ` quoting so the
    reply parser recognises quoted history as it does in plain-text mail."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.buf: list[str] = []
        self.quote = 0
        self.pre = 0
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip += 1
        elif tag == "br":
            self._flush(force=True)
        elif tag in ("blockquote", "pre"):
            self._flush()
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"
        elif tag == "li":
            self._flush()
            self.buf.append("- ")
        elif tag in ("td", "th"):
            self.buf.append(" ")
        elif tag in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _SKIPPED_TAGS:  # a self-closed <script/> opens nothing
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in ("blockquote", "pre"):
            self._flush()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            else:
                self.pre = max(0, self.pre - 1)
        elif tag in _BLOCK_TAGS or tag == "li":
            self._flush()
            if tag in _PARAGRAPH_TAGS:
                self._flush(force=True)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            for i, piece in enumerate(data.split("\n")):
                if i:
                    self._flush(force=True)
                self.buf.append(piece)
        else:
            self.buf.append(re.sub(r"\s+", " ", data))

    def _flush(self, force: bool = False) -> None:
        line = "".join(self.buf)
        self.buf = []
        line = line.rstrip() if self.pre else line.strip()
        if line or force:
            prefix = "> " * self.quote
            self.lines.append(prefix + line if line else prefix.rstrip())

    def text(self) -> str:
        self._flush()
        return _tidy("\n".join(self.lines))


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return parser.text()


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


# --- reply stripping ------------------------------------------------------------------------------

REPLY_LANGUAGES = ["en", "ko"]
REPLY_MAX_LINE = 400  # longer lines are shielded: mail-parser-reply's "On ... wrote:" regex is quadratic
REPLY_MAX_CHARS = 60_000  # only the head of a longer message is searched for its reply boundary
_SHIELD = re.compile("\ue000(\\d+)\ue001")
# Gmail in Korean: "2026년 11월 25일 (수) 오후 3:00, 고객 <a@b.com>님이 작성:"; Apple Mail: "... <a@b.com> 작성:".
# mail-parser-reply only knows "...님이 작성하였습니다:", and its negative look-ahead rejects even that.
_KO_WROTE_END = re.compile(r"작성(?:하였습니다|했습니다|함)?\s?:\s*$")
_YEAR = re.compile(r"(?<!\d)\d{4}(?!\d)")


def _korean_attribution(lines: list[str]) -> int | None:
    """Index of the first line of a Korean "<date>, <name> <address>님이 작성:" header (which mail
    clients wrap over up to three lines), if some text comes before it."""
    for i, line in enumerate(lines):
        if "작성" not in line or not _KO_WROTE_END.search(line):
            continue
        for start in range(max(0, i - 2), i + 1):
            block = lines[start:i + 1]
            if any(not b.strip() for b in block) or not _YEAR.search(lines[start]):
                continue
            if "@" in " ".join(block) and any(x.strip() for x in lines[:start]):
                return start
    return None


def _drop_trailing_quote(text: str) -> str:
    lines = text.split("\n")
    end = len(lines)
    while end and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith(">")):
        end -= 1
    if not any(line.strip() for line in lines[:end]):
        return text  # all of it is quoted (an inline or bottom-posted reply): leave it whole
    return "\n".join(lines[:end])


# Signatures are cut only after an explicit delimiter: mail-parser-reply's sign-off patterns ("Thanks,",
# "감사합니다.", "- x") cut real content ("Hi,\nThanks, I got it but the size is wrong.\n..." → "Hi,").
_SIGNATURE_DELIMITER = "--"  # RFC 3676 "-- ", after the line is stripped
_TAGLINE = re.compile(r"(?:sent from my .{1,40}|get outlook for .{1,40}|sent from mail for windows.{0,20}"
                      r"|.{0,30}에서 보냄|.{0,30}에서 보냈습니다)[.!]?", re.IGNORECASE)


def _drop_signature(text: str) -> str:
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if i and line.strip() == _SIGNATURE_DELIMITER and any(x.strip() for x in lines[:i]):
            lines = lines[:i]
            break
    end = len(lines)
    while end and (not lines[end - 1].strip() or _TAGLINE.fullmatch(lines[end - 1].strip())):
        end -= 1
    return "\n".join(lines[:end]) if any(x.strip() for x in lines[:end]) else text


def strip_reply(text: str) -> str:
    """The new part of a message: quoted history, attribution lines, a signature after "-- " and
    mobile taglines ("Sent from my iPhone") removed.

    "" when nothing is left; `parse_mime` then keeps the whole text instead.
    """
    lines = [line.strip() for line in _tidy(text).split("\n")]
    shielded: list[str] = []
    for line in lines:
        shielded.append(f"\ue000{len(shielded)}\ue001" if len(line) > REPLY_MAX_LINE else line)
    safe = "\n".join(shielded)
    truncated = len(safe) > REPLY_MAX_CHARS
    head = safe[:REPLY_MAX_CHARS]
    head_lines = head.split("\n")
    cut = _korean_attribution(head_lines)
    if cut is not None:
        head = "\n".join(head_lines[:cut])
    parsed = ReplyMessage(text=head, languages=list(REPLY_LANGUAGES)).read()
    # full_body: the newest reply without its attribution header; its own signature heuristics are not used
    body = parsed.replies[0].full_body if parsed.replies else head
    body = _drop_trailing_quote(_drop_signature(body)).strip()
    if truncated and cut is None and body == head.strip():
        body = safe  # no boundary in the head: the whole message is new text
    return _SHIELD.sub(lambda m: lines[int(m.group(1))], body).strip()


# --- parts ----------------------------------------------------------------------------------------

_EXTENSIONS = {
    "message/rfc822": ".eml", "message/delivery-status": ".txt", "text/rfc822-headers": ".txt",
    "text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "image/png": ".png",
    "image/jpeg": ".jpg", "image/gif": ".gif", "application/pdf": ".pdf",
}


def safe_filename(name: str | None, content_type: str, index: int) -> str:
    """A file name safe to store: decoded, no directory part, no control characters."""
    name = _unescape_surrogates(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        ext = _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
        name = f"attachment-{index}{ext}"
    return name[:255]


def _leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """Every non-multipart part, in order; an attached message (message/*) is one leaf."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        if depth < MAX_DEPTH:
            for sub in part.get_payload():
                if isinstance(sub, Message):
                    yield from _leaves(sub, depth + 1)
    else:
        yield part


def _leaf_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message" or part.is_multipart():
        try:
            data = part.as_bytes(policy=_POLICY)
        except Exception:  # an attached message too broken to serialise is kept empty, not fatal
            return b""
        for separator in (b"\r\n\r\n", b"\n\n"):
            if separator in data:
                return data.split(separator, 1)[1]
        return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _text_of(part: Message | None) -> str:
    if part is None:
        return ""
    return decode_bytes(_leaf_bytes(part), part.get_content_charset())


def _param(part: Message, header: str, name: str) -> str | None:
    for value in _headers(part, header):
        params = getattr(value, "params", None) or {}
        if params.get(name):
            return str(params[name])
    return None


def _attachment(part: Message, index: int) -> Attachment | None:
    content_type = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower() or None
    filename = _param(part, "Content-Disposition", "filename") or _param(part, "Content-Type", "name")
    content_id = (_header_text(part, "Content-ID") or "").strip().strip("<>").strip() or None
    if (content_type in ("text/plain", "text/html") and not filename and disposition != "attachment"
            and not content_id):
        return None  # an alternative body we did not pick
    inline = disposition == "inline" or (disposition is None and content_id is not None)
    return Attachment(safe_filename(filename, content_type, index), content_type, _leaf_bytes(part),
                      content_id, inline)


def _body(msg: EmailMessage, subtype: str) -> Message | None:
    try:
        return msg.get_body(preferencelist=(subtype,))
    except Exception:  # a structure get_body trips on: treat as having no such body
        return None


# --- the parser -----------------------------------------------------------------------------------


def parse_mime(raw: bytes) -> ParsedEmail:
    """A raw RFC 5322 message, as delivered. Malformed input is a BadRequest with a short reason."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise BadRequest("MIME message is not bytes")
    data = bytes(raw)
    if not data.strip():
        raise BadRequest("empty MIME message")
    try:
        msg = BytesParser(policy=_POLICY).parsebytes(data)
        assert isinstance(msg, EmailMessage)
        return _parse(msg)
    except HelpdeskError:
        raise
    except Exception as exc:  # the email package is lenient, but a crash inside it is still bad input
        raise BadRequest("malformed MIME message") from exc


def _parse(msg: EmailMessage) -> ParsedEmail:
    if not _raw_values(msg, "From"):
        raise BadRequest("missing From")
    senders = _addresses(msg, "From")
    if not senders:
        raise BadRequest("no address in From")
    from_name, from_address = senders[0]
    plain_part, html_part = _body(msg, "plain"), _body(msg, "html")
    html_source = _text_of(html_part) if html_part is not None else None
    html = sanitize_html(html_source) if html_source is not None else None
    full_text = _tidy(_text_of(plain_part))
    if not full_text and html is not None:
        full_text = html_to_text(html)
    body_ids = {id(plain_part), id(html_part)}
    attachments: list[Attachment] = []
    for part in _leaves(msg):
        if id(part) not in body_ids:
            found = _attachment(part, len(attachments) + 1)
            if found is not None:
                attachments.append(found)
    references = _message_ids(" ".join(_raw_values(msg, "References")))
    if len(references) > MAX_REFERENCES:
        references = references[:1] + references[-(MAX_REFERENCES - 1):]
    message_ids = _message_ids(_header_text(msg, "Message-ID"))
    reason = automatic_reason(msg)
    reply_to = _addresses(msg, "Reply-To")
    return ParsedEmail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_message_ids(_header_text(msg, "In-Reply-To")),
        references=references,
        from_address=from_address,
        from_name=from_name,
        to=_unique([a for _, a in _addresses(msg, "To")]),
        cc=_unique([a for _, a in _addresses(msg, "Cc")]),
        reply_to=reply_to[0][1] if reply_to else None,
        subject=_header_text(msg, "Subject") or "",
        date=_iso_date(_header_text(msg, "Date")),
        text=strip_reply(full_text) or full_text,
        full_text=full_text,
        html=html,
        attachments=attachments,
        automatic=reason is not None,
        automatic_reason=reason,
        headers=_kept_headers(msg),
    )


def _kept_headers(msg: Message) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name in KEPT_HEADERS:
        value = _header_text(msg, name)
        if value is not None:
            kept[name] = value[:MAX_HEADER_CHARS]
    return kept


# --- threading ------------------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z0-9._=-]{1,64}")


def plus_token(address: str, support_address: str) -> str | None:
    """`<token>` of `support+<token>@domain` when `support@domain` is ours (compared case-insensitively)."""
    addr = (email.utils.parseaddr(address or "")[1] or "").strip()
    ours = (email.utils.parseaddr(support_address or "")[1] or "").strip().lower()
    local, at, domain = addr.rpartition("@")
    our_local, our_at, our_domain = ours.rpartition("@")
    if not (at and our_at and local and our_local) or domain.lower() != our_domain:
        return None
    base, plus, token = local.partition("+")
    if not plus or base.lower() != our_local or not _TOKEN.fullmatch(token):
        return None
    return token


def thread_ids(parsed: ParsedEmail) -> list[str]:
    """The Message-IDs a reply can match, most specific first: In-Reply-To, then References newest first."""
    ids = _unique([*parsed.in_reply_to, *reversed(parsed.references)])
    return [i for i in ids if i != parsed.message_id]
