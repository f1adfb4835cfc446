"""Mention counters, updated once per (time bucket, batch): the spike detector's input.

Recent mentions (published within two hours of arrival) count in minute buckets, which is what
a live detector compares; older ones (backfills, replays, redeliveries) count in hour buckets,
which is all a time-of-day baseline needs, and keeps a historical batch to a few writes instead
of one per minute it spans. A timestamp from the future counts at its arrival. Mentions older
than the counters' retention are not counted at all: TTL would delete the count at once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.records import Mention
from chalicelib.store.models import CounterModel

RETENTION = timedelta(days=90)  # hour-of-week baselines want several weeks of history
RECENT = timedelta(hours=2)
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


def bucket_for(at: datetime, *, received_at: datetime | None = None) -> str:
    """ "m|2026-11-24T10:01" for recent mentions, "h|2015-02-24T19" for older ones."""
    when = min(at, received_at) if received_at else at
    if received_at and received_at - when > RECENT:
        return "h|" + when.astimezone(UTC).strftime("%Y-%m-%dT%H")
    return "m|" + when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def bucket_start(bucket: str) -> datetime:
    kind, _, stamp = bucket.partition("|")
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M" if kind == "m" else "%Y-%m-%dT%H").replace(tzinfo=UTC)


def _label(value: str) -> str:
    return _UNSAFE.sub("-", value.lower())[:64] or "none"


def tally(mentions: Iterable[Mention]) -> dict[str, Counter[str]]:
    """Bucket -> dimension -> count, for the mentions a batch newly stored."""
    buckets: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.received_at - m.published_at > RETENTION:
            continue
        counts = buckets.setdefault(bucket_for(m.published_at, received_at=m.received_at), Counter())
        counts["n"] += 1
        counts[f"n|source|{_label(m.source)}"] += 1
        if m.brand:
            counts[f"n|brand|{_label(m.brand)}"] += 1
        if m.platform:
            counts[f"n|platform|{_label(m.platform)}"] += 1
        if m.sentiment_label:
            counts[f"n|sentiment|{m.sentiment_label}"] += 1
            for department in m.departments:
                counts[f"n|dept|{_label(department)}"] += 1
                counts[f"n|dept|{_label(department)}|{m.sentiment_label}"] += 1
    return buckets


def add_counts(mentions: Iterable[Mention]) -> int:
    """One UpdateItem per minute bucket; returns the number of requests made."""
    client = aws.dynamodb()
    requests = 0
    for bucket, counts in tally(mentions).items():
        names = {f"#d{i}": dim for i, dim in enumerate(counts)}
        values: dict[str, Any] = {f":v{i}": {"N": str(counts[dim])} for i, dim in enumerate(counts)}
        values[":ttl"] = {"N": str(int((bucket_start(bucket) + RETENTION).timestamp()))}
        client.update_item(
            TableName=CounterModel.Meta.table_name,
            Key={"bucket": {"S": bucket}},
            UpdateExpression="ADD "
            + ", ".join(f"#d{i} :v{i}" for i in range(len(counts)))
            + " SET expires_at = if_not_exists(expires_at, :ttl)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
        requests += 1
    return requests
