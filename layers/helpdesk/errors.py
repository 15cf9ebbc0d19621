"""Domain errors; the one table that turns them into HTTP answers lives beside them."""
from __future__ import annotations


class HelpdeskError(Exception):
    """Base of every error the domain raises on purpose. The message is short and safe to show."""

    status = 500

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class BadRequest(HelpdeskError):
    status = 400


class PayloadTooLarge(HelpdeskError):
    status = 413


class UnsupportedMediaType(HelpdeskError):
    status = 415


class Unauthorized(HelpdeskError):
    status = 401


class Forbidden(HelpdeskError):
    status = 403


class NotFound(HelpdeskError):
    status = 404


class UnknownAddress(HelpdeskError):
    """The provider called with an address (number, page, mailbox) that belongs to no account.

    404 so the provider does not retry and the brand's developer sees the misconfiguration.
    """

    status = 404


class NotAcceptable(HelpdeskError):
    """A delivery that can never be taken, however often it is retried (Mailgun stops on 406)."""

    status = 406


class Conflict(HelpdeskError):
    status = 409


class TooManyRequests(HelpdeskError):
    status = 429


class Transient(HelpdeskError):
    """AWS throttled or failed in a way a retry may cure: the provider must retry (5xx)."""

    status = 503

