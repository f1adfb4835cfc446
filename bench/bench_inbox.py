"""What the inbox costs, with 100,000 mentions stored over a week (in-process moto; requests are
counted at botocore while each page is served).

- ddb_requests_per_inbox_page: the newest 50, unfiltered, against a Scan for the same 50.
- ddb_requests_per_filtered_page: negative baggage complaints in the last day, the same.
- ddb_requests_per_search_page: a word search (`q=refund`) over the last day, the same.
- ddb_requests_per_incident_page: an incident's page (the incident and what was sent for it).
- inbox_page_time_ratio: server time for an inbox page over `GET /health`'s, medians interleaved.
- search_growth_ratio: the same day-long search with 10,000 and with 100,000 stored over the
  same week (10x the mentions in the window), in index rows read: the cost follows the
  mentions inside the searched window, not the size of the store.
- search_rows_older_store: 10,000 in the searched week plus 90,000 older: rows read, against 10,000 alone."""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import Figure, in_process_environment, scaled

STORED = scaled(100_000, 1_000)
IN_WEEK, OLDER = scaled(10_000, 200), scaled(90_000, 1_800)  # the growth figures' stores
TIMED = scaled(15, 3)  # pages timed, interleaved with GET /health, and direct Queries
WEEK = 7 * 24 * 3600
WORDS = ("late", "refund", "bag", "crew", "seat", "wifi", "meal", "gate", "delay", "app")


def _mentions(now: datetime, count: int, *, span: float, offset: float = 0.0) -> list[Any]:
    from chalicelib.records import Author, Mention

    out = []
    for i in range(count):
        at = now - timedelta(seconds=offset + span * (count - i) / count)
        word = WORDS[i % len(WORDS)]
        negative = i % 3 == 0
        out.append(
            Mention(
                mention_id=f"m{int(offset)}-{i:07d}",
                identity=f"x:{offset}:{i}",
                source="generic",
                platform="x",
                external_id=str(i),
                url=f"https://x.com/u{i % 5000}/status/{i}",
                text=f"mention {i}: the {word} was {'terrible again' if negative else 'fine'} today",
                author=Author(handle=f"u{i % 5000}", followers=i % 9000),
                published_at=at,
                received_at=at,
                sentiment_label="negative" if negative else "positive",
                sentiment_score=-0.5 if negative else 0.6,
                departments=("baggage",) if word == "bag" else ("inflight",),
                severity="low",
            )
        )
    return out


def _counter() -> dict[str, int]:
    """DynamoDB requests from every client (boto3's and PynamoDB's own)."""
    from botocore.client import BaseClient

    counted = {"n": 0}
    original = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            counted["n"] += 1
        return original(self, operation, params)

    BaseClient._make_api_call = counting  # type: ignore[method-assign]
    return counted


def _scan_for(client: Any, table: str, wanted: int, condition: Any) -> int:
    """Requests a Scan takes to find `wanted` matches (the table has no other order to read in)."""
    found = requests = 0
    for page in client.get_paginator("scan").paginate(TableName=table):
        requests += 1
        found += sum(1 for item in page["Items"] if condition(item))
        if found >= wanted:
            break
    return requests


def _rows_read(now: datetime) -> int:
    """Index rows (ScannedCount) a day-long word search reads, every page of it."""
    from chalicelib.policy.search import parse_search
    from chalicelib.store.search import search_mentions

    search = parse_search({"q": "refund", "since": (now - timedelta(days=1)).isoformat(), "limit": "100"}, now=now)
    page = search_mentions(search)
    scanned = page.scanned
    while page.cursor:
        page = search_mentions(search, cursor=page.cursor)
        scanned += page.scanned
    return scanned


def _growth(now: datetime) -> tuple[int, int]:
    """Rows read with 10,000 stored in the week, then with 90,000 older ones added."""
    from moto import mock_aws

    with mock_aws():
        from chalicelib import aws
        from chalicelib.settings import get_settings
        from chalicelib.store.batch import batch_put
        from chalicelib.store.mapping import mention_item
        from chalicelib.store.models import MentionModel
        from infra.local.bootstrap import create_resources

        aws.reset_clients()
        create_resources(get_settings(), parameters={"signing_key": "k"})
        batch_put(MentionModel.Meta.table_name, [mention_item(m) for m in _mentions(now, IN_WEEK, span=WEEK)])
        small = _rows_read(now)
        older = _mentions(now, OLDER, span=4 * WEEK, offset=WEEK + 3600)
        batch_put(MentionModel.Meta.table_name, [mention_item(m) for m in older])
        with_older = _rows_read(now)
        aws.reset_clients()
        return small, with_older


