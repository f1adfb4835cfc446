"""Onboarding on moto: the social media policy, versioned and edited by admins (audited), read
and acknowledged by each signed-in person beside the three ways to report, and reminders (daily
on the schedule) to whoever has not acknowledged the current version: once a week each, until
they do."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from chalicelib.clock import utcnow
from chalicelib.flows import onboarding
from chalicelib.store.models import AuditModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import mail_to, make_person, sign_in

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
POLICY = {"title": "Our social media policy", "text": "Speak for yourself.\n\nReport what worries you.", "version": 0}


def _put(h: Harness, doc: Any) -> Any:
    return h.client.http.put("/api/policy", body=json.dumps(doc).encode(), headers=ADMIN)


def _reminders(address: str) -> list[Any]:
    return [m for m in mail_to(address) if m.subject == "Please read our social media policy"]


def test_an_admin_publishes_versions_and_a_person_acknowledges_the_one_they_read(harness: Harness) -> None:
    h = harness
    assert _put(h, POLICY).status_code == 200
    sam = sign_in(h, "sam@example.com", "everyone")
    page = sam.get("/policy").body.decode()
    assert "Speak for yourself." in page and "Report what worries you." in page
    assert 'href="/how-to-report"' in page and 'href="/report"' in page and "mailto:" in page  # the three ways
    assert "I have read it and will follow it" in page and "Edit the policy" not in page
    done = sam.post_form("/policy/acknowledge", {"version": "1"}).body.decode()
    assert "you acknowledged version 1" in done and "I have read it" not in done
    assert json.loads(sam.api("GET", "/api/policy").body)["acknowledged"]["version"] == 1

    # A new version (from the admin's page) asks again; a page read before it is refused.
    root = sign_in(h, "root@example.com", "admin")
    assert "Edit the policy" in root.get("/policy").body.decode()
    saved = root.post_form("/policy", {"title": "Policy", "text": "Speak for yourself. Always.", "version": "1"})
    assert saved.status_code == 200 and "Saved as version 2" in saved.body.decode()
    assert sam.post_form("/policy/acknowledge", {"version": "1"}).status_code == 409
    assert "this one is new" in sam.get("/policy").body.decode()
    actions = {row.action for row in AuditModel.scan()}
    assert {"policy.save", "policy.acknowledge"} <= actions


def test_only_admins_edit_and_bad_or_stale_versions_are_problems(harness: Harness) -> None:
    h = harness
    lead = sign_in(h, "lee@example.com", "lead", department="inflight")
    refused = lead.api("PUT", "/api/policy", POLICY)
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    assert lead.post_form("/policy", {"title": "x", "text": "y", "version": "0"}).status_code == 403
    for doc, status in [([1], 422), ({"title": "", "text": ""}, 422), ({**POLICY, "version": "0"}, 422)]:
        answer = _put(h, doc)
        assert answer.status_code == status and answer.headers["Content-Type"] == "application/problem+json"
    assert _put(h, POLICY).status_code == 200
    stale = _put(h, POLICY)  # edited from version 0, the policy is at 1
    assert stale.status_code == 409 and json.loads(stale.body)["status"] == 409
    assert json.loads(h.client.http.get("/api/policy", headers=ADMIN).body)["policy"]["version"] == 1
    root = sign_in(h, "root@example.com", "admin")
    empty = root.post_form("/policy", {"title": "", "text": "", "version": "1"})
    assert empty.status_code == 422 and 'role="alert"' in empty.body.decode()


def test_reminders_go_weekly_to_whoever_has_not_acknowledged_and_never_twice_a_week(harness: Harness) -> None:
    h = harness
    now = utcnow()
    assert onboarding.remind(now=now) == 0  # no policy yet: nothing to acknowledge
    for email in ("ada@example.com", "bo@example.com"):
        make_person(h, email, "everyone")
    make_person(h, "cy@example.com", "everyone", disabled=True)
    assert _put(h, POLICY).status_code == 200
    ada = sign_in(h, "ada@example.com")
    ada.get("/policy")
    assert ada.post_form("/policy/acknowledge", {"version": "1"}).status_code == 200

    first = onboarding.remind(now=now)
    assert _reminders("bo@example.com") and not _reminders("ada@example.com") and not _reminders("cy@example.com")
    assert "/policy" in _reminders("bo@example.com")[0].body
    assert onboarding.remind(now=now) == 0 and onboarding.remind(now=now + timedelta(hours=5)) in (0, first)
    later = onboarding.remind(now=now + timedelta(days=7))
    assert later >= 1 and not _reminders("ada@example.com")
    # A new version: the person who had acknowledged the old one owes it too.
    assert _put(h, {**POLICY, "version": 1}).status_code == 200
    assert onboarding.remind(now=now + timedelta(days=7)) >= 1 and _reminders("ada@example.com")
