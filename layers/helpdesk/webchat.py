"""Web-chat sessions: a token per visitor, anonymous or identity-verified (HMAC of the email under
the web-chat secret), that says whether the customer is authenticated; the order skill relies on it.

Two keys: the web-chat secret, which the brand's site holds to sign its customers' emails (an
account may have its own, so brands of one deployment cannot vouch for each other's customers), and
the session key, which only this service holds and signs session tokens with.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from helpdesk import intake
from helpdesk.conversation import Channel, InboundMessage, derived_ticket_id
from helpdesk.errors import BadRequest, Conflict, Forbidden, NotFound, TooManyRequests, Unauthorized
from helpdesk.store import sessions
from helpdesk.store import tickets as ticket_store
from helpdesk.store.models import Message, plain_map

TOKEN_TTL_SECONDS = 24 * 3600
_AUDIENCE = "helpdesk-webchat"


@dataclass(frozen=True)
class Session:
    account_id: str
    visitor_id: str
    authenticated: bool
    email: str | None = None
    session_id: str = ""  # one per session: a new session's message ids never collide with an old one's


def _visitor_for(account_id: str, email: str) -> str:
    # The same verified customer gets the same visitor id, on every device.
    digest = hashlib.blake2b(f"{account_id}\x1f{email}".encode(), digest_size=10, person=b"visitor").hexdigest()
    return "v" + digest


def start(identity_secret: str, session_key: str, account_id: str, body: Any,
          now: float | None = None) -> tuple[Session, str]:
    """A new session and its token from the widget's `{}` or `{"email", "identity_hash"}`."""
    if not isinstance(body, dict):
        raise BadRequest("expected a JSON object")
    email = body.get("email")
    claimed = body.get("identity_hash")
    if email is None and claimed is None:
        session = Session(account_id, "v" + secrets.token_hex(10), False, session_id=secrets.token_hex(8))
    else:
        if not isinstance(email, str) or "@" not in email or len(email) > 320 or not isinstance(claimed, str):
            raise BadRequest("email and identity_hash must both be given")
        # The hash is over the address as the session will hold it (trimmed, lower-cased): a hash of
        # one spelling can never vouch for another.
        address = email.strip().lower()
        expected = hmac.new(identity_secret.encode(), address.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), claimed.strip().lower().encode("utf-8")):
            raise Forbidden("identity_hash does not match the email")
        session = Session(account_id, _visitor_for(account_id, address), True, address, secrets.token_hex(8))
    return session, issue(session_key, session, now)


def issue(session_key: str, session: Session, now: float | None = None) -> str:
    import jwt

    issued = int(now if now is not None else time.time())
    claims = {"sub": session.visitor_id, "acct": session.account_id, "auth": session.authenticated,
              "sid": session.session_id, "aud": _AUDIENCE, "iat": issued, "exp": issued + TOKEN_TTL_SECONDS}
    if session.email:
        claims["email"] = session.email
    return jwt.encode(claims, session_key, algorithm="HS256")


def verify(session_key: str, authorization: str | None) -> Session:
    import jwt

    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("missing session token")
    try:
        claims = jwt.decode(authorization[7:].strip(), session_key, algorithms=["HS256"], audience=_AUDIENCE,
                            options={"require": ["exp", "sub", "acct"]})
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("session expired; start a new one") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("invalid session token") from exc
    return Session(str(claims["acct"]), str(claims["sub"]), bool(claims.get("auth")), claims.get("email"),
                   str(claims.get("sid", "")))


def new_conversation_id(visitor_id: str, message_id: str, session_id: str = "") -> str:
    """The conversation a first message starts: derived from the session and the message, so a
    replayed first message finds it and a later session's first message starts its own."""
    digest = hashlib.blake2b(f"{visitor_id}\x1f{session_id}\x1f{message_id}".encode(), digest_size=8,
                             person=b"conv").digest()
    return "c" + base64.b32encode(digest).decode().lower().rstrip("=")


# --- conversations ---------------------------------------------------------------------------------

MAX_TEXT = 5_000
# One session (one token) opens at most this many conversations: a script holding a token cannot
# open a ticket per POST. Past it, 429; the widget continues one of its conversations instead.
MAX_CONVERSATIONS_PER_SESSION = 3