def run() -> list[Figure]:
    in_process_environment()
    from moto import mock_aws

    now = datetime.now(UTC)
    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib import aws
        from chalicelib.settings import get_settings
        from chalicelib.store.batch import batch_put
        from chalicelib.store.mapping import mention_item
        from chalicelib.store.models import DeliveryModel, IncidentModel, MentionModel
        from infra.local.bootstrap import create_resources

        create_resources(get_settings(), parameters={"signing_key": "k", "admin_token": "admin"})
        batch_put(MentionModel.Meta.table_name, [mention_item(m) for m in _mentions(now, STORED, span=WEEK)])
        IncidentModel(incident_id="i" + "a" * 15, cluster_id="c1", title="t", opened_at=now, severity="high").save()
        for n in range(5):
            DeliveryModel(
                delivery_id=f"d{n}",
                item_kind="incident",
                item_id="i" + "a" * 15,
                group=f"g{n}",
                topic_arn="t",
                subject="s",
                message="",
                status="sent",
                attempts=1,
                claimed_at=now,
            ).save()
        client = aws.dynamodb()
        counted = _counter()
        headers = {"authorization": "Bearer admin"}
        day = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
        pages = {
            "inbox": "/api/mentions?limit=50",
            "filtered": f"/api/mentions?limit=50&since={day}&sentiment=negative&department=baggage",
            "search": f"/api/mentions?limit=50&since={day}&q=refund",
            "incident": "/api/incidents/i" + "a" * 15,
        }
        requests: dict[str, int] = {}
        times: dict[str, list[float]] = {"inbox": [], "health": []}
        with Client(app.app) as http:
            for name, path in pages.items():
                counted["n"] = 0
                answer = http.http.get(path, headers=headers)
                assert answer.status_code == 200, (path, answer.body[:300])
                requests[name] = counted["n"]
            for _ in range(TIMED):
                for name, path in (("inbox", pages["inbox"]), ("health", "/health")):
                    started = time.perf_counter()
                    http.http.get(path, headers=headers)
                    times[name].append(time.perf_counter() - started)
        # Without the index, "newest first" (filtered or not) means reading the whole table.
        counted["n"] = 0
        for _ in client.get_paginator("scan").paginate(TableName=MentionModel.Meta.table_name):
            pass
        scan = counted["n"]
        large = _rows_read(now)
        # The storage floor for a page: the same Query straight to DynamoDB (moto reads a whole day
        # partition per Query; DynamoDB reads the page), against the page served by the app.
        floor = []
        day_key = now.isoformat()[:10]
        for _ in range(TIMED):
            started = time.perf_counter()
            client.query(
                TableName=MentionModel.Meta.table_name,
                IndexName="inbox",
                ScanIndexForward=False,
                Limit=50,
                KeyConditionExpression="inbox_day = :d",
                ExpressionAttributeValues={":d": {"S": day_key}},
            )
            floor.append(time.perf_counter() - started)
    inbox_ms, health_ms = statistics.median(times["inbox"]) * 1000, statistics.median(times["health"]) * 1000
    floor_ms = statistics.median(floor) * 1000
    small, with_older = _growth(now)
    note = f"{STORED:,} stored over a week"
    return [
        Figure(
            "ddb_requests_per_inbox_page",
            requests["inbox"],
            "req",
            scan,
            round(requests["inbox"] / scan, 4),
            "<= 0.1",
            f"the newest 50; without the index, newest first is a Scan of all: {note}",
        ),
        Figure(
            "ddb_requests_per_filtered_page",
            requests["filtered"],
            "req",
            scan,
            round(requests["filtered"] / scan, 4),
            "<= 0.1",
            "negative baggage over the last day: a Query per day and per MB of index rows",
        ),
        Figure(
            "ddb_requests_per_search_page",
            requests["search"],
            "req",
            scan,
            round(requests["search"] / scan, 4),
            "<= 0.1",
            "q=refund over the last day",
        ),
        Figure(
            "ddb_requests_per_incident_page",
            requests["incident"],
            "req",
            scan,
            round(requests["incident"] / scan, 4),
            "value <= 3",
            "GET /api/incidents/{id}: the incident, read once",
        ),
        Figure(
            "inbox_page_time_ratio",
            round(inbox_ms, 2),
            "ms",
            round(floor_ms, 2),
            round(inbox_ms / floor_ms, 3),
            "<= 1.5",
            f"a page of 50 served by the app against the same Query made directly (GET /health: {health_ms:.1f} ms; "
            "moto reads a whole day partition per Query where DynamoDB reads the page)",
        ),
        Figure(
            "search_growth_ratio",
            float(large),
            "row",
            float(small),
            round(large / small, 3),
            "<= 12",
            f"index rows a day-long search reads: {STORED:,} vs {IN_WEEK:,} in the same week "
            f"({STORED // IN_WEEK}x the window's mentions)",
        ),
        Figure(
            "search_rows_older_store",
            float(with_older),
            "row",
            float(small),
            round(with_older / small, 3),
            "<= 1.05",
            f"{IN_WEEK:,} in the week plus {OLDER:,} older, against the {IN_WEEK:,} alone: older data costs nothing",
        ),
    ]
