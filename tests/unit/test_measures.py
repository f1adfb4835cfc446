"""The watchfulness measures (policy/measures.py): report rate per 100 staff, the median minutes
from a story's first post to its first employee report, spotted before the listening tools;
drills never count; edge cases of no staff, no reports and one report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib.policy import measures

START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)


def _report(minutes: float, **fields: Any) -> dict[str, Any]:
    return {"department": "inflight", "received_at": START + timedelta(minutes=minutes), **fields}


def test_no_staff_has_no_rate_and_no_reports_have_no_median() -> None:
    empty = measures.department_month([], department="inflight", staff=0, first_posts={})
    assert empty["reports_per_100_staff"] is None and empty["reports"] == 0
    assert empty["median_minutes_to_first_report"] is None and empty["spotted_before_tools"] == 0
    quiet = measures.department_month([], department="inflight", staff=40, first_posts={})
    assert quiet["reports_per_100_staff"] == 0.0 and quiet["first_reports"] == 0
    assert (
        measures.department_month([_report(5)], department="inflight", staff=0, first_posts={})["reports_per_100_staff"]
        is None
    )  # reports, but nobody in the directory: no rate to divide by


def test_one_first_report_is_its_own_median_and_counts_once() -> None:
    posts = {"c1": START}
    one = measures.department_month(
        [_report(42, cluster_id="c1", position=1)], department="inflight", staff=3, first_posts=posts
    )
    assert one["reports"] == 1 and one["reports_per_100_staff"] == 33.3
    assert one["first_reports"] == 1 and one["median_minutes_to_first_report"] == 42.0


def test_the_median_is_of_stories_first_reports_and_other_departments_and_drills_do_not_count() -> None:
    posts = {"a": START, "b": START, "c": START, "d": START}
    reports = [
        _report(10, cluster_id="a", position=1),
        _report(50, cluster_id="a", position=2),  # a second report of the same story
        _report(30, cluster_id="b", position=1, lead_minutes=4.0),  # before the tools: spotted
        _report(90, cluster_id="c", position=1),
        _report(1, cluster_id="d", position=1, drill="watch-1", lead_minutes=9.0),  # a drill: never
        _report(2, cluster_id="d", position=1, department="baggage"),
        _report(3),  # joined no story yet
    ]
    got = measures.department_month(reports, department="inflight", staff=20, first_posts=posts)
    assert got["reports"] == 5 and got["reports_per_100_staff"] == 25.0
    assert got["first_reports"] == 3 and got["median_minutes_to_first_report"] == 30.0
    assert got["spotted_before_tools"] == 1


def test_a_storys_first_post_is_the_earliest_known_and_a_report_before_it_is_at_once() -> None:
    later = START + timedelta(minutes=20)
    assert measures.first_post_at(first_seen=later, first_mention_at=START) == START
    assert measures.first_post_at(first_seen=later, first_mention_at=None) == later
    assert measures.minutes_between(later, START) == 0.0  # a clock that says before: at once
    assert measures.minutes_between(START, later) == 20.0


def test_a_month_label_is_read_or_refused_with_a_reason() -> None:
    now = datetime(2031, 3, 17, 12, tzinfo=UTC)
    assert measures.month_span("", now=now) == (datetime(2031, 3, 1, tzinfo=UTC), datetime(2031, 4, 1, tzinfo=UTC))
    assert measures.month_span("2030-12", now=now) == (
        datetime(2030, 12, 1, tzinfo=UTC),
        datetime(2031, 1, 1, tzinfo=UTC),
    )
    assert measures.month_before(now) == "2031-02" and measures.month_before(START) == "2031-02"
    for bad in ("2031-4", "March", "2031-13", "2031-03-01"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            measures.month_span(bad, now=now)
    with pytest.raises(ValueError, match="not begun"):
        measures.month_span("2031-04", now=now)


def test_the_notes_lines_say_each_measure_and_leave_out_what_there_is_not() -> None:
    full = {
        "staff": 20,
        "reports_per_100_staff": 25.0,
        "first_reports": 3,
        "median_minutes_to_first_report": 30.0,
        "spotted_before_tools": 1,
    }
    assert measures.month_lines(full) == [
        "Report rate: 25 reports per 100 staff (20 people in the directory).",
        "From a story's first post to its first report by one of you: typically 30 minutes (3 stories).",
        "Spotted before the listening tools: 1.",
    ]
    bare = {**full, "reports_per_100_staff": None, "median_minutes_to_first_report": None, "spotted_before_tools": 0}
    assert measures.month_lines(bare) == ["Spotted before the listening tools: 0."]
