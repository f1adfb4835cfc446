"""The routing admin API: rules, policies, groups and members validated when saved (a 4xx that
names what is wrong, nothing stored), and `POST /api/rules/test` explaining every decision."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.store.models import ConfigModel
from tests.functional.conftest import Harness
from tests.support import MENTION

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def _call(h: Harness, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    return getattr(h.client.http, method)(path, body=data, headers=headers or ADMIN)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    return dict(json.loads(response.body))


def test_rules_test_says_which_rules_match_and_why(harness: Harness) -> None:
    answer = _call(harness, "post", "/api/rules/test", {"mention": MENTION})
    assert answer.status_code == 200
    doc = answer.json_body
    assert {n["group"] for n in doc["notify"]} == {"social-team", "operations"}
    verdicts = {v["rule"]: v for v in doc["rules"]}
    assert verdicts["delays-to-operations"]["reasons"] == ["text mentions 'cancelled'"]
    assert verdicts["urgent-reports"] == {
        "rule": "urgent-reports",
        "matched": False,
        "evaluated": True,
        "reasons": ["kind is 'mention', not report"],
    }
    assert doc["triage"]["sentiment"] == "negative" and doc["escalation"] == "default"
    report = _call(harness, "post", "/api/rules/test", {"report": {"text": "a fire at gate 4", "urgency": "urgent"}})
    assert {n["group"] for n in report.json_body["notify"]} == {"crisis-team", "social-team"}
    public = {"report": {"text": "a fire at gate 4", "urgency": "urgent", "signed_in": False}}
    answer = _call(harness, "post", "/api/rules/test", public).json_body
    assert "crisis-team" not in {n["group"] for n in answer["notify"]}
    assert answer["triage"]["urgency_routed"] == "normal"


def test_a_bad_rule_is_refused_saying_which_condition_is_wrong_and_nothing_is_stored(harness: Harness) -> None:
    before = ConfigModel.count("rule")
    bad = {"when": {"severity_at_least": "huge", "sentiment": ["negative"], "colour": "red"}, "notify": ["social-team"]}
    problem = _problem(_call(harness, "put", "/api/rules/bad-one", bad), 400)
    assert problem["errors"] == [
        "when.severity_at_least: one of low, medium, high, critical",
        "when.colour: unknown condition; known: " + problem["errors"][1].split("known: ")[1],
    ]
    unknown_group = _problem(_call(harness, "put", "/api/rules/r", {"when": {}, "notify": ["nobody"]}), 400)
    assert "no group 'nobody'" in unknown_group["detail"]
    no_policy = {"when": {}, "notify": ["legal"], "escalation": "missing"}
    assert "no policy 'missing'" in _problem(_call(harness, "put", "/api/rules/r", no_policy), 400)["detail"]
    assert ConfigModel.count("rule") == before
    good = {"when": {"risk": True}, "notify": ["legal"], "owner": "legal", "order": 5}
    assert _call(harness, "put", "/api/rules/risk-to-legal", good).json_body["owner"] == "legal"
    assert "risk-to-legal" in [r["id"] for r in _call(harness, "get", "/api/rules").json_body["rules"]]
    assert _call(harness, "delete", "/api/rules/risk-to-legal").status_code == 204


def test_a_group_with_nobody_reachable_is_a_visible_warning(harness: Harness) -> None:
    groups = {g["slug"]: g for g in _call(harness, "get", "/api/groups").json_body["groups"]}
    assert groups["legal"]["warnings"] == ["nobody can be reached in this group: notifications to it reach no one"]
    member = {"protocol": "email", "endpoint": "counsel@example.com", "timezone": "Europe/London"}
    added = _call(harness, "post", "/api/groups/legal/members", member)
    assert added.status_code == 201 and added.json_body["timezone"] == "Europe/London"
    groups = {g["slug"]: g for g in _call(harness, "get", "/api/groups").json_body["groups"]}
    assert groups["legal"]["members"] == 1 and groups["legal"]["zones"] == ["Europe/London"]
    removed = _call(harness, "delete", f"/api/groups/legal/members/{added.json_body['id']}")
    assert removed.status_code == 204


def test_a_bad_member_or_group_says_what_is_wrong(harness: Harness) -> None:
    bad = {"protocol": "sms", "endpoint": "0770090012", "timezone": "Mars/Olympus"}
    problem = _problem(_call(harness, "post", "/api/groups/legal/members", bad), 422)
    assert problem["errors"] == [
        "endpoint: a phone number in E.164 form, e.g. +447700900123",
        "timezone: 'Mars/Olympus' is not an IANA time zone (e.g. Europe/Paris)",
    ]
    _problem(_call(harness, "post", "/api/groups/nobody/members", {"protocol": "email"}), 404)
    group = _problem(_call(harness, "put", "/api/groups/night", {"quiet_hours": "late", "grace_minutes": -1}), 400)
    assert len(group["errors"]) == 2
    _problem(_call(harness, "get", "/api/groups", headers={"authorization": "Bearer wrong"}), 401)
    created = _call(harness, "put", "/api/groups/night-shift", {"name": "Night shift", "quiet_hours": "08:00-16:00"})
    assert created.status_code == 201


def test_a_bad_policy_or_window_is_refused(harness: Harness) -> None:
    policy = {"levels": [{"after_minutes": 10, "notify": ["ghosts"]}]}
    assert "no group 'ghosts'" in _problem(_call(harness, "put", "/api/policies/p", policy), 400)["detail"]
    window = {"start": "2026-11-24T03:00:00Z", "end": "2026-11-24T02:00:00Z"}
    assert _problem(_call(harness, "put", "/api/maintenance/w", window), 400)["detail"] == "end: after start"
