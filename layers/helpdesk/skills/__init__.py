"""The AI customer agent's skills (SPEC §8). `order_editing` decides what to tell a customer who asks to
change, cancel or check an order; `live` answers with it on web chat and SMS; `catalog` is what the agent
API shows of them (`GET /api/skills`, the preview); `handoff` is what every skill does when a person must
take over."""
