"""The console's pages beyond the inbox: every department's page for every employee (and
following it), the incidents list; nothing on them renders attacker text as markup."""

from __future__ import annotations

import json

import boto3

from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in
from tests.support import CRISIS, MENTION, batch_envelope, signed_headers

PRAISE = "Huge thanks to the cabin crew on my flight, they were wonderful <b>bold</b>"


def _seed(h: Harness) -> None:
    h.client.http.put(
        "/api/departments/inflight",
        body=json.dumps({"name": "Inflight", "group": "social-team"}).encode(),
        headers=ADMIN,
    )
    items = [
        {**MENTION, "id": "d1", "url": "https://x.com/a/status/1", "text": PRAISE, "author": {"handle": "ann"}},
        {
            **MENTION,
            "id": "d2",
            "url": "https://x.com/b/status/2",
            "text": "The crew ignored us and the seat was broken",
            "author": {"handle": "bob"},
        },
        {**CRISIS},
    ]
    body = batch_envelope(items)
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()


def test_every_employee_sees_how_a_departments_work_landed_and_can_follow_it(harness: Harness) -> None:
    _seed(harness)
    staff = sign_in(harness, "sam@example.com")  # the everyone role
    week = json.loads(staff.api("GET", "/api/departments/inflight/week").body)
    assert week["totals"]["mentions"] >= 2 and week["totals"]["praise"] >= 1 and week["totals"]["complaints"] >= 1
    assert len(week["days"]) == 7 and week["days"][-1]["mentions"] == week["totals"]["mentions"]
    assert any("cabin crew" in b["text"] for b in week["best"])

    page = staff.get("/departments/inflight").body.decode()
    assert "how your work landed" in page and "cabin crew" in page
    assert "&lt;b&gt;bold&lt;/b&gt;" in page and "<b>bold</b>" not in page
    assert "Follow Inflight" in page
    assert staff.get("/departments").status_code == 200

    followed = staff.post_form("/departments/inflight/follow", {})
    assert followed.status_code == 200 and "You follow Inflight" in followed.body.decode()
    sns = boto3.client("sns", region_name="us-east-1")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("group-social-team"))
    mine = [
        s
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Endpoint"] == "sam@example.com"
    ]
    assert len(mine) == 1
    policy = sns.get_subscription_attributes(SubscriptionArn=mine[0]["SubscriptionArn"])["Attributes"]["FilterPolicy"]
    # The digests only, never the alerts; at 08:00 in their zone (the company's, UTC, for Sam).
    assert json.loads(policy) == {"audience": ["follow:inflight@UTC"], "lang": ["en", "any"]}  # their digests, theirs
    assert "Stop following" in staff.get("/departments/inflight").body.decode()
    staff.post_form("/departments/inflight/follow", {"stop": "1"})
    assert not [
        s
        for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        if s["Endpoint"] == "sam@example.com"
    ]
    signed_out = harness.client.http.get("/departments/inflight")  # signed out: to sign-in, and back here
    assert signed_out.status_code == 303 and signed_out.headers["Location"] == "/signin?next=%2Fdepartments%2Finflight"


def test_the_incidents_list_puts_open_ones_first_for_responders_only(harness: Harness) -> None:
    _seed(harness)
    responder = sign_in(harness, "ana@example.com", "responder")
    page = responder.get("/incidents")
    assert page.status_code == 200 and "open" in page.body.decode() and "/incidents/i" in page.body.decode()
    assert sign_in(harness, "sam@example.com").get("/incidents").status_code == 403


def test_a_responder_notes_reassigns_and_links_a_report_to_an_incident(harness: Harness) -> None:
    from tests.functional.test_inbox import _report

    _seed(harness)
    incident_id = json.loads(harness.client.http.get("/api/incidents", headers=ADMIN).body)["incidents"][0]["id"]
    tracking = _report(harness, "Saw the video of the crew, it is everywhere", "omar@example.com")
    harness.pump.pump_once()
    responder = sign_in(harness, "ana@example.com", "responder")
    responder.get(f"/incidents/{incident_id}")
    noted = responder.post_form(f"/incidents/{incident_id}/note", {"note": "Called the family; statement drafted"})
    assert noted.status_code == 200 and "Called the family" in noted.body.decode()
    bad = responder.post_form(f"/incidents/{incident_id}/assign", {"owner": "nobody"})
    assert bad.status_code == 400 and "owner: an existing group" in bad.body.decode()
    moved = responder.post_form(f"/incidents/{incident_id}/assign", {"owner": "executives"})
    assert "Executives" in moved.body.decode()
    linked = responder.post_form(f"/incidents/{incident_id}/link", {"report": tracking})
    assert "is linked" in linked.body.decode()
    doc = json.loads(harness.client.http.get(f"/api/incidents/{incident_id}", headers=ADMIN).body)
    events = [(e["event"], e.get("by", "")) for e in doc["timeline"]]
    assert ("note", "ana@example.com") in events and ("assigned", "ana@example.com") in events
    assert ("report linked", "ana@example.com") in events and doc["owner"] == "executives"
    # The API does the same; the reporter of a linked report hears the outcome.
    api = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
    assert (
        harness.client.http.post(f"/api/incidents/{incident_id}/notes", body=b'{"note": ""}', headers=api).status_code
        == 422
    )
    harness.client.http.post(f"/api/incidents/{incident_id}/resolve", body=b'{"note": "apologised"}', headers=api)
    from chalicelib.store.models import ReportModel

    assert "resolved" in str(ReportModel.get(tracking).outcome)
    actions = [
        e["action"]
        for e in json.loads(harness.client.http.get("/api/audit?action=incident.", headers=ADMIN).body)["entries"]
    ]
    assert {"incident.note", "incident.assign", "incident.link_report", "incident.resolve"} <= set(actions)


def test_a_storys_page_charts_its_volume_and_sentiment_and_names_who_spotted_it(harness: Harness) -> None:
    from tests.functional.test_inbox import _report

    _report(harness, "This post is going viral " + CRISIS["url"], "omar@example.com", "urgent")
    harness.pump.pump_once()
    _seed(harness)
    copies = [
        {
            **CRISIS,
            "id": f"rt{n}",
            "url": f"https://x.com/rt{n}/status/{9000 + n}",
            "text": f"RT @dana: {CRISIS['text']}",
            "author": {"handle": f"rt{n}", "followers": 100},
        }
        for n in range(4)
    ]
    body = batch_envelope(copies)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    stories = json.loads(harness.client.http.get("/api/stories", headers=ADMIN).body)["stories"]
    crisis = next(s for s in stories if s["copies"] >= 5)
    doc = json.loads(harness.client.http.get(f"/api/stories/{crisis['id']}", headers=ADMIN).body)
    assert sum(p["joined"] for p in doc["chart"]) == doc["copies"] and len(doc["chart"]) == 48
    assert sum(p["negative"] for p in doc["chart"]) == doc["negative"] >= 4
    assert doc["incident"] and doc["reports"] and doc["reports"][0]["position"] == 1
    responder = sign_in(harness, "ana@example.com", "responder")
    page = responder.get(f"/stories/{crisis['id']}").body.decode()
    assert "<svg" in page and "spotted it first" in page and f"/incidents/{doc['incident']}" in page
    assert responder.get("/stories").status_code == 200
    assert sign_in(harness, "sam@example.com").get(f"/stories/{crisis['id']}").status_code == 403
