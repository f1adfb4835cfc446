"""BatchGetItem and BatchWriteItem in their chunks, with what botocore does not retry:
UnprocessedKeys and UnprocessedItems come back as a success, so they are resent here with
backoff, and StoreUnavailable is raised when DynamoDB keeps returning them. Updates that must
merge with what another writer stored meanwhile (never overwrite it) go as TransactWriteItems,
a hundred to a call, tried again when they met another transaction."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.errors import StoreUnavailable
from chalicelib.retry import MAX_ATTEMPTS, sleep_backoff

GET_CHUNK = 100
WRITE_CHUNK = 25
UPDATE_CHUNK = 100
RETRIED = {"TransactionConflict", "None"}  # "None": an item the cancellation did not concern


def batch_get(
    table: str,
    key_name: str,
    keys: Sequence[str],
    *,
    attributes: Sequence[str] = (),
    consistent: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Key -> item for the keys that exist (string hash keys), one call per 100 keys."""
    pause = sleep or time.sleep
    client = aws.dynamodb()
    found: dict[str, dict[str, Any]] = {}
    for i in range(0, len(keys), GET_CHUNK):
        spec: dict[str, Any] = {"Keys": [{key_name: {"S": k}} for k in keys[i : i + GET_CHUNK]]}
        if attributes:
            names = {f"#a{n}": name for n, name in enumerate((key_name, *attributes))}
            spec.update(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
        if consistent:
            spec["ConsistentRead"] = True
        request: dict[str, Any] = {table: spec}
        for attempt in range(MAX_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[item[key_name]["S"]] = item
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                break
            sleep_backoff(attempt, pause)
        else:
            raise StoreUnavailable("DynamoDB kept returning unprocessed keys; retry the delivery")
    return found


def batch_put(table: str, items: Sequence[dict[str, Any]], *, sleep: Callable[[float], None] | None = None) -> None:
    """Write items (DynamoDB JSON), one call per 25."""
    pause = sleep or time.sleep
    client = aws.dynamodb()
    for i in range(0, len(items), WRITE_CHUNK):
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in items[i : i + WRITE_CHUNK]]}
        for attempt in range(MAX_ATTEMPTS):
            request = dict(client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {})
            if not request:
                break
            sleep_backoff(attempt, pause)
        else:
            raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")


def batch_update(updates: Sequence[dict[str, Any]], *, sleep: Callable[[float], None] | None = None) -> None:
    """Apply UpdateItem requests (TableName, Key, UpdateExpression, ...), one TransactWriteItems
    call per 100: each item changed in place, atomically, so an `ADD` to a set keeps what another
    writer added. A call cancelled only because another transaction held an item is tried again."""
    pause = sleep or time.sleep
    client = aws.dynamodb()
    for i in range(0, len(updates), UPDATE_CHUNK):
        chunk = [{"Update": u} for u in updates[i : i + UPDATE_CHUNK]]
        for attempt in range(MAX_ATTEMPTS):
            try:
                client.transact_write_items(TransactItems=chunk)  # type: ignore[arg-type]
                break
            except ClientError as exc:
                reasons = {r.get("Code", "None") for r in exc.response.get("CancellationReasons", [])}
                if exc.response["Error"].get("Code") != "TransactionCanceledException" or not reasons <= RETRIED:
                    raise
                sleep_backoff(attempt, pause)
        else:
            raise StoreUnavailable("DynamoDB kept cancelling the update for conflicts; retry")
