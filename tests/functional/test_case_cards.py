"""Case cards from our own incidents, on moto: a resolved incident's review offers a card drafted
from it (nobody named), a lead edits and approves it (a non-lead is refused, bad input is a 4xx
problem), and the approved card is on /learn, the department's page and the calm wall, with
/learn reading the cards in one request."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from chalicelib.api import wall as wall_api
from chalicelib.store.models import IncidentModel, ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in
from tests.support import CRISIS, Browser, envelope, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def _report(browser: Browser, text: str, url: str) -> None:
    form = browser.get("/report").body.decode()
    fields = {"text": text, "url": url, "urgency": "normal"}
    signed = re.search(r'name="session_csrf" value="([^"]+)"', form)
    fields |= {"session_csrf": signed.group(1)} if signed else {}
    assert browser.post_form("/report", fields).status_code == 201


def _resolved_incident(h: Harness) -> tuple[IncidentModel, Browser]:
    """An employee (named in the directory) reports a post before the listening tools have it; the
    post then opens an incident, which a responder resolves."""
    reporter = sign_in(h, "priya.shah@example.com", "everyone", name="Priya Shah", department="inflight")
    _report(reporter, "Priya here: @dana says our crew refused to help her son", CRISIS["url"])
    h.pump.pump_once()
    body = envelope(CRISIS)
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    answer = h.client.http.post(
        f"/api/incidents/{incident.incident_id}/resolve", body=b'{"note": "done"}', headers=ADMIN
    )
    assert answer.status_code == 200, answer.body
    return IncidentModel.get(incident.incident_id), reporter


def _problem(answer: Any, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.body[:300]
    assert answer.headers["Content-Type"] == "application/problem+json"
    return dict(json.loads(answer.body))


def test_a_resolved_incident_offers_a_card_that_names_nobody_and_a_lead_approves_it_everywhere(
    harness: Harness,
) -> None:
    h = harness
    incident, _ = _resolved_incident(h)
    iid = incident.incident_id
    assert ReportModel.scan().next().cluster_id == incident.cluster_id  # the report joined the story

    lead = sign_in(h, "lee@example.com", "lead", name="Lee", department="inflight")
    review = lead.get(f"/incidents/{iid}/review").body.decode()
    assert f'href="/learn/cases/{iid}"' in review
    drafted = json.loads(lead.api("GET", f"/api/cases/{iid}").body)
    assert drafted["status"] == "draft" and drafted["rev"] == 0 and drafted["redacted"]
    words = " ".join(str(drafted[k]) for k in ("title", "posted", "spread", "spotted", "did", "helped"))
    assert "dana" not in words.lower() and "priya" not in words.lower() and "shah" not in words.lower()
    assert drafted["numbers"]["reports"] == 1 and drafted["numbers"]["posts"] >= 1
    assert drafted["chart"] and "inflight" in drafted["departments"]
    assert drafted["spotted"].startswith("An employee in inflight reported it")

    # Nothing is stored by looking; an approved card is nowhere yet.
    page = lead.get(f"/learn/cases/{iid}")
    assert page.status_code == 200 and "Drafted from the incident" in page.body.decode()
    assert "No case cards yet" in lead.get("/learn").body.decode()

    # A lead edits (what they type is redacted too) and approves it from the page's form.
    edited = lead.post_form(
        f"/learn/cases/{iid}",
        {
            "rev": "0",
            "title": "A refused passenger, reported early",
            "helped": "Priya Shah's report from the cabin; @dana's thread was answered within the hour",
            "action": "approve",
        },
    )
    assert edited.status_code == 200, edited.body[:500]
    text = edited.body.decode()
    assert "Approved: the card is on /learn" in text and "Priya" not in text and "@dana" not in text

    learn = lead.get("/learn").body.decode()
    assert "A refused passenger, reported early" in learn and "<svg" in learn and "<table>" in learn
    everyone = sign_in(h, "sam@example.com", "everyone")
    assert "A refused passenger, reported early" in everyone.get("/learn").body.decode()
    assert "A refused passenger, reported early" in everyone.get("/departments/inflight").body.decode()
    assert "A refused passenger" not in everyone.get("/learn?department=baggage").body.decode()

    # The calm wall rotates it (a staff screen), a lobby screen does not.
    wall_api.clear_cache()
    staff = json.loads(h.client.http.get("/api/wall?cursor=", headers=ADMIN).body)
    assert [c["title"] for c in staff["cases"]] == ["A refused passenger, reported early"]
    wall_api.clear_cache()
    lobby = json.loads(h.client.http.get("/api/wall?cursor=&lobby=1", headers=ADMIN).body)
    assert lobby["cases"] == []

    # Withdrawn, it leaves the wall and /learn.
    assert lead.post_form(f"/learn/cases/{iid}", {"rev": "1", "action": "withdraw"}).status_code == 200
    wall_api.clear_cache()
    assert json.loads(h.client.http.get("/api/wall?cursor=", headers=ADMIN).body)["cases"] == []
    assert "No case cards yet" in everyone.get("/learn").body.decode()


def test_only_a_lead_or_an_admin_approves_and_bad_input_is_a_problem_never_a_500(harness: Harness) -> None:
    h = harness
    incident, reporter = _resolved_incident(h)
    iid = incident.incident_id
    refused = reporter.api("PUT", f"/api/cases/{iid}", {"approve": True})
    assert "cases" in _problem(refused, 403)["detail"]
    responder = sign_in(h, "rita@example.com", "responder")
    _problem(responder.api("PUT", f"/api/cases/{iid}", {"approve": True}), 403)
    page = reporter.post_form(f"/learn/cases/{iid}", {"rev": "0", "action": "approve"})
    assert page.status_code == 403
    lead = sign_in(h, "lee@example.com", "lead", department="inflight")
    for doc, status in [
        ([1, 2], 422),
        ({"title": 5, "colour": "red"}, 422),
        ({"spread": "x" * 5000}, 422),
        ({"approve": "yes"}, 422),
        ({"rev": "zero"}, 422),
        ({"rev": 7, "title": "stale"}, 409),
    ]:
        _problem(lead.api("PUT", f"/api/cases/{iid}", doc), status)
    _problem(lead.api("PUT", "/api/cases/nope", {"title": "x"}), 404)
    # Nothing half-stored: the card is still only a draft.
    assert json.loads(lead.api("GET", f"/api/cases/{iid}").body)["rev"] == 0
    form = lead.post_form(f"/learn/cases/{iid}", {"rev": "x", "action": "approve"})
    assert form.status_code == 400 and "rev" in form.body.decode()
    saved = json.loads(lead.api("PUT", f"/api/cases/{iid}", {"title": "Kept as a draft", "rev": 0}).body)
    assert saved["status"] == "draft" and saved["rev"] == 1
    again = lead.api("PUT", f"/api/cases/{iid}", {"title": "Stale edit", "rev": 0})
    _problem(again, 409)


def test_an_open_incident_offers_no_card_yet(harness: Harness) -> None:
    h = harness
    body = envelope(CRISIS)
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    lead = sign_in(h, "lee@example.com", "lead", department="inflight")
    _problem(lead.api("GET", f"/api/cases/{incident.incident_id}"), 409)


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every DynamoDB request made (operation, table), counted where every client sends it
    (PynamoDB has a botocore client of its own)."""
    from botocore.client import BaseClient

    made: list[tuple[str, str]] = []
    send = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        if self.meta.service_model.service_name == "dynamodb":
            # A batch names its tables in RequestItems / TransactItems (one here: the first).
            tables = [*params.get("RequestItems", {})] or [
                next(iter(item.values()))["TableName"] for item in params.get("TransactItems", [])
            ]
            made.append((operation, str(params.get("TableName") or (tables[0] if tables else ""))))
        return send(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return made


def test_learn_reads_its_cards_in_one_request_and_the_session_in_one_more(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness
    incident, _ = _resolved_incident(h)
    lead = sign_in(h, "lee@example.com", "lead", department="inflight")
    approved = lead.api("PUT", f"/api/cases/{incident.incident_id}", {"approve": True})
    assert approved.status_code == 200, approved.body
    for path, shows in [("/learn", "<svg"), ("/learn?department=inflight", "<svg")]:
        lead.get(path)  # the session's touch, once a while, is not the page's
        made = _counting(monkeypatch)
        answer = lead.get(path)
        assert answer.status_code == 200 and shows in answer.body.decode()
        session = [m for m in made if m[1].endswith("identity")]
        page = [m for m in made if not m[1].endswith("identity")]
        assert page == [("Query", page[0][1])] and page[0][1].endswith("config"), made
        # Who the session is and their role, one BatchGetItem: every signed-in page's.
        assert [m[0] for m in session] == ["BatchGetItem"], made
        assert len(made) <= 2, made  # the budget for /learn, counting the session
        monkeypatch.undo()
