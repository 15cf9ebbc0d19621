"""Compliance keywords of SMS and WhatsApp: an exact single word, any case, handled instead of stored."""
from __future__ import annotations

import enum


class Keyword(enum.Enum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"


# Carrier (CTIA) and AWS End User Messaging lists; anything longer than one word is a normal message.
_KEYWORDS: dict[str, Keyword] = {
    **{w: Keyword.OPT_OUT for w in (
        "STOP", "STOPALL", "UNSUBSCRIBE", "END", "QUIT", "CANCEL", "REVOKE", "OPTOUT",
        "ARRET", "OPT-OUT", "REMOVE", "TD",
    )},
    **{w: Keyword.OPT_IN for w in ("START", "YES", "UNSTOP")},
    **{w: Keyword.HELP for w in ("HELP", "INFO")},
}


def classify(body: str | None) -> Keyword | None:
    """The keyword a message body is, or None when it is an ordinary message."""
    if not body:
        return None
    word = body.strip()
    if not word or len(word) > 16:
        return None
    return _KEYWORDS.get(word.upper())
