"""Amazon SES receiving: receipt events as Lambda gets them (directly or through SNS)."""
from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from helpdesk.errors import BadRequest
from helpdesk.providers import ses
from helpdesk.providers.email import parse_mime
from helpdesk.settings import ConfigurationError

MESSAGE_ID = "o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1"
BUCKET = "helpdesk-inbound-mail"
RAW = (b"From: Jane Doe <jane@example.com>\r\nTo: support@shop.test\r\nSubject: Where is my order?\r\n"
       b"Message-ID: <CAF=1@mail.gmail.com>\r\n\r\nHi, where is order 1001?\r\n")


def mail() -> dict[str, Any]:
    return {
        "timestamp": "2026-11-25T06:00:00.000Z",
        "source": "Jane@Example.com",
        "messageId": MESSAGE_ID,
        "destination": ["support@shop.test", "Other@Example.com"],
        "headersTruncated": False,
        "headers": [
            {"name": "Return-Path", "value": "<jane@example.com>"},
            {"name": "Received", "value": "from mail-qk1-f170.google.com by inbound-smtp.us-east-1.amazonaws.com"},
            {"name": "From", "value": "Jane Doe <jane@example.com>"},
            {"name": "To", "value": "support@shop.test"},
            {"name": "Subject", "value": "Where is my order?"},
            {"name": "Message-ID", "value": "<CAF=1@mail.gmail.com>"},
        ],
        "commonHeaders": {
            "returnPath": "jane@example.com",
            "from": ["Jane Doe <jane@example.com>"],
            "date": "Wed, 25 Nov 2026 15:00:00 +0900",
            "to": ["support@shop.test"],
            "messageId": "<CAF=1@mail.gmail.com>",
            "subject": "Where is my order?",
        },
    }


def receipt(action: dict[str, Any], **verdicts: str) -> dict[str, Any]:
    statuses = {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "GRAY", "dmarc": "PASS", **verdicts}
    return {
        "timestamp": "2026-11-25T06:00:00.500Z",
        "processingTimeMillis": 574,
        "recipients": ["Support@Shop.test"],
        **{ses.VERDICTS[name]: {"status": status} for name, status in statuses.items()},
        "action": action,
    }


LAMBDA_ACTION = {"type": "Lambda", "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:email",
                 "invocationType": "Event"}
S3_ACTION = {"type": "S3", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound", "bucketName": BUCKET,
             "objectKeyPrefix": "mail/", "objectKey": f"mail/{MESSAGE_ID}"}


def lambda_event(action: dict[str, Any] = LAMBDA_ACTION, **verdicts: str) -> dict[str, Any]:
    return {"Records": [{"eventSource": "aws:ses", "eventVersion": "1.0",
                         "ses": {"mail": mail(), "receipt": receipt(action, **verdicts)}}]}


def sns_event(notification: dict[str, Any]) -> dict[str, Any]:
    return {"Records": [{"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": "arn:aws:sns:x",
                         "Sns": {"Type": "Notification", "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                                 "TopicArn": "arn:aws:sns:us-east-1:123456789012:inbound",
                                 "Subject": "Amazon SES Email Receipt Notification",
                                 "Message": json.dumps(notification)}}]}


def test_lambda_action_reads_the_configured_bucket() -> None:
    [found] = ses.parse_receipt(lambda_event(), bucket=BUCKET, object_key_prefix="inbound/")
    assert found.message_id == MESSAGE_ID
    assert found.action_type == "Lambda"
    assert (found.bucket, found.key) == (BUCKET, f"inbound/{MESSAGE_ID}")
    assert found.recipients == ["support@shop.test"]
    assert found.destination == ["support@shop.test", "other@example.com"]
    assert found.source == "jane@example.com"
    assert found.timestamp == "2026-11-25T06:00:00.000Z"
    assert found.subject == "Where is my order?"
    assert found.verdicts == {"spam": "PASS", "virus": "PASS", "spf": "PASS", "dkim": "GRAY", "dmarc": "PASS"}
    assert found.spam is False and found.virus is False
    assert found.dmarc_policy is None and found.content is None and found.headers_truncated is False


def test_lambda_action_without_a_configured_bucket_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        ses.parse_receipt(lambda_event())


def test_s3_action_names_its_own_object() -> None:
    [found] = ses.parse_receipt(lambda_event(S3_ACTION), bucket="ignored", object_key_prefix="ignored/")
    assert found.action_type == "S3"
    assert (found.bucket, found.key) == (BUCKET, f"mail/{MESSAGE_ID}")


def test_s3_action_without_object_key_uses_its_prefix() -> None:
    action = {k: v for k, v in S3_ACTION.items() if k != "objectKey"}
    [found] = ses.parse_receipt(lambda_event(action))
    assert found.key == f"mail/{MESSAGE_ID}"


def test_spam_virus_and_dmarc_failures_are_kept() -> None:
    event = lambda_event(spam="FAIL", virus="fail", dmarc="FAIL", spf="PROCESSING_FAILED", dkim="SOMETHING_NEW")
    event["Records"][0]["ses"]["receipt"]["dmarcPolicy"] = "REJECT"
    [found] = ses.parse_receipt(event, bucket=BUCKET)
    assert found.verdicts == {"spam": "FAIL", "virus": "FAIL", "spf": "PROCESSING_FAILED", "dkim": "GRAY",
                              "dmarc": "FAIL"}
    assert found.spam is True and found.virus is True
    assert found.dmarc_policy == "reject"


