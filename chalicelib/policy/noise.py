"""Noise control, decided purely: quiet hours in each member's time zone (a digest instead,
except critical), maintenance windows, flapping incidents that should not page again, and which
recipients' department digests are due now (08:00 in each one's own zone)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from chalicelib.clock import parse_span
from chalicelib.errors import InvalidPayload
from chalicelib.i18n import DEFAULT, N_, supported

ALL = "all"
# A message's `lang` attribute: its language, or this for one message every member reads (no
# version per language: an alarm, a recognition). Each member's filter takes both.
ANY_LANGUAGE = "any"
FLAP_WINDOW = timedelta(hours=1)
FLAP_LIMIT = 2  # reopened this often within the window: stop paging, note it on the timeline
DIGEST_AT = time(8, 0)  # department digests arrive at this local time, in each recipient's zone
# The schedule looks every quarter of an hour (zones are whole, half or three-quarter hours off
# UTC), so each zone has four chances inside this hour; the delivery key makes them one send.
DIGEST_WINDOW = timedelta(hours=1)
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
        raise InvalidPayload(N_("quiet_hours: HH:MM-HH:MM in the members' local time, e.g. 22:00-07:00"))
    return QuietHours(time(int(m1[1]), int(m1[2])), time(int(m2[1]), int(m2[2])))


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> str:
    if name == "UTC" or name in _zones():
        return name
    raise InvalidPayload(
        N_("timezone: %(name)s is not an IANA time zone (e.g. Europe/Paris)"), values={"name": repr(name[:60])}
    )


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


def member_filter(zone: str, language: str = DEFAULT) -> dict[str, list[str]]:
    """The SNS subscription filter policy that gives a member what is for everyone or their
    zone, in their language (or the one message for every language)."""
    return {"audience": [ALL, f"tz:{zone}"], "lang": language_filter(language)}


def language_filter(language: str = DEFAULT) -> list[str]:
    """The `lang` values a member reads: their language's version, and a message for everyone."""
    return [supported(language), ANY_LANGUAGE]


def message_languages(member_languages: Sequence[str]) -> tuple[str, ...]:
    """The languages to publish a group's message in, one SNS message each: every language its
    members read, the default first; () when that is the default alone (one message, `any`)."""
    languages = sorted({supported(lang) for lang in member_languages} - {DEFAULT})
    return (DEFAULT, *languages) if languages else ()


def follower_audience(department: str, zone: str = "") -> str:
    """The audience value a department's digests carry for the people who follow it from `zone`
    (without one: followers who subscribed before followers had zones)."""
    return f"follow:{department}" + (f"@{zone}" if zone else "")


def follower_filter(department: str, zone: str = "", language: str = DEFAULT) -> dict[str, list[str]]:
    """A follower's subscription: that department's digests at 08:00 in their zone, in their
    language, nothing else."""
    return {"audience": [follower_audience(department, zone)], "lang": language_filter(language)}


def is_follower_of(department: str, audience: object) -> bool:
    """Whether a subscription's audience value is a follow of this department (in any zone)."""
    return isinstance(audience, str) and (
        audience == follower_audience(department) or audience.startswith(follower_audience(department) + "@")
    )


def recipient_zone(*candidates: object) -> str:
    """The first of these that names an IANA zone (the person's own, then the group's, then the
    company's), else UTC: a name that came from a profile or a provider is never an error here."""
    for candidate in candidates:
        name = str(candidate or "").strip()
        if name == "UTC" or (name and name in _zones()):
            return name
    return "UTC"


def person_zone(person: dict[str, Any], *fallback: str) -> str:
    """A person's zone: their own choice (`zone`), the directory's (`timezone`), then `fallback`."""
    return recipient_zone(person.get("zone"), person.get("timezone"), *fallback)


@dataclass(frozen=True, slots=True)
class DueDigest:
    zone: str
    day: date  # the recipient's local date: with the zone, what makes the send once a day

    @property
    def key(self) -> str:
        return f"{self.zone}:{self.day.isoformat()}"


def digests_due(
    zones: Sequence[str], *, now: datetime, period: Literal["daily", "weekly"], at: time = DIGEST_AT
) -> list[DueDigest]:
    """The zones whose recipients' digest is due at `now`: it is between `at` and an hour later
    there (weekly: on their Monday). Called again within that hour it answers the same day, so a
    digest keyed by zone and day goes once however often the schedule looks."""
    due = []
    for name in sorted(set(zones)):
        place = _zone(name)
        local = now.astimezone(place)
        start = datetime.combine(local.date(), at, tzinfo=place).astimezone(UTC)
        if start <= now.astimezone(UTC) < start + DIGEST_WINDOW and (period == "daily" or local.weekday() == 0):
            due.append(DueDigest(name, local.date()))
    return due


def parse_window(doc: Any) -> MaintenanceWindow:
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a maintenance window is a JSON object"))
    groups = doc.get("groups", [])
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise InvalidPayload(N_("groups: a list of group slugs (empty: every group)"))
    start, end = parse_span(doc, required=("id", "start", "end"), what="maintenance window")
    return MaintenanceWindow(str(doc["id"]), start, end, tuple(groups), str(doc.get("reason", "")))


def active_window(windows: Sequence[MaintenanceWindow], group: str, now: datetime) -> MaintenanceWindow | None:
    for window in windows:
        if window.start <= now < window.end and (not window.groups or group in window.groups):
            return window
    return None


def is_flapping(reopened: Sequence[datetime], now: datetime) -> bool:
    return sum(1 for at in reopened if now - at <= FLAP_WINDOW) >= FLAP_LIMIT


def digest_audiences(
    department: str, *, member_zones: Sequence[str], follower_zones: Sequence[str], fallback: str
) -> dict[str, tuple[str, ...]]:
    """Zone -> the audience values a department's digest carries when it is 08:00 there: the
    group's members in that zone, its followers in that zone. Members of a group that knows none
    of their zones, and followers from before follows had zones (""), hear it at 08:00 in
    `fallback` (the group's zone, else the company's)."""
    found: dict[str, list[str]] = {}
    for zone in member_zones or ():
        found.setdefault(zone, []).append(f"tz:{zone}")
    if not member_zones:
        found.setdefault(fallback, []).append(ALL)
    for zone in follower_zones:
        found.setdefault(zone or fallback, []).append(follower_audience(department, zone))
    return {zone: tuple(dict.fromkeys(values)) for zone, values in sorted(found.items())}
