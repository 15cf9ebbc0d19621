"""A moto server whose DynamoDB requests take turns.

moto's DynamoDB checks a transaction's conditions and applies it in separate steps, and rolls back
a failed transaction by restoring a copy of the whole table: two requests served at once by a
threaded server can interleave and lose each other's writes. Real DynamoDB serialises conflicting
writes and transactions, so serving one request at a time is the faithful emulation, and the
concurrency tests then test our code, not moto's races.
"""
from __future__ import annotations

import copy
import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _OneAtATime:
    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        # Only DynamoDB needs it (its streams too: a stream read between a cancelled transaction's
        # first writes and their rollback would see records of a write that never happened); an SQS
        # long poll holding the lock would stall every other request.
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith(("DynamoDB_", "DynamoDBStreams_")):
            return list(self.app(environ, start_response))
        with self.lock:
            return list(self.app(environ, start_response))


_LEAN = [False]


def _item_backup(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash, range, deep copy of the item or None) for each item a transaction names."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    saved = []
    for entry in transact_items:
        if len(entry) != 1:
            continue
        ((op_type, op),) = entry.items()
        table: Any = backend.tables.get(op.get("TableName")) if isinstance(op, dict) else None
        attrs = (op.get("Item") if op_type == "Put" else op.get("Key")) if table is not None else None
        if not isinstance(attrs, dict) or table.hash_key_attr not in attrs:
            continue
        if table.range_key_attr and table.range_key_attr not in attrs:
            continue
        h = DynamoType(attrs[table.hash_key_attr])
        r = DynamoType(attrs[table.range_key_attr]) if table.range_key_attr else None
        saved.append((table, h, r, copy.deepcopy(table.get_item(h, r))))
    return saved


def _restore(saved: list[tuple[Any, Any, Any, Any]], streams: dict[int, tuple[Any, int]]) -> None:
    for table, h, r, old in reversed(saved):
        if r is None and old is None:
            table.items.pop(h, None)
        elif r is None:
            table.items[h] = old
        elif old is None:
            table.items.get(h, {}).pop(r, None)
        else:
            table.items[h][r] = old
    for table, length in streams.values():
        del table.stream_shard.items[length:]


def lean_moto() -> None:
    """Two changes to moto's bookkeeping; what a request does to the data is unchanged.

    1. moto keeps every model instance it ever creates (for its dashboard), forever.
    2. `transact_write_items` backs up by deep-copying the whole table (items and stream records)
       once per item of the transaction, and puts that copy back if the transaction is cancelled.
    Together they make each transaction cost O(table) time and leak O(table) memory: 500 floor
    messages alone take minutes and ~8 GB. Here instances are not kept, and a transaction backs up
    only the items it names (and the stream's length), restored on any error: the same writes, at a
    cost that does not grow with the table.
    """
    if _LEAN[0]:
        return
    import moto.dynamodb.models as ddb_models
    from moto.core.common_models import BaseModel
    from moto.dynamodb.models.table import Table

    BaseModel.__new__ = staticmethod(lambda cls, *args, **kwargs: object.__new__(cls))  # type: ignore[assignment]

    class _TablesAreNotCopied:
        @staticmethod
        def deepcopy(obj: Any, memo: Any = None) -> Any:
            return obj if isinstance(obj, Table) else copy.deepcopy(obj, memo)

    ddb_models.copy = _TablesAreNotCopied  # type: ignore[assignment]
    original = ddb_models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        saved = _item_backup(self, transact_items)
        streams = {id(t): (t, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard is not None}
        try:
            original(self, transact_items)
        except BaseException:
            _restore(saved, streams)
            raise

    ddb_models.DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]
    _LEAN[0] = True


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class MotoServer:
    """moto in this process on 127.0.0.1, started and stopped explicitly."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", lean: bool = True):
        from moto.server import DomainDispatcherApplication, create_backend_app

        if lean:
            lean_moto()  # safe here: requests take turns, so a transaction's backup cannot race another

        from infra.local.faults import Faults

        # Faults are answered before the turn-taking: a refused request never reaches moto.
        self.faults = Faults(_OneAtATime(DomainDispatcherApplication(create_backend_app)))
        self._server: BaseWSGIServer = make_server(host, port, self.faults, threaded=True,
                                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto", daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> MotoServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
