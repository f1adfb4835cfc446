"""The crisis detector: the last window of a series (a brand, a department) against a baseline
that knows the time of day, for volume AND for negative share, with its reasons in words.

Pure: it reads a series of counts in buckets of the width they were stored at (a Series).
Volume is compared with the same time of day once two earlier days can be (the daily cycle;
a source's replay of the days before a brand was watched counts, and the alarm says so).
Before that a brand (a part of all mentions) is not blind: its share of everyone else's volume
now, or, while everyone else has said too little, the busiest half hour it has had (far above
everything so far, by more than everyone else rose). Other series, and negativity, wait for a
baseline (negativity half a day of enough mentions). The moment a listening tool starts
collecting is not a crisis. A volume alarm is a sharp burst or an hour sustained; a negativity
alarm a half hour far above the usual share, one above it that was so ten minutes earlier too,
or a lesser lift held for two hours. Planned events (a launch, a campaign) mark an alarm expected.

Measured through the production path (counters written as ingest writes them, read as the
schedule reads them) by `make eval`: bench/eval_spikes.py."""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
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
SHARP_FACTOR = 5.0  # this many times the usual in one half hour alarms at once
MIN_SAME_TIME_DAYS = 2  # the daily cycle is known once this many earlier days can be compared
VOLUME_SIGMAS = 4.0
# Negativity, like volume, is sharp or sustained: a half hour far above the usual share alarms at
# once; one merely above it must have been so ten minutes earlier too (one window of a few dozen
# posts is above three sigmas somewhere most days); a lesser lift held for two hours alarms as
# well (a surge negative through and through, never 20 points up in one half hour). Properties of
# the series, not of the schedule: checked every minute or every ten, the same moments alarm.
NEGATIVE_LIFT = 0.20
NEGATIVE_FLOOR = 0.65
NEGATIVE_SIGMAS = 3.0
NEGATIVE_SHARP_SIGMAS = 4.0
PERSISTS = timedelta(minutes=10)  # the half hour ending this much earlier must be as high
SUSTAINED = timedelta(hours=2)
SUSTAINED_LIFT = 0.12
SUSTAINED_FLOOR = 0.60
# Two hours hold four times a half hour's posts: at 3.5 sigmas chance alone crosses the line once
# in 4,300 tests, 0.02 times a series-week; the lift and floor, not the sigmas, keep real but
# ordinary shifts out. At 4.0 American's documented surge (66% of 175 against 51%) was missed.
SUSTAINED_SIGMAS = 3.5
# A brand newly watched (no two comparable days yet) has two other grounds for a volume alarm.
# Its share of all mentions: everyone else's volume now carries the daily cycle it has not seen,
# once everyone else has said SHARE_MIN_OTHERS since it was first seen and still says enough in
# the half hour (never below SHARE_FLOOR of its own average). Before that (the whole account is
# new), the busiest half hour it has had: RECORD_FACTOR above it is far above everything so far,
# unless everyone else rose as much at the same moment (a collection starting, the morning).
# Neither in its first hour (a collection that starts mid-burst has no usual); a silence of
# RUN_GAP starts anew (American's stray tweets days before its collection are not a usual).
YOUNG_AFTER = timedelta(hours=1)
RUN_GAP = timedelta(hours=12)
SHARE_MIN_OTHERS = 50
RECORD_FACTOR = 3.0
SHARE_FLOOR = 0.5
PEAK_STEP = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Counts:
    total: float
    negative: float = 0


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


MINUTE = timedelta(minutes=1)
YOUNG = " across all other mentions, a day of its own not yet seen"


