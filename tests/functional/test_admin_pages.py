"""The configuration pages save through the API's own functions: the same 400 listing each
wrong part, nothing half-saved, the change audited; the rule tester shows every verdict."""

from __future__ import annotations

import json

from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in


def test_a_rule_saved_from_the_page_is_validated_as_the_api_validates_it(harness: Harness) -> None:
    admin = sign_in(harness, "boss@example.com", "admin")
    page = admin.get("/admin").body.decode()
    assert "Routing rules" in page and "The rule tester" in page and "nobody can be reached" in page
    admin.get("/admin/edit/rules?key=press")
    bad = {"order": "first", "when": {"sentiment": "furious"}, "notify": ["nobody"]}
    refused = admin.post_form("/admin/edit/rules", {"key": "press", "doc": json.dumps(bad)})
    api = harness.client.http.put("/api/rules/press", body=json.dumps(bad).encode(), headers=ADMIN)
    assert refused.status_code == 400 and api.status_code == 400
    for problem in json.loads(api.body)["errors"]:  # the page lists exactly what the API does
        assert problem.replace("'", "&#39;") in refused.body.decode()
    assert "press" not in json.dumps(json.loads(harness.client.http.get("/api/rules", headers=ADMIN).body))
    garbled = admin.post_form("/admin/edit/rules", {"key": "press", "doc": "{not json"})
    assert garbled.status_code == 400 and "{not json" in garbled.body.decode()  # kept as typed

    good = {
        "name": "The press desk hears journalists",
        "order": 5,
        "when": {"keywords": ["journalist"]},
        "notify": ["social-team"],
    }
    admin.get("/admin/edit/rules?key=press")
    saved = admin.post_form("/admin/edit/rules", {"key": "press", "doc": json.dumps(good)})
    assert saved.status_code == 303 and saved.headers["Location"].startswith("/admin?saved=")
    rules = json.loads(harness.client.http.get("/api/rules", headers=ADMIN).body)["rules"]
    assert next(r for r in rules if r["id"] == "press")["name"] == good["name"]
    audit = json.loads(harness.client.http.get("/api/audit?action=config.rule", headers=ADMIN).body)["entries"]
    assert audit[0]["actor"] == "boss@example.com" and audit[0]["target"] == "press"

    # The tester beside the rules: every rule's verdict and why, and where it would go.
    admin.get("/admin")
    tested = admin.post_form(
        "/admin/rules/test", {"text": "A journalist asked us about the cancelled flight", "followers": "900"}
    ).body.decode()
    assert "press" in tested and "matches" in tested and "social-team" in tested


def test_readers_see_the_configuration_and_only_admins_edit_it(harness: Harness) -> None:
    lead = sign_in(harness, "lee@example.com", "lead", department="inflight")
    assert lead.get("/admin").status_code == 200 and "/admin/edit/" not in lead.get("/admin").body.decode()
    assert lead.get("/admin/edit/rules").status_code == 403


def test_an_admin_makes_a_departments_screen_and_revokes_it_from_the_page(harness: Harness) -> None:
    admin = sign_in(harness, "boss@example.com", "admin")
    admin.get("/admin")
    bad = admin.post_form("/admin/displays", {"name": "Bad Name", "department": "nope"})
    assert bad.status_code == 400 and "department" in bad.body.decode()
    made = admin.post_form("/admin/displays", {"name": "bag-desk", "department": "baggage"})
    text = made.body.decode()
    assert made.status_code == 200 and "/wall#token=" in text and "baggage's wall" in text
    screens = json.loads(harness.client.http.get("/api/displays", headers=ADMIN).body)["screens"]
    assert {"name": "bag-desk", "lobby": False, "department": "baggage", "brand": ""} in screens
    revoked = admin.post_form("/admin/displays/bag-desk/revoke", {})
    assert revoked.status_code == 200 and "revoked" in revoked.body.decode()
    assert "bag-desk" not in json.loads(harness.client.http.get("/api/displays", headers=ADMIN).body)["displays"]
