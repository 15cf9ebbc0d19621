"""What a brand's policy text says about the time an order can still be changed or cancelled (pure).

The skill never makes a window up: it reads one only where the brand's words tie it to the order being
placed or paid ("within 1 hour of placing it", "up to 24 hours after ordering", "주문 후 1시간 이내",
"결제 완료 후 2시간 이내"). A window counted from something else (delivery: that is the returns policy's),
in business days (which need the brand's calendar: "3 business days" and "3영업일" are not
read as a window), or not stated at all is None: the customer hub, which
enforces the brand's own settings, decides then.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

_AMOUNT = r"(\d{1,4}|an?|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty[- ]four|forty[- ]eight)"
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
          "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty-four": 24, "twenty four": 24,
          "forty-eight": 48, "forty eight": 48}
_UNITS = {"minute": 60, "min": 60, "hour": 3600, "hr": 3600, "h": 3600, "day": 86400,
          "분": 60, "시간": 3600, "일": 86400}
_ENGLISH = re.compile(
    rf"\b(?:within|up to|for|in the first)\s+{_AMOUNT}\s*(minutes?|mins?|hours?|hrs?|h|days?)\b\s*"
    r"(?:of|after|from|since)\s+(?:[a-z']+\s+){0,3}?(?:plac\w*|order\w*|purchas\w*|check-?out|pay\w*|buy\w*)")
_KOREAN = re.compile(r"(?:주문|결제|구매)(?:\s*완료)?\s*(?:후|뒤|로부터|부터|시점부터)\s*(\d{1,4})\s*(분|시간|일)\s*"
                     r"(?:이내|안에|내에|내|까지)")


def window(text: str) -> dt.timedelta | None:
    """The time after an order is placed within which the policy allows the change, or None when the text
    ties no window to the order (see the module)."""
    normal = unicodedata.normalize("NFKC", text).casefold()
    for match in (*_ENGLISH.finditer(normal), *_KOREAN.finditer(normal)):
        amount, unit = match.group(1), match.group(2)
        count = int(amount) if amount.isdigit() else _WORDS.get(amount.replace("  ", " "))
        seconds = _UNITS.get(unit) or _UNITS.get(unit.rstrip("s"))
        if count and seconds:
            return dt.timedelta(seconds=count * seconds)
    return None


def describe(span: dt.timedelta, locale: str) -> str:
    """A window as a customer reads it: `1 hour`, `2 days`, `30분`."""
    seconds = int(span.total_seconds())
    # Days from three on: "24 hours" and "48 hours" are how brands put the shorter windows.
    for unit, size, korean in (("day", 86400, "일"), ("hour", 3600, "시간"), ("minute", 60, "분")):
        if seconds >= max(size, 3 * 86400 if unit == "day" else 0) and seconds % size == 0:
            count = seconds // size
            return f"{count}{korean}" if locale == "ko" else f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds // 60}분" if locale == "ko" else f"{seconds // 60} minutes"