class Series:
    """A series' counts in buckets of any width (minutes for the recent past, hours before),
    summed over any span in O(log n): a bucket only partly inside the span counts for that part,
    as if its mentions were spread evenly over it (never heaped into its first minutes, which
    made a window ending on the hour read zero and today look like a spike)."""

    __slots__ = ("_cum_negative", "_cum_total", "_ends", "_starts", "_totals")

    def __init__(self, buckets: Iterable[tuple[datetime, timedelta, Counts]]) -> None:
        rows = sorted((start, width, c) for start, width, c in buckets if c.total or c.negative)
        self._starts = [start for start, _, _ in rows]
        self._ends = [start + width for start, width, _ in rows]
        self._totals = [(c.total, c.negative) for _, _, c in rows]
        self._cum_total = [0.0]
        self._cum_negative = [0.0]
        for total, negative in self._totals:
            self._cum_total.append(self._cum_total[-1] + total)
            self._cum_negative.append(self._cum_negative[-1] + negative)

    @classmethod
    def of_minutes(cls, minutes: Mapping[datetime, Counts]) -> Series:
        return cls((minute, MINUTE, c) for minute, c in minutes.items())

    def first_before(self, end: datetime) -> datetime | None:
        """When the series first had anything, looking only before `end`."""
        return self._starts[0] if self._starts and self._starts[0] < end else None

    def run_start(self, end: datetime, *, gap: timedelta) -> datetime | None:
        """When the series' current run began, looking only before `end`: its first bucket after
        the last silence of at least `gap` (a collection that started, or started again)."""
        i = bisect_left(self._starts, end) - 1
        if i < 0:
            return None
        while i > 0 and self._starts[i] - self._ends[i - 1] < gap:
            i -= 1
        return self._starts[i]

    def sum(self, start: datetime, end: datetime) -> Counts:
        if end <= start or not self._starts:
            return Counts(0, 0)
        lo = bisect_right(self._ends, start)  # the first bucket that ends after the span starts
        hi = bisect_left(self._starts, end)  # the first bucket that starts at or after its end
        if lo >= hi:
            return Counts(0, 0)
        total = self._cum_total[hi] - self._cum_total[lo]
        negative = self._cum_negative[hi] - self._cum_negative[lo]
        for i in {lo, hi - 1}:  # only the buckets at the edges can stick out of the span
            width = (self._ends[i] - self._starts[i]).total_seconds()
            inside = (min(self._ends[i], end) - max(self._starts[i], start)).total_seconds()
            if inside < width:
                total -= self._totals[i][0] * (1 - inside / width)
                negative -= self._totals[i][1] * (1 - inside / width)
        return Counts(total, negative)


def _same_time_days(s: Series, *, now: datetime, window: timedelta, since: datetime) -> list[int]:
    """The earlier days (1 = yesterday) whose same window can be compared: the series was
    collecting then, and the day before it held enough to say something about the usual."""
    start = now - window
    return [
        d
        for d in range(1, HISTORY_DAYS + 1)
        if start - timedelta(days=d) >= since
        and s.sum(now - timedelta(days=d + 1), now - timedelta(days=d)).total >= MIN_HISTORY_MENTIONS
    ]


def _expected(s: Series, *, now: datetime, window: timedelta, since: datetime) -> tuple[float, int]:
    """The usual count for the window ending at `now`, and on how many earlier days it rests."""
    start = now - window
    days = _same_time_days(s, now=now, window=window, since=since)
    if not days:
        return 0.0, 0
    same_time = [s.sum(start - timedelta(days=d), now - timedelta(days=d)).total for d in days]
    recent_start = max(since, start - timedelta(hours=24))
    recent = s.sum(recent_start, start).total * (window / (start - recent_start)) if start > recent_start else 0.0
    return max(sum(same_time) / len(same_time), 0.3 * recent), len(same_time)


def warming_up(s: Series, *, now: datetime, window: timedelta = WINDOW) -> bool:
    """Whether a series does not know its daily cycle yet (fewer than two comparable days)."""
    since = s.first_before(now - window)
    return since is None or _expected(s, now=now, window=window, since=since)[1] < MIN_SAME_TIME_DAYS


def _replayed_days(s: Series, replayed: Series, *, now: datetime, window: timedelta, since: datetime) -> int:
    """How many of the days compared rest mostly on mentions a source replayed (a backfill)."""
    start = now - window
    spans = [
        (start - timedelta(days=d), now - timedelta(days=d))
        for d in _same_time_days(s, now=now, window=window, since=since)
    ]
    return sum(1 for a, b in spans if replayed.sum(a, b).total * 2 >= s.sum(a, b).total > 0)


