"""Severity from sentiment, reach, engagement, risk terms, watched authors and the velocity of
the story, as points with a reason for each, so a person can see why."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal, NamedTuple

Level = Literal["low", "medium", "high", "critical"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Thresholds:
    medium: int = 2
    high: int = 4
    critical: int = 6

    @classmethod
    def parse(cls, text: str) -> Thresholds:
        medium, high, critical = [int(p) for p in text.split(",")]
        return cls(medium, high, critical)


class Severity(NamedTuple):
    level: Level
    points: int
    reasons: tuple[str, ...]

    @property
    def summary(self) -> str:
        return f"severity {self.level}: {', '.join(self.reasons) if self.reasons else 'nothing notable'}"


def _compact(n: int) -> str:
    return f"{n / 1_000_000:.1f}M" if n >= 1_000_000 else f"{n / 1000:.0f}k" if n >= 1000 else str(n)


# (at least, points) from the highest step down; module constants, not tuples built at every call
_REACH_STEPS: Final = ((1_000_000, 3), (100_000, 2), (10_000, 1))
_ENGAGEMENT_STEPS: Final = ((1000, 2), (100, 1))
_SIMILAR_STEPS: Final = ((100, 3), (20, 2), (5, 1))


def _step(value: int, steps: tuple[tuple[int, int], ...]) -> int:
    """The points of the first (highest) step `value` reaches; 0 below them all."""
    for limit, add in steps:
        if value >= limit:
            return add
    return 0


def _level(points: int, thresholds: Thresholds) -> Level:
    """The highest level the points reach."""
    if points >= thresholds.critical:
        return "critical"
    if points >= thresholds.high:
        return "high"
    return "medium" if points >= thresholds.medium else "low"


def assess(
    *,
    sentiment_label: str,
    sentiment_score: float,
    reach: int,
    engagement: Mapping[str, int],
    risks: Mapping[str, Sequence[str]],
    watched_author: bool = False,
    similar_recent: int = 0,
    thresholds: Thresholds = Thresholds(),
) -> Severity:
    points = 0
    reasons: list[str] = []
    if sentiment_label == "negative":
        points += 2 if sentiment_score <= -0.6 else 1
        reasons.append("strongly negative" if sentiment_score <= -0.6 else "negative")
    if add := _step(reach, _REACH_STEPS):
        points += add
        reasons.append(f"reach {_compact(reach)}")
    total = sum(engagement.values()) if engagement else 0
    if add := _step(total, _ENGAGEMENT_STEPS):
        points += add
        reasons.append(f"engagement {_compact(total)}")
    if risks.get("critical"):
        points += 4
        reasons.append(f"risk term '{risks['critical'][0]}'")
    elif risks.get("high"):
        points += 2
        reasons.append(f"risk term '{risks['high'][0]}'")
    if risks.get("watch"):
        points += 1
        reasons.append(f"press interest ('{risks['watch'][0]}')")
    if watched_author:
        points += 2
        reasons.append("watched author")
    if add := _step(similar_recent, _SIMILAR_STEPS):
        points += add
        reasons.append(f"{similar_recent} similar recently")
    if sentiment_label == "positive":
        points = min(points, thresholds.medium - 1)  # praise is never an alarm, however loud
    # A tuple of its fields in order, not through the NamedTuple's __new__ (interpreted Python)
    return tuple.__new__(Severity, (_level(points, thresholds), points, tuple(reasons)))


def at_least(level: str, floor: str) -> bool:
    return LEVELS.index(level) >= LEVELS.index(floor)


def higher(level: str, other: str) -> str:
    """The more severe of two levels."""
    return level if LEVELS.index(level) >= LEVELS.index(other) else other
