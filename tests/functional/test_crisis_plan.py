"""The crisis plan, built in: scenarios validated whole and versioned, tested against a mention;
an incident that matches takes hold of its plan (tasks with owners and due times, reminders to
the owner then the backup, stakeholder updates at their cadence, statements drafted); a
statement is edited (voiding approvals and their links), approved by two roles (a link and the
console), published in one step to every employee, the wall and the dark site; the review is
read from all of it."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import boto3
import pytest

from chalicelib.settings import get_settings
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, mail_to, sign_in, token_for
from tests.support import CRISIS, Browser, envelope, signed_headers

DISPLAY = {"authorization": "Bearer display-test-token"}


def _scenario(**changes: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": "Data breach",
        "order": 5,
        "triggers": {"terms": ["breach", "leaked"], "severity_at_least": "medium"},
        "roles": {
            "lead": {"person": "ciso@example.com", "backup": "deputy@example.com"},
            "legal": {"person": "counsel@example.com"},
        },
        "stakeholders": [{"group": "executives", "every_minutes": 30, "while": ["critical"]}],
        "checklist": [{"id": "contain", "task": "Contain the leak", "role": "lead", "within_minutes": 15}],
        "statements": {"en": "We are investigating {title}. ({company})"},
        "approvals": ["legal"],
    }
    doc.update(changes)
    return doc


def test_a_scenario_is_refused_whole_listing_each_wrong_part_and_saved_as_versions(harness: Harness) -> None:
    http = harness.client.http
    bad = _scenario(
        roles={"lead": {"person": "not-an-address"}},
        checklist=[{"id": "x", "task": "", "role": "pilot", "within_minutes": 0}],
        statements={"en": "Hello {name} {title:>999999}"},
        approvals=["ceo"],
        stakeholders=[{"group": "nobody-here", "every_minutes": 1}],
    )
    refused = http.put("/api/plans/breach", body=json.dumps(bad).encode(), headers=ADMIN)
    assert refused.status_code == 400 and refused.headers["Content-Type"] == "application/problem+json"
    errors = json.loads(refused.body)["errors"]
    for part in ("roles.lead.person", "checklist[0].task", "checklist[0].role", "checklist[0].within_minutes"):
        assert any(e.startswith(part) for e in errors), (part, errors)
    assert any(e.startswith("statements.en") for e in errors) and any("approvals" in e for e in errors)
    assert any(e.startswith("stakeholders[0].every_minutes") for e in errors)
    assert http.get("/api/plans/breach", headers=ADMIN).status_code == 404  # nothing of it stored

    outsider = _scenario(roles={"lead": {"person": "boss@gmail.com"}, "legal": {"person": "counsel@example.com"}})
    refused = http.put("/api/plans/breach", body=json.dumps(outsider).encode(), headers=ADMIN)
    assert refused.status_code == 400 and json.loads(refused.body)["errors"][0].startswith("roles.lead.person")

    unknown_group = http.put(
        "/api/plans/breach",
        body=json.dumps(_scenario(stakeholders=[{"group": "nobody-here", "every_minutes": 30}])).encode(),
        headers=ADMIN,
    )
    assert unknown_group.status_code in (400, 422) and "nobody-here" in unknown_group.body.decode()

    first = http.put("/api/plans/breach", body=json.dumps(_scenario()).encode(), headers=ADMIN)
    assert first.status_code == 200 and json.loads(first.body)["version"] == 1
    second = http.put("/api/plans/breach", body=json.dumps(_scenario(name="Data breach (v2)")).encode(), headers=ADMIN)
    assert json.loads(second.body)["version"] == 2
    versions = json.loads(http.get("/api/plans/breach", headers=ADMIN).body)["versions"]
    assert [v["version"] for v in versions] == [2, 1] and versions[1]["name"] == "Data breach"


def test_the_plan_tester_says_which_scenario_takes_a_mention_and_what_it_would_set_in_motion(harness: Harness) -> None:
    http = harness.client.http
    body = {"mention": CRISIS}
    answer = json.loads(http.post("/api/plans/test", body=json.dumps(body).encode(), headers=ADMIN).body)
    assert answer["would"]["scenario"] == "passenger-safety"
    first = answer["verdicts"][0]
    assert first["matches"] and any("lawsuit" in r or "disabled" in r for r in first["reasons"])
    assert {t["id"] for t in answer["would"]["tasks"]} >= {"confirm-facts", "legal-review"}
    assert answer["would"]["tasks"][0]["owner"] == "crisis-lead@example.com"
    assert answer["would"]["approvals"] == ["spokesperson", "legal"]
    assert "Example Air" in answer["would"]["statements"]["en"]

    calm = {"facts": {"text": "lovely flight today", "severity": "low"}}
    answer = json.loads(http.post("/api/plans/test", body=json.dumps(calm).encode(), headers=ADMIN).body)
    assert answer["would"] is None and all(not v["matches"] for v in answer["verdicts"])


@pytest.mark.parametrize(("story", "status"), [("", 422), ("  ", 422), (7, 422), (None, 422), ("no-such-story", 404)])
def test_the_plan_tester_refuses_a_story_it_cannot_look_up(harness: Harness, story: Any, status: int) -> None:
    # The contract fuzz found {"story": ""} answering 500: DynamoDB refuses an empty key outright.
    answer = harness.client.http.post("/api/plans/test", body=json.dumps({"story": story}).encode(), headers=ADMIN)
    assert answer.status_code == status and answer.headers["Content-Type"] == "application/problem+json"


def _links(address: str, lang: str = "en") -> list[str]:
    """The approval links mailed to someone for the statement in one language."""
    found = [m for mail in mail_to(address) for m in re.findall(r"/approve/\S+", mail.body)]
    return [link for link in found if f".{lang}." in link]


def _open_crisis(h: Harness, text: str = CRISIS["text"]) -> Any:
    from chalicelib.store.models import IncidentModel

    body = envelope({**CRISIS, "text": text})
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    return incident


def test_an_incident_takes_hold_of_its_plan_reminds_overdue_tasks_and_updates_stakeholders(harness: Harness) -> None:
    from chalicelib.flows.plans import run_due
    from chalicelib.store.models import IncidentModel, PlanModel

    incident = _open_crisis(harness)
    plan = PlanModel.get(incident.incident_id)
    assert plan.scenario == "passenger-safety" and plan.doc["scenario"]["version"] == 1
    events = [json.loads(e)["event"] for e in IncidentModel.get(incident.incident_id).timeline]
    assert "plan started" in events and "statements drafted" in events
    # Each role holder hears what they hold; each approver gets their own link.
    assert any("You are the lead" in m.body for m in mail_to("crisis-lead@example.com"))
    assert len(_links("press-office@example.com")) == 1 and len(_links("counsel@example.com", "de")) == 1

    # The schedule: the first task is overdue at 15 minutes (its owner), then its backup.
    opened = incident.opened_at
    run_due(now=opened + timedelta(minutes=16))
    assert [m for m in mail_to("crisis-lead@example.com") if "Overdue" in m.subject]
    assert not [m for m in mail_to("deputy-lead@example.com") if "Overdue" in m.subject]
    run_due(now=opened + timedelta(minutes=31))
    assert [m for m in mail_to("deputy-lead@example.com") if "Confirm what happened" in m.subject]
    run_due(now=opened + timedelta(minutes=31))  # again: nobody is reminded twice
    assert len([m for m in mail_to("deputy-lead@example.com") if "Confirm what happened" in m.subject]) == 1
    run_due(now=opened + timedelta(minutes=61))  # the crisis team's hourly update
    updates = [d for d in harness.deliveries() if d.get("item_kind") == "update"]
    assert [d["group"] for d in updates] == ["crisis-team"]
    events = [json.loads(e)["event"] for e in IncidentModel.get(incident.incident_id).timeline]
    assert events.count("task overdue") >= 2 and "stakeholders updated" in events


def test_a_statement_is_edited_approved_by_two_roles_and_published_to_everyone(harness: Harness) -> None:
    from chalicelib.store.models import PlanModel

    http = harness.client.http
    incident = _open_crisis(harness, CRISIS["text"] + " <script>alert(1)</script>")
    [spokes_link_r1] = _links("press-office@example.com")
    [legal_link_r1] = _links("counsel@example.com")

    # A responder edits the English statement: approvals (and links) start over.
    editor = sign_in(harness, "editor@example.com", "responder")
    page = editor.get(f"/incidents/{incident.incident_id}")
    assert page.status_code == 200 and "Passenger safety" in page.body.decode()
    assert "<script>alert(1)</script>" not in page.body.decode()
    edited = editor.api(
        "PUT",
        f"/api/incidents/{incident.incident_id}/statements/en",
        {"text": "We are aware of a passenger's account <b>and we are on it</b>.", "revision": 1},
    )
    assert edited.status_code == 200, edited.body
    assert json.loads(edited.body)["statements"]["en"]["revision"] == 2
    stale = editor.api(
        "PUT", f"/api/incidents/{incident.incident_id}/statements/en", {"text": "overwrite", "revision": 1}
    )
    assert stale.status_code == 409  # an edit over someone else's is refused

    # The old link approves nothing; the new one does (the spokesperson, by email).
    visitor = Browser(http)
    assert "no longer approves" in visitor.get(spokes_link_r1).body.decode()
    visitor.post_form(spokes_link_r1, {}, csrf=False)
    assert PlanModel.get(incident.incident_id).doc["statements"]["en"]["approvals"] == {}
    spokes_link_r2 = _links("press-office@example.com")[-1]
    assert spokes_link_r2 != spokes_link_r1 and legal_link_r1 not in _links("counsel@example.com")[-1:]
    shown = visitor.get(spokes_link_r2).body.decode()
    assert "&lt;b&gt;and we are on it&lt;/b&gt;" in shown and "<b>and" not in shown
    assert "Approved" in visitor.post_form(spokes_link_r2, {}, csrf=False).body.decode()

    # Not approved by every role: publishing is refused.
    early = editor.api("POST", f"/api/incidents/{incident.incident_id}/statements/en/publish")
    assert early.status_code == 409 and "legal" in early.body.decode()
    # Someone who holds no approving role cannot approve from the console.
    refused = editor.api(
        "POST", f"/api/incidents/{incident.incident_id}/statements/en/approve", {"revision": 2, "role": "legal"}
    )
    assert refused.status_code == 403

    # Legal approves signed in, from the incident's page.
    counsel = sign_in(harness, "counsel@example.com", "responder")
    counsel.get(f"/incidents/{incident.incident_id}")
    approved = counsel.post_form(f"/incidents/{incident.incident_id}/approve", {"lang": "en", "revision": "2"})
    assert approved.status_code == 200 and "Approved." in approved.body.decode()
    plan = PlanModel.get(incident.incident_id)
    st = plan.doc["statements"]["en"]
    assert st["state"] == "approved" and set(st["approvals"]) == {"spokesperson", "legal"}
    assert st["approved"][-1]["text"].startswith("We are aware of a passenger")

    # Published in one step: every employee (SNS), the department pages, the wall, the dark site.
    harness.deliveries()
    published = editor.api("POST", f"/api/incidents/{incident.incident_id}/statements/en/publish")
    assert published.status_code == 200 and json.loads(published.body)["published"] is True
    again = editor.api("POST", f"/api/incidents/{incident.incident_id}/statements/en/publish")
    assert json.loads(again.body)["published"] is False
    briefs = [d for d in harness.deliveries() if d["group"] == "all-staff"]
    assert len(briefs) == 1 and "What not to say" in briefs[0]["email"] and "we are on it" in briefs[0]["email"]
    wall = json.loads(http.get("/api/wall", headers=DISPLAY).body)
    assert wall["crisis"]["statement"]["text"].startswith("We are aware of a passenger")
    s3 = boto3.client("s3", region_name="us-east-1")
    site = s3.get_object(Bucket=get_settings().dark_site_bucket, Key="index.html")["Body"].read().decode()
    assert "&lt;b&gt;and we are on it&lt;/b&gt;" in site and "<b>and" not in site and "<script>alert" not in site
    staff = sign_in(harness, "sam@example.com")
    department = staff.get("/departments/airport").body.decode()
    assert "All-staff brief" in department and "What not to say" in department

    # The review, from all of it; a tracked action item.
    item = editor.api(
        "POST",
        f"/api/incidents/{incident.incident_id}/actions",
        {"text": "Train gate staff on assistance", "owner": "ops@example.com", "due": "2026-12-31"},
    )
    assert item.status_code == 201
    review = json.loads(editor.api("GET", f"/api/incidents/{incident.incident_id}/review").body)
    assert review["scenario"]["id"] == "passenger-safety"
    assert review["minutes"]["to_approve"] is not None and review["minutes"]["to_publish"] is not None
    assert review["checklist"]["total"] == 5 and review["actions"][0]["status"] == "open"
    assert any(t["group"] == "all-staff" for t in review["told"])
    printable = editor.get(f"/incidents/{incident.incident_id}/review")
    text = printable.body.decode()
    assert printable.status_code == 200 and "Post-incident review" in text and "<script>alert(1)" not in text


def test_a_resolved_incident_stops_its_plan(harness: Harness) -> None:
    from chalicelib.flows.plans import run_due
    from chalicelib.store.models import PlanModel

    incident = _open_crisis(harness)
    token = token_for(harness, "r@example.com", "responder")
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    path = f"/api/incidents/{incident.incident_id}/tasks/confirm-facts"
    done = harness.client.http.post(path, headers=headers, body=b"")
    assert done.status_code == 200
    assert json.loads(done.body)["tasks"][0]["status"] == "done"
    resolved = harness.client.http.post(f"/api/incidents/{incident.incident_id}/resolve", headers=headers, body=b"{}")
    assert resolved.status_code == 200
    assert run_due(now=incident.opened_at + timedelta(hours=3)) == 0
    plan = PlanModel.get(incident.incident_id)
    assert plan.doc["closed_at"] and plan.due is None
    assert not [m for m in mail_to("crisis-lead@example.com") if "Overdue" in m.subject]


def test_the_console_edits_a_scenario_exactly_as_the_api_validates_it(harness: Harness) -> None:
    admin = sign_in(harness, "boss@example.com", "admin")
    page = admin.get("/admin").body.decode()
    assert "Crisis plans (scenarios)" in page and "passenger-safety" in page
    admin.get("/admin/edit/plans?key=breach")
    bad = _scenario(approvals=["ceo"], checklist=[])
    refused = admin.post_form("/admin/edit/plans", {"key": "breach", "doc": json.dumps(bad)})
    api = harness.client.http.put("/api/plans/breach", body=json.dumps(bad).encode(), headers=ADMIN)
    assert refused.status_code == 400 and api.status_code == 400
    for problem in json.loads(api.body)["errors"]:
        assert problem.replace("'", "&#39;") in refused.body.decode()
    admin.get("/admin/edit/plans?key=breach")
    saved = admin.post_form("/admin/edit/plans", {"key": "breach", "doc": json.dumps(_scenario())})
    assert saved.status_code == 303
    versions = json.loads(harness.client.http.get("/api/plans/breach", headers=ADMIN).body)["versions"]
    assert [v["version"] for v in versions] == [1]
    audit = json.loads(harness.client.http.get("/api/audit?action=config.scenario", headers=ADMIN).body)["entries"]
    assert audit[0]["actor"] == "boss@example.com" and audit[0]["target"] == "breach"


def test_an_incident_a_later_post_makes_critical_takes_hold_of_a_plan_that_waits_for_critical(
    harness: Harness,
) -> None:
    from chalicelib.store.models import IncidentModel, PlanModel

    http = harness.client.http
    with open("chalicelib/scenarios/passenger-safety.json", encoding="utf-8") as handle:
        shipped = json.load(handle)
    critical_only = {**shipped, "triggers": {**shipped["triggers"], "severity_at_least": "critical"}}
    saved = http.put("/api/plans/passenger-safety", body=json.dumps(critical_only).encode(), headers=ADMIN)
    assert saved.status_code == 200
    incident = _open_crisis(harness)  # high (52,000 followers): an incident, no plan yet
    assert incident.severity == "high"
    with pytest.raises(PlanModel.DoesNotExist):
        PlanModel.get(incident.incident_id)

    louder = envelope(
        {
            **CRISIS,
            "id": "7002",
            "url": "https://x.com/lee/status/7002",
            "author": {"handle": "lee", "name": "Lee", "followers": 2_000_000},
        }
    )
    assert http.post("/webhooks/generic", body=louder, headers=signed_headers(louder)).status_code == 202
    harness.pump.pump_once()
    raised = IncidentModel.get(incident.incident_id)
    assert raised.severity == "critical"
    assert [json.loads(e)["was"] for e in raised.timeline if json.loads(e)["event"] == "severity raised"] == ["high"]
    assert PlanModel.get(incident.incident_id).scenario == "passenger-safety"
