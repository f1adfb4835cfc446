"""Spike replay on the airline tweets, ordered by tweet_created: the detector runs every ten
minutes of replayed time on each airline's series and its alarms are scored against the events
the data set's README documents, and against American's collection start (an artifact)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench import airline
from bench.harness import Figure

STEP = timedelta(minutes=10)
REARM = timedelta(hours=6)


@dataclass(frozen=True)
class Event:
    name: str
    airline: str
    kinds: tuple[str, ...]
    start: datetime
    end: datetime


def _utc(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S %z").astimezone(UTC)


# Windows from the README's account of the data (the "Delta" rows are tweets to JetBlue).
EVENTS = (
    Event(
        "US Airways cancellation surge",
        "US Airways",
        ("volume", "negativity"),
        datetime(2015, 2, 22, 12, tzinfo=UTC),
        datetime(2015, 2, 23, 12, tzinfo=UTC),
    ),
    Event(
        "American cancellation surge",
        "American",
        ("volume", "negativity"),
        datetime(2015, 2, 22, 19, 58, tzinfo=UTC),
        datetime(2015, 2, 23, 12, tzinfo=UTC),
    ),
    Event(
        "JetBlue 'on fleek' gaffe",
        "Delta",
        ("volume",),
        datetime(2015, 2, 23, 18, 15, 31, tzinfo=UTC),
        datetime(2015, 2, 24, 0, tzinfo=UTC),
    ),
    Event(
        "Southwest negative run",
        "Southwest",
        ("negativity",),
        datetime(2015, 2, 21, 15, tzinfo=UTC),
        datetime(2015, 2, 22, 6, tzinfo=UTC),
    ),
)
COLLECTION_START = ("American", datetime(2015, 2, 22, 19, 58, tzinfo=UTC), datetime(2015, 2, 23, 1, 58, tzinfo=UTC))


def run() -> list[Figure]:
    if not airline.available():
        return []
    from chalicelib.triage.spikes import Counts, detect

    minutes: dict[str, dict[datetime, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    first_tweet: dict[str, datetime] = {}
    for row in airline.rows():
        at = _utc(row["tweet_created"])
        minute = at.replace(second=0)
        cell = minutes[row["airline"]][minute]
        cell[0] += 1
        cell[1] += row["airline_sentiment"] == "negative"
        first_tweet[row["airline"]] = min(first_tweet.get(row["airline"], at), at)
    begin = min(first_tweet.values()).replace(minute=0, second=0)
    end = max(max(s) for s in minutes.values()) + STEP
    alarms = []
    last: dict[tuple[str, str], datetime] = {}
    for name, series_cells in minutes.items():
        series = {m: Counts(c[0], c[1]) for m, c in series_cells.items()}
        now = begin
        while now <= end:
            visible = {m: c for m, c in series.items() if m < now}
            for alarm in detect(visible, key=name, now=now):
                previous = last.get((name, alarm.kind))
                if previous is None or now - previous >= REARM:
                    alarms.append(alarm)
                last[(name, alarm.kind)] = now
            now += STEP
    caught, delays, lines = 0, [], []
    used = set()
    for event in EVENTS:
        hits = [
            a for a in alarms if a.key == event.airline and a.kind in event.kinds and event.start <= a.at <= event.end
        ]
        if hits:
            caught += 1
            first = min(hits, key=lambda a: a.at)
            used.update(id(a) for a in hits)
            delay = (first.at - event.start).total_seconds() / 60
            delays.append(delay)
            lines.append(f"{event.name}: caught after {delay:.0f} min ({first.kind}: {first.explanation})")
        else:
            lines.append(f"{event.name}: missed")
    artifact = [
        a for a in alarms if a.key == COLLECTION_START[0] and COLLECTION_START[1] <= a.at <= COLLECTION_START[2]
    ]
    false_alarms = [a for a in alarms if id(a) not in used and a not in artifact]
    note = (
        "; ".join(lines)
        + f"; {len(false_alarms)} other alarms: "
        + "; ".join(f"{a.key} {a.at:%m-%d %H:%M} {a.kind}" for a in false_alarms[:12])
    )
    return [
        Figure("spike_events_caught", caught, "events", len(EVENTS), caught / len(EVENTS), ">= 1.0", note),
        Figure(
            "spike_artifact_alarms",
            len(artifact),
            "alarms",
            0.0,
            float(len(artifact)),
            "<= 0.0",
            "alarms on American's collection start (Feb 22 19:58 UTC and the six hours after)",
        ),
    ]
