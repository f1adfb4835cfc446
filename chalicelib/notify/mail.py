"""Email to one person (a reporter hearing what became of their report) through SES, once per
delivery id in the delivery log. In the local stack the message also lands in the outbox."""

from __future__ import annotations

import json
from pathlib import Path

from pynamodb.exceptions import PutError

from chalicelib import aws
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.notify.delivery import KEEP, PENDING
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store.models import DeliveryModel


def send_mail(*, delivery_id: str, to: str, subject: str, body: str, item_id: str, kind: str = "reporter") -> bool:
    """True when sent now, False when the log says it was sent before. The address is kept only
    in the message SES sends, not in the log row (reporters' emails stay off every list)."""
    settings = get_settings()
    now = utcnow()
    row = DeliveryModel(
        delivery_id=delivery_id,
        item_kind=kind,
        item_id=item_id,
        group=kind,
        topic_arn="ses",
        subject=subject[:200],
        message="",
        status=PENDING,
        attempts=0,
        claimed_at=now,
        expires_at=now + KEEP,
    )
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist() | (DeliveryModel.status == PENDING))
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise DeliveryFailed(f"could not claim mail {delivery_id}: {exc.cause_response_code}") from exc
    try:
        answer = aws.ses().send_email(
            Source=settings.reports_address,
            Destination={"ToAddresses": [to]},
            Message={
                "Subject": {"Data": subject, "Charset": "UTF-8"},
                "Body": {"Text": {"Data": body, "Charset": "UTF-8"}},
            },
        )
    except Exception as exc:
        logger.warning("mail failed", extra={"delivery_id": delivery_id, "error": type(exc).__name__})
        raise DeliveryFailed(f"SES send failed: {type(exc).__name__}") from exc
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.message_id.set(str(answer.get("MessageId", ""))),
            DeliveryModel.attempts.add(1),
        ]
    )
    if settings.is_local and settings.local_outbox_path:
        entry = {"channel": "email", "to": to, "subject": subject, "email": body, "timestamp": isoformat(utcnow())}
        with Path(settings.local_outbox_path).open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return True
