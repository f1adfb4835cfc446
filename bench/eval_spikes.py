"""Spike replay through the production path. Each stream is replayed in time order: every
minute's mentions are triaged and counted exactly as the router counts a batch
(`store.counters.add_counts`: minute buckets, and hour buckets for the history), and every ten
minutes of replayed time the schedule's own reading runs (`flows.alarms.find_alarms`: the
counters as stored, read at the resolution they were written, every series worth watching).
The counters' two DynamoDB requests are answered in memory (bench/counter_store.py; a
functional test holds it equal to moto).

Two development streams: the airline tweets (alarms scored against the four events their
README documents, and against American's collection start, an artifact) and the Sanders brand
tweets (no documented event: every alarm is false; each brand's collection starts abruptly).

No blind start: both streams replayed again from their first minute with a burst (five times a
brand's mean hour, in one hour) injected at hour 2, 12 or 30 into one brand collected by then,
a replay for each burst, caught if the brand's volume alarms within its hour and the half hour
after; and the airline stream watched from its fourth day, the three days before replayed by
the source at that minute (counted late, into hour buckets, as production counts a backfill)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bench import airline
from bench.counter_store import CounterStore
from bench.harness import DATA_DIR, Figure, sliced

STEP = timedelta(minutes=10)
MINUTE = timedelta(minutes=1)
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


def replay(
    stream: Sequence[tuple[datetime, str, str]],
    *,
    store: Any = None,
    step: timedelta = STEP,
    rearm: timedelta = REARM,
    watched_from: datetime | None = None,
) -> Replay:
    """(published at, brand, text) in any order, through counting and detection as in
    production. `store` answers the DynamoDB requests (the in-memory counter store by default;
    a moto client gives the same alarms, forty times slower). `rearm`: alarms of a series and
    kind closer than this to its previous one are the same alarm. `watched_from`: watching
    starts then; what was published before arrives at that minute in one batch (a source's
    replay of the past, counted late as production counts it), and nothing is checked before."""
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
            if watched_from is not None and at < watched_from:  # the source's replay, all at once
                mention = replace(mention, received_at=watched_from)
                minute = watched_from - MINUTE
            by_minute[minute].append(triage_mention(mention, taxonomy=taxonomy))
        minutes = sorted(by_minute)
        begin, end = (watched_from or minutes[0]).replace(minute=0), minutes[-1] + step
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
                if previous is None or now - previous >= rearm:
                    alarms.append(alarm)
                last[(alarm.key, alarm.kind)] = now
            now += step
        watched = len(_series_keys(set(read_history(end, days=30))))
        return Replay(alarms, watched, (end - begin).total_seconds() / 86400)
    finally:
        aws.dynamodb = original  # type: ignore[method-assign]


# No blind start: bursts injected into each brand's first two days of a stream replayed from its
# first minute, each burst in a replay of its own (an earlier burst would be part of a later
# one's "so far"); and the same with the stream watched from its fourth day, the three before
# replayed by the source at that minute (a backfill).
BURST_HOURS = (2, 12, 30)
BURST_TIMES = 5  # a burst: five times the brand's usual hour (its mean over the stream), in one hour
CAUGHT_WITHIN = timedelta(minutes=90)  # the burst's hour and the half hour after it
TOO_SMALL = 30  # under 30 an hour a burst never holds 15 in a half hour, the detector's floor at any age
BACKFILLED = timedelta(days=3)


@dataclass(frozen=True)
class Burst:
    brand: str
    hour: int
    at: datetime
    count: int
    alarm: Any  # the first volume alarm on the brand in the burst's hour or the half hour after, or None


def _first_minute(stream: Sequence[tuple[datetime, str, str]]) -> datetime:
    """The stream's first minute, on the replay's ten-minute grid: a burst from there on is seen
    whole by the checks every ten minutes, as it is by the schedule's every minute."""
    first = min(at for at, _, _ in stream)
    return first.replace(minute=first.minute - first.minute % 10, second=0, microsecond=0)


def _usual_hour(stream: Sequence[tuple[datetime, str, str]], brand: str) -> float:
    times = [at for at, b, _ in stream if b == brand]
    return len(times) / max((max(times) - min(times)).total_seconds() / 3600, 1.0)