def _age(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1.5 else f"{span.total_seconds() / 60:.0f} min"


def _percent(share: float) -> str:
    return f"{share:.0%}" if share >= 0.01 or share == 0 else "under 1%"


def _others(population: Series, s: Series, start: datetime, end: datetime) -> float:
    """Everyone else's mentions: the population without this series (never below nothing)."""
    return max(population.sum(start, end).total - s.sum(start, end).total, 0.0)


def _busiest(s: Series, population: Series | None, *, start: datetime, end: datetime, window: timedelta) -> float:
    """The busiest `window` between `start` and `end` (checked every PEAK_STEP): of the series
    itself, or, given its population, of everyone else."""
    busiest, at = 0.0, start + window
    while at <= end:
        count = s.sum(at - window, at).total if population is None else _others(population, s, at - window, at)
        busiest = max(busiest, count)
        at += PEAK_STEP
    return busiest


@dataclass(frozen=True, slots=True)
class _Share:
    expected: float
    ratio: float
    sigmas: float  # how far its share of the window stands above its usual share, in binomial sigmas
    words: str  # what the expectation rests on, said in the alarm


def _by_share(s: Series, population: Series, *, end: datetime, window: timedelta, since: datetime) -> _Share | None:
    """The window ending at `end` from the series' share of all mentions since `since`: its
    daily cycle is everyone else's, heard now. None while everyone else has said too little,
    or says too little now (everyone else falling silent is not this series' spike); never
    below half its own average since `since` (nor is everyone else quieter than usual)."""
    start = end - window
    if start <= since:
        return None
    own = s.sum(since, start).total
    others = _others(population, s, since, start)
    others_now = _others(population, s, start, end)
    if others < SHARE_MIN_OTHERS or others_now < MIN_WINDOW_MENTIONS:
        return None
    share = own / (own + others)
    by_share = own * others_now / others
    floor = SHARE_FLOOR * own * (window / (start - since))
    current = s.sum(start, end).total
    p = min(max(share, 0.01), 0.99)
    sigmas = (current / (current + others_now) - share) / math.sqrt(p * (1 - p) / (current + others_now))
    age = _age(start - since)
    words = (
        f"from its share of all mentions ({_percent(share)}) in the {age} it has been seen"
        if by_share >= floor
        else f"(half its average in the {age} it has been seen; its share of all mentions ({_percent(share)}) now: "
        f"{_per_hour(by_share, window):.0f}/h)"
    )
    expected = max(by_share, floor)
    return _Share(expected, current / max(expected, 1.0), sigmas, words)


def _young_volume(
    s: Series, population: Series, *, key: str, now: datetime, window: timedelta, since: datetime
) -> Alarm | None:
    """A volume alarm for a series too young to know its daily cycle (a brand newly watched):
    against its share of everyone else's volume now, or, while everyone else has said too
    little for a share, against the busiest half hour it has had, by more than everyone else
    rose against theirs (an account's collection start, or its morning, lifts everyone)."""
    start = now - window
    run = s.run_start(now, gap=RUN_GAP)  # the run the window is part of: a start is not a burst
    if run is None:
        return None
    run = max(run, since, now - timedelta(days=HISTORY_DAYS))
    current = s.sum(start, now).total
    if start - run < YOUNG_AFTER or current < MIN_WINDOW_MENTIONS:
        return None  # a collection that starts mid-burst has no usual
    shared = _by_share(s, population, end=now, window=window, since=run)
    if shared is not None:
        if shared.ratio < VOLUME_FACTOR or shared.sigmas < VOLUME_SIGMAS:
            return None
        before = _by_share(s, population, end=start, window=window, since=run)
        if shared.ratio < SHARP_FACTOR and (before is None or before.ratio < VOLUME_FACTOR):
            return None
        shape = "at once" if shared.ratio >= SHARP_FACTOR else "for an hour"
        return Alarm(
            key,
            "volume",
            now,
            current,
            shared.expected,
            f"volume {_per_hour(current, window):.0f}/h against {_per_hour(shared.expected, window):.0f}/h "
            f"{shared.words} ({shared.ratio:.1f}x {shape})",
        )
    busiest = _busiest(s, None, start=run, end=start, window=window)
    ratio = current / max(busiest, 1.0)
    others_busiest = _busiest(s, population, start=run, end=start, window=window)
    others_now = _others(population, s, start, now)
    others_ratio = max(others_now / max(others_busiest, 1.0), 1.0)
    if ratio < RECORD_FACTOR * others_ratio or current - busiest < VOLUME_SIGMAS * math.sqrt(max(busiest, 1.0)):
        return None
    everyone = f", everyone else at {others_now / max(others_busiest, 1.0):.1f}x theirs" if others_busiest else ""
    return Alarm(
        key,
        "volume",
        now,
        current,
        busiest,
        f"volume {_per_hour(current, window):.0f}/h, {ratio:.1f}x the busiest half hour in the {_age(start - run)} "
        f"it has been seen ({_per_hour(busiest, window):.0f}/h){everyone}: far above everything so far, "
        "its daily cycle not yet known",
    )


def _sigmas(counts: Counts, base: float, *, lift: float, floor: float) -> float:
    """How many binomial standard deviations a span's negative share stands above the usual
    `base`, or 0 when it is not `lift` above it and at least `floor` (or holds too few posts)."""
    if counts.total < MIN_WINDOW_MENTIONS:
        return 0.0
    share = counts.negative / counts.total
    if share < max(base + lift, floor):
        return 0.0
    return (share - base) / math.sqrt(max(base * (1 - base), 0.01) / counts.total)


def _span(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes} min" if minutes < 120 else f"{minutes / 60:.0f} h"


def _per_hour(count: float, window: timedelta) -> float:
    return count * 3600 / window.total_seconds()


def detect(
    series: Series | Mapping[datetime, Counts],
    *,
    key: str,
    now: datetime,
    window: timedelta = WINDOW,
    planned: Sequence[PlannedEvent] = (),
    first_seen: datetime | None = None,
    population: Series | None = None,
    replayed: Series | None = None,
) -> list[Alarm]:
    """Alarms for the window ending at `now` (UTC): a Series, or minute -> counts. `population`
    is the series this one is part of (all mentions): its share of it, and its negative share,
    are the usual of a series too young to have one of its own. `replayed` is the part of the
    series' history a source replayed late (a backfill), named in the alarm when it is the usual."""
    s = series if isinstance(series, Series) else Series.of_minutes(series)
    start = now - window
    earliest = s.first_before(start)
    if earliest is None:
        return []
    since = first_seen or earliest
    history_start = max(since, now - timedelta(days=HISTORY_DAYS))
    history = s.sum(history_start, start)
    established = s.sum(max(since, start - ESTABLISHED[0]), start - ESTABLISHED[1])
    baseline = not (
        start - since < WARM_UP or history.total < MIN_HISTORY_MENTIONS or established.total < MIN_ESTABLISHED_MENTIONS
    )
    current = s.sum(start, now)
    alarms: list[Alarm] = []

    # Volume: against the same time of day on earlier days when the series was really collecting
    # (a day with next to nothing in it says nothing about the usual), floored by the recent
    # level; those days may be a source's replay of the days before it was watched. Until two
    # such days exist the daily cycle is unknown: against a 24-hour mean every afternoon is a
    # spike, and a collection that starts mid-burst has no usual. A part of all mentions (a
    # brand) then has its share of everyone else's volume, or the busiest half hour it has had.
    expected, days = _expected(s, now=now, window=window, since=since)
    current_ratio = current.total / max(expected, 1.0)
    if days < MIN_SAME_TIME_DAYS:
        young = _young_volume(s, population, key=key, now=now, window=window, since=since) if population else None
        alarms.extend([young] if young else [])
    elif (
        baseline
        and current.total >= MIN_WINDOW_MENTIONS
        and current_ratio >= VOLUME_FACTOR
        and current.total - expected >= VOLUME_SIGMAS * math.sqrt(max(expected, 1.0))
    ):
        # Social volume is bursty: a half hour at 2.5x is common. It is a spike when it is sharp
        # (SHARP_FACTOR at once) or when the half hour before was as high (an hour sustained).
        before = s.sum(start - window, start).total
        expected_before, _ = _expected(s, now=start, window=window, since=since)
        sustained = before >= VOLUME_FACTOR * max(expected_before, 1.0)
        if current_ratio >= SHARP_FACTOR or sustained:
            shape = "at once" if current_ratio >= SHARP_FACTOR else "for an hour"
            backfilled = _replayed_days(s, replayed, now=now, window=window, since=since) if replayed else 0
            source = (
                ""
                if not backfilled
                else " from the source's replay"
                if backfilled == days
                else f" ({backfilled} from the source's replay)"
            )
            alarms.append(
                Alarm(
                    key,
                    "volume",
                    now,
                    current.total,
                    expected,
                    f"volume {_per_hour(current.total, window):.0f}/h against {_per_hour(expected, window):.0f}/h "
                    f"usual at this time of day on {days} earlier days{source} ({current_ratio:.1f}x {shape})",
                )
            )

    # Negativity: the window's negative share against the series' own share over its history,
    # once the series has a day of it. A series collected for less than a day while the rest
    # was (a brand newly watched, maybe in the middle of its crisis) has only the crisis as its
    # history: its usual is then the share of everyone else's mentions over the detector's history
    # (the population without the brand: its own crisis would pull the usual up). When everything is
    # new, nothing is compared with anything.
    usual = history
    day_before = (start - 2 * ESTABLISHED[0], start - ESTABLISHED[0])
    if (
        population is not None
        and s.sum(max(since, day_before[0]), day_before[1]).total < MIN_ESTABLISHED_MENTIONS
        and population.sum(*day_before).total >= MIN_HISTORY_MENTIONS
    ):
        # Everyone else's share over the whole history, as an established series has its own: a
        # young brand's own crisis is not part of its usual, nor is whatever else filled the few
        # hours since it was first seen (US Airways' cancellations ran the night American's
        # collection started).
        everyone = population.sum(
            max(population.first_before(start) or start, now - timedelta(days=HISTORY_DAYS)), start
        )
        usual = Counts(everyone.total - history.total, everyone.negative - history.negative)
    if baseline and current.total >= MIN_WINDOW_MENTIONS and usual.total > 0:
        base = usual.negative / usual.total
        half_hour = _sigmas(current, base, lift=NEGATIVE_LIFT, floor=NEGATIVE_FLOOR)
        shape = ""
        if half_hour >= NEGATIVE_SHARP_SIGMAS:
            shape, counts, span = "at once", current, window
        elif (
            half_hour >= NEGATIVE_SIGMAS
            and _sigmas(s.sum(start - PERSISTS, now - PERSISTS), base, lift=NEGATIVE_LIFT, floor=NEGATIVE_FLOOR)
            >= NEGATIVE_SIGMAS
        ):
            shape, counts, span = "and ten minutes before", current, window
        else:
            longer = s.sum(max(since, now - SUSTAINED), now)
            if _sigmas(longer, base, lift=SUSTAINED_LIFT, floor=SUSTAINED_FLOOR) >= SUSTAINED_SIGMAS:
                shape, counts, span = "held", longer, min(SUSTAINED, now - since)
        if shape:
            share = counts.negative / counts.total
            alarms.append(
                Alarm(
                    key,
                    "negativity",
                    now,
                    share,
                    base,
                    f"negative share {share:.0%} of {counts.total:.0f} in {_span(span)} against {base:.0%} "
                    f"usual{'' if usual is history else YOUNG} ({shape})",
                )
            )

    event = next((e for e in planned if e.key in {key, "*"} and e.start <= now <= e.end), None)
    if event is not None and alarms:
        return [
            Alarm(a.key, a.kind, a.at, a.observed, a.expected, a.explanation + f" (expected: {event.name})", event.name)
            for a in alarms
        ]
    return alarms
