"""SMS webhook Lambda: Twilio Messaging form in, TwiML out."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, intake, settings
from helpdesk.providers import http, twilio

bp = Blueprint(__name__)
MAX_FORM_BYTES = 64 * 1024  # a Twilio form is a few kB even with ten media URLs


@bp.lambda_function(name="sms_webhook")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http.require_content_type(event, "application/x-www-form-urlencoded")
    pairs = http.form_pairs(http.raw_body(event, MAX_FORM_BYTES))
    url = http.public_url(event, settings.optional("PUBLIC_WEBHOOK_BASE_URL"))
    twilio.verify(settings.secret("TWILIO_AUTH_TOKEN"), url, pairs, http.header(event, "x-twilio-signature"))
    parsed = twilio.parse(pairs, clock.now_iso())
    reply = None
    if not isinstance(parsed, twilio.StatusCallback):  # status reports are not customer messages
        reply = intake.receive(parsed).reply
    return http.response(200, twilio.twiml(reply), twilio.TWIML_CONTENT_TYPE)
