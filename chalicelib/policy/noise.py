"""Noise control, decided purely: quiet hours in each member's time zone (a digest instead,
except critical), maintenance windows, and flapping incidents that should not page again."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chalicelib.clock import parse_span
from chalicelib.errors import InvalidPayload

ALL = "all"
FLAP_WINDOW = timedelta(hours=1)
FLAP_LIMIT = 2  # reopened this often within the window: stop paging, note it on the timeline
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class QuietHours:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True, slots=True)
class Hold:
    audience: tuple[str, ...]  # who the digest is for ("tz:Europe/Paris", or "all")
    until: datetime
    why: str


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    id: str
    start: datetime
    end: datetime
    groups: tuple[str, ...]  # empty: every group
    reason: str


def parse_quiet_hours(value: Any) -> QuietHours | None:
    """ "22:00-07:00" (local time of each member); empty or None: no quiet hours."""
    if value in (None, ""):
        return None
    start, sep, end = str(value).partition("-")
    m1, m2 = _HHMM.match(start.strip()), _HHMM.match(end.strip())
    if not sep or not m1 or not m2 or start.strip() == end.strip():
        raise InvalidPayload("quiet_hours: HH:MM-HH:MM in the members' local time, e.g. 22:00-07:00")
    return QuietHours(time(int(m1[1]), int(m1[2])), time(int(m2[1]), int(m2[2])))


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> str:
    if name == "UTC" or name in _zones():
        return name
    raise InvalidPayload(f"timezone: {name[:60]!r} is not an IANA time zone (e.g. Europe/Paris)")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def quiet_until(quiet: QuietHours, zone: str, now: datetime) -> datetime | None:
    """When quiet hours end for a member in `zone`, or None when they are awake now."""
    local = now.astimezone(_zone(zone))
    t = local.timetz().replace(tzinfo=None)
    overnight = quiet.start > quiet.end
    inside = (t >= quiet.start or t < quiet.end) if overnight else (quiet.start <= t < quiet.end)
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if overnight and t >= quiet.start else local.date()
    end = datetime.combine(end_day, quiet.end, tzinfo=_zone(zone))
    return end.astimezone(UTC)


def audience(
    zones: Sequence[str], quiet: QuietHours | None, *, now: datetime, critical: bool
) -> tuple[tuple[str, ...], list[Hold]]:
    """Who hears it now, and the digests held for members in their quiet hours."""
    if critical or quiet is None or not zones:
        return (ALL,), []
    awake: list[str] = []
    holds: list[Hold] = []
    for zone in sorted(set(zones)):
        until = quiet_until(quiet, zone, now)
        if until is None:
            awake.append(f"tz:{zone}")
        else:
            holds.append(Hold((f"tz:{zone}",), until, f"quiet hours {quiet} in {zone}"))
    if not holds:
        return (ALL,), []
    return tuple(awake), holds


def member_filter(zone: str) -> dict[str, list[str]]:
    """The SNS subscription filter policy that gives a member what is for everyone or their zone."""
    return {"audience": [ALL, f"tz:{zone}"]}


def follower_audience(department: str) -> str:
    """The audience value a department's digests carry for the people who follow it."""
    return f"follow:{department}"


def follower_filter(department: str) -> dict[str, list[str]]:
    """A follower's subscription: that department's digests, nothing else."""
    return {"audience": [follower_audience(department)]}


def parse_window(doc: Any) -> MaintenanceWindow:
    if not isinstance(doc, dict):
        raise InvalidPayload("a maintenance window is a JSON object")
    groups = doc.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidPayload("groups: a list of group slugs (empty: every group)")
    start, end = parse_span(doc, required=("id", "start", "end"), what="maintenance window")
    return MaintenanceWindow(str(doc["id"]), start, end, tuple(groups), str(doc.get("reason", "")))


def active_window(windows: Sequence[MaintenanceWindow], group: str, now: datetime) -> MaintenanceWindow | None:
    for window in windows:
        if window.start <= now < window.end and (not window.groups or group in window.groups):
            return window
    return None


def is_flapping(reopened: Sequence[datetime], now: datetime) -> bool:
    return sum(1 for at in reopened if now - at <= FLAP_WINDOW) >= FLAP_LIMIT
