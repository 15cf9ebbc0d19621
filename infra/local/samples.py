"""Writes the sample events of events/ (real shapes, signed with the local stack's demo secrets).

    python -m infra.local.samples
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from pathlib import Path
from typing import Any

from helpdesk.webchat import new_conversation_id
from infra.local import demo

ROOT = Path(__file__).resolve().parents[2]
HOST = "a1b2c3d4e5.execute-api.us-east-1.amazonaws.com"
STAGE = "v1"
CUSTOMER = demo.CUSTOMERS[0].phone


def gateway(method: str, path: str, body: str | None, headers: dict[str, str],
            query: dict[str, str] | None = None, path_params: dict[str, str] | None = None,
            resource: str | None = None) -> dict[str, Any]:
    return {
        "resource": resource or path, "path": path, "httpMethod": method,
        "headers": {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", **headers},
        "multiValueHeaders": None,
        "queryStringParameters": query, "multiValueQueryStringParameters": {k: [v] for k, v in query.items()}
        if query else None,
        "pathParameters": path_params, "stageVariables": None,
        "requestContext": {"resourcePath": resource or path, "httpMethod": method, "path": f"/{STAGE}{path}",
                           "stage": STAGE, "domainName": HOST, "accountId": "123456789012",
                           "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "protocol": "HTTP/1.1",
                           "identity": {"sourceIp": "54.172.60.0", "userAgent": "TwilioProxy/1.1"},
                           "requestTimeEpoch": 1795000000000},
        "body": body, "isBase64Encoded": False,
    }


def twilio(params: dict[str, str], path: str = "/webhooks/sms") -> dict[str, Any]:
    url = f"https://{HOST}/{STAGE}{path}"
    signed = url + "".join(k + params[k] for k in sorted(params))
    sig = base64.b64encode(hmac.new(demo.SECRETS["twilio_auth_token"].encode(), signed.encode(),
                                    hashlib.sha1).digest()).decode()
    return gateway("POST", path, urllib.parse.urlencode(params),
                   {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sig,
                    "User-Agent": "TwilioProxy/1.1"})


def sms(sid: str, body: str, **extra: str) -> dict[str, str]:
    return {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "SAN FRANCISCO",
            "FromZip": "94105", "SmsSid": sid, "FromState": "CA", "SmsStatus": "received", "FromCity": "SAN FRANCISCO",
            "Body": body, "FromCountry": "US", "To": demo.SMS_NUMBER, "ToZip": "94105", "NumSegments": "1",
            "MessageSid": sid, "AccountSid": "AC" + "5" * 32, "From": CUSTOMER, "ApiVersion": "2010-04-01", **extra}


def meta(payload: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(payload, separators=(",", ":"))
    sig = "sha256=" + hmac.new(demo.SECRETS["meta_app_secret"].encode(), raw.encode(), hashlib.sha256).hexdigest()
    return gateway("POST", "/webhooks/whatsapp", raw, {"Content-Type": "application/json",
                                                       "X-Hub-Signature-256": sig, "User-Agent": "facebookexternalua"})


def whatsapp(value: dict[str, Any]) -> dict[str, Any]:
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": demo.WHATSAPP_DISPLAY_NUMBER.lstrip("+"),
            "phone_number_id": demo.WHATSAPP_PHONE_NUMBER_ID}, **value}}]}]}


def wa_message(mid: str, kind: str, part: dict[str, Any]) -> dict[str, Any]:
    wa_id = CUSTOMER.lstrip("+")
    return {"contacts": [{"profile": {"name": "Jiwoo Kim"}, "wa_id": wa_id}],
            "messages": [{"from": wa_id, "id": mid, "timestamp": "1795000000", "type": kind, kind: part}]}


MID = "aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQxNDAw"
VISITOR = "v5a3f0c2e9d1b7a6c4e8f"  # `make invoke` puts a fresh session token of this visitor in
SESSION = "s0sample"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
SES_MESSAGE_ID = "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"


def instagram(message: dict[str, Any], echo: bool = False, read: str | None = None) -> dict[str, Any]:
    """A DM (or the brand's echo); with `read`, the customer's read receipt of our message `read`."""
    user = "1254459154682919"
    sender, recipient = (demo.INSTAGRAM_ACCOUNT_ID, user) if echo else (user, demo.INSTAGRAM_ACCOUNT_ID)
    event: dict[str, Any] = {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": 1795000000000,
                             "message": {**message, **({"is_echo": True} if echo else {})}}
    if read is not None:
        event = {"sender": {"id": user}, "recipient": {"id": demo.INSTAGRAM_ACCOUNT_ID}, "timestamp": 1795000200000,
                 "read": {"mid": read}}
    payload = {"object": "instagram", "entry": [{"id": demo.INSTAGRAM_ACCOUNT_ID,
                                                 "time": 1795000200123 if read else 1795000000123,
                                                 "messaging": [event]}]}
    raw = json.dumps(payload, separators=(",", ":"))
    sig = "sha256=" + hmac.new(demo.SECRETS["meta_app_secret"].encode(), raw.encode(), hashlib.sha256).hexdigest()
    return gateway("POST", "/webhooks/instagram", raw, {"Content-Type": "application/json",
                                                        "X-Hub-Signature-256": sig, "User-Agent": "facebookexternalua"})


def mailgun_mime(mime: str, timestamp: str = "1795000000") -> dict[str, Any]:
    """A Mailgun `mime` route POST. A signature over 5 minutes old is refused, so `make invoke`
    signs Mailgun samples again with the current time, as Mailgun signs each delivery."""
    token = "2f1b6e8a5c0d4e7f9a3b1c2d4e6f8a0b2c4d6e8f0a1b3c5d7e"
    signature = hmac.new(demo.SECRETS["mailgun_signing_key"].encode(), (timestamp + token).encode(),
                         hashlib.sha256).hexdigest()
    form = {"recipient": demo.SUPPORT_EMAIL, "sender": "jiwoo.kim@example.com",
            "from": "Jiwoo Kim <jiwoo.kim@example.com>", "subject": "주문 #1001 배송 문의", "body-mime": mime,
            "timestamp": timestamp, "token": token, "signature": signature}
    return gateway("POST", "/webhooks/email", urllib.parse.urlencode(form),
                   {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "mailgun/treq-16.12.0"})


MIME = (
    "Return-Path: <jiwoo.kim@example.com>\r\nFrom: Jiwoo Kim <jiwoo.kim@example.com>\r\n"
    f"To: {demo.SUPPORT_EMAIL}\r\nSubject: =?UTF-8?B?7KO866y4ICMxMDAxIOuwsOyGoSDrrLjsnZg=?=\r\n"
    "Message-ID: <CAF7x3Qm9sample0001@mail.example.com>\r\nDate: Thu, 26 Nov 2026 10:00:00 +0900\r\n"
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    "안녕하세요, 주문 #1001이 아직 도착하지 않았어요. 언제 받을 수 있을까요?\r\n"
)


def ses_receipt() -> dict[str, Any]:
    verdict = {"status": "PASS"}
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0", "ses": {
        "mail": {"timestamp": "2026-11-26T01:00:00.000Z", "source": "jiwoo.kim@example.com",
                 "messageId": SES_MESSAGE_ID, "destination": [demo.SUPPORT_EMAIL],
                 "headersTruncated": False, "headers": [{"name": "From", "value": "jiwoo.kim@example.com"}],
                 "commonHeaders": {"from": ["jiwoo.kim@example.com"], "to": [demo.SUPPORT_EMAIL],
                                   "subject": "Order #1001"}},
        "receipt": {"timestamp": "2026-11-26T01:00:00.000Z", "processingTimeMillis": 574,
                    "recipients": [demo.SUPPORT_EMAIL], "spamVerdict": verdict, "virusVerdict": verdict,
                    "spfVerdict": verdict, "dkimVerdict": verdict, "dmarcVerdict": verdict,
                    "action": {"type": "Lambda", "invocationType": "Event",
                               "functionArn": FUNCTION_ARN + "helpdesk-email-webhook"}}}}]}


def webchat(body: dict[str, Any], token: bool = True) -> dict[str, Any]:
    headers = {"Content-Type": "application/json", "Origin": "https://demo-store.example"}
    if token:
        headers["Authorization"] = "Bearer {{webchat:" + VISITOR + "}}"
    path = "/webchat/sessions" if not token else "/webhooks/webchat"
    return gateway("POST", path, json.dumps(body), headers)


def ticket_created_record(ticket_id: str) -> dict[str, Any]:
    """The stream record of the SMS sample's new ticket, as the pipe puts it on the queue."""
    from helpdesk.store.keys import index_keys, ticket_pk
    from helpdesk.store.models import Ticket

    created = "2026-11-26T01:00:00.000Z"
    ticket = Ticket(ticket_pk(demo.ACCOUNT_ID, ticket_id), "TICKET", account_id=demo.ACCOUNT_ID, ticket_id=ticket_id,
                    channel="sms", contact=CUSTOMER, status="open", tags=[], spam=False, created_at=created,
                    updated_at=created, last_inbound_at=created, message_count=1, reopen_count=0, version=1,
                    **index_keys(demo.ACCOUNT_ID, ticket_id, "open", None, False, created))  # type: ignore[arg-type]
    image = ticket.serialize()
    stream = f"arn:aws:dynamodb:us-east-1:123456789012:table/{demo.TABLE_NAME}/stream/2026-11-26T00:00:00.000"
    return {"eventID": "c4ca4238a0b923820dcc509a6f75849b", "eventName": "INSERT", "eventVersion": "1.1",
            "eventSource": "aws:dynamodb", "awsRegion": "us-east-1", "eventSourceARN": stream,
            "dynamodb": {"ApproximateCreationDateTime": 1795000000, "Keys": {"pk": image["pk"], "sk": image["sk"]},
                         "NewImage": image, "SequenceNumber": "4421584500000000017450439091",
                         "SizeBytes": len(json.dumps(image)), "StreamViewType": "NEW_AND_OLD_IMAGES"}}


def samples() -> dict[str, Any]:
    from helpdesk.conversation import Channel, customer_ticket_id

    ticket_id = customer_ticket_id(demo.ACCOUNT_ID, Channel.SMS, CUSTOMER)
    sqs_body = json.dumps(ticket_created_record(ticket_id), separators=(",", ":"))
    return {
        "sms/inbound.json": twilio(sms("SMsample0000000000000000000000001", "Hi, where is my order #1001?")),
        "sms/inbound-media.json": twilio(sms("SMsample0000000000000000000000002", "This arrived damaged",
                                             NumMedia="1", MediaContentType0="image/jpeg",
                                             MediaUrl0="https://api.twilio.com/2010-04-01/Accounts/AC5555/Messages/"
                                                       "MM0001/Media/ME0001")),
        "sms/keyword-stop.json": twilio(sms("SMsample0000000000000000000000003", "STOP")),
        "sms/status-callback.json": twilio({"MessageSid": "SMsample0000000000000000000000099",
                                            "SmsSid": "SMsample0000000000000000000000099", "MessageStatus": "delivered",
                                            "SmsStatus": "delivered", "AccountSid": "AC" + "5" * 32,
                                            "From": demo.SMS_NUMBER, "To": CUSTOMER, "ApiVersion": "2010-04-01"},
                                           path="/webhooks/sms/status"),
        "whatsapp/verify.json": gateway("GET", "/webhooks/whatsapp", None, {}, query={
            "hub.mode": "subscribe", "hub.verify_token": demo.SECRETS["meta_verify_token"],
            "hub.challenge": "1158201444"}),
        "whatsapp/text.json": meta(whatsapp(wa_message("wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQUFBQUFBQUFBQUFBQUFBQUEA",
                                                       "text", {"body": "Can I change my order?"}))),
        "whatsapp/image.json": meta(whatsapp(wa_message("wamid.HBgLMTQxNTU1NTAxMjMVAgASGBQzQkJCQkJCQkJCQkJCQkJCQkIA",
                                                        "image", {"id": "1479537139650973", "mime_type": "image/jpeg",
                                                                  "sha256": "abc", "caption": "the box"}))),
        "whatsapp/status.json": meta(whatsapp({"statuses": [{
            "id": "wamid.HBgLMTQxNTU1NTAxMjMVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA", "status": "delivered",
            "timestamp": "1795000100", "recipient_id": CUSTOMER.lstrip("+")}]})),
        "assignment/ticket-created.json": {"Records": [{
            "messageId": "059f36b4-87a3-44ab-83d2-661975830a7d", "receiptHandle": "AQEBwJnKyrHigUMZj6rYigCgxlaS3SLy0a",
            "body": sqs_body, "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1795000000000",
                                             "SenderId": "AIDAIENQZJOLO23YVJ4VO",
                                             "ApproximateFirstReceiveTimestamp": "1795000000001"},
            "messageAttributes": {}, "md5OfBody": hashlib.md5(sqs_body.encode()).hexdigest(),
            "eventSource": "aws:sqs", "eventSourceARN": f"arn:aws:sqs:us-east-1:123456789012:{demo.QUEUE_NAME}",
            "awsRegion": "us-east-1"}]},
        "instagram/dm.json": instagram({"mid": MID + "1", "text": "Do you ship to Korea?"}),
        "instagram/story-reply.json": instagram({"mid": MID + "2", "text": "Love it! Price?", "reply_to": {"story": {
            "id": "17858893269000001", "url": "https://lookaside.fbsbx.com/ig_messaging_cdn/?asset_id=17858893269000001"}}}),
        "instagram/echo.json": instagram({"mid": MID + "3", "text": "Yes, we do!"}, echo=True),
        "instagram/delete.json": instagram({"mid": MID + "2", "is_deleted": True}),
        "instagram/read.json": instagram({}, read=MID + "3"),
        "links/click.json": gateway("GET", f"/l/{demo.LINK_CODE}", None, {"User-Agent": "Mozilla/5.0"},
                                    path_params={"code": demo.LINK_CODE}, resource="/l/{code}"),
        "email/mailgun-mime.json": mailgun_mime(MIME),
        "email/ses-receipt.json": ses_receipt(),
        "webchat/session-anonymous.json": webchat({}, token=False),
        "webchat/message.json": webchat({"type": "message", "message_id": "m-0001", "text": "Hi, is anyone there?"}),
        "webchat/presence-offline.json": webchat({"type": "presence", "state": "offline",
                                                  "conversation_id": new_conversation_id(VISITOR, "m-0001", SESSION)}),
        "autoclose/schedule.json": {"version": "0", "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
                                    "detail-type": "Scheduled Event", "source": "aws.events", "account": "123456789012",
                                    "time": "2026-11-26T01:00:00Z", "region": "us-east-1",
                                    "resources": ["arn:aws:events:us-east-1:123456789012:rule/helpdesk-autoclose"],
                                    "detail": {}},
        "api/list-tickets.json": gateway("GET", "/api/tickets", None, {"Authorization": "Bearer {{token:owner}}"},
                                         query={"view": "all"}),
        "api/presence-online.json": gateway("PUT", "/api/agents/me/presence", json.dumps({"status": "online"}),
                                            {"Authorization": "Bearer {{token:support}}",
                                             "Content-Type": "application/json"}),
        "api/get-ticket.json": gateway("GET", f"/api/tickets/{ticket_id}", None,
                                       {"Authorization": "Bearer {{token:owner}}"},
                                       path_params={"ticket_id": ticket_id}, resource="/api/tickets/{ticket_id}"),
    }


def main() -> None:
    for name, event in samples().items():
        path = ROOT / "events" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(event, indent=2) + "\n")
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
