"""Counting what a keys-only index files under one key, with Select=COUNT: no item comes back, and a
second request is needed only past the 1 MB a page reads (thousands of entries)."""
from __future__ import annotations

from pynamodb.exceptions import QueryError

from helpdesk.store.failures import transient
from helpdesk.store.models import Item


def index_count(index_name: str, key: str) -> int:
    # Through the connection, not a model's Index.count: a polymorphic model's query filters on its `type`
    # discriminator, which a keys-only index does not hold (the count would be 0).
    total, start = 0, None
    try:
        while True:
            page = Item._get_connection().query(key, index_name=index_name, select="COUNT", exclusive_start_key=start)
            total += int(page.get("Count", 0))
            start = page.get("LastEvaluatedKey")
            if not start:
                return total
    except QueryError as error:
        raise transient(error) from error
