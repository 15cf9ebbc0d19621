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
    return {
        "AWS_ENDPOINT_URL": info["aws_endpoint_url"], "AWS_DEFAULT_REGION": info["region"],
        "AWS_REGION": info["region"], "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": info["table_name"], "TWILIO_AUTH_TOKEN": info["twilio_auth_token"],
        "META_APP_SECRET": info["meta_app_secret"], "META_VERIFY_TOKEN": info["meta_verify_token"],
        "COGNITO_USER_POOL_ID": info["cognito"]["user_pool_id"],
        "COGNITO_APP_CLIENT_ID": info["cognito"]["client_id"], "COGNITO_JWKS_URL": info["cognito"]["jwks_url"],
        "HELPDESK_METRICS": "off", "MAILGUN_SIGNING_KEY": info["mailgun_signing_key"],
        "WEBCHAT_SECRET": info["webchat_secret"],
        "WEBCHAT_SESSION_KEY": info["webchat_session_key"], "DEFAULT_ACCOUNT_ID": info["account_id"],
        "MAIL_BUCKET": info.get("mail_bucket", ""),
        # The senders talk to the stack's stand-ins; links and status callbacks point at its gateway.
        **({name: info["outbox_url"].removesuffix("/outbox")
            for name in ("TWILIO_API_URL", "META_GRAPH_URL", "INSTAGRAM_GRAPH_URL")} if info.get("outbox_url") else {}),
        "TWILIO_ACCOUNT_SID": info.get("twilio_account_sid", ""),
        "WHATSAPP_ACCESS_TOKEN": info.get("whatsapp_access_token", ""),
        "INSTAGRAM_ACCESS_TOKEN": info.get("instagram_access_token", ""),
        "META_GRAPH_VERSION": info.get("meta_graph_version", "v25.0"),
        "LINK_BASE_URL": info["api_url"], "WEBHOOK_BASE_URL": info["api_url"],
    }


def fill_tokens(text: str, tokens: dict[str, str]) -> str:
    for role, token in tokens.items():
        text = text.replace("{{token:" + role + "}}", token)
    return text


def fill_webchat(text: str, info: dict[str, Any]) -> str:
    """`{{webchat:<visitor>}}` becomes a fresh session token of that anonymous visitor."""
    import re

    from helpdesk import webchat

    def token(match: re.Match[str]) -> str:
        from infra.local.samples import SESSION

        session = webchat.Session(info["account_id"], match.group(1), False, session_id=SESSION)
        return webchat.issue(info["webchat_session_key"], session)

    return re.sub(r"\{\{webchat:([A-Za-z0-9]+)\}\}", token, text)


def resign_mailgun(event: dict[str, Any], signing_key: str) -> dict[str, Any]:
    """Mailgun signs each delivery anew; a stored sample's signature would be stale, so sign it now."""
    import hashlib
    import hmac
    import time
    import urllib.parse

    if event.get("path") != "/webhooks/email" or not event.get("body"):
        return event
    form = dict(urllib.parse.parse_qsl(event["body"], keep_blank_values=True))
    if "signature" not in form:
        return event
    form["timestamp"] = str(int(time.time()))
    form["signature"] = hmac.new(signing_key.encode(), (form["timestamp"] + form["token"]).encode(),
                                 hashlib.sha256).hexdigest()
    return {**event, "body": urllib.parse.urlencode(form)}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: make invoke FN=<function> EVENT=<event file>", file=sys.stderr)
        return 2
    name, event_file = argv
    state = Path(os.environ.get("HELPDESK_STACK_FILE") or ROOT / ".local" / "stack.json")
    if not state.exists():
        print("the local stack is not running: start it with `make run` first", file=sys.stderr)
        return 2
    info = json.loads(state.read_text())
    os.environ.update(environment(info))
    os.environ["SES_OBJECT_PREFIX"] = "inbound/"
    event = json.loads(fill_webchat(fill_tokens(Path(event_file).read_text(), info["tokens"]), info))
    event = resign_mailgun(event, info["mailgun_signing_key"])

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
