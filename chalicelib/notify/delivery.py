"""At-least-once SNS publishing made effectively-once by the delivery log.

claim (conditional put) -> publish -> mark sent. A redelivered stream record finds the row:
sent means skip; claimed means the earlier publish failed or never happened, so publish again.
A row that keeps failing is dead after MAX_ATTEMPTS: visible to admins, retried on request.
Held rows wait (grace period, quiet hours, a maintenance window, a rate limit) and the schedule
sends them when due; a held digest gathers one line per notification it stands in for."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pynamodb.constants import DATETIME_FORMAT
from pynamodb.exceptions import PutError, UpdateError

from chalicelib import aws
from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed, StoreUnavailable
from chalicelib.i18n import Reader
from chalicelib.observability import logger
from chalicelib.policy.batch import Outcome
from chalicelib.policy.digests import render_digest
from chalicelib.policy.messages import sns_message
from chalicelib.policy.noise import ALL, ANY_LANGUAGE
from chalicelib.records import Notification
from chalicelib.store.batch import batch_get, batch_put
from chalicelib.store.models import DeliveryModel, IncidentModel
from chalicelib.triage.identity import key_for

if TYPE_CHECKING:
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef, PublishBatchRequestEntryTypeDef

PENDING = "claimed"
HELD = "held"
COVERED = "covered"  # a single notice a bundle told: its own claim skips it
COVER_KEPT = timedelta(days=2)  # beyond the stream's 24 hours of retries
STALE_AFTER = timedelta(minutes=2)
MAX_ATTEMPTS = 8  # then the row is dead: admins see it and may retry it
KEEP = timedelta(days=90)  # the delivery log expires by TTL


def _stamp(at: datetime) -> str:
    """A time as PynamoDB's UTCDateTimeAttribute stores it, for raw UpdateItem expressions."""
    return at.astimezone(UTC).strftime(DATETIME_FORMAT)


def _expiry(now: datetime) -> datetime:
    return now + KEEP


def _attributes(row: DeliveryModel) -> dict[str, MessageAttributeValueTypeDef]:
    # Members subscribe with a filter policy on `audience` (everyone, or their time zone).
    audience = [str(a) for a in row.audience or []] or [ALL]
    return {
        "delivery_id": {"DataType": "String", "StringValue": row.delivery_id},
        "audience": {"DataType": "String.Array", "StringValue": json.dumps(audience)},
        "severity": {"DataType": "String", "StringValue": row.severity or "low"},
        # Published once per language the group reads (or once, `any`): each member's filter takes theirs.
        "lang": {"DataType": "String", "StringValue": row.lang or ANY_LANGUAGE},
    }


def _row(n: Notification, *, topic_arn: str, now: datetime, audience: Sequence[str]) -> DeliveryModel:
    return DeliveryModel(
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
        audience=list(audience),
        severity=n.severity,
        incident_id=n.incident_id or None,
        lang=n.lang or None,
        pending=PENDING,
        pending_at=now,
        expires_at=_expiry(now),
    )


def _claim(n: Notification, *, topic_arn: str, now: datetime, audience: Sequence[str] = (ALL,)) -> DeliveryModel | None:
    """The delivery row to publish, or None when it was already sent (or is held, dead, or
    covered by a bundle that told it)."""
    row = _row(n, topic_arn=topic_arn, now=now, audience=audience)
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
        return row
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise DeliveryFailed(f"could not claim delivery {n.delivery_id}: {exc.cause_response_code}") from exc
    existing = DeliveryModel.get(n.delivery_id, consistent_read=True)
    if existing.status == COVERED and not _exist({existing.covered_by or ""}):
        return _take_over(row, existing)  # its bundle's claim was given back: nothing told it
    return existing if existing.status == PENDING else None


def _take_over(row: DeliveryModel, cover: DeliveryModel) -> DeliveryModel | None:
    """Claim a single notice over the row a bundle wrote for it and then gave back."""
    try:
        row.save(condition=(DeliveryModel.status == COVERED) & (DeliveryModel.covered_by == cover.covered_by))
        return row
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise DeliveryFailed(f"could not claim delivery {row.delivery_id}: {exc.cause_response_code}") from exc
    existing = DeliveryModel.get(row.delivery_id, consistent_read=True)  # another claim came first
    return existing if existing.status == PENDING else None


