"""Department digests at 08:00 in each recipient's own zone: who is due at a given moment,
across daylight-saving changes and odd offsets, once per recipient-local day. Pure decisions on
a clock the test gives (dates in the past, whose zone rules are history)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from chalicelib.policy.noise import (
    DueDigest,
    digest_audiences,
    digests_due,
    follower_audience,
    is_follower_of,
    person_zone,
    recipient_zone,
)

QUARTER = timedelta(minutes=15)


def _sweep(zones: list[str], start: datetime, hours: int, period: str = "daily") -> dict[DueDigest, list[datetime]]:
    """Every quarter of an hour the schedule fires: the moments each (zone, local day) was due."""
    seen: dict[DueDigest, list[datetime]] = {}
    at = start
    while at < start + timedelta(hours=hours):
        for due in digests_due(zones, now=at, period=period):  # type: ignore[arg-type]
            seen.setdefault(due, []).append(at)
        at += QUARTER
    return seen


def test_a_digest_is_due_at_eight_in_the_morning_in_tokyo_and_in_new_york() -> None:
    zones = ["Asia/Tokyo", "America/New_York"]
    seen = _sweep(zones, datetime(2026, 11, 24, 0, 0, tzinfo=UTC), 24)
    firsts = {due.zone: (due.day, min(moments)) for due, moments in seen.items()}
    # 08:00 JST on the 25th is 23:00 UTC on the 24th; 08:00 EST on the 24th is 13:00 UTC.
    assert firsts == {
        "Asia/Tokyo": (date(2026, 11, 25), datetime(2026, 11, 24, 23, 0, tzinfo=UTC)),
        "America/New_York": (date(2026, 11, 24), datetime(2026, 11, 24, 13, 0, tzinfo=UTC)),
    }
    for due, moments in seen.items():
        local = [m.astimezone(ZoneInfo(due.zone)) for m in moments]
        assert [t.time() for t in local] == [time(8, 0), time(8, 15), time(8, 30), time(8, 45)]
    # At noon UTC it is 21:00 in Tokyo and 07:00 in New York: nobody is due.
    assert digests_due(zones, now=datetime(2026, 11, 24, 12, 0, tzinfo=UTC), period="daily") == []


def test_each_call_within_the_hour_names_the_same_local_day_so_it_sends_once() -> None:
    zones = ["America/New_York"]
    keys = {
        d.key
        for minute in (0, 14, 44, 59)
        for d in digests_due(zones, now=datetime(2026, 11, 24, 13, minute, tzinfo=UTC), period="daily")
    }
    assert keys == {"America/New_York:2026-11-24"}
    assert digests_due(zones, now=datetime(2026, 11, 24, 14, 0, tzinfo=UTC), period="daily") == []
    assert digests_due(zones, now=datetime(2026, 11, 24, 12, 59, tzinfo=UTC), period="daily") == []


@pytest.mark.parametrize(
    ("zone", "before", "after"),
    [
        # New York springs forward on 8 March 2026: 08:00 is 13:00 UTC on the 7th, 12:00 on the 8th.
        ("America/New_York", datetime(2026, 3, 7, 13, 0, tzinfo=UTC), datetime(2026, 3, 8, 12, 0, tzinfo=UTC)),
        # and falls back on 1 November 2026: 12:00 UTC on 31 October, 13:00 on 1 November.
        ("America/New_York", datetime(2026, 10, 31, 12, 0, tzinfo=UTC), datetime(2026, 11, 1, 13, 0, tzinfo=UTC)),
        # Berlin springs forward on 29 March 2026.
        ("Europe/Berlin", datetime(2026, 3, 28, 7, 0, tzinfo=UTC), datetime(2026, 3, 29, 6, 0, tzinfo=UTC)),
        # Lord Howe Island moves by half an hour on 5 April 2026.
        ("Australia/Lord_Howe", datetime(2026, 4, 3, 21, 0, tzinfo=UTC), datetime(2026, 4, 4, 21, 30, tzinfo=UTC)),
    ],
)
def test_across_a_daylight_saving_change_it_is_still_eight_local_once_a_day(
    zone: str, before: datetime, after: datetime
) -> None:
    seen = _sweep([zone], before - timedelta(hours=2), 48)
    assert sorted(min(m) for m in seen.values()) == [before, after]
    assert all(len(moments) == 4 for moments in seen.values())
    assert len({d.day for d in seen}) == 2


def test_zones_off_by_half_and_three_quarter_hours_each_get_their_day_once() -> None:
    zones = ["Asia/Kolkata", "Asia/Kathmandu", "Australia/Adelaide", "America/St_Johns", "Pacific/Kiritimati", "UTC"]
    seen = _sweep(zones, datetime(2026, 6, 1, 0, 0, tzinfo=UTC), 24 * 7)
    for zone in zones:
        days = sorted(d.day for d in seen if d.zone == zone)
        assert len(days) == len(set(days)) >= 6, zone
        firsts = [min(m).astimezone(ZoneInfo(zone)).time() for d, m in seen.items() if d.zone == zone]
        assert set(firsts) == {time(8, 0)}, zone


def test_a_weekly_digest_is_due_on_the_recipients_monday() -> None:
    # Monday 30 November 2026 08:00 in Tokyo is Sunday 23:00 UTC: their Monday, not UTC's.
    sunday_night = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    assert digests_due(["Asia/Tokyo", "UTC"], now=sunday_night, period="weekly") == [
        DueDigest("Asia/Tokyo", date(2026, 11, 30))
    ]
    seen = _sweep(["Asia/Tokyo", "America/New_York"], datetime(2026, 11, 23, 0, 0, tzinfo=UTC), 24 * 14, "weekly")
    assert {(d.zone, d.day.weekday()) for d in seen} == {("Asia/Tokyo", 0), ("America/New_York", 0)}
    assert len(seen) == 4  # two Mondays each


def test_a_recipients_zone_is_their_own_then_the_groups_then_the_companys() -> None:
    assert recipient_zone("Asia/Tokyo", "Europe/Berlin", "UTC") == "Asia/Tokyo"
    assert recipient_zone("", "Europe/Berlin", "America/New_York") == "Europe/Berlin"
    assert recipient_zone("Mars/Olympus", None, "America/New_York") == "America/New_York"
    assert recipient_zone("", "", "") == "UTC"
    assert person_zone({"zone": "Asia/Tokyo", "timezone": "Europe/Paris"}, "UTC") == "Asia/Tokyo"
    assert person_zone({"timezone": "Europe/Paris"}, "UTC") == "Europe/Paris"
    assert person_zone({"zone": "../../etc/passwd"}, "America/New_York") == "America/New_York"


def test_a_departments_digest_reaches_members_and_followers_in_their_own_zones() -> None:
    audiences = digest_audiences(
        "inflight",
        member_zones=["Asia/Tokyo", "America/New_York"],
        follower_zones=["Asia/Tokyo", "Europe/Berlin", ""],
        fallback="America/New_York",
    )
    assert audiences == {
        "America/New_York": ("tz:America/New_York", "follow:inflight"),  # a follow from before zones
        "Asia/Tokyo": ("tz:Asia/Tokyo", "follow:inflight@Asia/Tokyo"),
        "Europe/Berlin": ("follow:inflight@Europe/Berlin",),
    }
    # A group that knows none of its members' zones hears it at its own (or the company's) 08:00.
    assert digest_audiences("inflight", member_zones=[], follower_zones=[], fallback="Europe/Berlin") == {
        "Europe/Berlin": ("all",)
    }
    assert is_follower_of("inflight", follower_audience("inflight", "Asia/Tokyo"))
    assert is_follower_of("inflight", "follow:inflight")
    assert not is_follower_of("inflight", "follow:inflight-crew@UTC") and not is_follower_of("inflight", "tz:UTC")
