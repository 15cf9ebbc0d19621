"""AI auto-tagging (SPEC §5): the common e-commerce tags an inbound customer message carries.

The tags come from the shipped one-vs-rest classifier (helpdesk/models/tags.json, trained offline by
`python -m infra.train_textclass tags`), the same text-classification approach as the order skill's
intents: pure Python, no network, nothing a customer writes leaves the account. An email is read
without the history it quotes and its signature (the email provider's reply parser), so a reply that
quotes the shop's "your refund has been issued" is not tagged as a refund request.
"""
from __future__ import annotations

from helpdesk import textclass
from helpdesk.providers.email import strip_reply
from helpdesk.tagging import FIXED

MODEL = "tags"
TAGS = FIXED  # the set (helpdesk/tagging.py keeps it, light enough for the API to import)


def suggest(text: str) -> list[tuple[str, float]]:
    """The tags this message carries with the model's confidence in each (a probability in [0, 1]),
    most confident first: the tags at or over the model's threshold, or if there are none the most
    probable tag alone when it reaches the model's fallback (a shop's messages nearly all carry a tag;
    the trainer chooses both by cross-validation). None for a message the model reads as carrying none
    (its learnt no-label probability at or over the model's cut: "hi", "thanks, got it"), an empty or
    emoji-only message, one the model has seen too little of the wording of, or an email with nothing
    new above what it quotes. The model is read on the first call and kept for the process."""
    new_part = strip_reply(text or "")
    if not new_part.strip():
        return []
    prediction = textclass.shipped(MODEL).predict_multi(new_part)
    return [(tag, prediction.scores[tag]) for tag in prediction.labels]
