"""Spike replay through the production path. Each stream is replayed in time order: every
minute's mentions are triaged and counted exactly as the router counts a batch
(`store.counters.add_counts`: minute buckets, and hour buckets for the history), and every ten
minutes of replayed time the schedule's own reading runs (`flows.alarms.find_alarms`: the
counters as stored, read at the resolution they were written, every series worth watching).
The counters' two DynamoDB requests are answered in memory (bench/counter_store.py; a
functional test holds it equal to moto).

Two development streams: the airline tweets (alarms scored against the four events their
README documents, and against American's collection start, an artifact) and the Sanders brand
tweets (no documented event: every alarm is false; each brand's collection starts abruptly)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import airline
from bench.counter_store import CounterStore
from bench.harness import DATA_DIR, Figure, sliced

STEP = timedelta(minutes=10)
REARM = timedelta(hours=6)  # one alarm per series and kind in six hours is one alarm
SANDERS = DATA_DIR / "sanders" / "full-corpus.csv"
NEEDS = (airline.TWEETS, SANDERS)


@dataclass(frozen=True)
class Event:
    name: str
    series: str
    kinds: tuple[str, ...]
    start: datetime
    end: datetime


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)


# Windows from the README's account of the data (the "Delta" rows are tweets to JetBlue).
EVENTS = (
    Event(
        "US Airways cancellation surge",
        "brand us-airways",
        ("volume", "negativity"),
        datetime(2015, 2, 22, 12, tzinfo=UTC),
        datetime(2015, 2, 23, 12, tzinfo=UTC),
    ),
    Event(
        "American cancellation surge",
        "brand american",
        ("volume", "negativity"),
        datetime(2015, 2, 22, 19, 58, tzinfo=UTC),
        datetime(2015, 2, 23, 12, tzinfo=UTC),
    ),
    Event(
        "JetBlue 'on fleek' gaffe",
        "brand delta",
        ("volume",),
        datetime(2015, 2, 23, 18, 15, 31, tzinfo=UTC),
        datetime(2015, 2, 24, 0, tzinfo=UTC),
    ),
    Event(
        "Southwest negative run",
        "brand southwest",
        ("negativity",),
        datetime(2015, 2, 21, 15, tzinfo=UTC),
        datetime(2015, 2, 22, 6, tzinfo=UTC),
    ),
)
COLLECTION_START = (
    "brand american",
    datetime(2015, 2, 22, 19, 58, tzinfo=UTC),
    datetime(2015, 2, 23, 1, 58, tzinfo=UTC),
)


@dataclass(frozen=True)
class Replay:
    alarms: list[Any]  # triage.spikes.Alarm, deduplicated per series and kind within REARM
    series: int  # how many series the detector watched
    days: float


def replay(stream: Sequence[tuple[datetime, str, str]], *, store: Any = None, step: timedelta = STEP) -> Replay:
    """(published at, brand, text) in any order, through counting and detection as in
    production. `store` answers the DynamoDB requests (the in-memory counter store by default;
    a moto client gives the same alarms, forty times slower)."""
    from chalicelib import aws
    from chalicelib.flows.alarms import _series_keys, find_alarms
    from chalicelib.records import Author, Mention
    from chalicelib.store.counters import add_counts, read_history
    from chalicelib.triage import triage_mention
    from chalicelib.triage.taxonomy import default_taxonomy

    original = aws.dynamodb
    aws.dynamodb = lambda: store or CounterStore()  # type: ignore[assignment]
    client = aws.dynamodb()
    aws.dynamodb = lambda: client  # type: ignore[assignment]
    try:
        taxonomy = default_taxonomy()
        by_minute: dict[datetime, list[Mention]] = defaultdict(list)
        for n, (at, brand, text) in enumerate(sorted(stream)):
            minute = at.replace(second=0, microsecond=0)
            mention = Mention(
                mention_id=f"r{n}",
                identity=f"replay:{n}",
                source="replay",
                platform="x",
                external_id=str(n),
                url="",
                text=text,
                author=Author(),
                published_at=at,
                received_at=at + timedelta(seconds=20),  # a live stream: seconds behind
                brand=brand,
            )
            by_minute[minute].append(triage_mention(mention, taxonomy=taxonomy))
        minutes = sorted(by_minute)
        begin, end = minutes[0].replace(minute=0), minutes[-1] + step
        alarms: list[Any] = []
        last: dict[tuple[str, str], datetime] = {}
        pending = iter(minutes)
        upcoming = next(pending, None)
        now = begin + step
        while now <= end:
            while upcoming is not None and upcoming < now:
                add_counts(by_minute[upcoming])  # one batch per minute, as the router counts one
                upcoming = next(pending, None)
            for alarm in find_alarms(now=now, planned=()):
                previous = last.get((alarm.key, alarm.kind))
                if previous is None or now - previous >= REARM:
                    alarms.append(alarm)
                last[(alarm.key, alarm.kind)] = now
            now += step
        watched = len(_series_keys(set(read_history(end, days=30))))
        return Replay(alarms, watched, (end - begin).total_seconds() / 86400)
    finally:
        aws.dynamodb = original  # type: ignore[method-assign]


def _airline() -> list[Figure]:
    stream = [(_utc(r["tweet_created"]), r["airline"], r["text"]) for r in airline.rows()]
    result = replay(stream)
    caught, lines, used = 0, [], set()
    for event in EVENTS:
        hits = [
            a
            for a in result.alarms
            if a.key == event.series and a.kind in event.kinds and event.start <= a.at <= event.end
        ]
        if hits:
            caught += 1
            first = min(hits, key=lambda a: a.at)
            used.update(id(a) for a in hits)
            lines.append(
                f"{event.name}: caught after {(first.at - event.start).total_seconds() / 60:.0f} min "
                f"({first.kind}: {first.explanation})"
            )
        else:
            lines.append(f"{event.name}: missed")
    series, since, until = COLLECTION_START
    artifact = [a for a in result.alarms if a.key == series and since <= a.at <= until]
    # The same event seen in a series that holds the brand's mentions (all mentions, a
    # department) during its window is that event again, not a false alarm.
    echoes = [
        a
        for a in result.alarms
        if not a.key.startswith("brand ") and any(e.start <= a.at <= e.end for e in EVENTS) and a not in artifact
    ]
    used.update(id(a) for a in echoes)
    false = [a for a in result.alarms if id(a) not in used and a not in artifact]
    rate = len(false) / result.series / (result.days / 7)
    listed = "; ".join(f"{a.key} {a.at:%m-%d %H:%M} {a.kind}" for a in false[:15])
    return [
        Figure("spike_events_caught", caught, "events", len(EVENTS), caught / len(EVENTS), ">= 1.0", "; ".join(lines)),
        Figure(
            "spike_artifact_alarms",
            len(artifact),
            "alarms",
            0.0,
            float(len(artifact)),
            "<= 0.0",
            "alarms on American's collection start (Feb 22 19:58 UTC and the six hours after)",
        ),
        Figure(
            "spike_false_alarms_per_series_week",
            round(rate, 3),
            "/sw",
            1.0,
            rate,
            "<= 1.0",
            f"airline: {len(false)} alarms outside the documented events ({len(echoes)} more in aggregate or "
            f"department series during an event, not counted) over {result.series} series and "
            f"{result.days:.1f} days: {listed}",
        ),
    ]


def _sanders_stream() -> Iterable[tuple[datetime, str, str]]:
    with SANDERS.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            at = datetime.strptime(row["TweetDate"], "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
            yield at, row["Topic"], row["TweetText"]


def _sanders() -> list[Figure]:
    if not SANDERS.exists():
        return []
    result = replay(sliced(list(_sanders_stream()), 1_000))
    rate = len(result.alarms) / result.series / (result.days / 7)
    listed = "; ".join(f"{a.key} {a.at:%m-%d %H:%M} {a.kind}" for a in result.alarms[:15])
    return [
        Figure(
            "spike_sanders_false_alarms_per_series_week",
            round(rate, 3),
            "/sw",
            1.0,
            rate,
            "<= 1.0",
            f"Sanders (four brands, each collection starting abruptly; no documented event): "
            f"{len(result.alarms)} alarms over {result.series} series and {result.days:.1f} days: {listed or 'none'}",
        )
    ]


def run() -> list[Figure]:
    figures = _airline() if airline.available() else []
    return figures + _sanders()
