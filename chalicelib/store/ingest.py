"""Batch ingest at the storage floor: fold duplicates in memory, one BatchGetItem per 100 keys
to find what is already stored, one BatchWriteItem per 25 new items, retrying unprocessed
ones with backoff. Keys are deterministic, so a redelivery never stores a second copy."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PutError, PynamoDBException

from chalicelib import aws
from chalicelib.errors import StoreUnavailable
from chalicelib.records import IngestResult, Mention, Report
from chalicelib.retry import MAX_ATTEMPTS, sleep_backoff
from chalicelib.settings import get_settings
from chalicelib.store.counters import add_counts, bucket_for
from chalicelib.store.mapping import mention_item, report_to_model
from chalicelib.store.models import MentionModel, ReportModel

GET_CHUNK = 100
WRITE_CHUNK = 25


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _existing_sources(
    table: str, key_name: str, keys: Sequence[str], sleep: Callable[[float], None]
) -> dict[str, set[str]]:
    """Which keys are stored already, with the sources each has (one BatchGetItem per 100)."""
    found: dict[str, set[str]] = {}
    client = aws.dynamodb()
    for chunk in _chunks(keys, GET_CHUNK):
        request: dict[str, Any] = {
            table: {
                "Keys": [{key_name: {"S": k}} for k in chunk],
                "ProjectionExpression": "#k, #s",
                "ExpressionAttributeNames": {"#k": key_name, "#s": "sources"},
            }
        }
        for attempt in range(MAX_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[item[key_name]["S"]] = set(item.get("sources", {}).get("SS", []))
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                break
            sleep_backoff(attempt, sleep)
        else:
            raise StoreUnavailable("DynamoDB kept returning unprocessed keys; retry the delivery")
    return found


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


def _write_items(table: str, items: Sequence[dict[str, Any]], sleep: Callable[[float], None]) -> None:
    client = aws.dynamodb()
    for chunk in _chunks(items, WRITE_CHUNK):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        for attempt in range(MAX_ATTEMPTS):
            answer = client.batch_write_item(RequestItems=request)
            request = dict(answer.get("UnprocessedItems") or {})
            if not request:
                break
            sleep_backoff(attempt, sleep)
        else:
            raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")


def ingest_mentions(mentions: Sequence[Mention], *, sleep: Callable[[float], None] | None = None) -> IngestResult:
    """Store each new mention once, then add the batch to the per-minute counters. A partial
    failure raises StoreUnavailable: the sender's retry stores the rest and skips what is there."""
    pause = sleep or time.sleep
    unique: dict[str, Mention] = {}
    for m in mentions:
        unique.setdefault(m.mention_id, m)
    table = MentionModel.Meta.table_name
    try:
        existing = _existing_sources(table, "mention_id", list(unique), pause)
        new = [m for key, m in unique.items() if key not in existing]
        _write_items(table, [mention_item(m) for m in new], pause)
        other_source = [m for key, m in unique.items() if key in existing and m.source not in existing[key]]
        for m in other_source:
            _add_source(table, m.mention_id, m.source)
        add_counts(new)
    except (ClientError, BotoCoreError) as exc:
        raise StoreUnavailable(f"DynamoDB is unavailable ({type(exc).__name__}); retry the delivery") from exc
    return IngestResult(
        received=len(mentions),
        stored=len(new),
        duplicates=len(mentions) - len(new),
        ids=tuple(unique),
        sources_added=len(other_source),
        recent=sum(1 for m in new if bucket_for(m.published_at, received_at=m.received_at).startswith("m|")),
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