def _exist(delivery_ids: set[str]) -> set[str]:
    """Which of these delivery rows exist (bundles whose claims were not given back)."""
    wanted = sorted(d for d in delivery_ids if d)
    return set(batch_get(DeliveryModel.Meta.table_name, "delivery_id", wanted, consistent=True)) if wanted else set()


def _reason(exc: Exception) -> str:
    return str(exc.response["Error"].get("Code", "error")) if isinstance(exc, ClientError) else type(exc).__name__


def publish(row: DeliveryModel) -> None:
    """Publish a claimed row and mark it sent; on failure record the error and raise."""
    if row.topic_arn.startswith("chat:"):  # a chat post or update: the same log, its own platform
        from chalicelib.notify import chat

        if not chat.publish(row):
            raise DeliveryFailed(f"chat delivery {row.delivery_id} failed: {row.last_error}")
        return
    if row.topic_arn in ("people", "people-reminder"):  # mail and SMS to people: batches by SES
        from chalicelib.notify import reach

        try:
            done = reach.publish(row)
        except Exception as exc:  # the row stays claimed, counted, and is retried
            _record_failure(row, _reason(exc))
            raise DeliveryFailed(f"delivery to people {row.delivery_id} failed: {_reason(exc)}") from exc
        if not done:
            raise DeliveryFailed(f"delivery to people {row.delivery_id} failed: {row.last_error}")
        return
    try:
        answer = aws.sns().publish(
            TopicArn=row.topic_arn,
            Subject=row.subject,
            Message=row.message,
            MessageStructure="json",
            MessageAttributes=_attributes(row),
        )
    except Exception as exc:  # any failure leaves the row claimed, recorded, and retried later
        reason = _reason(exc)
        _record_failure(row, reason)
        raise DeliveryFailed(f"SNS publish to group {row.group} failed: {reason}") from exc
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.message_id.set(answer["MessageId"]),
            DeliveryModel.attempts.add(1),
            DeliveryModel.pending.remove(),
            DeliveryModel.pending_at.remove(),
        ]
    )


def deliver(n: Notification, *, topic_arn: str, audience: Sequence[str] = (ALL,)) -> Outcome:
    row = _claim(n, topic_arn=topic_arn, now=utcnow(), audience=audience)
    if row is None:
        return "skipped"
    publish(row)
    return "sent"


def retry_stale(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Publish deliveries claimed long ago but never sent (the stream retry gave up or the
    worker died between claim and publish). Returns (sent, failed)."""
    cutoff = (now or utcnow()) - STALE_AFTER
    sent = failed = 0
    for row in DeliveryModel.pending_index.query(PENDING, DeliveryModel.pending_at < cutoff, limit=limit):
        try:
            publish(row)
            sent += 1
        except DeliveryFailed:
            failed += 1
    return sent, failed


PUBLISH_BATCH = 10  # SNS PublishBatch takes ten entries per call


def deliver_many(
    batch: Sequence[tuple[Notification, str, Sequence[str]]],
) -> tuple[dict[str, Outcome], list[str]]:
    """Deliver a stream batch's notifications with as few requests as the guarantees allow: a
    conditional claim each (the once-only part), PublishBatch by ten per topic, and the sent rows
    written back by twenty-five. Each entry is (notification, topic ARN, audience). Returns
    delivery id -> outcome, and the failures' reasons."""
    now = utcnow()
    claimed, outcomes, failures = _claim_all(batch, now=now)
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
                    "MessageAttributes": _attributes(row),
                }
                for n, row in enumerate(chunk)
            ]
            try:
                answer = aws.sns().publish_batch(TopicArn=topic_arn, PublishBatchRequestEntries=entries)
            except Exception as exc:  # the whole chunk stays claimed, recorded, and is retried
                reason = _reason(exc)
                for row in chunk:
                    _record_failure(row, reason)
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


