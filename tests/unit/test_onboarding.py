"""Onboarding, decided purely: a policy version checked, who still owes the current version an
acknowledgement, and one reminder per person, version and period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.policy import onboarding


def test_a_new_version_follows_the_current_one_and_says_which_it_was_edited_from() -> None:
    now = utcnow()
    doc = {"title": " Social  media ", "text": "Be kind.\r\n\r\nReport."}
    first = onboarding.new_version(doc, current=None, by="Ada <ada@example.com>", now=now)
    assert first["version"] == 1 and first["edited"] == 0 and first["title"] == "Social media"
    assert first["text"] == "Be kind.\n\nReport."
    second = onboarding.new_version({"title": "t", "text": "x", "version": 1}, current=first, by="a", now=now)
    assert second["version"] == 2 and second["edited"] == 1


@pytest.mark.parametrize(
    "doc",
    [
        [],
        {"text": "x"},
        {"title": "t", "text": " "},
        {"title": "t" * 121, "text": "x"},
        {"title": "t", "text": "x", "version": "1"},
        {"title": "t", "text": "x" * 20_001},
        {"title": "t", "text": "x", "version": True},
    ],
)
def test_a_version_without_a_title_or_text_or_with_a_wrong_version_is_refused(doc: object) -> None:
    with pytest.raises(InvalidPayload):
        onboarding.new_version(doc, current=None, by="a", now=utcnow())


def test_the_active_people_who_have_not_acknowledged_this_version_owe_it() -> None:
    people = [
        {"email": "Ada@example.com"},
        {"email": "bo@example.com"},
        {"email": "cy@example.com", "disabled": True},
        {"email": "di@example.com", "active": False},
        {"email": "ed@example.com"},
        {"name": "no address"},
    ]
    acks = {"ada@example.com": {"version": 2}, "bo@example.com": {"version": 1}}
    assert [p["email"] for p in onboarding.owing(people, acks, version=2)] == ["bo@example.com", "ed@example.com"]
    assert [p["email"] for p in onboarding.owing(people, acks, version=1)] == ["ed@example.com"]


def test_a_reminder_is_one_a_person_version_and_week() -> None:
    now = utcnow()
    same = onboarding.reminder_id("abc", version=3, now=now)
    assert onboarding.reminder_id("abc", version=3, now=now + timedelta(minutes=1)) in (
        same,
        onboarding.reminder_id("abc", version=3, now=now + timedelta(days=7)),
    )
    assert onboarding.reminder_id("abc", version=3, now=now + timedelta(days=7)) != same
    assert onboarding.reminder_id("abc", version=4, now=now) != same
    assert onboarding.reminder_id("abd", version=3, now=now) != same
