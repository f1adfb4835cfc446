"""At-least-once SNS publishing made effectively-once by the delivery log.

claim (conditional put) -> publish -> mark sent. A redelivered stream record finds the row:
sent means skip; claimed means the earlier publish failed or never happened, so publish again."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from botocore.exceptions import ClientError
from pynamodb.exceptions import PutError

from chalicelib import aws
from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.notify.messages import sns_message
from chalicelib.observability import logger
from chalicelib.records import Notification
from chalicelib.store.models import DeliveryModel

if TYPE_CHECKING:
    from mypy_boto3_sns.type_defs import PublishBatchRequestEntryTypeDef

PENDING = "claimed"
STALE_AFTER = timedelta(minutes=2)

Outcome = Literal["sent", "skipped"]


def _claim(n: Notification, *, topic_arn: str, now: datetime) -> DeliveryModel | None:
    """The delivery row to publish, or None when it was already sent."""
    row = DeliveryModel(
        delivery_id=n.delivery_id,
        item_kind=n.item_kind,
        item_id=n.item_id,
        group=n.group,
        topic_arn=topic_arn,
        subject=n.subject,
        message=sns_message(n),
        reasons=list(n.reasons),
        status=PENDING,
        attempts=0,
        claimed_at=now,
        pending=PENDING,
    )
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
        return row
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise DeliveryFailed(f"could not claim delivery {n.delivery_id}: {exc.cause_response_code}") from exc
    existing = DeliveryModel.get(n.delivery_id, consistent_read=True)
    return None if existing.status == "sent" else existing


def publish(row: DeliveryModel) -> None:
    """Publish a claimed row and mark it sent; on failure record the error and raise."""
    try:
        answer = aws.sns().publish(
            TopicArn=row.topic_arn,
            Subject=row.subject,
            Message=row.message,
            MessageStructure="json",
            MessageAttributes={"delivery_id": {"DataType": "String", "StringValue": row.delivery_id}},
        )
    except Exception as exc:  # any failure leaves the row claimed, recorded, and retried later
        reason = exc.response["Error"].get("Code", "error") if isinstance(exc, ClientError) else type(exc).__name__
        row.update(actions=[DeliveryModel.attempts.add(1), DeliveryModel.last_error.set(str(reason)[:500])])
        logger.warning("publish failed", extra={"delivery_id": row.delivery_id, "group": row.group, "error": reason})
        raise DeliveryFailed(f"SNS publish to group {row.group} failed: {reason}") from exc
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.message_id.set(answer["MessageId"]),
            DeliveryModel.attempts.add(1),
            DeliveryModel.pending.remove(),
        ]
    )


def deliver(n: Notification, *, topic_arn: str) -> Outcome:
    row = _claim(n, topic_arn=topic_arn, now=utcnow())
    if row is None:
        return "skipped"
    publish(row)
    return "sent"


def retry_stale(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Publish deliveries claimed long ago but never sent (the stream retry gave up or the
    worker died between claim and publish). Returns (sent, failed)."""
    cutoff = (now or utcnow()) - STALE_AFTER
    sent = failed = 0
    for row in DeliveryModel.pending_index.query(PENDING, DeliveryModel.claimed_at < cutoff, limit=limit):
        try:
            publish(row)
            sent += 1
        except DeliveryFailed:
            failed += 1
    return sent, failed


PUBLISH_BATCH = 10  # SNS PublishBatch takes ten entries per call
MARK_BATCH = 25  # BatchWriteItem takes twenty-five


def deliver_many(batch: Sequence[tuple[Notification, str]]) -> tuple[dict[str, Outcome], list[str]]:
    """Deliver a stream batch's notifications with as few requests as the guarantees allow: a
    conditional claim each (the once-only part), PublishBatch by ten per topic, and the sent rows
    written back by twenty-five. Returns delivery id -> outcome, and the failures' reasons."""
    now = utcnow()
    outcomes: dict[str, Outcome] = {}
    failures: list[str] = []
    claimed: list[DeliveryModel] = []
    for notification, topic_arn in batch:
        try:
            row = _claim(notification, topic_arn=topic_arn, now=now)
        except DeliveryFailed as exc:
            failures.append(exc.detail)
            continue
        if row is None:
            outcomes[notification.delivery_id] = "skipped"
        else:
            claimed.append(row)
    by_topic: dict[str, list[DeliveryModel]] = {}
    for row in claimed:
        by_topic.setdefault(row.topic_arn, []).append(row)
    sent: list[tuple[DeliveryModel, str]] = []
    for topic_arn, rows in by_topic.items():
        for i in range(0, len(rows), PUBLISH_BATCH):
            chunk = rows[i : i + PUBLISH_BATCH]
            entries: list[PublishBatchRequestEntryTypeDef] = [
                {
                    "Id": str(n),
                    "Message": row.message,
                    "Subject": row.subject,
                    "MessageStructure": "json",
                    "MessageAttributes": {"delivery_id": {"DataType": "String", "StringValue": row.delivery_id}},
                }
                for n, row in enumerate(chunk)
            ]
            try:
                answer = aws.sns().publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=entries)
            except Exception as exc:  # the whole chunk stays claimed, recorded, and is retried
                reason = (
                    exc.response["Error"].get("Code", "error") if isinstance(exc, ClientError) else type(exc).__name__
                )
                for row in chunk:
                    _record_failure(row, str(reason))
                    failures.append(f"SNS publish to group {row.group} failed: {reason}")
                continue
            for ok in answer.get("Successful", []):
                sent.append((chunk[int(ok["Id"])], ok["MessageId"]))
            for bad in answer.get("Failed", []):
                row = chunk[int(bad["Id"])]
                _record_failure(row, str(bad.get("Code", "error")))
                failures.append(f"SNS publish to group {row.group} failed: {bad.get('Code')}")
    _mark_sent(sent, now=utcnow())
    for row, _ in sent:
        outcomes[row.delivery_id] = "sent"
    return outcomes, failures


def _record_failure(row: DeliveryModel, reason: str) -> None:
    row.update(actions=[DeliveryModel.attempts.add(1), DeliveryModel.last_error.set(reason[:500])])
    logger.warning("publish failed", extra={"delivery_id": row.delivery_id, "group": row.group, "error": reason})


def _mark_sent(sent: Sequence[tuple[DeliveryModel, str]], *, now: datetime) -> None:
    with DeliveryModel.batch_write() as writer:
        for row, message_id in sent:
            row.status = "sent"
            row.sent_at = now
            row.message_id = message_id
            row.attempts = int(row.attempts) + 1
            row.pending = None  # leaves the sparse index of pending claims
            writer.save(row)
