"""SES inbound mail for the reports address, delivered as an SNS notification with content."""

from __future__ import annotations

import json

from chalice.app import Blueprint, SNSEvent

from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.intake.inbound_email import parse_notification
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store.ingest import store_report

bp = Blueprint(__name__)
_settings = get_settings()


@bp.on_sns_message(topic=_settings.topic_name("inbound-email"))
def on_inbound_email(event: SNSEvent) -> None:
    try:
        notification = json.loads(event.message)
        report = parse_notification(notification, allowed_domains=_settings.company_domains, received_at=utcnow())
    except (json.JSONDecodeError, InvalidPayload) as exc:
        # Retrying cannot fix a malformed notification: log it and let it go.
        logger.error("inbound email rejected", extra={"reason": str(exc)[:300], "subject": event.subject})
        return
    created = store_report(report)
    logger.info(
        "inbound email stored",
        extra={
            "report_id": report.report_id,
            "status": report.status,
            "new": created,
            "quarantine_reason": report.quarantine_reason,
        },
    )
