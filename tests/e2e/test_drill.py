"""A drill from a shipped scenario on the local stack, end to end: the storm goes through the
real webhooks and opens an incident, the plan takes hold, a task goes overdue and reminds its
owner, the statement is drafted, edited, approved by two roles (a mailed link and a signed-in
approver) and published to every employee, the wall and the dark site's DRILL page; the review
and the drill's report are generated. The stack runs its schedules every 3 s; the drill runs at
pace 60 (a fifteen-minute task is due in fifteen seconds).

Then two drills of one scenario at once: each opens its own incident; one is ended, and from then
on nothing more is sent about it while the other carries on."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
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


def _api(stack: RunningStack, method: str, path: str) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        stack.credentials["base_url"] + path,
        data=b"" if method == "POST" else None,
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _at(entry: dict[str, Any]) -> datetime:
    """When the outbox entry was sent: SNS's publish time, or the mail's send time."""
    return datetime.fromisoformat(str(entry["timestamp"]).replace("Z", "+00:00"))


def _about(entry: dict[str, Any], incident_ids: list[str]) -> bool:
    text = json.dumps(entry)
    return any(i in text for i in incident_ids)


def test_two_drills_of_one_scenario_open_two_incidents_and_ending_one_sends_nothing_more_about_it(
    stack: RunningStack,
) -> None:
    make_person(stack, "lead@example.com", "responder")
    lead = sign_in(stack, "lead@example.com")
    lead.open("/drills")
    started = []
    for _ in range(2):
        status, _, body = lead.open("/drills", {"scenario": "passenger-safety", "pace": "60"})
        assert status == 201, body[-500:]
        started.append(re.search(r"Drill (d[0-9a-f]{10}) started", body).group(1))  # type: ignore[union-attr]
    ending, going_on = started

    def report(drill_id: str) -> dict[str, Any]:
        status, doc = _api(stack, "GET", f"/api/drills/{drill_id}")
        assert status == 200, doc
        return doc

    def stormed(drill_id: str) -> dict[str, Any] | None:
        r = report(drill_id)
        return r if r["incidents"] and r["steps"]["sent"] == r["steps"]["total"] else None

    # Two incidents: the second drill's storm (word for word the first's) opens its own.
    mine = _until("the first drill's incident", lambda: stormed(ending))["incidents"]
    theirs = _until("the second drill's incident", lambda: stormed(going_on))["incidents"]
    assert not set(mine) & set(theirs)

    # Its plan is at work (an overdue task reminded its owner) when it is ended.
    _until(
        "the ending drill's first reminder",
        lambda: [e for e in outbox(stack) if "Overdue" in str(e.get("subject")) and _about(e, mine)],
    )
    status, ended = _api(stack, "POST", f"/api/drills/{ending}/end")
    answered = datetime.now(UTC)
    assert status == 200 and ended["drill"]["status"] == "ended", ended
    mine = ended["incidents"]
    _, incident = _api(stack, "GET", f"/api/incidents/{mine[0]}")
    opened = datetime.fromisoformat(incident["opened_at"])

    # The schedule runs every 3 s: had the drill not stopped, its plan would remind the next
    # owners at 30 s and update the crisis team at 60 s (pace 60). Watch past both, and until
    # the other drill has been heard from again.
    def after_end() -> list[dict[str, Any]]:
        return [e for e in outbox(stack) if _at(e) > answered + timedelta(seconds=1)]

    watch_until = max(opened + timedelta(seconds=70), answered + timedelta(seconds=20))
    _until("the other drill to carry on", lambda: [e for e in after_end() if _about(e, theirs)], timeout=90)
    while datetime.now(UTC) < watch_until:
        time.sleep(1)
    sent = after_end()
    assert not [e for e in sent if _about(e, mine)], [e.get("subject") for e in sent if _about(e, mine)]
    assert [e for e in sent if _about(e, theirs)]
    for incident_id in mine:
        _, doc = _api(stack, "GET", f"/api/incidents/{incident_id}")
        assert doc["status"] == "resolved" and doc["resolution"] == "drill-ended", doc["status"]
    assert all(_api(stack, "GET", f"/api/incidents/{i}")[1]["status"] != "resolved" for i in theirs)
    assert report(going_on)["drill"]["status"] == "running"

    # Ending it again is answered the same and changes nothing.
    timeline = _api(stack, "GET", f"/api/incidents/{mine[0]}")[1]["timeline"]
    status, again = _api(stack, "POST", f"/api/drills/{ending}/end")
    assert status == 200 and again["drill"]["ended_at"] == ended["drill"]["ended_at"]
    assert _api(stack, "GET", f"/api/incidents/{mine[0]}")[1]["timeline"] == timeline
