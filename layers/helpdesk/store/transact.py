"""One TransactWriteItems whose items have names, and whose cancellation is read by those names.

pynamodb sends a transaction's items grouped by kind (condition checks, deletes, puts, updates),
not in the order they were added, and DynamoDB answers cancellation reasons by position. Every
store used to count positions by hand; here each item is named when it is added and the reasons
come back keyed by name.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from helpdesk.store.failures import Cancelled, read_cancellation
from helpdesk.store.models import Item

ALL_OLD = "ALL_OLD"
_KINDS = ("check", "delete", "put", "update")  # the order pynamodb sends them in


@dataclass(frozen=True)
class Refused:
    """Why a transaction was cancelled, item by item, by name."""

    reasons: Cancelled
    positions: dict[str, int]

    def failed(self, name: str) -> bool:
        """The item's own condition failed (as opposed to a conflict or throttling)."""
        return name in self.positions and self.reasons.failed(self.positions[name])

    def old(self, name: str) -> dict[str, Any] | None:
        """The item as it was when its condition failed (asked for with `old=True`)."""
        return self.reasons.old_images[self.positions[name]] if name in self.positions else None

    @property
    def retryable(self) -> bool:
        """A conflict with another writer or throttling: the same transaction may succeed later."""
        return self.reasons.retryable

    def failed_any(self) -> bool:
        return any(self.reasons.failed(i) for i in self.positions.values())


class Transaction:
    def __init__(self) -> None:
        self._write = TransactWrite(connection=Item._get_connection().connection)
        self._names: dict[str, list[str]] = {kind: [] for kind in _KINDS}

    def _name(self, kind: str, name: str) -> None:
        if any(name in names for names in self._names.values()):
            raise ValueError(f"two items named {name!r} in one transaction")
        self._names[kind].append(name)

    def check(self, name: str, model: type[Model], hash_key: str, range_key: str, condition: Condition) -> None:
        self._name("check", name)
        self._write.condition_check(model, hash_key, range_key, condition=condition)

    def delete(self, name: str, item: Model, condition: Condition | None = None) -> None:
        self._name("delete", name)
        self._write.delete(item, condition=condition)

    def put(self, name: str, item: Model, condition: Condition | None = None, *, old: bool = False) -> None:
        self._name("put", name)
        self._write.save(item, condition=condition, return_values=ALL_OLD if old else None)

    def update(self, name: str, item: Model, actions: list[Action], condition: Condition | None = None, *,
               old: bool = False) -> None:
        self._name("update", name)
        self._write.update(item, actions=actions, condition=condition,
                           return_values=ALL_OLD if old else None)

    def positions(self) -> dict[str, int]:
        ordered = [name for kind in _KINDS for name in self._names[kind]]
        return {name: i for i, name in enumerate(ordered)}

    def commit(self) -> Refused | None:
        """None when it went through; what refused it when its conditions (or a conflict) cancelled
        it. Anything else (throttling of the request itself, a refused request) raises, through
        `read_cancellation`: Transient or BadRequest."""
        try:
            with self._write:
                pass
        except TransactWriteError as error:
            return Refused(read_cancellation(error), self.positions())
        return None
