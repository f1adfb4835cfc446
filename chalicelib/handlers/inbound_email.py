"""SES inbound mail for the reports address, delivered as an SNS notification: with the
message as content (SNS action, up to 150 KB), or pointing at the raw message the S3 action
stored (any size: it is read from the bucket here)."""

from __future__ import annotations

import base64
import json
from typing import Any

from chalice.app import Blueprint, SNSEvent

from chalicelib import aws
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.flows.ingest import take_report
from chalicelib.intake.inbound_email import parse_notification
from chalicelib.observability import logger
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
_settings = get_settings()


MAX_RAW_BYTES = 10 * 1024 * 1024  # SES accepts messages up to 40 MB; reports past this are refused


def with_content(notification: Any) -> Any:
    """An S3-action notification with its raw message fetched, shaped like the SNS action's."""
    if not isinstance(notification, dict) or "content" in notification:
        return notification
    action = (notification.get("receipt") or {}).get("action") or {}
    if action.get("type") != "S3" or not action.get("bucketName") or not action.get("objectKey"):
        return notification
    obj = aws.s3().get_object(Bucket=action["bucketName"], Key=action["objectKey"])
    if int(obj.get("ContentLength", 0)) > MAX_RAW_BYTES:
        raise InvalidPayload(f"the message is {obj['ContentLength']} bytes, more than a report can be")
    raw = obj["Body"].read()
    receipt = {**notification["receipt"], "action": {**action, "encoding": "BASE64"}}
    return {**notification, "receipt": receipt, "content": base64.b64encode(raw).decode()}


@bp.on_sns_message(topic=_settings.topic_name("inbound-email"))
def on_inbound_email(event: SNSEvent) -> None:
    try:
        notification = with_content(json.loads(event.message))
        report = parse_notification(notification, allowed_domains=_settings.company_domains, received_at=utcnow())
    except (json.JSONDecodeError, InvalidPayload) as exc:
        # Retrying cannot fix a malformed notification: log it and let it go.
        logger.error("inbound email rejected", extra={"reason": str(exc)[:300], "subject": event.subject})
        return
    created = take_report(report)
    logger.info(
        "inbound email stored",
        extra={
            "report_id": report.report_id,
            "status": report.status,
            "new": created,
            "quarantine_reason": report.quarantine_reason,
        },
    )
