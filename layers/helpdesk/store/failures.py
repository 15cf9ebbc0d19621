"""The one place that reads DynamoDB failures: cancellation reasons, throttling, conflicts."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import PynamoDBException, TransactWriteError

from helpdesk.errors import BadRequest, Transient

# Reasons a retry of the same transaction can cure; anything else is a real condition failure.
_RETRYABLE = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
              "ThrottlingException", "ProvisionedThroughputExceededException",
              "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable"}


@dataclass(frozen=True)
class Cancelled:
    """A transaction cancelled by conditions: per item (in request order), its code and old image."""

    codes: list[str | None]
    old_images: list[dict[str, Any] | None]

    @property
    def retryable(self) -> bool:
        return any(code in _RETRYABLE for code in self.codes)

    def failed(self, index: int) -> bool:
        return self.codes[index] == "ConditionalCheckFailed"


def read_cancellation(error: TransactWriteError) -> Cancelled:
    """Turn a failed TransactWriteItems into its reasons; raise Transient when nothing says why."""
    if error.cause_response_code == "ValidationException":
        # DynamoDB refused what we asked (an item too large, say): a retry cannot cure it.
        raise BadRequest("the message cannot be stored") from error
    if error.cause_response_code != "TransactionCanceledException":
        raise transient(error) from error
    reasons = error.cancellation_reasons
    codes = [r.code if r and r.code != "None" else None for r in reasons]
    images = [r.raw_item if r else None for r in reasons]
    return Cancelled(codes, images)


def applied(item: Any, actions: list[Any], condition: Any) -> bool:
    """One conditional UpdateItem: True when it was written, False when its condition did not hold;
    anything else (throttling, an outage) is Transient."""
    from pynamodb.exceptions import UpdateError

    return _held(lambda: item.update(actions=actions, condition=condition), UpdateError)


def saved(item: Any, condition: Any) -> bool:
    """One conditional PutItem, answered as `applied` answers."""
    from pynamodb.exceptions import PutError

    return _held(lambda: item.save(condition=condition), PutError)


def _held(write: Callable[[], Any], refused: type[PynamoDBException]) -> bool:
    try:
        write()
    except refused as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise transient(error) from error
    except PynamoDBException as error:
        raise transient(error) from error
    return True


def transient(error: PynamoDBException) -> Transient:
    try:
        code = error.cause_response_code
    except AttributeError:  # pynamodb reads the response of a request that got none (a read timeout)
        code = None
    return Transient(f"storage unavailable ({code or 'no response'})")
