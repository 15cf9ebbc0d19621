"""What a web-chat session may start: a few conversations, not one ticket per POST."""
from __future__ import annotations

import time

from pynamodb.exceptions import PynamoDBException, UpdateError
from pynamodb.expressions.condition import size

from helpdesk.store.failures import transient
from helpdesk.store.models import WebchatSession

EXPIRES_AFTER_S = 2 * 24 * 3600  # the token lives a day; its record a day longer


def claim_conversation(account_id: str, session_id: str, conversation_id: str, limit: int) -> bool:
    """Count `conversation_id` among those the session started, unless it has started `limit`
    already. A replay of the message that started it counts once (a set). One UpdateItem."""
    record = WebchatSession(f"A#{account_id}#WCS#{session_id}", "SESSION")
    try:
        record.update(
            actions=[WebchatSession.type.set(WebchatSession), WebchatSession.started.add({conversation_id}),
                     WebchatSession.expires_at.set(int(time.time()) + EXPIRES_AFTER_S)],
            condition=(WebchatSession.started.does_not_exist() | (size(WebchatSession.started) < limit)
                       | WebchatSession.started.contains(conversation_id)))
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise transient(error) from error
    except PynamoDBException as error:
        raise transient(error) from error
    return True