def _claim_all(
    batch: Sequence[tuple[Notification, str, Sequence[str]]], *, now: datetime
) -> tuple[list[DeliveryModel], dict[str, Outcome], list[str]]:
    """Each notification's claim (a bundle's with the rows of the singles it stands for): the
    rows to publish, the outcomes known already (skipped), and the failures."""
    outcomes: dict[str, Outcome] = {}
    failures: list[str] = []
    claimed: list[DeliveryModel] = []
    logged = _logged([n for n, _, _ in batch if n.covers])
    bundles: dict[str, list[str]] = {}
    for notification, topic_arn, audience in batch:
        if notification.covers and all(
            logged.get(c, notification.delivery_id) != notification.delivery_id for c in notification.covers
        ):
            outcomes[notification.delivery_id] = "skipped"  # every story it lists was told by another message
            continue
        try:
            row = _claim(notification, topic_arn=topic_arn, now=now, audience=audience)
        except DeliveryFailed as exc:
            failures.append(exc.detail)
            continue
        if row is None:
            outcomes[notification.delivery_id] = "skipped"
        else:
            claimed.append(row)
            if notification.covers:  # those not in the log yet (a retry finds its own written)
                bundles[row.delivery_id] = [c for c in notification.covers if c not in logged]
    if any(bundles.values()):
        try:
            _cover(bundles, now=now)
        except Exception as exc:  # a throttle botocore gave up on, or unprocessed items
            uncovered = {b for b, covers in bundles.items() if covers}
            _release([row for row in claimed if row.delivery_id in uncovered])
            claimed = [row for row in claimed if row.delivery_id not in uncovered]
            detail = exc.detail if isinstance(exc, StoreUnavailable) else _reason(exc)
            failures.append(f"could not record what {len(uncovered)} bundles stand for: {detail}")
    return claimed, outcomes, failures


def _release(rows: Sequence[DeliveryModel]) -> None:
    """Give back the claims of bundles whose singles' rows could not be written: left claimed,
    retry_stale would publish them beside the singles a bisected batch plans (nothing would
    skip those); released, the redelivered batch plans and claims whatever it plans then, over
    any of the rows that were written (a row whose bundle has no claim stands for nothing). A
    claim published before (attempts) stays: its rows were written before that publish."""
    for row in rows:
        try:
            row.delete(condition=(DeliveryModel.status == PENDING) & (DeliveryModel.attempts == 0))
        except Exception:  # the batch fails anyway: the retry finds the claim and writes the rows
            logger.warning("bundle claim not released", extra={"delivery_id": row.delivery_id})


def _logged(bundles: Sequence[Notification]) -> dict[str, str]:
    """The single notices the bundles stand for that are in the log already: delivery id -> the
    bundle that wrote its row ("" for a notice sent alone). A bundle whose every single is there
    by another message (sent alone, or listed by a bigger bundle before Lambda bisected the
    batch) would tell nothing new. One BatchGetItem for a batch's bundles (a read unit each)."""
    if not bundles:
        return {}
    wanted = sorted({c for n in bundles for c in n.covers})
    # Consistent: a row the rows' write would overwrite (a single claimed or sent moments ago) is seen.
    # Consistent: a row the rows' write would overwrite (a single claimed or sent moments ago) is seen.
    found = batch_get(DeliveryModel.Meta.table_name, "delivery_id", wanted, attributes=("covered_by",), consistent=True)
    logged = {c: item.get("covered_by", {}).get("S", "") for c, item in found.items()}
    # A row stands for a telling only while its bundle's claim does (a claim given back tells nothing).
    others = {by for by in logged.values() if by} - {n.delivery_id for n in bundles}
    given_back = others - _exist(others)
    return {c: by for c, by in logged.items() if by not in given_back}


