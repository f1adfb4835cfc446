"""The airline tweets (`$SHAREDWATCH_DATA_DIR/airline`, by default ../shared/data/airline; never
copied into the project) as generic-source mentions, for benchmarks and evaluations."""

from __future__ import annotations

import csv
import sys
from datetime import datetime
from typing import Any

from bench.harness import DATA_DIR, SHORT

TWEETS = DATA_DIR / "airline" / "Tweets.csv"
# The short run's slice: 1,000 tweets of three airlines where the file repeats 146 of them, so
# that deduplication is exercised there too.
SHORT_ROWS = slice(11_500, 12_500)
_told = False


def available() -> bool:
    """Whether the tweets are there; when not, say once where they were looked for."""
    global _told
    if not TWEETS.exists() and not _told:
        _told = True
        print(
            f"airline tweets not found at {TWEETS}: figures that need them are skipped "
            "(set SHAREDWATCH_DATA_DIR to the folder that holds airline/Tweets.csv)",
            file=sys.stderr,
        )
    return TWEETS.exists()


def rows() -> list[dict[str, str]]:
    """Every tweet, in the file's order; the short run's slice of them in the short run."""
    with TWEETS.open(newline="", encoding="utf-8") as handle:
        every = list(csv.DictReader(handle))
    return every[SHORT_ROWS] if SHORT else every


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
