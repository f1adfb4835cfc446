"""BatchGetItem and BatchWriteItem in their chunks, with what botocore does not retry:
UnprocessedKeys and UnprocessedItems come back as a success, so they are resent here with
backoff, and StoreUnavailable is raised when DynamoDB keeps returning them. Updates that must
merge with what another writer stored meanwhile (never overwrite it) go as single UpdateItem
requests, several in flight at once (a transaction bills each item twice)."""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from chalicelib import aws
from chalicelib.errors import StoreUnavailable
from chalicelib.retry import MAX_ATTEMPTS, sleep_backoff

GET_CHUNK = 100
WRITE_CHUNK = 25
UPDATE_WORKERS = 8  # UpdateItem requests in flight at once
CHUNK_WORKERS = 4  # BatchWriteItem requests in flight at once


def batch_get(
    table: str,
    key_name: str,
    keys: Sequence[str],
    *,
    attributes: Sequence[str] = (),
    consistent: bool = False,
    sleep: Callable[[float], None] | None = None,
) -> dict[str, dict[str, Any]]:
    """Key -> item for the keys that exist (string hash keys), one call per 100 keys, a few in
    flight at once."""
    pause = sleep or time.sleep
    client = aws.dynamodb()
    found: dict[str, dict[str, Any]] = {}

    def get(chunk: Sequence[str]) -> None:
        spec: dict[str, Any] = {"Keys": [{key_name: {"S": k}} for k in chunk]}
        if attributes:
            names = {f"#a{n}": name for n, name in enumerate((key_name, *attributes))}
            spec.update(ProjectionExpression=", ".join(names), ExpressionAttributeNames=names)
        if consistent:
            spec["ConsistentRead"] = True
        request: dict[str, Any] = {table: spec}
        for attempt in range(MAX_ATTEMPTS):
            answer = client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                found[item[key_name]["S"]] = item  # a dict store is atomic across the chunks' threads
            request = dict(answer.get("UnprocessedKeys") or {})
            if not request:
                return
            sleep_backoff(attempt, pause)
        raise StoreUnavailable("DynamoDB kept returning unprocessed keys; retry the delivery")

    in_flight([partial(get, keys[i : i + GET_CHUNK]) for i in range(0, len(keys), GET_CHUNK)])
    return found


def batch_put(table: str, items: Sequence[dict[str, Any]], *, sleep: Callable[[float], None] | None = None) -> None:
    """Write items (DynamoDB JSON), one call per 25, a few in flight at once (a stream batch's
    hundred stories and three hundred index keys are 4 and 12 calls: one after the other, the
    router waited for each)."""
    pause = sleep or time.sleep
    client = aws.dynamodb()

    def put(chunk: Sequence[dict[str, Any]]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": item}} for item in chunk]}
        for attempt in range(MAX_ATTEMPTS):
            request = dict(client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {})
            if not request:
                return
            sleep_backoff(attempt, pause)
        raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")

    in_flight([partial(put, items[i : i + WRITE_CHUNK]) for i in range(0, len(items), WRITE_CHUNK)])


def in_flight(calls: Sequence[Callable[[], None]], *, workers: int = CHUNK_WORKERS) -> None:
    """Run the calls a few at once, each in a copy of this context (the request's deadline,
    chalicelib/deadline.py, holds there too); the first failure is raised once all were tried.
    One call runs here, on this thread."""
    if len(calls) <= 1 or workers <= 1:
        for call in calls:
            call()
        return
    with ThreadPoolExecutor(max_workers=min(workers, len(calls)), thread_name_prefix="chunk") as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        for future in futures:
            future.result()


def update_each(updates: Sequence[dict[str, Any]], *, workers: int = UPDATE_WORKERS) -> None:
    """Apply UpdateItem requests (TableName, Key, UpdateExpression, ...), a few at once. Each is
    atomic on its item, so an `ADD` to a set keeps what another writer added meanwhile; a
    transaction would add nothing to that and bill every item twice."""
    if len(updates) <= 1 or workers <= 1:
        for update in updates:
            aws.dynamodb().update_item(**update)
        return
    client = aws.dynamodb()

    def apply(request: dict[str, Any], context: contextvars.Context) -> None:
        context.run(lambda: client.update_item(**request))

    with ThreadPoolExecutor(max_workers=min(workers, len(updates)), thread_name_prefix="update") as pool:
        # Each call in a copy of this context: the request's deadline (chalicelib/deadline.py) holds there too.
        futures = [pool.submit(apply, u, contextvars.copy_context()) for u in updates]
        for future in futures:
            future.result()  # the first failure is raised, after every update was tried
