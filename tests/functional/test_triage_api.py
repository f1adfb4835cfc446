from __future__ import annotations

import json

from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def test_triage_answers_the_full_triage_and_stores_nothing(harness: Harness) -> None:
    mentions = [MENTION, {**MENTION, "id": "2", "url": "", "text": "I'm going to sue you, @brand. Lost bag, again."}]
    response = harness.client.http.post("/api/triage", body=json.dumps({"mentions": mentions}), headers=ADMIN)
    assert response.status_code == 200, response.body
    first, second = json.loads(response.body)["results"]
    assert first["identity"] == "x:1893021" and first["sentiment"]["label"] == "negative"
    assert first["departments"][0] == "operations"
    assert second["risk_terms"] == {"high": ["sue"]}
    assert second["severity"]["summary"].startswith("severity ")
    assert list(MentionModel.scan()) == []


def test_triage_needs_the_admin_token(harness: Harness) -> None:
    for headers in ({"content-type": "application/json"}, {**ADMIN, "authorization": "Bearer wrong"}):
        response = harness.client.http.post("/api/triage", body=json.dumps(MENTION), headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_triage_says_which_mention_is_invalid(harness: Harness) -> None:
    response = harness.client.http.post(
        "/api/triage", body=json.dumps({"mentions": [MENTION, {"id": "x"}]}), headers=ADMIN
    )
    assert response.status_code == 422
    assert any(e.startswith("mentions[1].text") for e in json.loads(response.body)["errors"])


def test_a_stored_mention_carries_its_triage_and_routes_by_it(harness: Harness) -> None:
    from tests.support import envelope, signed_headers

    body = envelope({**MENTION, "text": "@brand the crew on my flight were wonderful, thank you so much!"})
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    [row] = MentionModel.scan()
    assert (row.sentiment_label, row.kudos, row.departments[0]) == ("positive", True, "inflight")
    harness.pump.pump_once()
    deliveries = harness.deliveries()
    assert sorted(d["group"] for d in deliveries) == ["operations", "social-team"]
    assert all("Kudos" in d["subject"] for d in deliveries)
