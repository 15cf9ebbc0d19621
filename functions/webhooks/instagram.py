"""Instagram webhook Lambda: Meta Instagram Messaging (GET verification, signed POST notifications)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, intake, settings
from helpdesk.conversation import Channel
from helpdesk.providers import http, meta
from helpdesk.store import accounts
from helpdesk.store.inbound import TicketStore

bp = Blueprint(__name__)


@bp.lambda_function(name="instagram_webhook")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("httpMethod") == "GET":
        return meta.subscription_answer(event, settings.secret("META_VERIFY_TOKEN"))
    payload = meta.signed_json(event, settings.secret("META_APP_SECRET"))
    batch = meta.parse_instagram(payload, clock.now_iso())
    owners = {a: accounts.channel_address(Channel.INSTAGRAM, a).account_id
              for a in {m.account_address for m in batch.messages} | {d.account_address for d in batch.deletes}}
    for message in batch.messages:
        intake.receive(message)
    for delete in batch.deletes:
        TicketStore.mark_deleted(owners[delete.account_address], Channel.INSTAGRAM, delete.provider_message_id)
    return http.json_response(200, {"received": len(batch.messages), "deleted": len(batch.deletes)})
