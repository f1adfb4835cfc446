"""The router's cost per stream record, on a burst: 500 real airline tweets (distinct stories)
and a 200-copy campaign of one complaint (one story, an incident), delivered through the
webhook and routed from the DynamoDB Stream by the app's own handler, in batches of 100.

Requests are counted at botocore (every client: the app's, PynamoDB's) while the handler runs.
moto's transactions keep only the items they touch, as the local stack's do
(`infra/local/moto_server.py`): plain moto deep-copies every table a transaction touches, once per
item, and the router saves what it told in transactions, so that time would measure moto.

- sns_calls_per_notified_mention: SNS calls / mentions that reached at least one group.
- ddb_requests_per_stream_record: DynamoDB requests / stream records handled.
Baseline (same run, same mentions, same rules): one notification per mention and group, each
claimed, published with Publish and marked sent (the design before bundling and folding)."""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.harness import Figure, in_process_environment, scaled

BURST = scaled(500, 100)
CAMPAIGN = scaled(200, 50)


def _mentions() -> list[dict[str, Any]]:
    from bench import airline

    if airline.available():
        tweets = airline.mentions()[:BURST]
    else:  # a clean clone without ../shared: distinct made-up stories
        tweets = [
            {"id": f"9{i:07d}", "text": f"flight {i} was delayed again at gate {i % 40}", "author": {"handle": f"u{i}"}}
            for i in range(BURST)
        ]
    now = "2026-11-24T10:00:00Z"
    burst = [{**t, "platform": "x", "published_at": now, "author": {**t["author"], "followers": 250}} for t in tweets]
    campaign = [
        {
            "id": f"8{i:07d}",
            "platform": "x",
            "text": f"@brand lost my luggage and nobody answers the phone #brandfail {i}",
            "author": {"handle": f"angry{i}", "followers": 40},
            "published_at": now,
        }
        for i in range(CAMPAIGN)
    ]
    return burst + campaign


class Calls:
    """Counts requests per service while `active`, across every botocore client."""

    def __init__(self) -> None:
        self.active = False
        self.by_service: Counter[str] = Counter()
        self.by_operation: Counter[str] = Counter()

    def install(self) -> None:
        import botocore.client

        original = botocore.client.BaseClient._make_api_call
        calls = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            if calls.active:
                calls.by_service[client.meta.service_model.service_name] += 1
                calls.by_operation[f"{client.meta.service_model.service_name}.{operation}"] += 1
            return original(client, operation, params)

        botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]


def run() -> list[Figure]:
    in_process_environment(SHAREDWATCH_PUBLIC_BASE_URL="https://sharedwatch.example.com")
    from moto import mock_aws

    from infra.local.moto_server import transactions_keep_only_their_items

    transactions_keep_only_their_items()  # see above: moto's cost, not the router's

    calls = Calls()
    calls.install()
    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib.flows import router as dispatch_module
        from chalicelib.records import Mention
        from chalicelib.settings import get_settings
        from infra.local.bootstrap import create_resources
        from infra.local.handlers import app_event_sources
        from infra.local.stream_pump import StreamPump
        from tests.support import SECRET, batch_envelope, signed_headers

        create_resources(get_settings(), parameters={"signing_key": "k", "sources/generic": SECRET})
        items = _mentions()
        records: list[Mention] = []
        original = dispatch_module.dispatch

        routing_seconds = 0.0

        def observed(signals: Any) -> dict[str, int]:
            nonlocal routing_seconds
            batch = list(signals)
            records.extend(s for s in batch if isinstance(s, Mention))
            calls.active = True
            started = time.perf_counter()
            try:
                return original(batch)
            finally:
                routing_seconds += time.perf_counter() - started
                calls.active = False

        from chalicelib.handlers import stream

        stream.dispatch = observed  # type: ignore[assignment]
        with Client(app.app) as http:
            for i in range(0, len(items), 100):
                body = batch_envelope(items[i : i + 100])
                answer = http.http.post("/webhooks/generic", body=body, headers=signed_headers(body))
                assert answer.status_code == 202, answer.body
        dead_letters = Path(tempfile.mkdtemp()) / "dead-letters.jsonl"
        pump = StreamPump(app_event_sources(), region="us-east-1", dead_letters=dead_letters)
        while pump.pump_once():
            pass
        operations = ", ".join(
            f"{k.split('.')[1]} {v}" for k, v in calls.by_operation.most_common() if k.startswith("dynamodb.")
        )
        sns_calls = calls.by_service["sns"]
        ddb_requests = calls.by_service["dynamodb"]
        handled = len(records)
        floor_seconds = _floor(records)
        notified, base_sns, base_ddb = _naive_router(records, calls)
    sns_per = sns_calls / notified
    ddb_per = ddb_requests / handled
    return [
        Figure(
            "router_records_per_second",
            round(handled / routing_seconds, 1),
            "rec/s",
            round(handled / floor_seconds, 1),
            round(routing_seconds / floor_seconds, 3),
            "<= 3.0",
            f"{handled} stream records routed in {routing_seconds:.2f} s ({ddb_requests + sns_calls} requests); "
            f"moto alone reads and writes each record once in {floor_seconds:.2f} s",
        ),
        Figure(
            "sns_calls_per_notified_mention",
            round(sns_per, 4),
            "call",
            round(base_sns / notified, 4),
            round(sns_per / (base_sns / notified), 4),
            "value <= 0.1",
            f"{sns_calls} SNS calls for {notified} notified mentions ({BURST} tweets + a {CAMPAIGN}-copy campaign)",
        ),
        Figure(
            "ddb_requests_per_stream_record",
            round(ddb_per, 4),
            "req",
            round(base_ddb / handled, 4),
            round(ddb_per / (base_ddb / handled), 4),
            "value <= 1",
            f"{ddb_requests} DynamoDB requests for {handled} stream records: {operations}",
        ),
    ]


def _naive_router(records: list[Any], calls: Calls) -> tuple[int, int, int]:
    """Baseline: the same routes, one notification each, claimed, published, marked sent.
    Returns (mentions notified, SNS calls, DynamoDB requests)."""
    from chalicelib.notify.delivery import deliver
    from chalicelib.policy.messages import render
    from chalicelib.policy.rules import route
    from chalicelib.settings import get_settings
    from chalicelib.store.config import load_routing

    config = load_routing()
    routed = [(m, route(m.routing_fields(), config.rules, config.default_groups)) for m in records]
    calls.by_service.clear()
    calls.active = True
    for m, routes in routed:
        for r in routes:
            deliver(_baseline(render(m, r)), topic_arn=get_settings().group_topic_arn(r.group))
    calls.active = False
    return sum(1 for _, routes in routed if routes), calls.by_service["sns"], calls.by_service["dynamodb"]


def _floor(records: list[Any]) -> float:
    """moto alone: touching each record once, the least a router can do (a BatchGetItem of its
    key and a BatchWriteItem of a row for it, in batches of 100 as the stream delivers them)."""
    from chalicelib.aws import dynamodb
    from chalicelib.store.batch import batch_get, batch_put
    from chalicelib.store.mapping import mention_item

    client = dynamodb()
    table = "bench-router-floor"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "mention_id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "mention_id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    started = time.perf_counter()
    for i in range(0, len(records), 100):
        batch = records[i : i + 100]
        batch_get(table, "mention_id", [m.mention_id for m in batch])
        batch_put(table, [mention_item(m) for m in batch])
    return time.perf_counter() - started


def _baseline(n: Any) -> Any:
    from dataclasses import replace

    return replace(n, delivery_id="baseline-" + n.delivery_id)
