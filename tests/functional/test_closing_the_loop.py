"""Closing the loop on moto: a person's page says what their reports led to (first to report,
minutes ahead of the tools, who it reached, the incident's end); they choose to be thanked by
name; each department's monthly note counts its reports and good catches, names only those who
opted in, and is sent once."""

from __future__ import annotations

import json
import re
from datetime import timedelta

from chalicelib.clock import utcnow
from chalicelib.flows import recognition
from chalicelib.store.models import AuditModel, DeliveryModel, IncidentModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in
from tests.support import CRISIS, envelope, fresh, frozen_at, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def _caught_early(h: Harness) -> None:
    """Priya reports a post that the listening tools publish twelve minutes later (the router
    reads both in one batch); the incident it opens is resolved."""
    start = utcnow() - timedelta(hours=1)
    with frozen_at(start):
        priya = sign_in(h, "priya@example.com", "everyone", name="Priya Shah", department="inflight")
        form = priya.get("/report").body.decode()
        session = re.search(r'name="session_csrf" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        fields = {"text": "Look at this thread about our crew", "url": CRISIS["url"], "session_csrf": session}
        assert priya.post_form("/report", fields).status_code == 201
    with frozen_at(start + timedelta(minutes=12)):
        body = envelope(fresh(CRISIS))
        assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
        h.pump.pump_once()
    [incident] = IncidentModel.scan()
    resolved = h.client.http.post(f"/api/incidents/{incident.incident_id}/resolve", body=b"{}", headers=ADMIN)
    assert resolved.status_code == 200
    h.pump.pump_once()


def test_a_persons_page_says_what_their_reports_led_to_and_they_choose_to_be_named(harness: Harness) -> None:
    h = harness
    _caught_early(h)
    priya = sign_in(h, "priya@example.com")
    page = priya.get("/me").body.decode()
    assert "What your reports led to" in page and "Look at this thread about our crew" in page
    assert "You were the first to report it." in page
    assert re.search(r"1[12](\.\d)? min before the listening tools had it", page), page[-2500:]
    outcomes = page.split('id="outcomes"')[1][:1500]
    assert "It reached:" in outcomes and "What became of it" in outcomes and "resolved" in outcomes, outcomes
    assert 'id="by-name" name="by_name" value="yes">' in page  # not named unless they choose
    named = priya.post_form("/me/recognition", {"by_name": "yes"}).body.decode()
    assert "thanked by name" in named and 'value="yes" checked' in named
    assert any(row.action == "person.recognition" for row in AuditModel.scan())
    other = sign_in(h, "sam@example.com", "everyone")
    assert "No reports of yours in the last 30 days." in other.get("/me").body.decode()


def test_the_monthly_note_counts_good_catches_names_only_those_who_opted_in_and_goes_once(harness: Harness) -> None:
    h = harness
    _caught_early(h)
    next_month = (utcnow().replace(day=1) + timedelta(days=32)).replace(day=1, hour=8)
    sent = recognition.send_team_notes(now=next_month)
    assert sent["inflight"] == "sent"
    [note] = [r for r in DeliveryModel.scan() if r.item_id.startswith("team-note:inflight:")]
    text = json.loads(note.message)["email"]
    assert "1 reports from 1 people" in text and "Good catches (first to report, before the listening tools): 1" in text
    assert "Priya" not in text and "Thank you, team" in text
    assert recognition.send_team_notes(now=next_month)["inflight"] == "skipped"  # once a month

    priya = sign_in(h, "priya@example.com")
    priya.get("/me")
    priya.post_form("/me/recognition", {"by_name": "yes"})
    later = recognition.send_team_notes(now=next_month + timedelta(days=31))
    assert later["inflight"] == "sent"  # the month after: a quiet one, in one line
    # A note for the same month again, now she opted in: her name (the directory's) is on it.
    for row in DeliveryModel.scan():
        if row.item_id.startswith("team-note:inflight:"):
            row.delete()
    recognition.send_team_notes(now=next_month)
    [again] = [r for r in DeliveryModel.scan() if r.item_id == note.item_id]
    assert "Thank you, Priya Shah." in json.loads(again.message)["email"]
