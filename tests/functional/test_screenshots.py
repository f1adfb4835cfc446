"""Screenshots go from the reporter's browser straight to S3 (a presigned POST on the receipt
page, no JavaScript); the way back checks the upload before attaching it."""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import urlencode

import boto3

from chalicelib.settings import get_settings
from chalicelib.store.models import ReportModel
from tests.functional.conftest import Harness

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _submit(h: Harness) -> tuple[str, Any]:
    page = h.client.http.get("/report", headers={"accept": "text/html"}).body.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": token, "text": "This review has a photo of our kitchen", "anonymous": "1"}).encode()
    receipt = h.client.http.post(
        "/report", body=body, headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}
    )
    assert receipt.status_code == 201
    tracking = re.search(r'class="id">([a-z2-7]{16})<', receipt.body.decode()).group(1)  # type: ignore[union-attr]
    return tracking, receipt


def _upload_fields(html: str) -> tuple[str, dict[str, str]]:
    form = re.search(r'<form method="post" action="([^"]+)" enctype="multipart/form-data"(.*?)</form>', html, re.S)
    assert form, html
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form.group(2)))
    return unescape(form.group(1)), {k: unescape(v) for k, v in fields.items()}


def _put(key: str, body: bytes) -> None:
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=get_settings().uploads_bucket, Key=key, Body=body)


def test_the_receipt_offers_a_presigned_upload_and_a_good_image_is_attached(harness: Harness) -> None:
    tracking, receipt = _submit(harness)
    url, fields = _upload_fields(receipt.body.decode())
    assert fields["key"].startswith(f"screenshots/{tracking}/") and "policy" in fields
    assert fields["success_action_redirect"].endswith(f"/report/{tracking}/screenshot")
    # The page may post its upload form to S3 and nowhere else.
    assert (
        f"form-action 'self' {url.split('/', 3)[0]}//{url.split('/', 3)[2]}"
        in receipt.headers["Content-Security-Policy"]
    )
    _put(fields["key"], PNG)  # what S3 does with the browser's POST
    back = harness.client.http.get(
        f"/report/{tracking}/screenshot?key={fields['key']}", headers={"accept": "text/html"}
    )
    assert back.status_code == 200 and "Screenshot attached" in back.body.decode()
    assert list(ReportModel.get(tracking).screenshots) == [fields["key"]]
    admin = harness.client.http.get(f"/api/reports/{tracking}", headers={"authorization": "Bearer admin-test-token"})
    assert len(admin.json_body["screenshots"]) == 1 and admin.json_body["reporter"] is None


def test_an_upload_that_is_not_an_image_is_deleted_and_refused(harness: Harness) -> None:
    tracking, receipt = _submit(harness)
    _, fields = _upload_fields(receipt.body.decode())
    _put(fields["key"], b"<script>alert(1)</script>")
    back = harness.client.http.get(
        f"/report/{tracking}/screenshot?key={fields['key']}", headers={"accept": "text/html"}
    )
    assert back.status_code == 422 and "only images" in back.body.decode()
    s3 = boto3.client("s3", region_name="us-east-1")
    assert s3.list_objects_v2(Bucket=get_settings().uploads_bucket).get("KeyCount", 0) == 0
    assert not ReportModel.get(tracking).screenshots
    other = harness.client.http.get(
        f"/report/{tracking}/screenshot?key=screenshots/other/x", headers={"accept": "text/html"}
    )
    assert other.status_code == 422 and "does not belong" in other.body.decode()
