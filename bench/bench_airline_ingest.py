"""airline_ingest_ratio: the 14,640 airline tweets delivered in signed batches of 100 over HTTP
to the local stack (`python -m infra.local`, as `make run` starts it, stream pump and all),
against the same BatchWriteItem calls sent straight to the same moto server (into a table
configured as the mentions table is: its key, its inbox index and projection, its stream),
same run."""

from __future__ import annotations

import json
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from bench import airline
from bench.harness import SHORT, Figure, clean_env
from infra.local.launcher import launch

if TYPE_CHECKING:
    from chalicelib.store.schema import TableDef

BATCH = 100


def _post(base: str, secret: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    from tests.support import batch_envelope, signed_headers

    body = batch_envelope(items)
    request = urllib.request.Request(base + "/webhooks/generic", data=body, headers=signed_headers(body, secret=secret))
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())  # type: ignore[no-any-return]


def _baseline_batches(endpoint: str, mentions: list[dict[str, Any]]) -> tuple[Any, list[list[dict[str, Any]]]]:
    """Per delivery batch, the new items as the app writes them (deduplicated the same way),
    and a client for a table of the same key schema on the same moto server."""
    import os

    os.environ.update(clean_env(SHAREDWATCH_STAGE="bench"))
    from chalicelib.clock import utcnow
    from chalicelib.sources.base import mention_from_fields
    from chalicelib.store.mapping import mention_item
    from chalicelib.store.schema import table_definitions

    now = utcnow()
    seen: set[str] = set()
    batches = []
    for i in range(0, len(mentions), BATCH):
        items = []
        for item in mentions[i : i + BATCH]:
            m = mention_from_fields(item, path="", source="generic", received_at=now, delivery_id="", errors=[])
            assert m is not None
            if m.mention_id not in seen:
                seen.add(m.mention_id)
                items.append(mention_item(m))
        batches.append(items)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    [table] = [t for t in table_definitions() if t.suffix == "mentions"]
    client.create_table(TableName="moto-alone", **create_table_arguments(table))
    return client, batches


def create_table_arguments(table: TableDef) -> dict[str, Any]:
    """CreateTable's arguments for a table configured as `table` is: its key, every index with
    its projection (moto writes each index's rows too), its stream (moto records a stream record
    for every write). The stack's tables come from the same definition, so the baseline pays
    for what the app's table pays for."""
    keys = [(table.hash_key, "HASH"), *([(table.range_key, "RANGE")] if table.range_key else [])]
    attributes = {k.name: k.type for k, _ in keys}
    indexes = []
    for index in table.indexes:
        index_keys = [(index.hash_key, "HASH"), *([(index.range_key, "RANGE")] if index.range_key else [])]
        attributes |= {k.name: k.type for k, _ in index_keys}
        projection: dict[str, Any] = {"ProjectionType": index.projection}
        if index.non_key_attributes:
            projection["NonKeyAttributes"] = list(index.non_key_attributes)
        indexes.append(
            {
                "IndexName": index.name,
                "KeySchema": [{"AttributeName": k.name, "KeyType": kind} for k, kind in index_keys],
                "Projection": projection,
            }
        )
    arguments: dict[str, Any] = {
        "KeySchema": [{"AttributeName": k.name, "KeyType": kind} for k, kind in keys],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": t} for n, t in attributes.items()],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if indexes:
        arguments["GlobalSecondaryIndexes"] = indexes
    if table.stream:
        arguments["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": table.stream}
    return arguments


def _write_alone(client: Any, items: list[dict[str, Any]]) -> None:
    for i in range(0, len(items), 25):
        answer = client.batch_write_item(
            RequestItems={"moto-alone": [{"PutRequest": {"Item": it}} for it in items[i : i + 25]]}
        )
        assert not answer.get("UnprocessedItems")


NEEDS = (airline.TWEETS,)
ALL_UNIQUE = 14_485  # distinct tweet ids of the 14,640 (the file repeats 155)


def run() -> list[Figure]:
    if not airline.available():
        return []
    mentions = airline.mentions()
    # The tweets' own ids say how many are new: what the app stores and the baseline writes
    # must both come to that (the whole file's count is pinned, the short run's slice computed).
    expected = len({m["id"] for m in mentions})
    assert SHORT or expected == ALL_UNIQUE, expected
    with tempfile.TemporaryDirectory() as tmp:
        running = launch(Path(tmp))
        creds = running.credentials
        try:
            base, secret = creds["base_url"], creds["sources"]["generic"]
            client, baseline_batches = _baseline_batches(creds["moto_endpoint"], mentions)
            stack_seconds = moto_seconds = 0.0
            stored = duplicates = 0
            # Interleaved, batch by batch: whatever else the machine (or the stream pump) is doing
            # weighs on both sides alike.
            for n, i in enumerate(range(0, len(mentions), BATCH)):
                started = time.perf_counter()
                answer = _post(base, secret, mentions[i : i + BATCH])
                stack_seconds += time.perf_counter() - started
                stored += answer["stored"]
                duplicates += answer["duplicates"]
                started = time.perf_counter()
                _write_alone(client, baseline_batches[n])
                moto_seconds += time.perf_counter() - started
            unique = sum(len(b) for b in baseline_batches)
        finally:
            running.stop()
    assert stored == unique == expected and duplicates == len(mentions) - unique, (stored, unique, duplicates)
    return [
        Figure(
            "airline_ingest_ratio",
            round(stack_seconds, 2),
            "s",
            round(moto_seconds, 2),
            round(stack_seconds / moto_seconds, 3),
            "<= 1.3",
            f"{len(mentions)} tweets in signed batches of {BATCH} over HTTP, interleaved with the same "
            f"BatchWriteItem calls to moto alone: {stored} stored, {duplicates} duplicates folded; "
            f"{len(mentions) / stack_seconds:.0f} mentions/s",
        )
    ]
