"""Closing the loop, decided purely: what a report led to, and a team's monthly note (drills never
count; names only for those who opted in)."""

from __future__ import annotations

from chalicelib.policy import recognition

REPORTS = [
    {"department": "gates", "reporter_email": "Ana@example.com", "position": 1, "lead_minutes": 12.0},
    {"department": "gates", "reporter_email": "bo@example.com", "position": 1, "lead_minutes": 4.0},
    {"department": "gates", "reporter_email": "bo@example.com", "position": 2, "lead_minutes": None},
    {"department": "gates", "reporter_email": "cy@example.com", "position": 1, "lead_minutes": 0.0},
    {"department": "gates", "reporter_email": "dd@example.com", "position": 1, "lead_minutes": 30.0, "drill": "d1"},
    {"department": "baggage", "reporter_email": "ed@example.com", "position": 1, "lead_minutes": 9.0},
]


def test_a_report_says_what_it_led_to() -> None:
    led = recognition.outcome(
        {"report_id": "r1", "text": "x " * 300, "cluster_id": "c1", "position": 1.0, "lead_minutes": 7.26,
         "routed_to": ["social-team", "crisis"], "outcome": "resolved", "outcome_at": "2026-01-01T10:00:00+00:00"}
    )  # fmt: skip
    assert led["first"] and led["joined"] and led["lead_minutes"] == 7.3 and led["outcome"] == "resolved"
    assert led["routed_to"] == ["crisis", "social-team"] and len(led["text"]) == recognition.TEXT_SHOWN
    quiet = recognition.outcome({"report_id": "r2", "text": "hi", "lead_minutes": -3})
    assert not quiet["joined"] and not quiet["first"] and quiet["lead_minutes"] is None and quiet["routed_to"] == []


def test_a_team_note_counts_good_catches_and_names_only_who_opted_in() -> None:
    note = recognition.team_note(REPORTS, department="gates", named={"ana@example.com": "Ana"})
    assert note["reports"] == 4 and note["reporters"] == 3  # the drill's report is not counted
    assert note["good_catches"] == 2 and note["minutes_ahead"] == 16.0 and note["median_minutes_ahead"] == 8.0
    assert note["named"] == ["Ana"] and note["unnamed_catchers"] == 1
    subject, text = recognition.render_note(note, department_name="Gates", month="November 2026")
    assert subject == "Gates: your reports in November 2026"
    assert "Thank you, Ana, and the rest of the team." in text and "bo@" not in text and "Bo" not in text
    nobody = recognition.team_note(REPORTS, department="gates", named={})
    assert "Thank you, team" in recognition.render_note(nobody, department_name="Gates", month="x")[1]


def test_a_quiet_month_says_so_in_one_line() -> None:
    note = recognition.team_note([], department="gates", named={})
    _, text = recognition.render_note(note, department_name="Gates", month="November 2026")
    assert text.count("\n") == 0 and "No reports from Gates" in text