def _cover(bundles: Mapping[str, Sequence[str]], *, now: datetime) -> None:
    """The rows of the single notices each claimed bundle stands for, written before it is
    published: a batch routed again record by record (or bisected by Lambda) plans those singles,
    and their claims find them (status COVERED) and skip them, told. Small rows (no item, so in
    no index), kept while the stream can still retry: one write unit each."""
    expires = {"N": str(int((now + COVER_KEPT).timestamp()))}
    batch_put(
        DeliveryModel.Meta.table_name,
        [
            {"delivery_id": {"S": c}, "status": {"S": COVERED}, "covered_by": {"S": bundle}, "expires_at": expires}
            for bundle, covers in bundles.items()
            for c in dict.fromkeys(covers)
        ],
    )


def _record_failure(row: DeliveryModel, reason: str) -> None:
    """Count the attempt; the row dies (leaves the retry index, shows in the admin API) after
    MAX_ATTEMPTS, so a poisoned message does not retry forever."""
    actions: list[Any] = [DeliveryModel.attempts.add(1), DeliveryModel.last_error.set(reason[:500])]
    dead = int(row.attempts or 0) + 1 >= MAX_ATTEMPTS
    if dead:
        actions += [DeliveryModel.status.set("dead"), DeliveryModel.pending.remove(), DeliveryModel.pending_at.remove()]
    row.update(actions=actions)
    log = logger.error if dead else logger.warning
    log(
        "publish failed" + (": dead-lettered" if dead else ""),
        extra={"delivery_id": row.delivery_id, "group": row.group, "error": reason, "attempts": int(row.attempts)},
    )


def _mark_sent(sent: Sequence[tuple[DeliveryModel, str]], *, now: datetime) -> None:
    with DeliveryModel.batch_write() as writer:
        for row, message_id in sent:
            row.status = "sent"
            row.sent_at = now
            row.message_id = message_id
            row.attempts = int(row.attempts) + 1
            row.pending = None  # leaves the sparse index of pending claims
            row.pending_at = None
            writer.save(row)


def retry_dead(delivery_id: str) -> DeliveryModel:
    """An admin's retry: the dead row is claimed again and published now."""
    row = DeliveryModel.get(delivery_id, consistent_read=True)
    if row.status != "dead":
        return row
    now = utcnow()
    row.update(
        actions=[
            DeliveryModel.status.set(PENDING),
            DeliveryModel.attempts.set(0),
            DeliveryModel.pending.set(PENDING),
            DeliveryModel.pending_at.set(now),
        ]
    )
    publish(row)
    return row


# -- held deliveries ---------------------------------------------------------------------------


def hold_one(n: Notification, *, topic_arn: str, until: datetime, audience: Sequence[str] = (ALL,)) -> Outcome:
    """Keep a notification back until `until` (an incident's grace period); sent as it is then,
    unless the incident was acknowledged meanwhile. Idempotent by delivery id."""
    row = _row(n, topic_arn=topic_arn, now=utcnow(), audience=audience)
    row.status, row.pending, row.pending_at = HELD, HELD, until
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise DeliveryFailed(f"could not hold delivery {n.delivery_id}: {exc.cause_response_code}") from exc
        return "skipped"
    return "held"


