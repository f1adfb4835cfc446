"""Mention counters, updated once per (time bucket, batch): the spike detector's input.

Recent mentions (published within two hours of arrival) count in minute buckets, which is what
a live detector compares; older ones (backfills, replays, redeliveries) count in hour buckets,
which is all a time-of-day baseline needs, and keeps a historical batch to a few writes instead
of one per minute it spans. A brand's mentions counted late are counted again as replayed
(`n|brand|<brand>|replayed`): a brand newly watched whose source backfilled its past has a
usual from its first minute, and its alarms say what that usual rests on. A timestamp from
the future counts at its arrival. Mentions older than the counters' retention are not counted
at all: TTL would delete the count at once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.records import Mention
from chalicelib.store.batch import batch_get
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


def series_label(value: str) -> str:
    """A source's, brand's or department's name as its series key spells it (the wall scopes
    its alarms by the same spelling)."""
    return _UNSAFE.sub("-", value.lower())[:64] or "none"


def _dimensions(m: Mention) -> Iterable[str]:
    yield "n"
    yield f"n|source|{series_label(m.source)}"
    if m.brand:
        yield f"n|brand|{series_label(m.brand)}"
        if m.sentiment_label == "negative":
            yield f"n|brand|{series_label(m.brand)}|negative"
    if m.platform:
        yield f"n|platform|{series_label(m.platform)}"
    if m.sentiment_label:
        yield f"n|sentiment|{m.sentiment_label}"
        for department in m.departments:
            yield f"n|dept|{series_label(department)}"
            yield f"n|dept|{series_label(department)}|{m.sentiment_label}"


def tally(mentions: Iterable[Mention]) -> dict[str, Counter[str]]:
    """Bucket -> dimension -> count, for the mentions a batch newly stored. A recent mention counts
    in its minute bucket and in its hour's bucket (the detector's history is read by the hour)."""
    buckets: dict[str, Counter[str]] = {}
    for m in mentions:
        if m.received_at - m.published_at > RETENTION or m.drill:
            continue  # a drill's storm is never a real baseline
        bucket = bucket_for(m.published_at, received_at=m.received_at)
        for key in (bucket, "h|" + bucket[2:15]) if bucket.startswith("m|") else (bucket,):
            counts = buckets.setdefault(key, Counter())
            for dimension in _dimensions(m):
                counts[dimension] += 1
        if bucket.startswith("h|") and m.brand:
            buckets[bucket][f"n|brand|{series_label(m.brand)}|replayed"] += 1
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


def read_buckets(buckets: Iterable[str]) -> dict[str, dict[str, int]]:
    """Bucket -> dimension -> count."""
    items = batch_get(CounterModel.Meta.table_name, "bucket", list(dict.fromkeys(buckets)))
    return {
        bucket: {name: int(value["N"]) for name, value in item.items() if name.startswith("n") and "N" in value}
        for bucket, item in items.items()
    }


Bucket = tuple[datetime, timedelta, int]  # start, width, count


def read_history(now: datetime, *, days: int = 8, recent: timedelta = timedelta(minutes=90)) -> dict[str, list[Bucket]]:
    """Dimension -> its buckets as stored: minutes for the recent past, hours before that, each
    with its width, so the detector knows the resolution of what it reads (triage/spikes.Series
    counts an hour only partly inside a window for that part). Two or three BatchGetItem calls."""
    now = now.astimezone(UTC).replace(second=0, microsecond=0)
    cut = (now - recent).replace(minute=0)
    minutes = [cut + timedelta(minutes=i) for i in range(int((now - cut).total_seconds() // 60) + 1)]
    hours = [cut - timedelta(hours=h) for h in range(1, days * 24 + 1)]
    data = read_buckets([bucket_for(m) for m in minutes] + ["h|" + h.strftime("%Y-%m-%dT%H") for h in hours])
    history: dict[str, list[Bucket]] = {}
    for at, width, bucket in [
        *((m, timedelta(minutes=1), bucket_for(m)) for m in minutes),
        *((h, timedelta(hours=1), "h|" + h.strftime("%Y-%m-%dT%H")) for h in hours),
    ]:
        for dimension, count in data.get(bucket, {}).items():
            history.setdefault(dimension, []).append((at, width, count))
    return history


def take_allowance(client_key: str, *, limit: int, window_minutes: int, now: datetime) -> bool:
    """One request from a client's allowance for the current window: False once it is spent.
    A single conditional UpdateItem; the item expires with the window."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0)
    start -= timedelta(minutes=start.minute % window_minutes)
    try:
        aws.dynamodb().update_item(
            TableName=CounterModel.Meta.table_name,
            Key={"bucket": {"S": f"rl|{client_key}|{start:%Y-%m-%dT%H:%M}"}},
            UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :ttl)",
            ConditionExpression="attribute_not_exists(n) OR n < :limit",
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":limit": {"N": str(limit)},
                ":ttl": {"N": str(int((start + timedelta(minutes=window_minutes * 2)).timestamp()))},
            },
        )
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
