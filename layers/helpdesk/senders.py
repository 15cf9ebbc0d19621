"""Who carries a message to a customer on each channel, and from which of our addresses: Twilio for
SMS (and WhatsApp numbers connected through Twilio), the WhatsApp Cloud API, the Instagram Send API.
Each sender takes the text to send and answers the provider's id of the sent message."""
from __future__ import annotations

from collections.abc import Callable

from helpdesk.conversation import Channel
from helpdesk.errors import Conflict
from helpdesk.providers.sending import Sent
from helpdesk.settings import webhook_base_url
from helpdesk.store import accounts
from helpdesk.store.models import Ticket

Send = Callable[[str], Sent]

# The most text each channel carries in one message (Twilio: 1,600 characters; WhatsApp: 4,096;
# Instagram: 1,000 bytes of UTF-8).
LIMITS = {"sms": (1600, "characters"), "whatsapp": (4096, "characters"), "instagram": (1000, "bytes")}


def too_long(channel: str, text: str) -> str | None:
    """Why `text` cannot go out on `channel` in one message, or None."""
    if channel not in LIMITS:
        return None
    limit, unit = LIMITS[channel]
    size = len(text.encode()) if unit == "bytes" else len(text)
    return f"a {channel} message holds at most {limit} {unit}" if size > limit else None


def status_callback_url() -> str | None:
    """Where Twilio reports delivery: the webhook API's own route for it."""
    base = webhook_base_url()
    return f"{base}/webhooks/sms/status" if base else None


def our_address(ticket: Ticket) -> str:
    """The address the customer wrote to (kept on the ticket since intake stores it); for a ticket
    from before that, the account's first address on the channel."""
    if ticket.channel_address:
        return ticket.channel_address
    found = accounts.channel_addresses(ticket.account_id, Channel(ticket.channel))
    if not found:
        raise Conflict(f"the account has no {ticket.channel} address to answer from")
    return found[0]


def sender(ticket: Ticket, *, human_agent: bool = False) -> Send:
    """The send function for a reply on the ticket's channel."""
    channel, to = ticket.channel, ticket.contact
    if channel == "sms":
        from helpdesk.providers import twilio_api

        address = our_address(ticket)
        return lambda text: twilio_api.send_message(to, text, from_=address, status_callback=status_callback_url())
    if channel == "whatsapp":
        address = our_address(ticket)
        if address.startswith("+"):  # a number connected through Twilio (its inbound came from Twilio)
            from helpdesk.providers import twilio_api

            return lambda text: twilio_api.send_message(to, text, from_=address, whatsapp=True,
                                                        status_callback=status_callback_url())
        from helpdesk.providers import graph_api

        return lambda text: graph_api.send_whatsapp(address, to, text)
    if channel == "instagram":
        from helpdesk.providers import graph_api

        address = our_address(ticket)
        return lambda text: graph_api.send_instagram(address, to, text, human_agent=human_agent)
    raise Conflict(f"replies on {channel} are sent by the helpdesk itself")
