"""What the providers send, built independently of the code under test: signed requests as
Twilio and Meta make them, and API Gateway proxy events around them."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
import uuid
from typing import Any

PUBLIC_HOST = "hooks.example.test"


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    s = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(auth_token.encode(), s.encode(), hashlib.sha1).digest()).decode()


def meta_signature(app_secret: str, raw: bytes) -> str:
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def gateway_event(method: str, path: str, body: bytes | str = b"", headers: dict[str, str] | None = None,
                  query: dict[str, str] | None = None, host: str = PUBLIC_HOST) -> dict[str, Any]:
    """A REST API (v1) proxy event as API Gateway sends it on a custom domain."""
    raw = body.encode() if isinstance(body, str) else body
    return {
        "resource": path, "path": path, "httpMethod": method,
        "headers": {"Host": host, "X-Forwarded-Proto": "https", **(headers or {})},
        "multiValueHeaders": {},
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
        "pathParameters": None, "stageVariables": None,
        "requestContext": {"path": path, "httpMethod": method, "stage": "prod", "domainName": host,
                           "requestId": str(uuid.uuid4()), "resourcePath": path},
        "body": base64.b64encode(raw).decode(), "isBase64Encoded": True,
    }


def sms_params(frm: str, to: str, body: str = "hello", sid: str | None = None, **extra: str) -> dict[str, str]:
    sid = sid or "SM" + uuid.uuid4().hex
    return {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
            "FromZip": "", "SmsSid": sid, "FromState": "CA", "SmsStatus": "received", "FromCity": "",
            "Body": body, "FromCountry": "US", "To": to, "ToZip": "", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": frm, "ApiVersion": "2010-04-01",
            **extra}


def sms_event(auth_token: str, params: dict[str, str], *, path: str = "/webhooks/sms",
              signature: str | None = None) -> dict[str, Any]:
    url = f"https://{PUBLIC_HOST}{path}"
    body = urllib.parse.urlencode(params)
    sig = signature if signature is not None else twilio_signature(auth_token, url, params)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig,
               "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
    return gateway_event("POST", path, body, headers)


def whatsapp_payload(phone_number_id: str, display: str, wa_id: str, message: dict[str, Any] | None = None,
                     statuses: list[dict[str, Any]] | None = None, name: str = "Kim") -> dict[str, Any]:
    value: dict[str, Any] = {"messaging_product": "whatsapp",
                             "metadata": {"display_phone_number": display.lstrip("+"),
                                          "phone_number_id": phone_number_id}}
    if message is not None:
        value["contacts"] = [{"profile": {"name": name}, "wa_id": wa_id}]
        value["messages"] = [{"from": wa_id, "id": "wamid." + uuid.uuid4().hex,
                              "timestamp": str(int(time.time())), **message}]
    if statuses is not None:
        value["statuses"] = statuses
    return {"object": "whatsapp_business_account",
            "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}]}


def whatsapp_event(app_secret: str, payload: dict[str, Any] | bytes, signature: str | None = None) -> dict[str, Any]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    sig = signature if signature is not None else meta_signature(app_secret, raw)
    return gateway_event("POST", "/webhooks/whatsapp", raw,
                         {"Content-Type": "application/json", "X-Hub-Signature-256": sig})