def _ticket_id(session: Session, conversation_id: str) -> str:
    return derived_ticket_id(session.account_id, "webchat", session.visitor_id, conversation_id)


def _conversation_ticket(session: Session, conversation_id: Any) -> Any:
    if not isinstance(conversation_id, str) or not conversation_id or len(conversation_id) > 64:
        raise BadRequest("conversation_id is required")
    try:
        return ticket_store.get_ticket(session.account_id, _ticket_id(session, conversation_id))
    except NotFound as exc:
        raise NotFound("no such conversation") from exc


def post_message(session: Session, body: dict[str, Any], received_at: str) -> dict[str, Any]:
    message_id, text = body.get("message_id"), body.get("text")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 128:
        raise BadRequest("message_id is required")
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        raise BadRequest(f"text must be non-empty and at most {MAX_TEXT} characters")
    conversation = body.get("conversation_id")
    if conversation is not None and (not isinstance(conversation, str) or not 0 < len(conversation) <= 64):
        raise BadRequest("conversation_id must be a short string")
    extra = {"authenticated": "true" if session.authenticated else "false"}
    if conversation is None:
        extra["new_conversation"] = "true"
    if session.email:
        extra["email"] = session.email
    if conversation is None:
        conversation = new_conversation_id(session.visitor_id, message_id, session.session_id)
        if not sessions.claim_conversation(session.account_id, session.session_id or session.visitor_id,
                                           conversation, MAX_CONVERSATIONS_PER_SESSION):
            raise TooManyRequests(f"this session has started {MAX_CONVERSATIONS_PER_SESSION} conversations; "
                                  "continue one of them")
    msg = InboundMessage(
        channel=Channel.WEBCHAT, account_address=session.account_id, contact=session.visitor_id,
        # Scoped by visitor and conversation: ids can never collide with, or replay, another's.
        provider_message_id=f"{session.visitor_id}:{conversation}:{message_id}", body=text,
        received_at=received_at, extra=extra, conversation_id=conversation,
    )
    result = intake.receive(msg)
    conversation_id = result.conversation_id
    if result.duplicate and result.ticket_id:
            conversation_id = ticket_store.get_ticket(session.account_id, result.ticket_id).conversation_id
    return {"conversation_id": conversation_id, "ticket_id": result.ticket_id}


def set_presence(session: Session, body: dict[str, Any]) -> dict[str, Any]:
    state = body.get("state")
    if state not in ("online", "offline"):
        raise BadRequest('state must be "online" or "offline"')
    for _ in range(5):
        ticket = _conversation_ticket(session, body.get("conversation_id"))
        fields: dict[str, Any] = {"customer_online": state == "online"}
        if session.email and not ticket.customer_email:
            fields["customer_email"] = session.email
        if ticket_store.change(ticket, **fields) is not None:
            return {"conversation_id": ticket.conversation_id, "state": state}
    raise Conflict("the conversation kept changing; try again")


def _reply(message: Message) -> dict[str, Any]:
    """An answer as the widget shows it, from the brand's side: an automatic one (an autoresponder, the order
    skill) says so, and the skill's order card (its inline options) comes with it."""
    reply: dict[str, Any] = {"id": message.message_id, "body": message.body, "created_at": message.created_at,
                             "from": "agent", "automatic": bool(message.automatic)}
    extra = plain_map(message.extra)
    if isinstance(extra.get("card"), dict):
        reply["card"] = extra["card"]
    return reply


def replies(session: Session, conversation_id: str, after: str | None, now: str) -> dict[str, Any]:
    """Agent replies since the cursor; reading them marks them read (no follow-up email then)."""
    if after is not None and not after.startswith("M#"):
        raise BadRequest("bad cursor")
    ticket = _conversation_ticket(session, conversation_id)
    messages = ticket_store.messages_after(session.account_id, ticket.ticket_id, after)
    cursor = messages[-1].sk if messages else after
    out = [_reply(m) for m in messages if m.direction == "outbound"]
    if out and (ticket.customer_read_at or "") < out[-1]["created_at"]:
        ticket_store.change(ticket, customer_read_at=now)  # best effort: a lost race only re-reads
    return {"conversation_id": ticket.conversation_id, "status": ticket.status, "messages": out, "next": cursor}
