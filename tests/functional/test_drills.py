"""Drills through the real pipeline: a shipped scenario's storm goes through the generic webhook
and the report form (the app's own routes, here in-process), marked with the drill's signed
mark; what it becomes says DRILL, is never counted, never reaches the dark site; the plan runs
at the drill's pace; the drill's report measures the team. A mark nobody signed is refused."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.settings import get_settings
from tests.functional.conftest import Harness
from tests.functional.identity_support import mail_to, sign_in
from tests.support import MENTION, envelope, signed_headers

DISPLAY = {"authorization": "Bearer display-test-token"}


@pytest.fixture
def through_the_app(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """The drill's HTTP requests go to the in-process app (on the local stack and AWS they go
    over the network to the same routes)."""
    from chalicelib.flows import drills

    def post(path: str, body: bytes, headers: dict[str, str]) -> int:
        return int(harness.client.http.post(path, body=body, headers=headers).status_code)

    monkeypatch.setattr(drills, "_post", post)
    return harness


def test_a_drill_sends_its_storm_through_the_webhooks_marked_and_never_counted(through_the_app: Harness) -> None:
    from chalicelib.flows import drills, plans
    from chalicelib.store.models import CounterModel, IncidentModel, MentionModel, PlanModel, ReportModel

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    started = responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60})
    assert started.status_code == 201, started.body
    drill = json.loads(started.body)
    begun = datetime.fromisoformat(drill["started_at"])
    assert drills.run_due(now=begun) == 1  # the first step at once
    assert drills.run_due(now=begun + timedelta(seconds=1)) == 4  # the rest: 5-20 s apart, at pace 60
    assert drills.run_due(now=begun + timedelta(seconds=60)) == 0  # each step once
    h.pump.pump_once()

    mentions = list(MentionModel.scan())
    reports = list(ReportModel.scan())
    assert len(mentions) == 4 and all(m.drill == drill["id"] for m in mentions)
    assert len(reports) == 1 and reports[0].drill == drill["id"]
    assert not [c for c in CounterModel.scan() if c.bucket.startswith(("m|", "h|"))]  # no baseline moved
    told = h.deliveries()
    assert told and all(d["subject"].startswith("[DRILL]") or "DRILL" in d["subject"] for d in told)
    wall = json.loads(h.client.http.get("/api/wall", headers=DISPLAY).body)
    assert wall["stream"] and all(e.get("drill") for e in wall["stream"])
    assert wall["ledger"] == [] and wall["kudos"] == []

    # One crisis, one plan: the storm's other stories join the plan of the first.
    [plan] = PlanModel.scan()
    incident = IncidentModel.get(plan.incident_id)
    others = [i for i in IncidentModel.scan() if i.incident_id != incident.incident_id]
    assert sorted(plan.doc.get("joined", [])) == sorted(i.incident_id for i in others)
    assert plan.drill == drill["id"] and plan.scenario == "passenger-safety"
    first_due = datetime.fromisoformat(plan.doc["tasks"][0]["due_at"])
    assert first_due - incident.opened_at == timedelta(seconds=15)  # 15 minutes at pace 60
    plans.run_due(now=incident.opened_at + timedelta(seconds=16))
    assert [m for m in mail_to("crisis-lead@example.com") if "Overdue" in m.subject]
    # Every mail the drill's plan sends says DRILL first: role briefs, approval links, reminders.
    planned = [*mail_to("crisis-lead@example.com"), *mail_to("press-office@example.com")]
    assert planned and all(m.subject.startswith("[DRILL]") and m.body.startswith("DRILL") for m in planned)

    # Approved and published: every employee hears it is a drill; the public never does.
    for who, role in (("press-office@example.com", "spokesperson"), ("counsel@example.com", "legal")):
        person = sign_in(h, who, "responder")
        answer = person.api(
            "POST", f"/api/incidents/{incident.incident_id}/statements/en/approve", {"revision": 1, "role": role}
        )
        assert answer.status_code == 200, answer.body
    published = responder.api("POST", f"/api/incidents/{incident.incident_id}/statements/en/publish")
    assert published.status_code == 200, published.body
    [brief] = [d for d in h.deliveries() if d["group"] == "all-staff"]
    assert "DRILL" in brief["subject"] and brief["email"].startswith("DRILL")
    s3 = boto3.client("s3", region_name="us-east-1")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=get_settings().dark_site_bucket).get("Contents", [])]
    assert sorted(keys) == ["drill/index.html", "drill/statements.json"]  # the public page is untouched
    rehearsal = s3.get_object(Bucket=get_settings().dark_site_bucket, Key="drill/index.html")["Body"].read()
    assert b"DRILL." in rehearsal
    from chalicelib.api import wall as wall_api

    wall_api.clear_cache()  # screens share a read for two seconds; this one must see the publish
    wall = json.loads(h.client.http.get("/api/wall", headers=DISPLAY).body)
    assert wall["crisis"]["statement"]["drill"] is True

    report = json.loads(responder.api("GET", f"/api/drills/{drill['id']}").body)
    assert report["incidents"] == [incident.incident_id] and report["steps"] == {"total": 5, "sent": 5}
    assert report["minutes"]["to_incident"] is not None and report["minutes"]["to_all_staff_brief"] is not None
    assert report["checklist"]["total"] == 5 and report["checklist"]["reminded"] >= 1
    page = responder.get(f"/drills/{drill['id']}")
    assert page.status_code == 200 and "DRILL report" in page.body.decode()
    ended = json.loads(responder.api("POST", f"/api/drills/{drill['id']}/end").body)
    assert ended["drill"]["status"] == "ended"
    assert drills.run_due(now=begun + timedelta(hours=1)) == 0


def test_a_drill_mark_nobody_signed_is_refused_at_the_door(harness: Harness) -> None:
    forged: dict[str, Any] = {**MENTION, "drill": "d0123456789.0000000000000000"}
    body = envelope(forged)
    answer = harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body))
    assert answer.status_code == 422 and "drill" in answer.body.decode()
    from chalicelib.store.models import MentionModel

    assert list(MentionModel.scan()) == []


def test_a_drill_needs_a_scenario_with_a_storm_and_a_sane_pace(harness: Harness) -> None:
    responder = sign_in(harness, "lead@example.com", "responder")
    for doc in ({"scenario": "nope"}, {"scenario": "passenger-safety", "pace": 1000}, {"pace": 2}):
        answer = responder.api("POST", "/api/drills", doc)
        assert answer.status_code == 422, (doc, answer.body)


def test_the_steps_sent_and_the_incident_opened_are_both_kept_when_they_are_recorded_at_once(
    through_the_app: Harness,
) -> None:
    # The schedule records the steps it sent while the router records the incident the storm
    # opened. Each writes only if nobody wrote since it read: a plain save lost the other's
    # change, and a lost `sent` would send the storm again on the next run.
    from chalicelib.flows import drills

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    drill = json.loads(responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60}).body)
    now = datetime.fromisoformat(drill["started_at"])
    reads = []

    def recording(doc: dict[str, Any]) -> bool:
        reads.append(list(doc["incidents"]))
        if len(reads) == 1:  # between this read and its write, the router records an incident
            drills.took_hold(drill["id"], incident_id="i0123456789", at=now)
        doc["sent"] = [0, 1]
        return True

    drills._change(drill["id"], recording, now=now)
    stored = drills.load(drill["id"])
    assert reads == [[], ["i0123456789"]]  # the first write was refused and the change made again
    assert stored["sent"] == [0, 1] and stored["incidents"] == ["i0123456789"]
    assert drills.run_due(now=now + timedelta(seconds=60)) == 3  # the two recorded are not sent again
    assert drills.end(drill_id=drill["id"], now=now)["status"] == "ended"
