"""Watchfulness drills on moto: a lead starts an exercise for a department; its post, marked
DRILL and announced as a practice, is on the department's page and wall with a link to the report
form carrying the drill's signed mark; two staff report it through the form; the department page
and the drill report show the report rate and the minutes to the first report; nothing of it is
counted as real; ending the drill removes the post. A forged mark is refused with a 422."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest

from chalicelib.api import wall as wall_api
from chalicelib.store.models import ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import make_person, sign_in
from tests.functional.test_case_cards import _counting
from tests.support import Browser

DISPLAY = {"authorization": "Bearer display-test-token"}
POST = "Saw your crew ignore a passenger on flight 212, filming it next time #neveragain"


def _report_from(browser: Browser, link: str) -> Any:
    """Open the exercise's link (the form, pre-filled) and send it as it stands."""
    form = browser.get(link).body.decode()
    assert "DRILL: this is a watchfulness practice" in form
    fields = {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(drill|session_csrf)" value="([^"]*)"', form)
    }
    department = re.search(r'name="department" value="([^"]*)"', form)
    text = re.search(r'<textarea id="text" name="text"[^>]*>([^<]*)</textarea>', form)
    assert text is not None and html.unescape(text.group(1)) == POST
    fields |= {"text": POST, "urgency": "normal"}
    fields |= {"department": html.unescape(department.group(1))} if department else {}
    return browser.post_form("/report", fields)


def _type(answer: Any) -> str:
    return str({k.lower(): v for k, v in answer.headers.items()}.get("content-type", ""))


def _wall(h: Harness, department: str) -> dict[str, Any]:
    wall_api.clear_cache()
    return dict(json.loads(h.client.http.get(f"/api/wall?department={department}", headers=DISPLAY).body))


def test_a_watchfulness_drill_is_shown_reported_measured_never_counted_and_ended(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    lead = sign_in(h, "lead@example.com", "lead", department="baggage")
    ana = sign_in(h, "ana@example.com", "everyone", name="Ana", department="inflight")
    for other in ("cara@example.com", "dan@example.com", "eve@example.com"):
        make_person(h, other, "everyone", department="inflight")
    started = lead.api("POST", "/api/drills/watch", {"departments": ["inflight"], "text": POST})
    assert started.status_code == 201, started.body
    drill = json.loads(started.body)
    drill_id = drill["drill"]["id"]
    link = drill["watch"]["links"]["inflight"]
    assert drill["watch"]["departments"]["inflight"] == {
        "reporters": 0,
        "staff": 4,
        "rate": 0.0,
        "minutes_to_first_report": None,
    }

    page = ana.get("/departments/inflight").body.decode()
    assert "Watchfulness practice: would you report this?" in page and f"DRILL · practice: {POST}" in page
    assert html.escape(link) in page
    [shown] = _wall(h, "inflight")["exercises"]
    assert shown["text"].startswith("DRILL") and shown["drill"] == drill_id
    assert _wall(h, "baggage")["exercises"] == []  # another department's wall shows nothing

    assert _report_from(ana, link).status_code == 201  # signed in: hers, her department
    assert _report_from(Browser(h.client.http), link).status_code == 201  # signed out: the link's department
    h.pump.pump_once()
    rows = list(ReportModel.scan())
    assert len(rows) == 2 and all(r.drill == drill_id for r in rows)
    # Stored, never routed: the practice post pages nobody, however many report it.
    assert [d for d in h.deliveries() if "Employee report" in str(d.get("subject"))] == []

    made = _counting(monkeypatch)
    measured = json.loads(lead.api("GET", f"/api/drills/{drill_id}").body)["watch"]["departments"]["inflight"]
    on_reports = [op for op, table in made if table.endswith("-reports")]
    assert on_reports == ["Query"], made  # the exercise's reports by the drill index, never a Scan
    assert measured["reporters"] == 2 and measured["staff"] == 4 and measured["rate"] == 0.5
    assert measured["minutes_to_first_report"] is not None and measured["minutes_to_first_report"] >= 0
    page = ana.get("/departments/inflight").body.decode()
    assert "Report rate: 50% (2 of 4 people). First report after" in page
    report_page = lead.get(f"/drills/{drill_id}").body.decode()
    assert "DRILL · watchfulness practice" in report_page and "<td>50%</td>" in report_page

    # Never counted as real: not in the department's week, the wall's ledgers, spotted or kudos.
    week = json.loads(ana.api("GET", "/api/departments/inflight/week").body)
    assert week["totals"]["reports"] == 0 and week["spotted"] == []
    wall = _wall(h, "inflight")
    assert wall["ledger"] == [] and wall["spotted"] == [] and all(e.get("drill") for e in wall["stream"])

    assert ana.api("POST", f"/api/drills/watch/{drill_id}/end").status_code == 403  # staff cannot end it
    ended = lead.api("POST", f"/api/drills/watch/{drill_id}/end")
    assert ended.status_code == 200 and json.loads(ended.body)["drill"]["status"] == "ended"
    page = ana.get("/departments/inflight").body.decode()
    assert "Watchfulness practice (ended)" in page and html.escape(link) not in page
    assert "Report rate: 50% (2 of 4 people)." in page  # the measure stays
    assert _wall(h, "inflight")["exercises"] == []
    again = lead.api("POST", f"/api/drills/watch/{drill_id}/end")  # ending twice changes nothing
    assert again.status_code == 200 and json.loads(again.body)["watch"]["departments"]["inflight"]["reporters"] == 2


def test_a_lead_cannot_end_a_storm_drill_through_the_exercise_route(harness: Harness) -> None:
    responder = sign_in(harness, "resp@example.com", "responder")
    storm = json.loads(responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60}).body)
    lead = sign_in(harness, "lead@example.com", "lead", department="baggage")
    refused = lead.api("POST", f"/api/drills/watch/{storm['id']}/end")
    assert refused.status_code == 404 and _type(refused).startswith("application/problem+json")
    assert json.loads(responder.api("GET", f"/api/drills/{storm['id']}").body)["drill"]["status"] == "running"


def test_a_forged_drill_mark_on_the_form_is_refused_and_nothing_is_filed(harness: Harness) -> None:
    browser = Browser(harness.client.http)
    browser.get("/report?text=hello&drill=d0123456789.0000000000000000")
    fields = {"text": "a real-looking report", "urgency": "normal", "drill": "d0123456789.0000000000000000"}
    refused = browser.post_form("/report", fields)
    assert refused.status_code == 422 and "drill mark is not one of ours" in refused.body.decode()
    browser.get("/report")
    from urllib.parse import urlencode

    body = urlencode({"csrf": browser.csrf, **fields, "drill": "garbage"}).encode()
    answer = harness.client.http.post(
        "/report",
        body=body,
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "application/json"},
    )
    assert answer.status_code == 422 and _type(answer).startswith("application/problem+json")
    assert "drill" in json.loads(answer.body)["detail"]
    assert list(ReportModel.scan()) == []


