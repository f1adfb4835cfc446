"""The airline tweets (../shared/data/airline, not copied into the project) as generic-source
mentions, for benchmarks and evaluations run on this machine."""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Any

from bench.harness import ROOT

TWEETS = ROOT.parent / "shared" / "data" / "airline" / "Tweets.csv"


def available() -> bool:
    return TWEETS.exists()


def rows() -> list[dict[str, str]]:
    with TWEETS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def as_mention(row: dict[str, str]) -> dict[str, Any]:
    created = datetime.strptime(row["tweet_created"], "%Y-%m-%d %H:%M:%S %z")
    return {
        "id": row["tweet_id"],
        "platform": "x",
        "text": row["text"],
        "author": {"handle": row["name"]},
        "published_at": created.isoformat(),
        "brand": row["airline"],
        "engagement": {"shares": int(row["retweet_count"] or 0)},
    }


def mentions() -> list[dict[str, Any]]:
    return [as_mention(r) for r in rows()]
