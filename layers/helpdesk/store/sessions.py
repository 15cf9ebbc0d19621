"""Short-lived records that limit what a caller can do with one credential: the conversations a
web-chat session may start, and the one body a provider's signature may carry."""
from __future__ import annotations

import time

from pynamodb.expressions.condition import size

from helpdesk.store.failures import applied
from helpdesk.store.models import SignatureToken, WebchatSession

EXPIRES_AFTER_S = 2 * 24 * 3600  # the token lives a day; its record a day longer


def claim_conversation(account_id: str, session_id: str, conversation_id: str, limit: int) -> bool:
    """Count `conversation_id` among those the session started, unless it has started `limit`
    already. A replay of the message that started it counts once (a set). One UpdateItem."""
    record = WebchatSession(f"A#{account_id}#WCS#{session_id}", "SESSION")
    started = WebchatSession.started
    actions = [WebchatSession.type.set(WebchatSession), started.add({conversation_id}),
               # Set once: a replay leaves the record exactly as it was.
               WebchatSession.expires_at.set(WebchatSession.expires_at | int(time.time()) + EXPIRES_AFTER_S)]
    return applied(record, actions, started.does_not_exist() | (size(started) < limit)
                   | started.contains(conversation_id))


def claim_signature(provider: str, token: str, digest: str, expires_at: int) -> bool:
    """Remember that `token` signed the body of `digest`; False when it signed another body already
    (a captured signature replayed with a different mail). The same body again (a provider retry)
    is allowed. One UpdateItem."""
    record = SignatureToken(f"{provider.upper()}#{token[:200]}", "TOKEN")
    actions = [SignatureToken.type.set(SignatureToken), SignatureToken.digest.set(digest),
               SignatureToken.expires_at.set(expires_at)]
    return applied(record, actions, SignatureToken.digest.does_not_exist() | (SignatureToken.digest == digest))
