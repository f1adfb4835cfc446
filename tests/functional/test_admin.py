from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.store import config
from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION, envelope, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def test_admins_edit_the_taxonomy_and_triage_uses_it(harness: Harness) -> None:
    current = json.loads(harness.client.http.get("/api/taxonomy", headers=ADMIN).body)
    assert "baggage" in current["departments"]
    current["departments"]["loyalty"] = {"name": "Loyalty", "phrases": ["miles", "status match"]}
    current["watched"] = {"handles": ["@ana"]}
    saved = harness.client.http.put("/api/taxonomy", body=json.dumps(current), headers=ADMIN)
    assert saved.status_code == 200 and "loyalty" in json.loads(saved.body)["departments"]
    config.clear_cache()
    body = envelope({**MENTION, "text": "@brand where are my status match miles? Furious."})
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    [row] = MentionModel.scan()
    assert row.departments[0] == "loyalty"
    assert "watched author" in row.severity_reasons


def test_a_bad_taxonomy_is_refused_whole(harness: Harness) -> None:
    bad = harness.client.http.put(
        "/api/taxonomy", body=json.dumps({"departments": {"x": {"phrases": []}}}), headers=ADMIN
    )
    assert bad.status_code == 422 and "departments.x" in json.loads(bad.body)["detail"]
    assert "baggage" in json.loads(harness.client.http.get("/api/taxonomy", headers=ADMIN).body)["departments"]
    assert harness.client.http.get("/api/taxonomy").status_code == 401


def test_planned_events_are_saved_validated_and_listed(harness: Harness) -> None:
    start = datetime.now(UTC)
    doc = {
        "name": "Spring launch",
        "series": "*",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=4)).isoformat(),
    }
    assert harness.client.http.put("/api/planned-events/spring", body=json.dumps(doc), headers=ADMIN).status_code == 200
    wrong = {**doc, "end": (start - timedelta(hours=1)).isoformat()}
    assert harness.client.http.put("/api/planned-events/oops", body=json.dumps(wrong), headers=ADMIN).status_code == 422
    events = json.loads(harness.client.http.get("/api/planned-events", headers=ADMIN).body)["events"]
    assert [e["name"] for e in events] == ["Spring launch"]
