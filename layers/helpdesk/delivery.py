"""Delivery reports of the messages we sent (Twilio status callbacks, WhatsApp `statuses`, Instagram
delivery and read events): each moves its message's `delivery` forward, once, in order."""
from __future__ import annotations

from dataclasses import dataclass

from helpdesk.conversation import Channel

# Twilio's and Meta's status words, as our delivery states (None: says nothing new, e.g. the
# provider's own queueing).
STATES: dict[str, str | None] = {
    "queued": None, "accepted": None, "scheduled": None, "sending": None, "receiving": None,
    "sent": "sent", "delivered": "delivered", "partially_delivered": "delivered", "read": "read",
    "failed": "failed", "undelivered": "failed", "canceled": "failed", "deleted": None,
}

# Error codes of asynchronous failures, in words an agent can act on.
REASONS = {
    "30003": "the customer's phone is unreachable or switched off",
    "30004": "the customer's number blocks messages from us",
    "30005": "the number is unknown or no longer in service",
    "30006": "the number is a landline or its carrier cannot receive texts",
    "30007": "the carrier filtered the message as spam",
    "30008": "the carrier could not deliver it (unknown error)",
    "21610": "the customer has opted out (they texted STOP)",
    "63016": "WhatsApp's 24-hour customer-service window had closed",
    "131047": "WhatsApp's 24-hour customer-service window had closed",
    "131026": "WhatsApp could not deliver it to this number",
    "131049": "Meta held it back to protect the customer's engagement",
    "131050": "the customer stopped marketing messages from us on WhatsApp",
}


@dataclass(frozen=True)
class Report:
    channel: Channel
    account_address: str  # our address the message went out from: which account it is
    provider_message_id: str
    status: str  # the provider's word
    error_code: str | None = None

    @property
    def state(self) -> str | None:
        return STATES.get(self.status.lower())

    @property
    def error(self) -> str | None:
        if not self.error_code:
            return None
        return REASONS.get(self.error_code, f"the provider reported error {self.error_code}")


def apply(reports: list[Report]) -> int:
    """Apply the reports whose address is one of ours; the number that changed a message."""
    # Imported here: the providers' parsers import this module for `Report` alone.
    from helpdesk import intake
    from helpdesk.errors import UnknownAddress
    from helpdesk.observability import count, logger
    from helpdesk.store import outbox

    changed = 0
    by_channel: dict[Channel, list[Report]] = {}
    for report in reports:
        if report.state is not None:
            by_channel.setdefault(report.channel, []).append(report)
    for channel, group in by_channel.items():
        try:
            owners = intake.known_addresses(channel, {r.account_address for r in group})
        except UnknownAddress:
            # Reports of another number or account of the same app (a marketing number, say): not
            # ours, and never a reason to fail the notification (Meta would retry it for days).
            logger.info("delivery reports for addresses of no account", extra={"channel": channel.value})
            continue
        for report in group:
            account_id = owners.get(report.account_address)
            if account_id is None:
                continue
            state = str(report.state)
            if outbox.apply_status(account_id, channel.value, report.provider_message_id, state,
                                   error=report.error if state == "failed" else None):
                changed += 1
                count(f"delivery_{state}")
            if state == "failed":
                logger.warning("message not delivered", extra={
                    "account_id": account_id, "channel": channel.value, "error_code": report.error_code})
    return changed
