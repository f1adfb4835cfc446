"""A drill from a shipped scenario on the local stack, end to end: the storm goes through the
real webhooks and opens an incident, the plan takes hold, a task goes overdue and reminds its
owner, the statement is drafted, edited, approved by two roles (a mailed link and a signed-in
approver) and published to every employee, the wall and the dark site's DRILL page; the review
and the drill's report are generated. The stack runs its schedules every 3 s; the drill runs at
pace 60 (a fifteen-minute task is due in fifteen seconds)."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.e2e.conftest import running_stack
from tests.e2e.people import count_mail, mailed_link, make_person, outbox, sign_in


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    yield from running_stack(tmp_path_factory.mktemp("drill-stack"))


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def _until(what: str, check: Any, timeout: float = 40) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.5)


def test_a_drill_runs_the_plan_end_to_end(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    for email in ("lead@example.com", "press-office@example.com", "counsel@example.com"):
        make_person(stack, email, "responder")
    lead = sign_in(stack, "lead@example.com")

    # Started from the drills page, as a responder would.
    lead.open("/drills")
    status, _, body = lead.open("/drills", {"scenario": "passenger-safety", "pace": "60"})
    assert status == 201 and "started" in body, body[-500:]
    drill_id = re.search(r"Drill (d[0-9a-f]{10}) started", body).group(1)  # type: ignore[union-attr]

    # The storm opens an incident; the plan takes hold (drafts, approvers' links by mail).
    link = mailed_link(stack, "press-office@example.com", r"http://\S+/approve/i\S+\.en\.1\.\S+", timeout=40)
    incident_id = link.rsplit("/", 1)[1].split(".")[0]

    def drill_report() -> dict[str, Any]:
        return dict(json.loads(lead.open(f"/api/drills/{drill_id}")[2]))

    # The schedule records the steps after sending them, so the incident can show first.
    report = _until(
        "the drill to follow its incident and record its storm",
        lambda: (r := drill_report())["incidents"] and r["steps"]["sent"] == r["steps"]["total"] and r,
    )
    assert report["steps"]["sent"] == report["steps"]["total"] == 5
    status, _, page = lead.open(f"/incidents/{incident_id}")
    assert status == 200 and "DRILL · The plan: Passenger safety" in page

    # A task goes overdue and reminds its owner (at pace 60, fifteen seconds).
    def overdue() -> list[dict[str, Any]]:
        return [e for e in outbox(stack) if e.get("to") == "crisis-lead@example.com" and "Overdue" in e["subject"]]

    _until("an overdue reminder", overdue)

    # Edited (the first links stop working), approved by two roles, published.
    before = count_mail(stack, "press-office@example.com")
    status, _, page = lead.open(
        f"/incidents/{incident_id}/statement",
        {"lang": "en", "revision": "1", "text": "DRILL: we are aware of a passenger's account and are on it."},
    )
    assert status == 200 and "new revision" in page
    fresh = mailed_link(stack, "press-office@example.com", r"http://\S+/approve/i\S+\.en\.2\.\S+", after=before)
    visitor_status, approval = _get(link)
    assert visitor_status == 200 and "no longer approves" in approval
    approver = sign_in(stack, "press-office@example.com")  # any browser: the link is the proof
    status, _, page = approver.open(fresh, {})
    assert status == 200 and "Approved" in page
    counsel = sign_in(stack, "counsel@example.com")
    counsel.open(f"/incidents/{incident_id}")
    status, _, page = counsel.open(f"/incidents/{incident_id}/approve", {"lang": "en", "revision": "2"})
    assert status == 200 and "Approved." in page
    lead.open(f"/incidents/{incident_id}")
    status, _, page = lead.open(f"/incidents/{incident_id}/publish", {"lang": "en"})
    assert status == 200 and "Published" in page

    brief = _until("the all-staff brief", lambda: [e for e in outbox(stack) if e.get("group") == "all-staff"])
    assert "DRILL" in brief[0]["subject"]
    site_status, site = _get(stack.credentials["dark_site_url"].replace("index.html", "drill/index.html"))
    assert site_status == 200 and "DRILL." in site and "we are aware of a passenger" in site
    public_status, _ = _get(stack.credentials["dark_site_url"])
    assert public_status in (403, 404)  # the public page was never written by a drill
    wall_status, wall = _get(base + "/api/wall", {"authorization": f"Bearer {stack.credentials['display_token']}"})
    crisis = json.loads(wall)["crisis"]
    assert wall_status == 200 and crisis["statement"]["drill"] is True

    # The review and the drill's report.
    status, _, review = lead.open(f"/incidents/{incident_id}/review")
    assert status == 200 and "DRILL · Post-incident review" in review
    report = drill_report()
    minutes = report["minutes"]
    assert minutes["to_incident"] is not None and minutes["to_approved_statement"] is not None
    assert minutes["to_all_staff_brief"] is not None and report["checklist"]["reminded"] >= 1
    status, _, page = lead.open(f"/drills/{drill_id}")
    assert status == 200 and "DRILL report" in page
