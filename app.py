"""The Chalice app as `chalice package` and the local stack see it: the agent API (functions/api.py)
plus every other Lambda's blueprint. Deployed, each Lambda's handler is its own module (the API's is
`functions.api.app`, set in infra/merge-template.json), so none imports the others' code."""
from __future__ import annotations

from functions import assignment, attribution, autoclose, links, order_lookup, reports, view_index
from functions.api import app
from functions.webhooks import email, instagram, sms, webchat, whatsapp

for blueprint in (sms.bp, whatsapp.bp, instagram.bp, email.bp, webchat.bp, assignment.bp, autoclose.bp, links.bp,
                  view_index.bp, attribution.bp, reports.bp, order_lookup.bp):
    app.register_blueprint(blueprint)

__all__ = ["app"]