def _burst(stream: Sequence[tuple[datetime, str, str]], *, brand: str, at: datetime, count: int) -> list[Any]:
    """`count` mentions of `brand` spread over the hour from `at`, their texts the brand's own
    (taken evenly from its stream: as negative as it usually is; a burst of volume, not mood)."""
    texts = [t for _, b, t in sorted(stream) if b == brand]
    return [(at + timedelta(hours=1) * i / count, brand, texts[i * len(texts) // count]) for i in range(count)]


def injected(
    stream: Sequence[tuple[datetime, str, str]], *, watched_from: datetime | None = None
) -> tuple[list[Burst], list[str]]:
    """Each brand collected by then, a burst at each of BURST_HOURS after the stream's first
    minute (or after `watched_from`); the bursts, and what was not injected and why."""
    from chalicelib.store.counters import series_label

    origin = watched_from or _first_minute(stream)
    until = origin + timedelta(hours=max(BURST_HOURS)) + CAUGHT_WITHIN
    plain = replay([x for x in stream if x[0] < until], rearm=timedelta(0), watched_from=watched_from)
    bursts: list[Burst] = []
    skipped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))  # why -> brand -> hours
    for hour in BURST_HOURS:
        at = origin + timedelta(hours=hour)
        for brand in sorted({b for _, b, _ in stream}):
            key, count = f"brand {series_label(brand)}", round(BURST_TIMES * _usual_hour(stream, brand))

            def first(alarms: list[Any], key: str = key, at: datetime = at) -> Any:
                return next(
                    (a for a in alarms if a.key == key and a.kind == "volume" and at <= a.at <= at + CAUGHT_WITHIN),
                    None,
                )

            if not any(a < at for a, b, _ in stream if b == brand):
                skipped["not collected yet"][brand].append(str(hour))
            elif count < TOO_SMALL:
                skipped[f"under {TOO_SMALL}/h, the detector's floor at any age"][f"{brand} ({count}/h)"].append(
                    str(hour)
                )
            elif first(plain.alarms):
                skipped["alarming already without a burst"][brand].append(str(hour))
            else:
                part = [x for x in stream if x[0] < at + CAUGHT_WITHIN] + _burst(
                    stream, brand=brand, at=at, count=count
                )
                result = replay(part, rearm=timedelta(0), watched_from=watched_from)
                bursts.append(Burst(brand, hour, at, count, first(result.alarms)))
    said = []
    for why, which in skipped.items():
        said.append(", ".join(f"{brand} at hour {'/'.join(hours)}" for brand, hours in which.items()) + f": {why}")
    return bursts, said


def _young_figure(name: str, bursts: list[Burst], skipped: list[str], what: str) -> Figure:
    caught = [b for b in bursts if b.alarm is not None]
    by_hour = ", ".join(
        f"hour {h}: {sum(1 for b in caught if b.hour == h)} of {sum(1 for b in bursts if b.hour == h)}"
        for h in BURST_HOURS
    )
    lines = [
        f"{b.brand} +{b.count} at hour {b.hour}: "
        + (f"after {(b.alarm.at - b.at).total_seconds() / 60:.0f} min ({b.alarm.explanation})" if b.alarm else "missed")
        for b in bursts
    ]
    return Figure(
        name,
        len(caught),
        "bursts",
        float(len(bursts)),
        len(caught) / max(len(bursts), 1),
        ">= 1.0",
        f"{what}: {len(caught)} of {len(bursts)} caught ({by_hour}); {'; '.join(lines)}"
        + (f"; not injected: {'; '.join(skipped)}" if skipped else ""),
    )


def _airline_stream() -> list[tuple[datetime, str, str]]:
    return [(_utc(r["tweet_created"]), r["airline"], r["text"]) for r in airline.rows()]


def _airline() -> list[Figure]:
    result = replay(_airline_stream())
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


def _no_blind_start() -> list[Figure]:
    streams = [("airline", _airline_stream())] if airline.available() else []
    streams += [("sanders", list(_sanders_stream()))] if SANDERS.exists() else []
    figures = []
    for name, stream in streams:
        bursts, skipped = injected(stream)
        figures.append(_young_figure(f"spike_young_caught_{name}", bursts, skipped, f"{name}, from its first minute"))
        if name == "airline":
            origin = _first_minute(stream)
            bursts, skipped = injected(stream, watched_from=origin + BACKFILLED)
            figures.append(
                _young_figure(
                    "spike_backfilled_caught_airline",
                    bursts,
                    skipped,
                    "airline watched from its fourth day, the three before replayed by the source at that minute",
                )
            )
    return figures


def run() -> list[Figure]:
    figures = _airline() if airline.available() else []
    return figures + _sanders() + _no_blind_start()
