"""Screenshots with a report, uploaded by the reporter's browser straight to S3 with a presigned
POST (no JavaScript needed: the receipt page's form posts to S3, which redirects back here).
The POST policy caps the size; on the way back the object is checked (size, image magic bytes)
before it is attached, and anything else is deleted."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from chalicelib import aws
from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.settings import get_settings

MAX_PER_REPORT = 3
UPLOAD_SECONDS = 30 * 60
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


@dataclass(frozen=True, slots=True)
class UploadForm:
    url: str
    fields: dict[str, str]

    @property
    def origin(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def prefix_for(report_id: str) -> str:
    return f"screenshots/{report_id}/"


def upload_form(report_id: str) -> UploadForm:
    settings = get_settings()
    redirect = f"{settings.public_base_url}/report/{report_id}/screenshot"
    key = prefix_for(report_id) + secrets.token_urlsafe(12)
    answer: dict[str, Any] = aws.s3().generate_presigned_post(
        Bucket=settings.uploads_bucket,
        Key=key,
        Fields={"success_action_redirect": redirect},
        Conditions=[
            ["content-length-range", 1, settings.max_screenshot_bytes],
            {"success_action_redirect": redirect},
        ],
        ExpiresIn=UPLOAD_SECONDS,
    )
    return UploadForm(url=str(answer["url"]), fields={str(k): str(v) for k, v in answer["fields"].items()})


def image_type(head: bytes) -> str | None:
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def check_upload(report_id: str, key: str, *, existing: int) -> str:
    """The content type of a good upload; a bad one is deleted and refused with the reason."""
    settings = get_settings()
    if not key.startswith(prefix_for(report_id)) or "/" in key.removeprefix(prefix_for(report_id)):
        raise InvalidPayload(N_("that upload does not belong to this report"))
    s3 = aws.s3()
    try:
        head = s3.head_object(Bucket=settings.uploads_bucket, Key=key)
    except s3.exceptions.ClientError:
        raise InvalidPayload(N_("no upload arrived; try again")) from None
    problem = ""
    kind = None
    if existing >= MAX_PER_REPORT:
        problem = f"at most {MAX_PER_REPORT} screenshots a report"
    elif int(head["ContentLength"]) > settings.max_screenshot_bytes:
        problem = f"a screenshot is at most {settings.max_screenshot_bytes // (1024 * 1024)} MB"
    else:
        start = s3.get_object(Bucket=settings.uploads_bucket, Key=key, Range="bytes=0-15")["Body"].read()
        kind = image_type(start)
        if kind is None:
            problem = "only images (PNG, JPEG, GIF, WebP) can be attached"
    if problem or kind is None:
        s3.delete_object(Bucket=settings.uploads_bucket, Key=key)
        raise InvalidPayload(problem or "only images can be attached")
    return kind


def view_url(key: str) -> str:
    """A link for the team to see a screenshot: presigned, valid for a week."""
    url: str = aws.s3().generate_presigned_url(
        "get_object", Params={"Bucket": get_settings().uploads_bucket, "Key": key}, ExpiresIn=7 * 24 * 3600
    )
    return url


SHARED_PREFIX = "shared/"


def _owner_tag(owner: str) -> str:
    # S3 metadata is ASCII: the person as a digest (an address may not be).
    return hashlib.sha256(owner.strip().lower().encode()).hexdigest()[:32]


def keep_shared(*, owner: str, body: bytes) -> str:
    """Keep an image shared to the app (Web Share Target) until its report is sent: under an
    unguessable key, tagged with the signed-in person it is for. Refused when it is not an image
    or too large; the key goes into the pre-filled form."""
    settings = get_settings()
    if len(body) > settings.max_screenshot_bytes:
        raise InvalidPayload(
            N_("a screenshot is at most %(megabytes)s MB"),
            values={"megabytes": settings.max_screenshot_bytes // (1024 * 1024)},
        )
    kind = image_type(body[:16])
    if kind is None:
        raise InvalidPayload(N_("only images (PNG, JPEG, GIF, WebP) can be attached"))
    key = SHARED_PREFIX + secrets.token_urlsafe(18)
    aws.s3().put_object(
        Bucket=settings.uploads_bucket, Key=key, Body=body, ContentType=kind, Metadata={"owner": _owner_tag(owner)}
    )
    return key


def attach_shared(*, key: str, owner: str, report_id: str) -> str:
    """Move a shared image to its report's screenshots: only the person it was shared by can
    attach it (the key came back in their form). The report's key, or "" when it is not theirs
    or is gone."""
    settings = get_settings()
    name = key.removeprefix(SHARED_PREFIX)
    if not key.startswith(SHARED_PREFIX) or not name or "/" in name or len(name) > 40 or not owner:
        return ""
    s3 = aws.s3()
    try:
        head = s3.head_object(Bucket=settings.uploads_bucket, Key=key)
    except s3.exceptions.ClientError:
        return ""
    if head.get("Metadata", {}).get("owner") != _owner_tag(owner):
        return ""
    target = prefix_for(report_id) + secrets.token_urlsafe(12)
    s3.copy_object(
        Bucket=settings.uploads_bucket, Key=target, CopySource={"Bucket": settings.uploads_bucket, "Key": key}
    )
    s3.delete_object(Bucket=settings.uploads_bucket, Key=key)
    return target