def hold_in_digest(
    n: Notification, *, group_name: str, topic_arn: str, until: datetime, audience: Sequence[str], why: str
) -> str:
    """Add a line to the digest that goes out at `until` for this audience (one UpdateItem)."""
    # One digest per audience and language (a message in no one language joins the `any` digest).
    language = f":{n.lang}" if n.lang else ""
    digest_id = key_for("delivery", f"digest:{n.group}:{','.join(audience)}:{until.isoformat()}{language}")
    now = utcnow()
    line = f"- {n.subject.removeprefix('[sharedwatch] ')}"
    aws.dynamodb().update_item(
        TableName=DeliveryModel.Meta.table_name,
        Key={"delivery_id": {"S": digest_id}},
        UpdateExpression=(
            "SET #lines = list_append(if_not_exists(#lines, :empty), :line), item_kind = :kind, item_id = :id, "
            "#group = :group, topic_arn = :topic, subject = if_not_exists(subject, :subject), message = :message, "
            "#status = if_not_exists(#status, :held), attempts = if_not_exists(attempts, :zero), "
            "claimed_at = if_not_exists(claimed_at, :now), audience = :audience, severity = :severity, "
            "pending = if_not_exists(pending, :held), pending_at = :until, reasons = :reasons, expires_at = :ttl, "
            "#lang = :lang"
        ),
        ConditionExpression="attribute_not_exists(#status) OR #status = :held",
        ExpressionAttributeNames={"#lines": "lines", "#group": "group", "#status": "status", "#lang": "lang"},
        ExpressionAttributeValues={
            ":empty": {"L": []},
            ":line": {"L": [{"S": line}]},
            ":kind": {"S": "digest"},
            ":id": {"S": f"{n.group}:{until.isoformat()}"},
            ":group": {"S": n.group},
            ":topic": {"S": topic_arn},
            ":subject": {"S": f"[sharedwatch] Digest for {group_name}"},
            ":message": {"B": DeliveryModel.message.serialize(json.dumps({"group_name": group_name, "why": why}))},
            ":held": {"S": HELD},
            ":zero": {"N": "0"},
            ":now": {"S": _stamp(now)},
            ":audience": {"L": [{"S": a} for a in audience]},
            ":severity": {"S": "low"},
            ":until": {"S": _stamp(until)},
            ":reasons": {"L": [{"S": why}]},
            ":ttl": {"N": str(int(_expiry(now).timestamp()))},
            ":lang": {"S": n.lang or ANY_LANGUAGE},
        },
    )
    return digest_id


def flush_held(*, now: datetime | None = None, limit: int = 100) -> tuple[int, int]:
    """Send what was held and is now due: digests rendered from their lines, single notices as
    they were, unless their incident was acknowledged meanwhile. Returns (sent, superseded)."""
    moment = now or utcnow()
    sent = superseded = 0
    for row in DeliveryModel.pending_index.query(HELD, DeliveryModel.pending_at <= moment, limit=limit):
        if row.item_kind == "digest":
            meta = json.loads(row.message)
            reader = Reader.of(row.lang if row.lang and row.lang != ANY_LANGUAGE else "")
            subject, email, sms = render_digest(
                meta["group_name"], [str(line) for line in row.lines or []], meta["why"], reader=reader
            )
            row.subject = subject
            row.message = json.dumps(
                {"default": email, "email": email, "sms": sms, "sqs": json.dumps({"kind": "digest", "email": email})}
            )
            row.update(
                actions=[
                    DeliveryModel.subject.set(subject),
                    DeliveryModel.message.set(row.message),
                    DeliveryModel.status.set(PENDING),
                    DeliveryModel.pending.set(PENDING),
                ]
            )
        elif row.incident_id and _handled(row.incident_id):
            row.update(
                actions=[
                    DeliveryModel.status.set("superseded"),
                    DeliveryModel.pending.remove(),
                    DeliveryModel.pending_at.remove(),
                ]
            )
            superseded += 1
            continue
        else:
            row.update(actions=[DeliveryModel.status.set(PENDING), DeliveryModel.pending.set(PENDING)])
        try:
            publish(row)
            sent += 1
        except DeliveryFailed:
            continue  # claimed now: retry_stale takes it from here
    return sent, superseded


def supersede_pending(item_id: str) -> int:
    """Everything still waiting to go out about one item (held for a grace period, or claimed
    and not yet published) is superseded: neither the held flush nor the stale retry sends it.
    For a drill's incident when the drill ends. Returns how many rows it stopped."""
    stopped = 0
    for row in DeliveryModel.item_index.query(item_id, filter_condition=DeliveryModel.pending.exists()):
        try:
            row.update(
                actions=[
                    DeliveryModel.status.set("superseded"),
                    DeliveryModel.pending.remove(),
                    DeliveryModel.pending_at.remove(),
                ],
                condition=DeliveryModel.pending.exists(),  # a publish that won the race stays sent
            )
        except UpdateError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        stopped += 1
    return stopped


def _handled(incident_id: str) -> bool:
    try:
        return IncidentModel.get(incident_id, consistent_read=True).status != "open"
    except IncidentModel.DoesNotExist:
        return False
