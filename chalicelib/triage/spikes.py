"""The crisis detector: the last window of a series (a brand, a department) against a baseline
that knows the time of day, for volume AND for negative share, with its reasons in words.

Pure: it reads a series of per-minute counts given to it. A series with no baseline yet (less
than twelve hours of history, or too few mentions in it) never alarms: the day a listening tool
starts collecting is not a crisis. Planned events (a launch, a campaign) mark an alarm expected."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

WINDOW = timedelta(minutes=30)
HISTORY_DAYS = 7
WARM_UP = timedelta(hours=12)
MIN_HISTORY_MENTIONS = 50
# A level counts as established only if it was there before the last few hours too: a series
# that was silent yesterday and loud for three hours has a collection start, not a baseline.
ESTABLISHED = (timedelta(hours=24), timedelta(hours=6))
MIN_ESTABLISHED_MENTIONS = 20
MIN_WINDOW_MENTIONS = 15
VOLUME_FACTOR = 2.5
VOLUME_SIGMAS = 4.0
NEGATIVE_LIFT = 0.20
NEGATIVE_FLOOR = 0.65
NEGATIVE_SIGMAS = 3.0


@dataclass(frozen=True, slots=True)
class Counts:
    total: int
    negative: int = 0


@dataclass(frozen=True, slots=True)
class PlannedEvent:
    key: str  # the series it explains ("*" for all)
    start: datetime
    end: datetime
    name: str


@dataclass(frozen=True, slots=True)
class Alarm:
    key: str
    kind: Literal["volume", "negativity"]
    at: datetime
    observed: float
    expected: float
    explanation: str
    planned: str = ""  # the planned event that explains it, if any


def _sum(series: Mapping[datetime, Counts], start: datetime, end: datetime) -> Counts:
    total = negative = 0
    minute = start
    while minute < end:
        c = series.get(minute)
        if c is not None:
            total += c.total
            negative += c.negative
        minute += timedelta(minutes=1)
    return Counts(total, negative)


def _per_hour(count: float, window: timedelta) -> float:
    return count * 3600 / window.total_seconds()


def detect(
    series: Mapping[datetime, Counts],
    *,
    key: str,
    now: datetime,
    window: timedelta = WINDOW,
    planned: Sequence[PlannedEvent] = (),
    first_seen: datetime | None = None,
) -> list[Alarm]:
    """Alarms for the window ending at `now` (minute-aligned keys, UTC)."""
    start = now - window
    minutes = [m for m in series if m < start and series[m].total]
    if not minutes:
        return []
    since = first_seen or min(minutes)
    history_start = max(since, now - timedelta(days=HISTORY_DAYS))
    history = _sum(series, history_start, start)
    established = _sum(series, max(since, start - ESTABLISHED[0]), start - ESTABLISHED[1])
    if start - since < WARM_UP or history.total < MIN_HISTORY_MENTIONS or established.total < MIN_ESTABLISHED_MENTIONS:
        return []  # no baseline yet
    current = _sum(series, start, now)
    alarms: list[Alarm] = []

    # Volume: the same time of day on earlier days when the series was really collecting (a day
    # with next to nothing in it says nothing about the usual), floored by the recent level.
    same_time = [
        _sum(series, start - timedelta(days=d), now - timedelta(days=d)).total
        for d in range(1, HISTORY_DAYS + 1)
        if start - timedelta(days=d) >= since
        and _sum(series, now - timedelta(days=d + 1), now - timedelta(days=d)).total >= MIN_HISTORY_MENTIONS
    ]
    recent_start = max(since, start - timedelta(hours=24))
    recent = _sum(series, recent_start, start).total * (window / (start - recent_start))
    if len(same_time) >= 2:
        expected = max(sum(same_time) / len(same_time), 0.3 * recent)
        basis = f"this time of day on {len(same_time)} earlier days"
    else:
        expected = recent
        basis = "the last 24 hours"
    if (
        current.total >= MIN_WINDOW_MENTIONS
        and current.total >= VOLUME_FACTOR * max(expected, 1.0)
        and current.total - expected >= VOLUME_SIGMAS * math.sqrt(max(expected, 1.0))
    ):
        alarms.append(
            Alarm(
                key,
                "volume",
                now,
                current.total,
                expected,
                f"volume {_per_hour(current.total, window):.0f}/h against {_per_hour(expected, window):.0f}/h "
                f"usual for {basis} ({current.total / max(expected, 1.0):.1f}x)",
            )
        )

    # Negativity: the window's negative share against the series' own share over its history.
    if current.total >= MIN_WINDOW_MENTIONS and history.total:
        base = history.negative / history.total
        share = current.negative / current.total
        spread = math.sqrt(max(base * (1 - base), 0.01) / current.total)
        if share >= max(base + NEGATIVE_LIFT, NEGATIVE_FLOOR) and (share - base) / spread >= NEGATIVE_SIGMAS:
            alarms.append(
                Alarm(
                    key,
                    "negativity",
                    now,
                    share,
                    base,
                    f"negative share {share:.0%} of {current.total} in {int(window.total_seconds() // 60)} min "
                    f"against {base:.0%} usual",
                )
            )

    event = next((e for e in planned if e.key in {key, "*"} and e.start <= now <= e.end), None)
    if event is not None and alarms:
        return [
            Alarm(a.key, a.kind, a.at, a.observed, a.expected, a.explanation + f" (expected: {event.name})", event.name)
            for a in alarms
        ]
    return alarms
