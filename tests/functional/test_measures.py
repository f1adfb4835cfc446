"""The watchfulness measures on moto: a post the listening tools had, reported by an employee half
an hour later, gives the department's report rate per 100 staff and minutes from first post to
first report in the admin's JSON API (bad input a 400 problem, a department nobody has a 404,
staff refused); the monthly note carries them and keeps them for the department page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from chalicelib.clock import utcnow
from chalicelib.flows import recognition
from chalicelib.store.models import DeliveryModel, ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import make_person, sign_in
from tests.support import CRISIS, envelope, frozen_at, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token"}


def _reported_half_an_hour_late(h: Harness) -> datetime:
    """The tools have the post at `start`; Priya (inflight, one of two there) reports it 30
    minutes later, in the same month whatever today is. Returns `start`."""
    start = utcnow() - timedelta(hours=2)
    if (start + timedelta(minutes=31)).month != start.month:
        start -= timedelta(hours=1)
    with frozen_at(start):
        posted = {**CRISIS, "published_at": start.isoformat().replace("+00:00", "Z")}
        body = envelope(posted)
        assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
        h.pump.pump_once()
    make_person(h, "sam@example.com", "everyone", department="inflight")
    with frozen_at(start + timedelta(minutes=30)):
        priya = sign_in(h, "priya@example.com", "everyone", name="Priya Shah", department="inflight")
        form = priya.get("/report").body.decode()
        session = re.search(r'name="session_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        fields = {"text": "This thread about our crew", "url": CRISIS["url"], "session_csrf": session}
        assert priya.post_form("/report", fields).status_code == 201
        h.pump.pump_once()
    [report] = ReportModel.scan()
    assert report.position == 1 and report.cluster_id  # the first employee report of the story
    return start


def _problem(answer: object, status: int) -> str:
    assert answer.status_code == status, answer.body  # type: ignore[attr-defined]
    assert answer.headers["Content-Type"] == "application/problem+json"  # type: ignore[attr-defined]
    return str(json.loads(answer.body)["detail"])  # type: ignore[attr-defined]


def test_the_admin_reads_each_departments_report_rate_and_minutes_to_first_report(harness: Harness) -> None:
    h = harness
    month = f"{_reported_half_an_hour_late(h):%Y-%m}"
    answer = h.client.http.get(f"/api/measures?month={month}", headers=ADMIN)
    assert answer.status_code == 200, answer.body
    got = json.loads(answer.body)
    assert got["month"] == month
    inflight = got["departments"]["inflight"]
    assert inflight["reports"] == 1 and inflight["staff"] == 2 and inflight["reports_per_100_staff"] == 50.0
    assert inflight["first_reports"] == 1 and 29.9 <= inflight["median_minutes_to_first_report"] <= 30.1
    assert inflight["spotted_before_tools"] == 0  # the tools had it first
    assert all(d["reports"] == 0 for slug, d in got["departments"].items() if slug != "inflight")
    one = json.loads(h.client.http.get(f"/api/measures?month={month}&department=inflight", headers=ADMIN).body)
    assert list(one["departments"]) == ["inflight"]

    assert "YYYY-MM" in _problem(h.client.http.get("/api/measures?month=last", headers=ADMIN), 400)
    ahead = f"{(utcnow().replace(day=1) + timedelta(days=32)):%Y-%m}"
    assert "not begun" in _problem(h.client.http.get(f"/api/measures?month={ahead}", headers=ADMIN), 400)
    _problem(h.client.http.get("/api/measures?department=nowhere", headers=ADMIN), 404)
    staff = sign_in(h, "sam@example.com")
    assert staff.api("GET", "/api/measures").status_code == 403  # staff see their department's page


def test_the_monthly_note_carries_the_measures_and_the_department_page_shows_them(harness: Harness) -> None:
    h = harness
    start = _reported_half_an_hour_late(h)
    month = f"{start:%Y-%m}"
    # Before the note's run nothing is kept for a month: the page says nothing of it.
    assert "How watchful we were" not in sign_in(h, "sam@example.com").get("/departments/inflight").body.decode()
    next_month = (start.replace(day=1) + timedelta(days=32)).replace(day=1, hour=8)
    assert recognition.send_team_notes(now=next_month)["inflight"] == "sent"
    [note] = [r for r in DeliveryModel.scan() if r.item_id.startswith("team-note:inflight:")]
    text = json.loads(note.message)["email"]
    assert "Report rate: 50 reports per 100 staff (2 people in the directory)." in text
    assert re.search(r"first report by one of you: typically (29\.9|30|30\.1) minutes \(1 stories\)", text), text
    assert "Spotted before the listening tools: 0." in text

    with frozen_at(next_month + timedelta(hours=1)):
        sam = sign_in(h, "sam@example.com")
        page = sam.get("/departments/inflight").body.decode()
    assert f"How watchful we were in {month}" in page
    assert "Reports per 100 staff: 50.0 (2 people in the directory)." in page
    assert "Spotted before the listening tools: 0." in page
