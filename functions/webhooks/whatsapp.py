"""WhatsApp webhook Lambda: Meta WhatsApp Cloud API (GET verification, signed POST notifications)."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, delivery, intake, settings
from helpdesk.conversation import Channel
from helpdesk.providers import http, meta

bp = Blueprint(__name__)


@bp.lambda_function(name="whatsapp_webhook")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("httpMethod") == "GET":
        return meta.subscription_answer(event, settings.secret("META_VERIFY_TOKEN"))
    payload = meta.signed_json(event, settings.secret("META_APP_SECRET"))
    batch = meta.parse_whatsapp(payload, clock.now_iso())
    known = intake.known_addresses(Channel.WHATSAPP, {m.account_address for m in batch.messages})
    taken = [m for m in batch.messages if m.account_address in known]
    for message in taken:
        intake.receive(message)
    skipped = batch.skipped + len(batch.messages) - len(taken)
    intake.log_skipped("whatsapp", skipped)
    delivery.apply(batch.statuses)
    return http.json_response(200, {"received": len(taken), "statuses": len(batch.statuses), "skipped": skipped})
