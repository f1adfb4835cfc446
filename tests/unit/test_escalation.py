"""Escalation policies, action links and noise control: pure decisions with their reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import InvalidPayload, LinkExpired, NotFound
from chalicelib.policy import tokens
from chalicelib.policy.escalation import State, StoryNow, due_steps, jumps, next_action_at, parse_policy
from chalicelib.policy.noise import audience, is_flapping, parse_quiet_hours, quiet_until

POLICY = parse_policy(
    {
        "id": "default",
        "levels": [{"after_minutes": 15, "notify": ["crisis-team"]}, {"after_minutes": 60, "notify": ["executives"]}],
        "remind_after_hours": 4,
        "jumps": {"reach": ["executives"], "influencer": ["executives"], "negative_share": 0.75, "negative": ["legal"]},
    }
)
OPENED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_an_unacknowledged_incident_climbs_one_level_at_a_time_and_overdue_levels_all_at_once() -> None:
    state = State(OPENED, "open", 0, "customer-care")
    assert due_steps(POLICY, state, now=OPENED + timedelta(minutes=14)) == []
    [step] = due_steps(POLICY, state, now=OPENED + timedelta(minutes=15))
    assert (step.level, step.groups, step.tag) == (1, ("crisis-team",), "level-1")
    overdue = due_steps(POLICY, state, now=OPENED + timedelta(hours=2))
    assert [s.level for s in overdue] == [1, 2]
    assert next_action_at(POLICY, State(OPENED, "open", 1, "x")) == OPENED + timedelta(minutes=60)
    assert next_action_at(POLICY, State(OPENED, "open", 2, "x")) is None


def test_an_acknowledged_incident_is_reminded_to_its_owner_and_a_resolved_one_is_left_alone() -> None:
    acked = OPENED + timedelta(minutes=5)
    state = State(OPENED, "acknowledged", 0, "customer-care", acknowledged_at=acked)
    assert due_steps(POLICY, state, now=acked + timedelta(hours=3)) == []
    [step] = due_steps(POLICY, state, now=acked + timedelta(hours=4))
    assert (step.kind, step.groups, step.tag) == ("remind", ("customer-care",), "remind-1")
    reminded = State(OPENED, "acknowledged", 0, "c", acked, reminders=1)
    assert next_action_at(POLICY, reminded) == acked + timedelta(hours=8)
    assert due_steps(POLICY, State(OPENED, "resolved", 0, "c"), now=acked + timedelta(days=3)) == []


def test_reach_doubling_a_watched_account_and_a_negative_story_each_jump_once() -> None:
    story = StoryNow(reach=100_000, reach_notified=48_000, influencers=("bignews",), negative=4, size=5)
    steps = jumps(POLICY, story, done=[])
    assert [s.reason for s in steps] == [
        "reach grew from 48,000 to 100,000 (x2)",
        "watched account @bignews joined the story",
        "negative share 80% passed 75%",
    ]
    assert jumps(POLICY, story, done=[s.tag for s in steps if "reach" not in s.tag]) == [steps[0]]
    assert jumps(POLICY, StoryNow(90_000, 48_000, (), 1, 3), done=[]) == []


def test_a_bad_policy_says_which_part_is_wrong() -> None:
    with pytest.raises(InvalidPayload) as caught:
        levels = [{"after_minutes": 30, "notify": ["a"]}, {"after_minutes": 10, "notify": []}]
        parse_policy({"id": "p", "levels": levels})
    assert caught.value.extra["errors"] == [
        "levels[2].after_minutes: whole minutes, more than the level before",
        "levels[2].notify: at least one group",
    ]


def test_an_action_link_is_signed_single_purpose_and_expires() -> None:
    key, now = b"k", OPENED
    token = tokens.mint(key=key, incident_id="iabcdefghijklmno", action="acknowledge", group="crisis-team", now=now)
    assert len(token) < 60
    grant = tokens.verify(token, key=key, now=now)
    assert (grant.action, grant.group) == ("acknowledge", "crisis-team")
    resolve = token.replace(".a.", ".r.", 1)  # the same link repurposed: the signature no longer matches
    with pytest.raises(NotFound):
        tokens.verify(resolve, key=key, now=now)
    with pytest.raises(NotFound):
        tokens.verify(token, key=b"other", now=now)
    with pytest.raises(LinkExpired):
        tokens.verify(token, key=key, now=now + tokens.LIFETIME)


def test_quiet_hours_are_each_members_own_and_critical_ignores_them() -> None:
    quiet = parse_quiet_hours("22:00-07:00")
    assert quiet is not None
    night_in_paris = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)
    assert quiet_until(quiet, "Europe/Paris", night_in_paris) == datetime(2026, 11, 25, 6, 0, tzinfo=UTC)
    assert quiet_until(quiet, "America/New_York", night_in_paris) is None
    awake, holds = audience(["Europe/Paris", "America/New_York"], quiet, now=night_in_paris, critical=False)
    assert awake == ("tz:America/New_York",) and [h.audience for h in holds] == [("tz:Europe/Paris",)]
    assert audience(["Europe/Paris"], quiet, now=night_in_paris, critical=True) == (("all",), [])
    with pytest.raises(InvalidPayload):
        parse_quiet_hours("10pm-7am")


def test_an_incident_that_keeps_coming_back_is_flapping() -> None:
    now = OPENED
    assert not is_flapping([now - timedelta(minutes=30)], now)
    assert is_flapping([now - timedelta(minutes=50), now - timedelta(minutes=10)], now)
    assert not is_flapping([now - timedelta(hours=3), now - timedelta(minutes=10)], now)
