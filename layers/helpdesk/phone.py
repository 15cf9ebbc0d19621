"""Phone numbers normalised to E.164, the one form a contact's address takes on SMS and WhatsApp."""
from __future__ import annotations

import phonenumbers

from helpdesk.errors import BadRequest


def to_e164(raw: str, default_region: str | None = None) -> str:
    """E.164 form of a phone number as a provider sends it (`+15551234567`, `whatsapp:+1...`, `1555...`).

    With `default_region` (the ISO country the provider says the number is from, or that of our own
    number), a national-looking number is read in that country; without one, a bare digit string is
    read as international: Meta sends WhatsApp ids as digits that always carry the country code.
    """
    text = raw.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    if not text.startswith("+") and not default_region:
        text = "+" + "".join(ch for ch in text if ch.isdigit())
    try:
        number = phonenumbers.parse(text, None if text.startswith("+") else default_region)
    except phonenumbers.NumberParseException as exc:
        raise BadRequest("not a phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise BadRequest("not a phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """The ISO country of an E.164 number (None for a short code or an unknown one)."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None)) or None
    except phonenumbers.NumberParseException:
        return None


def is_alphanumeric_sender(address: str) -> bool:
    """A brand sender id such as `ACMESHOP`: one-way, it can never receive a customer's reply."""
    text = address.strip()
    if text.lower().startswith("whatsapp:"):
        text = text[len("whatsapp:"):]
    return any(ch.isalpha() for ch in text)


def our_address(raw: str) -> str:
    """One of our own SMS addresses: E.164 for a long code, the bare digits for a short code."""
    text = raw.strip().removeprefix("whatsapp:")
    if text.isdigit() and len(text) <= 8:
        return text
    return to_e164(text)
