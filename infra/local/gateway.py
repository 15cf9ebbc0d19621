"""Plays API Gateway on 127.0.0.1: each HTTP request becomes the REST proxy event AWS would send,
and the route's function is invoked with it, as API Gateway + Lambda would.

Routes come from where the deployment takes them: the Chalice app's routes (the agent API Lambda)
and the webhook API events of infra/merge-template.json (one Lambda per webhook).
"""
from __future__ import annotations

import base64
import importlib
import json
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from chalice.local import RouteMatcher
from chalice.utils import to_cfn_resource_name

MERGE_TEMPLATE = Path(__file__).resolve().parents[1] / "merge-template.json"
Handler = Callable[[dict[str, Any], Any], Any]


class LambdaContext:
    """The parts of the Lambda context object handlers and Powertools read."""

    def __init__(self, function_name: str, timeout_s: float = 30.0):
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.memory_limit_in_mb = 512
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function_name}"
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_s

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def resolve(handler_string: str) -> Handler:
    module, _, attr = handler_string.rpartition(".")
    return getattr(importlib.import_module(module), attr)


def function_handlers(app: Any) -> dict[str, tuple[str, Handler]]:
    """Chalice function name -> (CloudFormation logical id, handler) for every function the app
    deploys besides the API handler."""
    out: dict[str, tuple[str, Handler]] = {}
    for fn in list(app.pure_lambda_functions) + list(app.event_sources):
        out[fn.name] = (to_cfn_resource_name(fn.name), resolve(fn.handler_string))
    return out


def webhook_routes(app: Any, template: Path = MERGE_TEMPLATE) -> dict[tuple[str, str], tuple[str, Handler]]:
    """(METHOD, path) -> (function name, handler) from the Api events of the merge template."""
    by_logical_id = {logical: (name, handler) for name, (logical, handler) in function_handlers(app).items()}
    resources = json.loads(template.read_text())["Resources"]
    routes: dict[tuple[str, str], tuple[str, Handler]] = {}
    for logical_id, resource in resources.items():
        for event in ((resource.get("Properties") or {}).get("Events") or {}).values():
            if event.get("Type") != "Api" or logical_id not in by_logical_id:
                continue
            props = event["Properties"]
            routes[(props["Method"].upper(), props["Path"])] = by_logical_id[logical_id]
    return routes


@dataclass
class Target:
    name: str
    handler: Handler
    resource: str
    path_params: dict[str, str]


class Gateway:
    def __init__(self, app: Any):
        self.app = app
        self.webhooks = webhook_routes(app)
        paths = set(app.routes) | {path for _, path in self.webhooks}
        self.matcher = RouteMatcher(sorted(paths))

    def target(self, method: str, path: str) -> Target | int:
        try:
            match = self.matcher.match_route(path)
        except ValueError:
            return 404
        resource = match.route
        if (method, resource) in self.webhooks:
            name, handler = self.webhooks[(method, resource)]
            return Target(name, handler, resource, match.captured)
        if resource in self.app.routes and method in self.app.routes[resource]:
            return Target("api_handler", self.app, resource, match.captured)
        return 405

    def _preflight(self, path: str) -> tuple[int, dict[str, str], bytes]:
        """API Gateway answers CORS preflights of Chalice routes itself (a mock integration)."""
        resource = self.matcher.match_route(path).route
        entries = self.app.routes.get(resource, {})
        headers = next((_cors_headers(e) for e in entries.values() if e.cors), {})
        if not headers:
            return 405, {"Content-Type": "application/json"}, b'{"message":"Method Not Allowed"}'
        methods = ",".join(sorted(set(entries) | {"OPTIONS"}))
        return 200, {**headers, "Access-Control-Allow-Methods": methods}, b""

    def event(self, method: str, raw_path: str, headers: dict[str, str], body: bytes, target: Target,
              stage: str = "local") -> dict[str, Any]:
        parsed = urllib.parse.urlsplit(raw_path)
        multi = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        return {
            "resource": target.resource, "path": parsed.path, "httpMethod": method,
            "headers": headers, "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
            "multiValueQueryStringParameters": multi or None,
            "pathParameters": target.path_params or None, "stageVariables": None,
            "requestContext": {
                "resourcePath": target.resource, "httpMethod": method, "path": parsed.path, "stage": stage,
                "requestId": str(uuid.uuid4()), "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1"}, "domainName": headers.get("Host", "127.0.0.1"),
                "accountId": "000000000000", "protocol": "HTTP/1.1",
            },
            **_body(body, headers),
        }

    def handle(self, method: str, raw_path: str, headers: dict[str, str],
               body: bytes) -> tuple[int, dict[str, str], bytes]:
        target = self.target(method, urllib.parse.urlsplit(raw_path).path)
        if target == 405 and method == "OPTIONS":
            return self._preflight(urllib.parse.urlsplit(raw_path).path)
        if isinstance(target, int):
            message = "Not Found" if target == 404 else "Method Not Allowed"
            return target, {"Content-Type": "application/json"}, json.dumps({"message": message}).encode()
        # API Gateway tells the function how the client reached it; here that is plain HTTP.
        headers = {**headers, "X-Forwarded-Proto": "http"}
        event = self.event(method, raw_path, headers, body, target)
        try:
            result = target.handler(event, LambdaContext(target.name))
        except Exception as error:  # what API Gateway answers when the Lambda itself fails
            import traceback

            traceback.print_exc()
            return 502, {"Content-Type": "application/json"}, json.dumps(
                {"message": "Internal server error", "error": type(error).__name__}).encode()
        return _proxy_response(result)


def _cors_headers(route: Any) -> dict[str, str]:
    cors = route.cors
    return cors.get_access_control_headers() if cors else {}


def _proxy_response(result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    headers = {k: str(v) for k, v in (result.get("headers") or {}).items()}
    for key, values in (result.get("multiValueHeaders") or {}).items():
        headers[key] = ", ".join(str(v) for v in values)
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode()
    return int(result.get("statusCode", 200)), headers, data


def _binary_types() -> frozenset[str]:
    """The webhook API's BinaryMediaTypes, as the merge template declares them (`~1` is `/`)."""
    from pathlib import Path

    template = json.loads((Path(__file__).resolve().parents[1] / "merge-template.json").read_text())
    declared = template["Resources"]["WebhookApi"]["Properties"].get("BinaryMediaTypes") or []
    return frozenset(t.replace("~1", "/").lower() for t in declared)


BINARY_TYPES = _binary_types()


def _body(body: bytes, headers: dict[str, str]) -> dict[str, Any]:
    """As API Gateway passes a body: base64 for the binary media types, text for the rest (a body
    that is not UTF-8 text is mangled there; here it stays base64, so nothing is lost silently)."""
    if not body:
        return {"body": None, "isBase64Encoded": False}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.split(";")[0].strip().lower() not in BINARY_TYPES:
        try:
            return {"body": body.decode("utf-8"), "isBase64Encoded": False}
        except UnicodeDecodeError:
            pass
    return {"body": base64.b64encode(body).decode(), "isBase64Encoded": True}


def serve(gateway: Gateway, host: str, port: int) -> ThreadingHTTPServer:
    class RequestHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items()}
            status, out_headers, data = gateway.handle(self.command, self.path, headers, body)
            self.send_response(status)
            for key, value in out_headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    class Server(ThreadingHTTPServer):
        # The standard library listens with a backlog of 5: twenty requests at once (a provider's
        # burst) got "connection reset". API Gateway takes them; so does the local stack.
        request_queue_size = 128

    server = Server((host, port), RequestHandler)
    server.daemon_threads = True
    return server
