"""SMS webhook Lambda: Twilio Messaging form in, TwiML out; and Twilio's delivery status callbacks."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint

from helpdesk import clock, delivery, intake, settings
from helpdesk.errors import BadRequest
from helpdesk.providers import http, twilio

bp = Blueprint(__name__)
MAX_FORM_BYTES = 64 * 1024  # a Twilio form is a few kB even with ten media URLs
# Twilio's StatusCallback of the messages we send (its own route; a Messaging Service's callback
# set to /webhooks/sms is answered there too).
STATUS_ROUTE = "/webhooks/sms/status"


@bp.lambda_function(name="sms_webhook")
@http.answers_errors
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http.require_content_type(event, "application/x-www-form-urlencoded")
    pairs = http.form_pairs(http.raw_body(event, MAX_FORM_BYTES))
    url = http.public_url(event, settings.optional("PUBLIC_WEBHOOK_BASE_URL"))
    twilio.verify(settings.secret("TWILIO_AUTH_TOKEN"), url, pairs, http.header(event, "x-twilio-signature"))
    parsed = twilio.parse(pairs, clock.now_iso())
    if isinstance(parsed, twilio.StatusCallback):  # a delivery report of our message: never a customer's
        delivery.apply([parsed.report()])
        return http.response(200, twilio.twiml(), twilio.TWIML_CONTENT_TYPE)
    if event.get("resource") == STATUS_ROUTE:
        raise BadRequest("a status callback without MessageStatus")
    reply = intake.receive(parsed).reply
    return http.response(200, twilio.twiml(reply), twilio.TWIML_CONTENT_TYPE)
