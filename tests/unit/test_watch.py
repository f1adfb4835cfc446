"""Watchfulness drills decided purely: the post's text, the departments, the report link with the
drill's mark, which reports belong to the exercise, and per department the report rate and the
minutes to the first report."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from chalicelib.clock import utcnow
from chalicelib.policy import watch
from chalicelib.policy.drill_marks import drill_of, mark

KEY = b"k" * 32


def test_report_rate_is_distinct_reporters_over_staff_and_minutes_run_to_the_first_report() -> None:
    start = utcnow() - timedelta(hours=1)
    reports = [
        watch.Reported("ops", "a@example.com", start + timedelta(minutes=7)),
        watch.Reported("ops", "a@example.com", start + timedelta(minutes=3)),  # same person twice: one reporter
        watch.Reported("ops", "r-anon", start + timedelta(minutes=12)),
        watch.Reported("sales", "b@example.com", start + timedelta(minutes=30)),
        watch.Reported("ops", "early@example.com", start - timedelta(minutes=5)),  # before the start: not its
    ]
    measured = watch.measure(started_at=start, reports=reports, staff={"ops": 4, "sales": 0, "legal": 2})
    assert measured["ops"] == {"reporters": 2, "staff": 4, "rate": 0.5, "minutes_to_first_report": 3.0}
    assert measured["sales"]["rate"] is None and measured["sales"]["minutes_to_first_report"] == 30.0
    assert measured["legal"] == {"reporters": 0, "staff": 2, "rate": 0.0, "minutes_to_first_report": None}


def test_a_report_belongs_to_the_exercise_only_with_its_drill_id() -> None:
    assert watch.belongs("d0123456789", "d0123456789")
    assert not watch.belongs("", "d0123456789")
    assert not watch.belongs("d9999999999", "d0123456789")


def test_the_report_link_carries_a_mark_that_verifies_to_the_exercise() -> None:
    signed = mark(key=KEY, drill_id="d0123456789")
    query = parse_qs(urlsplit(watch.report_link(mark=signed, department="ops", text="a post & more")).query)
    assert query == {"text": ["a post & more"], "department": ["ops"], "drill": [signed]}
    assert drill_of(query["drill"][0], key=KEY) == "d0123456789"
    assert drill_of(query["drill"][0], key=b"other" * 8) == ""


def test_the_post_says_drill_and_practice_first_and_falls_back_to_the_template() -> None:
    text, problems = watch.post_text("  \x00\x07 ")
    assert text == watch.TEMPLATE and problems == []
    assert watch.labelled("hello").startswith("DRILL · practice")
    assert watch.post_text("x" * (watch.TEXT_LIMIT + 1))[1]


def test_departments_must_exist_and_are_kept_once_in_order() -> None:
    assert watch.departments_of(["ops", "sales", "ops"], ["sales", "ops"]) == (["ops", "sales"], [])
    assert watch.departments_of([], ["ops"])[1] == ["departments: name at least one department"]
    chosen, problems = watch.departments_of(["ops", "nope", 3], ["ops"])
    assert chosen == ["ops"] and len(problems) == 2


def test_a_report_counts_for_the_department_it_names_by_slug_or_name() -> None:
    names = {"ops": "Operations", "sales": "Sales"}
    assert watch.department_of(" operations ", names) == "ops"
    assert watch.department_of("SALES", names) == "sales"
    assert watch.department_of("legal", names) == ""


def test_an_exercises_reports_are_never_routed_and_a_running_storm_drills_are() -> None:
    states = {"dwatch": ("running", "watch"), "dstorm": ("running", ""), "dold": ("ended", ""), "dgone": ("", "")}
    assert watch.unrouted(states) == {"dwatch", "dold", "dgone"}
