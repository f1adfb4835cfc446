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
    assert all(k.startswith("drill/") for k in keys)  # the public pages are untouched
    assert {"drill/index.html", "drill/index.de.html", "drill/statements.json"} <= set(keys)
    rehearsal = s3.get_object(Bucket=get_settings().dark_site_bucket, Key="drill/index.html")["Body"].read()
    assert b"DRILL." in rehearsal
    from chalicelib.api import wall as wall_api

    wall_api.clear_cache()  # screens share a read for two seconds; this one must see the publish
    wall = json.loads(h.client.http.get("/api/wall", headers=DISPLAY).body)
    assert wall["crisis"]["statement"]["drill"] is True

    report = json.loads(responder.api("GET", f"/api/drills/{drill['id']}").body)
    # It follows every incident its storm opened (the one whose plan took hold, and the one that joined it).
    assert sorted(report["incidents"]) == sorted(i.incident_id for i in IncidentModel.scan())
    assert incident.incident_id in report["incidents"] and report["steps"] == {"total": 5, "sent": 5}
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
    from chalicelib.store import drills as records

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    drill = json.loads(responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60}).body)
    now = datetime.fromisoformat(drill["started_at"])
    reads = []

    def recording(doc: dict[str, Any]) -> bool:
        reads.append(list(doc["incidents"]))
        if len(reads) == 1:  # between this read and its write, the router records an incident
            records.follow(drill["id"], incident_id="i0123456789", at=now)
        doc["sent"] = [0, 1]
        return True

    records.change(drill["id"], recording, now=now)
    stored = records.load(drill["id"])
    assert reads == [[], ["i0123456789"]]  # the first write was refused and the change made again
    assert stored["sent"] == [0, 1] and stored["incidents"] == ["i0123456789"]
    assert drills.run_due(now=now + timedelta(seconds=60)) == 3  # the two recorded are not sent again
    assert drills.end(drill_id=drill["id"], by="lead@example.com", now=now)["status"] == "ended"


# -- each drill its own incident; ending one stops everything it started ------------------------


def _ses_sent() -> list[Any]:
    from moto.backends import get_backend

    return list(get_backend("ses")["123456789012"]["us-east-1"].sent_messages)


def _start(responder: Any) -> dict[str, Any]:
    answer = responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60})
    assert answer.status_code == 201, answer.body
    return dict(json.loads(answer.body))


def _storms(h: Harness, *drill_docs: dict[str, Any]) -> None:
    """Every step of the running drills' storms, through the webhooks, routed."""
    from chalicelib.flows import drills

    latest = max(datetime.fromisoformat(d["started_at"]) for d in drill_docs)
    assert drills.run_due(now=latest + timedelta(seconds=60)) == 5 * len(drill_docs)
    h.pump.pump_once()


def _report(responder: Any, drill: dict[str, Any]) -> dict[str, Any]:
    return dict(json.loads(responder.api("GET", f"/api/drills/{drill['id']}").body))


def _about(text: str, incident_ids: list[str]) -> bool:
    return any(i in text for i in incident_ids)


def test_two_drills_of_one_scenario_open_two_incidents_each_with_its_own_plan(through_the_app: Harness) -> None:
    # The same storm twice: the second drill's posts are word for word the first's, and once
    # joined the first drill's story (no incident of its own, a report that measured nothing).
    from chalicelib.store.models import IncidentModel, PlanModel

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    first, second = _start(responder), _start(responder)
    _storms(h, first, second)

    one, two = _report(responder, first), _report(responder, second)
    assert one["incidents"] and two["incidents"] and not set(one["incidents"]) & set(two["incidents"])
    assert one["minutes"]["to_incident"] is not None and two["minutes"]["to_incident"] is not None
    for drill, report in ((first, one), (second, two)):
        assert {IncidentModel.get(i).drill for i in report["incidents"]} == {drill["id"]}
        [plan] = [p for p in PlanModel.scan() if p.drill == drill["id"]]  # its own plan, once
        assert plan.incident_id in report["incidents"] and report["checklist"]["total"] == 5
        assert set(plan.doc.get("joined", [])) <= set(report["incidents"])  # joined by its own stories only
    assert len(list(PlanModel.scan())) == 2


def _waiting_about(incident_id: str, *, at: datetime) -> None:
    """Waiting to go out about an incident: a notice held for a grace period ("waiting-1") and
    one claimed whose publish never happened ("waiting-2": the stale retry would send it)."""
    from chalicelib.notify import delivery
    from chalicelib.records import Notification

    topic = get_settings().group_topic_arn("crisis-team")
    for n in (1, 2):
        notice = Notification(
            delivery_id=f"waiting-{n}",
            group="crisis-team",
            subject=f"[sharedwatch] waiting {n}",
            email=f"Incident: {incident_id}",
            sms="waiting",
            reasons=("test",),
            item_kind="incident",
            item_id=incident_id,
            severity="high",
            incident_id=incident_id,
        )
        if n == 1:
            assert delivery.hold_one(notice, topic_arn=topic, until=at + timedelta(minutes=5)) == "held"
        else:
            assert delivery._claim(notice, topic_arn=topic, now=at) is not None


