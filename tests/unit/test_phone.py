"""Phone numbers in E.164, our own addresses, and one-way alphanumeric sender ids."""
from __future__ import annotations

import pytest

from helpdesk.errors import BadRequest
from helpdesk.phone import is_alphanumeric_sender, our_address, to_e164


@pytest.mark.parametrize(("raw", "expected"), [
    ("+14155550100", "+14155550100"),
    (" +14155550100 ", "+14155550100"),
    ("+1 (415) 555-0100", "+14155550100"),
    ("+44 7700 900123", "+447700900123"),
    ("whatsapp:+14155550100", "+14155550100"),
    ("WhatsApp:+14155550100", "+14155550100"),
    ("whatsapp:+447700900123", "+447700900123"),
])
def test_international_forms_normalise_to_e164(raw: str, expected: str) -> None:
    assert to_e164(raw) == expected


@pytest.mark.parametrize(("raw", "region", "expected"), [
    ("(415) 555-0100", "US", "+14155550100"),
    ("415.555.0100", "US", "+14155550100"),
    ("415 555 0100", "US", "+14155550100"),
    ("07700 900123", "GB", "+447700900123"),
    ("+447700900123", "US", "+447700900123"),  # an explicit country code beats the region
])
def test_national_forms_use_the_default_region(raw: str, region: str, expected: str) -> None:
    assert to_e164(raw, region) == expected


@pytest.mark.parametrize(("wa_id", "expected"), [
    ("16505551234", "+16505551234"),
    ("447700900123", "+447700900123"),
    ("5511987654321", "+5511987654321"),
    ("919876543210", "+919876543210"),
])
def test_whatsapp_wa_id_digits_are_read_as_international(wa_id: str, expected: str) -> None:
    assert to_e164(wa_id) == expected


def test_national_number_without_a_region_is_refused() -> None:
    with pytest.raises(BadRequest):
        to_e164("(415) 555-0100")


@pytest.mark.parametrize("raw", [
    "", "   ", "whatsapp:", "not a number", "ACMESHOP", "+1", "123", "+1234567890123456789",
])
def test_garbage_is_a_bad_request(raw: str) -> None:
    with pytest.raises(BadRequest):
        to_e164(raw)


@pytest.mark.parametrize("raw", ["+14155550100", "whatsapp:+14155550100", "14155550100", "+1 415-555-0100"])
def test_the_same_number_in_every_provider_form_gives_one_address(raw: str) -> None:
    assert to_e164(raw) == "+14155550100"


@pytest.mark.parametrize(("raw", "expected"), [
    ("+14155550100", "+14155550100"),
    ("whatsapp:+14155238886", "+14155238886"),
    (" +1 415 555 0100 ", "+14155550100"),
    ("12345", "12345"),       # US short code: bare digits
    ("898211", "898211"),
    ("87654321", "87654321"),  # 8-digit short codes exist (e.g. some EU carriers)
])
def test_our_address(raw: str, expected: str) -> None:
    assert our_address(raw) == expected


def test_our_address_refuses_garbage() -> None:
    with pytest.raises(BadRequest):
        our_address("not-a-number")


@pytest.mark.parametrize("address", ["ACMESHOP", "Acme", "ACME24", "My Shop", " BRAND "])
def test_alphanumeric_sender_ids(address: str) -> None:
    assert is_alphanumeric_sender(address) is True


@pytest.mark.parametrize("address", [
    "+14155550100", "14155550100", "12345", "+1 (415) 555-0100", "whatsapp:+14155550100", "WhatsApp:+14155550100",
])
def test_phone_numbers_and_short_codes_are_not_alphanumeric_senders(address: str) -> None:
    assert is_alphanumeric_sender(address) is False
