"""Instagram webhook Lambda: Meta Instagram Messaging (GET verification, signed POST notifications)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, delivery, intake, settings
from helpdesk.conversation import Channel
from helpdesk.providers import http, meta
from helpdesk.store.inbound import TicketStore

bp = Blueprint(__name__)


@bp.lambda_function(name="instagram_webhook")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("httpMethod") == "GET":
        return meta.subscription_answer(event, settings.secret("META_VERIFY_TOKEN"))
    payload = meta.signed_json(event, settings.secret("META_APP_SECRET"))
    batch = meta.parse_instagram(payload, clock.now_iso())
    owners = intake.known_addresses(Channel.INSTAGRAM, {m.account_address for m in batch.messages}
                                  | {d.account_address for d in batch.deletes})
    messages = [m for m in batch.messages if m.account_address in owners]
    deletes = [d for d in batch.deletes if d.account_address in owners]
    for message in messages:
        intake.receive(message)
    for delete in deletes:
        TicketStore.mark_deleted(owners[delete.account_address], Channel.INSTAGRAM, delete.provider_message_id)
    skipped = batch.skipped + len(batch.messages) + len(batch.deletes) - len(messages) - len(deletes)
    intake.log_skipped("instagram", skipped)
    delivery.apply(batch.reports)
    return http.json_response(200, {"received": len(messages), "deleted": len(deletes), "skipped": skipped})
