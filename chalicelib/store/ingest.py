"""Batch ingest at the storage floor: fold duplicates in memory, one BatchGetItem per 100 keys
to find what is already stored, one BatchWriteItem per 25 new items, retrying unprocessed
ones with backoff. Keys are deterministic, so a redelivery never stores a second copy.

Counting is not done here: a sender's retries can race the first attempt (both read "not
there", both write the same item), so the per-minute counters are added by the router from the
stream's INSERT records, once per mention (flows/router.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError, PynamoDBException

from chalicelib import aws
from chalicelib.errors import StoreUnavailable
from chalicelib.records import IngestResult, Mention, Report
from chalicelib.settings import get_settings
from chalicelib.store.batch import batch_get, batch_put
from chalicelib.store.mapping import mention_item, report_to_model
from chalicelib.store.models import MentionModel, ReportModel


def _add_source(table: str, key: str, source: str) -> None:
    """A later copy of a stored post from another source adds its source and changes nothing else."""
    aws.dynamodb().update_item(
        TableName=table,
        Key={"mention_id": {"S": key}},
        UpdateExpression="ADD #s :s",
        ConditionExpression="attribute_exists(mention_id)",
        ExpressionAttributeNames={"#s": "sources"},
        ExpressionAttributeValues={":s": {"SS": [source]}},
    )


# A delivery with this few new mentions writes each on the condition that it is not there yet:
# the "stored" answer is then exact even when the platform's retry races the first attempt (the
# case platforms create: one or two events per request). Larger batches write 25 a request.
CONDITIONAL_UP_TO = 4


def _put_if_new(table: str, m: Mention) -> bool:
    try:
        aws.dynamodb().put_item(
            TableName=table, Item=mention_item(m), ConditionExpression="attribute_not_exists(mention_id)"
        )
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ConditionalCheckFailedException":
            return False  # another attempt of the same delivery stored it first
        raise
    return True


def ingest_mentions(mentions: Sequence[Mention], *, sleep: Callable[[float], None] | None = None) -> IngestResult:
    """Store each new mention once, then add the batch to the per-minute counters. A partial
    failure raises StoreUnavailable: the sender's retry stores the rest and skips what is there."""
    unique: dict[str, Mention] = {}
    for m in mentions:
        unique.setdefault(m.mention_id, m)
    table = MentionModel.Meta.table_name
    try:
        stored = batch_get(table, "mention_id", list(unique), attributes=("sources",), sleep=sleep)
        existing = {key: set(item.get("sources", {}).get("SS", [])) for key, item in stored.items()}
        new = [m for key, m in unique.items() if key not in existing]
        if len(new) <= CONDITIONAL_UP_TO:
            new = [m for m in new if _put_if_new(table, m)]
        else:
            batch_put(table, [mention_item(m) for m in new], sleep=sleep)
        other_source = [m for key, m in unique.items() if key in existing and m.source not in existing[key]]
        for m in other_source:
            _add_source(table, m.mention_id, m.source)
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"DynamoDB is unavailable ({type(exc).__name__}); retry the delivery") from exc
    return IngestResult(
        received=len(mentions),
        stored=len(new),
        duplicates=len(mentions) - len(new),
        ids=tuple(unique),
        sources_added=len(other_source),
    )


def store_report(report: Report) -> bool:
    """Store a report once: False when this tracking id is already stored (a resubmission)."""
    row = report_to_model(report, retention_days=get_settings().report_retention_days)
    try:
        row.save(condition=ReportModel.report_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise StoreUnavailable(f"DynamoDB is unavailable ({exc.cause_response_code}); try again") from exc
    except PynamoDBException as exc:
        raise StoreUnavailable("DynamoDB is unavailable; try again") from exc
    return True