def test_missing_verdicts_are_left_out() -> None:
    event = lambda_event()
    for key in ("spamVerdict", "virusVerdict"):
        del event["Records"][0]["ses"]["receipt"][key]
    [found] = ses.parse_receipt(event, bucket=BUCKET)
    assert set(found.verdicts) == {"spf", "dkim", "dmarc"}
    assert found.spam is False


def test_several_records_keep_their_order() -> None:
    event = lambda_event()
    second = copy.deepcopy(event["Records"][0])
    second["ses"]["mail"]["messageId"] = "second0000000000000000000000000000000001"
    event["Records"].append(second)
    found = ses.parse_receipt(event, bucket=BUCKET)
    assert [r.message_id for r in found] == [MESSAGE_ID, "second0000000000000000000000000000000001"]
    assert [r.key for r in found] == [MESSAGE_ID, "second0000000000000000000000000000000001"]


def test_sns_wrapped_s3_notification() -> None:
    notification = {"notificationType": "Received", "mail": mail(), "receipt": receipt(S3_ACTION)}
    [found] = ses.parse_receipt(sns_event(notification))
    assert (found.action_type, found.bucket, found.key) == ("S3", BUCKET, f"mail/{MESSAGE_ID}")


def test_sns_action_with_inline_base64_content() -> None:
    action = {"type": "SNS", "topicArn": "arn:aws:sns:us-east-1:123456789012:inbound", "encoding": "BASE64"}
    notification = {"notificationType": "Received", "mail": mail(), "receipt": receipt(action),
                    "content": base64.b64encode(RAW).decode()}
    [found] = ses.parse_receipt(sns_event(notification))
    assert (found.action_type, found.bucket, found.key) == ("SNS", None, None)
    assert found.content == RAW
    assert found.content is not None and parse_mime(found.content).from_address == "jane@example.com"


def test_sns_action_with_utf8_content() -> None:
    action = {"type": "SNS", "topicArn": "arn:aws:sns:x", "encoding": "UTF8"}
    notification = {"notificationType": "Received", "mail": mail(), "receipt": receipt(action),
                    "content": RAW.decode()}
    [found] = ses.parse_receipt(sns_event(notification))
    assert found.content == RAW


def _broken(path: list[str], value: Any) -> dict[str, Any]:
    event = lambda_event()
    target: Any = event["Records"][0]
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return event


@pytest.mark.parametrize("event, reason", [
    (None, "not an SES receipt event"),
    ([], "not an SES receipt event"),
    ({"Records": []}, "not an SES receipt event"),
    ({"Records": "x"}, "not an SES receipt event"),
    ({"Records": ["x"]}, "malformed record"),
    ({"Records": [{"eventSource": "aws:s3"}]}, "not an SES record"),
    (_broken(["ses"], "x"), "malformed SES record"),
    (_broken(["ses", "mail"], KeyError), "SES record without mail or receipt"),
    (_broken(["ses", "receipt"], None), "SES record without mail or receipt"),
    (_broken(["ses", "mail", "messageId"], KeyError), "SES record without a valid messageId"),
    (_broken(["ses", "mail", "messageId"], "../../other-tenant/secret"), "SES record without a valid messageId"),
    (_broken(["ses", "mail", "messageId"], 42), "SES record without a valid messageId"),
    (_broken(["ses", "receipt", "action"], KeyError), "SES receipt without action"),
    (_broken(["ses", "receipt", "action"], {"type": "Bounce"}), "unsupported SES receipt action"),
    (_broken(["ses", "receipt", "action"], {"type": "SNS"}), "unsupported SES receipt action"),
    (_broken(["ses", "receipt", "action"], {"type": "S3", "objectKey": "k"}),
     "S3 action without bucketName or objectKey"),
    (_broken(["ses", "receipt", "spamVerdict"], "PASS"), "malformed spamVerdict"),
    (_broken(["ses", "receipt", "recipients"], "support@shop.test"), "malformed recipients"),
    (_broken(["ses", "mail", "destination"], [1, 2]), "malformed destination"),
    ({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": "not json"}}]}, "SNS message is not JSON"),
    ({"Records": [{"EventSource": "aws:sns", "Sns": {"Message": json.dumps({"notificationType": "Bounce"})}}]},
     "not an SES receipt notification"),
])
def test_malformed_events_are_bad_requests(event: Any, reason: str) -> None:
    with pytest.raises(BadRequest) as caught:
        ses.parse_receipt(event, bucket=BUCKET)
    assert caught.value.reason == reason


def test_bad_inline_base64_is_a_bad_request() -> None:
    action = {"type": "SNS", "topicArn": "arn:aws:sns:x", "encoding": "BASE64"}
    notification = {"notificationType": "Received", "mail": mail(), "receipt": receipt(action), "content": "!!!"}
    with pytest.raises(BadRequest):
        ses.parse_receipt(sns_event(notification))
