"""`make invoke FN=<function> EVENT=<file>`: invoke one function with a sample event against the
running local stack, as `sam local invoke` would (the answer is printed as JSON).

FN is a Chalice function name (`sms_webhook`, `whatsapp_webhook`, `assignment`) or `api_handler`.
In an event file, `{{token:<role>}}` becomes that demo agent's token from .local/stack.json.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def environment(info: dict[str, Any]) -> dict[str, str]:
    queues = info["queues"]
    return {
        "AWS_ENDPOINT_URL": info["aws_endpoint_url"], "AWS_DEFAULT_REGION": info["region"],
        "AWS_REGION": info["region"], "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": info["table_name"], "TWILIO_AUTH_TOKEN": info["twilio_auth_token"],
        "META_APP_SECRET": info["meta_app_secret"], "META_VERIFY_TOKEN": info["meta_verify_token"],
        "ASSIGNMENT_QUEUE_URL": next(url for name, url in queues.items() if not name.endswith("-dlq")),
        "COGNITO_USER_POOL_ID": info["cognito"]["user_pool_id"],
        "COGNITO_APP_CLIENT_ID": info["cognito"]["client_id"], "COGNITO_JWKS_URL": info["cognito"]["jwks_url"],
        "HELPDESK_METRICS": "off", "MAILGUN_SIGNING_KEY": info["mailgun_signing_key"],
        "WEBCHAT_SECRET": info["webchat_secret"], "DEFAULT_ACCOUNT_ID": info["account_id"],
        "MAIL_BUCKET": info.get("mail_bucket", ""),
    }


def fill_tokens(text: str, tokens: dict[str, str]) -> str:
    for role, token in tokens.items():
        text = text.replace("{{token:" + role + "}}", token)
    return text


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make invoke FN=<function> EVENT=<event file>", file=sys.stderr)
        return 2
    name, event_file = argv
    state = ROOT / ".local" / "stack.json"
    if not state.exists():
        print("the local stack is not running: start it with `make run` first", file=sys.stderr)
        return 2
    info = json.loads(state.read_text())
    os.environ.update(environment(info))
    event = json.loads(fill_tokens(Path(event_file).read_text(), info["tokens"]))

    from app import app
    from infra.local.gateway import LambdaContext, function_handlers

    handlers = {fn: handler for fn, (_, handler) in function_handlers(app).items()}
    handlers["api_handler"] = app
    if name not in handlers:
        print(f"no function {name!r}; functions: {', '.join(sorted(handlers))}", file=sys.stderr)
        return 2
    result = handlers[name](event, LambdaContext(name))
    print(json.dumps(result, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