def test_ending_a_drill_stops_everything_it_started_at_once_and_the_other_drill_goes_on(
    through_the_app: Harness,
) -> None:
    from chalicelib.flows import drills, incidents, plans
    from chalicelib.notify import delivery
    from chalicelib.store import drills as records
    from chalicelib.store.models import DeliveryModel, IncidentModel, PlanModel

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    ending, going_on = _start(responder), _start(responder)
    _storms(h, ending, going_on)
    mine = _report(responder, ending)["incidents"]
    theirs = _report(responder, going_on)["incidents"]
    opened = min(IncidentModel.get(i).opened_at for i in mine + theirs)
    _waiting_about(mine[0], at=opened)
    h.deliveries()

    answer = responder.api("POST", f"/api/drills/{ending['id']}/end")
    assert answer.status_code == 200, answer.body
    assert json.loads(answer.body)["drill"]["status"] == "ended"
    ended_at = datetime.fromisoformat(records.load(ending["id"])["ended_at"])
    mails_before = len(_ses_sent())

    # Everything it started is over at once: incidents resolved as drill-ended, plans closed,
    # nothing left in the schedule's queues, what waited superseded.
    for incident_id in mine:
        row = IncidentModel.get(incident_id)
        assert row.status == "resolved" and row.resolution == "drill-ended" and row.due is None
        assert row.acknowledged_at is None  # the drill's report still says nobody acknowledged it
        resolved = [json.loads(e) for e in row.timeline if json.loads(e)["event"] == "resolved"]
        assert len(resolved) == 1 and resolved[0]["via"] == "drill-ended"
    [closed] = [p for p in PlanModel.scan() if p.drill == ending["id"]]
    assert closed.doc["closed_at"] and closed.due is None and closed.next_at is None
    assert {DeliveryModel.get(f"waiting-{n}").status for n in (1, 2)} == {"superseded"}
    assert "resolved (the drill ended)" in responder.get(f"/incidents/{mine[0]}").body.decode()

    # The schedule's runs from now until hours later send nothing more about it; the other
    # drill's plan and escalation carry on.
    for minutes in (1, 16, 31, 61, 180):
        at = opened + timedelta(minutes=minutes)
        delivery.retry_stale(now=at)
        delivery.flush_held(now=at)
        incidents.escalate_due(now=at)
        plans.run_due(now=at)
        drills.run_due(now=at)
    told = h.deliveries()
    mailed = _ses_sent()[mails_before:]
    assert not [d for d in told if _about(json.dumps(d), mine)]
    assert not [m for m in mailed if _about(m.subject + m.body, mine)]
    after = [r for r in DeliveryModel.scan() if r.item_id in mine and r.sent_at and r.sent_at >= ended_at]
    assert after == []
    assert [d for d in told if _about(json.dumps(d), theirs)]  # escalations and updates
    assert [m for m in mailed if _about(m.body, theirs) and "Overdue" in m.subject]  # reminders
    assert all(IncidentModel.get(i).status != "resolved" for i in theirs)
    [going] = [p for p in PlanModel.scan() if p.drill == going_on["id"]]
    assert not going.doc.get("closed_at")

    # Its storm's straggler (a step in flight when it ended) is stored but never routed: the
    # resolved incident does not reopen and nobody hears of it.
    straggler = {"after_seconds": 0, "mention": {"text": ending["steps"][0]["mention"]["text"] + " again"}}
    assert drills.send_mention(ending, 99, straggler, now=ended_at) == 202
    h.pump.pump_once()
    assert all(IncidentModel.get(i).status == "resolved" for i in mine)
    assert not h.deliveries() and len(list(IncidentModel.scan())) == len(mine) + len(theirs)

    # Ending it again changes nothing and adds nothing.
    timelines = {i: list(IncidentModel.get(i).timeline) for i in mine}
    again = responder.api("POST", f"/api/drills/{ending['id']}/end")
    assert again.status_code == 200, again.body
    assert {i: list(IncidentModel.get(i).timeline) for i in mine} == timelines
    assert records.load(ending["id"])["ended_at"] == ended_at.isoformat()
    assert list(PlanModel.get(closed.incident_id).doc.items()) == list(closed.doc.items())
    assert _report(responder, going_on)["drill"]["status"] == "running"


def test_a_real_incident_never_joins_a_drills_plan_and_a_drill_never_joins_a_real_one(
    through_the_app: Harness,
) -> None:
    from chalicelib.store.models import IncidentModel, PlanModel
    from tests.support import CRISIS

    h = through_the_app
    responder = sign_in(h, "lead@example.com", "responder")
    before = _start(responder)
    _storms(h, before)
    # A real post about the same kind of crisis while the drill runs: its own story, incident and plan.
    body = envelope({**CRISIS, "text": before["steps"][0]["mention"]["text"].removeprefix("DRILL: ")})
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [real] = [i for i in IncidentModel.scan() if not i.drill]
    [real_plan] = [p for p in PlanModel.scan() if not p.drill]
    assert real_plan.incident_id == real.incident_id and real_plan.scenario == "passenger-safety"
    [drill_plan] = [p for p in PlanModel.scan() if p.drill == before["id"]]
    assert real.incident_id not in drill_plan.doc.get("joined", [])
    # A drill started while the real plan runs never joins it either.
    after = _start(responder)
    _storms(h, after)
    theirs = _report(responder, after)["incidents"]
    assert theirs and real.incident_id not in theirs
    assert not set(theirs) & set(PlanModel.get(real.incident_id).doc.get("joined", []))
    assert [p.incident_id for p in PlanModel.scan() if p.drill == after["id"]]
    assert {i.cluster_id for i in IncidentModel.scan() if i.drill}.isdisjoint({real.cluster_id})
