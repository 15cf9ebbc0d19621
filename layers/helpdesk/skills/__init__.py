"""The AI customer agent's skills (SPEC §8). `order_editing` decides what to tell a customer who asks to
change, cancel or check an order; `live` answers with it on web chat and SMS; `catalog` is what the agent
API shows of them (`GET /api/skills`, the preview); `handoff` is what every skill does when a person must
take over."""

# A ticket's `skill_outcome`: a skill answered the customer itself; a skill handed the ticket to a person
# (final). Kept here, with no imports, for the reports worker, which counts them.
ANSWERED, HANDED_OFF = "answered", "handed_off"
