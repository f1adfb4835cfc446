"""What a wall poll costs, with 100,000 mentions stored and folded into the wall.

Requests are counted at botocore on every client while `GET /api/wall` runs.
- ddb_requests_per_wall_poll: a poll after something changed (the snapshot read).
- ddb_requests_per_unchanged_poll: ten screens polling every 5 s for a minute with their ETags
  while nothing changes (simulated clock): 304s, sharing one read per 2 s window.
Baseline: what the same poll would cost without a kept snapshot, reading the newest 50 mentions
straight from the mentions table (a Scan: the table has no time index), counted alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import Figure, in_process_environment, scaled

STORED = scaled(100_000, 600)
SCREENS = 10
POLL_SECONDS = 5


def _mentions(now: datetime) -> list[Any]:
    from chalicelib.records import Author, Mention

    return [
        Mention(
            mention_id=f"m{i:07d}",
            identity=f"x:{i}",
            source="generic",
            platform="x",
            external_id=str(i),
            url=f"https://x.com/u{i % 5000}/status/{i}",
            text=f"mention {i}: the flight was {'great' if i % 3 else 'late again'} today",
            author=Author(handle=f"u{i % 5000}", followers=i % 9000),
            published_at=now - timedelta(seconds=STORED - i),
            received_at=now - timedelta(seconds=STORED - i),
            sentiment_label="positive" if i % 3 else "negative",
            sentiment_score=0.6 if i % 3 else -0.5,
            departments=("inflight",) if i % 2 else ("operations",),
            severity="low",
        )
        for i in range(STORED)
    ]


def run() -> list[Figure]:
    in_process_environment()
    from moto import mock_aws

    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib import aws
        from chalicelib.api import wall as wall_api
        from chalicelib.settings import get_settings
        from chalicelib.store import wall
        from chalicelib.store.batch import batch_put
        from chalicelib.store.mapping import mention_item
        from chalicelib.store.models import MentionModel
        from infra.local.bootstrap import create_resources

        create_resources(get_settings(), parameters={"signing_key": "k", "display_token": "screen"})
        now = datetime.now(UTC)
        mentions = _mentions(now)
        batch_put(MentionModel.Meta.table_name, [mention_item(m) for m in mentions])
        for i in range(0, STORED, 1000):
            wall.update(batch=[wall.Seen(m) for m in mentions[i : i + 1000]], now=now)

        client = aws.dynamodb()
        counted = {"n": 0}
        client.meta.events.register("before-send.dynamodb", lambda **_: counted.__setitem__("n", counted["n"] + 1))
        clock = {"t": 1000.0}
        wall_api.time.monotonic = lambda: clock["t"]  # type: ignore[attr-defined]
        headers = {"authorization": "Bearer screen"}
        with Client(app.app) as http:
            wall_api.clear_cache()
            counted["n"] = 0
            first = http.http.get("/api/wall", headers=headers)
            changed = counted["n"]
            assert first.status_code == 200 and len(first.json_body["stream"]) == 50, first.status_code
            etag = first.headers["ETag"]
            counted["n"] = 0
            polls = not_modified = 0
            for second in range(0, 60, POLL_SECONDS):
                for screen in range(SCREENS):
                    clock["t"] = 1000.0 + second + screen * POLL_SECONDS / SCREENS  # screens out of step
                    answer = http.http.get("/api/wall", headers={**headers, "if-none-match": etag})
                    polls += 1
                    not_modified += answer.status_code == 304
            unchanged = counted["n"] / polls
            assert not_modified == polls
        # Baseline: the newest 50 mentions read from the table itself, every poll.
        counted["n"] = 0
        newest: list[tuple[str, str]] = []
        for page in client.get_paginator("scan").paginate(
            TableName=MentionModel.Meta.table_name,
            ProjectionExpression="mention_id, received_at",
        ):
            newest = sorted(newest + [(i["received_at"]["S"], i["mention_id"]["S"]) for i in page["Items"]])[-50:]
        baseline = counted["n"]
    return [
        Figure(
            "ddb_requests_per_wall_poll",
            float(changed),
            "req",
            float(baseline),
            round(changed / baseline, 4),
            "value <= 1",
            f"one GetItem of the kept snapshot, {STORED:,} mentions stored; a Scan for the newest 50: {baseline}",
        ),
        Figure(
            "ddb_requests_per_unchanged_poll",
            round(unchanged, 4),
            "req",
            float(baseline),
            round(unchanged / baseline, 5),
            "value <= 0.5",
            f"{polls} polls by {SCREENS} screens every {POLL_SECONDS} s for a minute, all 304; "
            f"screens in one process share a read for {wall_api.SHARED_SECONDS:g} s",
        ),
    ]