def test_an_exercise_needs_real_departments_and_a_lead(harness: Harness) -> None:
    lead = sign_in(harness, "lead@example.com", "lead", department="baggage")
    for doc in (
        {"departments": ["nope"]},
        {"departments": []},
        {"text": "x"},
        {"departments": ["inflight"], "text": "x" * 600},
    ):
        answer = lead.api("POST", "/api/drills/watch", doc)
        assert answer.status_code == 422, (doc, answer.body)
        assert _type(answer).startswith("application/problem+json")
    staff = sign_in(harness, "ana@example.com", "everyone", department="inflight")
    assert staff.api("POST", "/api/drills/watch", {"departments": ["inflight"]}).status_code == 403


def test_a_lead_starts_an_exercise_from_the_drills_page(harness: Harness) -> None:
    lead = sign_in(harness, "lead@example.com", "lead", department="baggage")
    assert "A watchfulness exercise" in lead.get("/drills").body.decode()
    started = lead.post_form("/drills/watch", {"department": "inflight", "text": "  <b>not markup</b> "})
    assert started.status_code == 201 and "its post is on the departments" in started.body.decode()
    ana = sign_in(harness, "ana@example.com", "everyone", department="inflight")
    page = ana.get("/departments/inflight").body.decode()
    assert "DRILL · practice: &lt;b&gt;not markup&lt;/b&gt;" in page and "<b>not markup" not in page
    lead.get("/drills")
    refused = lead.post_form("/drills/watch", {"department": "nowhere"})
    assert refused.status_code == 422 and "no department" in refused.body.decode()
    forged = lead.post_form("/drills/watch", {"department": "inflight"}, csrf=False)
    assert forged.status_code == 403
    ana.get("/departments/inflight")
    assert ana.post_form("/drills/watch", {"department": "inflight"}).status_code == 403
