"""Faults injected into the moto server's answers, on the wire, as AWS would send them.

A moto server that serves one DynamoDB request at a time never produces a TransactionConflict nor
throttles, so the code that handles them would never run in a test. A fault here answers the next
matching requests with the error DynamoDB (or SQS) sends in that case, so the botocore client, the
pynamodb layer and our retry loops all see exactly what they would see from AWS.
"""
from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

Request = dict[str, Any]  # the request's JSON body


@dataclass
class Fault:
    target: str  # X-Amz-Target, e.g. "DynamoDB_20120810.TransactWriteItems", or "*.Operation"
    answer: Callable[[Request], tuple[int, dict[str, Any]]]
    times: int = 1
    when: Callable[[Request], bool] = field(default=lambda _request: True)
    hits: int = 0

    def matches(self, target: str, request: Request) -> bool:
        service_op = target.split(".", 1)
        wanted = self.target.split(".", 1)
        same = self.target == target or (wanted[0] == "*" and service_op[-1] == wanted[-1])
        return self.times > 0 and same and self.when(request)


def _dynamodb_error(kind: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": message, **extra}


def transaction_conflict(positions: Iterable[int] | None = None) -> Callable[[Request], tuple[int, dict[str, Any]]]:
    """TransactionCanceledException with TransactionConflict at `positions` (default: every item),
    as DynamoDB answers when another request was changing the same items."""

    def answer(request: Request) -> tuple[int, dict[str, Any]]:
        n = len(request.get("TransactItems") or [])
        hit = set(range(n) if positions is None else positions)
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
                   if i in hit else {"Code": "None"} for i in range(n)]
        codes = ", ".join(r["Code"] for r in reasons)
        return 400, _dynamodb_error("TransactionCanceledException",
                                    f"Transaction cancelled, please refer cancellation reasons for specific "
                                    f"reasons [{codes}]", CancellationReasons=reasons)

    return answer


def throttled(kind: str = "ThrottlingException") -> Callable[[Request], tuple[int, dict[str, Any]]]:
    """A request refused for throughput (ThrottlingException or ProvisionedThroughputExceededException)."""

    def answer(request: Request) -> tuple[int, dict[str, Any]]:
        return 400, _dynamodb_error(kind, "Rate of requests exceeds the allowed throughput.")

    return answer


def unavailable() -> Callable[[Request], tuple[int, dict[str, Any]]]:
    def answer(request: Request) -> tuple[int, dict[str, Any]]:
        return 500, _dynamodb_error("InternalServerError", "Internal server error")

    return answer


class Faults:
    """WSGI middleware: answers matching requests with their fault instead of passing them on."""

    def __init__(self, app: Any):
        self.app = app
        self.faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, target: str, answer: Callable[[Request], tuple[int, dict[str, Any]]], *, times: int = 1,
            when: Callable[[Request], bool] | None = None) -> Fault:
        fault = Fault(target, answer, times, when or (lambda _request: True))
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def _take(self, target: str, request: Request) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.matches(target, request):
                    fault.times -= 1
                    fault.hits += 1
                    return fault
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if not self.faults or not target:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(raw)  # the request goes on intact when no fault takes it
        try:
            request = json.loads(raw or b"{}")
        except ValueError:
            request = {}
        fault = self._take(target, request)
        if fault is None:
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        status, body = fault.answer(request)
        data = json.dumps(body).encode()
        start_response(f"{status} {'Bad Request' if status == 400 else 'Internal Server Error'}", [
            ("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data))),
            ("x-amzn-RequestId", "fault-injected")])
        return [data]
