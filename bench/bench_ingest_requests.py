"""DynamoDB requests per mention at the storage floor, counted with a botocore event hook on
every request the app's client sends (moto's consumed-capacity figures are not used).

- ddb_requests_per_mention_batch500: one signed 500-mention delivery, 10% duplicates.
- ddb_requests_per_mention_replay: the same delivery again.
Baseline: a conditional PutItem per mention (the obvious design), counted the same way."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from bench.harness import Figure, in_process_environment

BATCH = 500
DUPLICATE_SHARE = 0.10


def _mentions() -> list[dict[str, Any]]:
    unique = int(BATCH * (1 - DUPLICATE_SHARE))
    items = [
        {
            "id": f"17{i:08d}",
            "platform": "x",
            "url": f"https://x.com/u{i}/status/17{i:08d}",
            "text": f"mention number {i} about the brand",
            "author": {"handle": f"u{i}", "followers": i * 7},
            "published_at": "2026-11-24T10:00:05Z",
            "brand": "brand",
        }
        for i in range(unique)
    ]
    return items + items[: BATCH - unique]


class RequestCounter:
    def __init__(self, client: Any) -> None:
        self.count = 0
        client.meta.events.register("before-send.dynamodb", self)

    def __call__(self, **kwargs: Any) -> None:
        self.count += 1


def run() -> list[Figure]:
    in_process_environment()
    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib import aws
        from chalicelib.settings import get_settings
        from infra.local.bootstrap import create_resources
        from tests.support import SECRET, batch_envelope, signed_headers

        create_resources(get_settings(), parameters={"signing_key": "k", "sources/generic": SECRET})
        client = aws.dynamodb()
        counter = RequestCounter(client)
        body = batch_envelope(_mentions())
        with Client(app.app) as http:
            counter.count = 0
            first = json.loads(http.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).body)
            batch_requests = counter.count
            counter.count = 0
            replay = json.loads(http.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).body)
            replay_requests = counter.count
        assert first["stored"] == int(BATCH * (1 - DUPLICATE_SHARE)) and replay["stored"] == 0, (first, replay)
        # Baseline: what a conditional put per mention costs, on the same client, counted alike.
        client.create_table(
            TableName="baseline",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        counter.count = 0
        for item in _mentions():
            with contextlib.suppress(client.exceptions.ConditionalCheckFailedException):
                client.put_item(
                    TableName="baseline",
                    Item={"k": {"S": item["id"]}, "t": {"S": item["text"]}},
                    ConditionExpression="attribute_not_exists(k)",
                )
        baseline = counter.count / BATCH
    per_batch = batch_requests / BATCH
    per_replay = replay_requests / BATCH
    return [
        Figure(
            "ddb_requests_per_mention_batch500",
            round(per_batch, 4),
            "req",
            round(baseline, 4),
            round(per_batch / baseline, 4),
            "<= 0.06",
            f"{batch_requests} requests for {BATCH} mentions (10% duplicates): BatchGet, BatchWrite, counters",
        ),
        Figure(
            "ddb_requests_per_mention_replay",
            round(per_replay, 4),
            "req",
            round(baseline, 4),
            round(per_replay / baseline, 4),
            "<= 0.015",
            f"{replay_requests} requests: the BatchGets alone",
        ),
    ]
