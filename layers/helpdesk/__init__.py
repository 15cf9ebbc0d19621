"""Helpdesk domain package: shared by every Lambda as a layer; imports no Chalice and no handler."""
