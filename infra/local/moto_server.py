"""A moto server whose requests take turns.

moto's DynamoDB checks a transaction's conditions and applies it in separate steps, and rolls back
a failed transaction by restoring a copy of the whole table: two requests served at once by a
threaded server can interleave and lose each other's writes. Real DynamoDB serialises conflicting
writes and transactions, so serving one request at a time is the faithful emulation, and the
concurrency tests then test our code, not moto's races.
"""
from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server


class _OneAtATime:
    def __init__(self, app: Any):
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        with self.lock:
            return list(self.app(environ, start_response))


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class MotoServer:
    """moto in this process on 127.0.0.1, started and stopped explicitly."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1"):
        from moto.server import DomainDispatcherApplication, create_backend_app

        self._server: BaseWSGIServer = make_server(
            host, port, _OneAtATime(DomainDispatcherApplication(create_backend_app)), threaded=True,
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
