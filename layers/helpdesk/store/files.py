"""Files in S3: email attachments as references, and raw messages SES stored for us."""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Any

from helpdesk.errors import Transient


@lru_cache(maxsize=1)
def _s3() -> Any:
    import boto3

    return boto3.client("s3")


def bucket() -> str:
    name = os.environ.get("MAIL_BUCKET")
    if not name:
        from helpdesk.settings import ConfigurationError

        raise ConfigurationError("MAIL_BUCKET is not configured")
    return name


def url(key: str) -> str:
    return f"s3://{bucket()}/{key}"


def put(key: str, content: bytes, content_type: str, filename: str | None = None) -> str:
    """Store `content` (idempotent: the key is derived from the message and the content) and return
    its s3:// URL. A named file is served as a download (`Content-Disposition: attachment`), never
    rendered: a customer's HTML or SVG must not run in the agent's browser."""
    from urllib.parse import quote

    from botocore.exceptions import BotoCoreError, ClientError

    extra = {"ContentDisposition": f"attachment; filename*=UTF-8''{quote(filename, safe='')}"} if filename else {}
    try:
        _s3().put_object(Bucket=bucket(), Key=key, Body=content, ContentType=content_type, **extra)
    except (BotoCoreError, ClientError) as error:
        raise Transient("file store unavailable") from error
    return url(key)


def get(bucket_name: str, key: str, limit: int = 40 * 1024 * 1024) -> bytes:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        obj = _s3().get_object(Bucket=bucket_name, Key=key)
        if int(obj.get("ContentLength", 0)) > limit:
            from helpdesk.errors import PayloadTooLarge

            raise PayloadTooLarge("message too large")
        return bytes(obj["Body"].read())
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            from helpdesk.errors import NotFound

            raise NotFound("the stored message is missing") from error
        raise Transient("file store unavailable") from error
    except BotoCoreError as error:
        raise Transient("file store unavailable") from error
