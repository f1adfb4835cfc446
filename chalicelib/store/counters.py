"""Per-minute counters, updated once per (minute bucket, batch): the spike detector's input."""

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
_UNSAFE = re.compile(r"[^a-z0-9_.-]+")


def bucket_for(at: datetime) -> str:
    return "m|" + at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _label(value: str) -> str:
    return _UNSAFE.sub("-", value.lower())[:64] or "none"


def tally(mentions: Iterable[Mention]) -> dict[str, Counter[str]]:
    """Bucket -> dimension -> count, for the mentions a batch newly stored."""
    buckets: dict[str, Counter[str]] = {}
    for m in mentions:
        counts = buckets.setdefault(bucket_for(m.published_at), Counter())
        counts["n"] += 1
        counts[f"n|source|{_label(m.source)}"] += 1
        if m.brand:
            counts[f"n|brand|{_label(m.brand)}"] += 1
        if m.platform:
            counts[f"n|platform|{_label(m.platform)}"] += 1
    return buckets


def add_counts(mentions: Iterable[Mention]) -> int:
    """One UpdateItem per minute bucket; returns the number of requests made."""
    client = aws.dynamodb()
    requests = 0
    for bucket, counts in tally(mentions).items():
        names = {f"#d{i}": dim for i, dim in enumerate(counts)}
        values: dict[str, Any] = {f":v{i}": {"N": str(counts[dim])} for i, dim in enumerate(counts)}
        minute = datetime.strptime(bucket[2:], "%Y-%m-%dT%H:%M").replace(tzinfo=UTC)
        values[":ttl"] = {"N": str(int((minute + RETENTION).timestamp()))}
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
