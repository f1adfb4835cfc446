"""The directory on the local stack, over HTTP as an identity provider reaches it: scim2-tester
(an RFC 7643/7644 checker written by others) passes every check it makes; three people in two
departments provisioned over SCIM show on their department pages; deactivating one over SCIM
ends their signed-in session at once. And reaching them (issue 33's Done-when): three people in
two departments get a drill's brief by mail with a read link each, two confirm, the incident
page shows the read rate per department, the third gets exactly one reminder."""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

from infra.local.launcher import RunningStack
from tests.e2e.people import HttpBrowser, count_mail, mailed_link, make_person, outbox, sign_in, sign_in_browser
from tests.e2e.test_console_browser import _axe
from tests.scim_support import check_server, http_app

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def _call(url: str, method: str, token: str, doc: Any = None, kind: str = "application/json") -> tuple[int, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(doc).encode() if doc is not None else None,
        headers={"authorization": f"Bearer {token}", "content-type": kind},
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            body = answer.read()
            return answer.status, json.loads(body) if body else None
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _provisioning_token(stack: RunningStack, name: str) -> str:
    base, admin = stack.credentials["base_url"], stack.credentials["admin_token"]
    status, made = _call(f"{base}/api/directory/clients", "POST", admin, {"name": name})
    assert status == 201, made
    return str(made["token"])


def test_scim2_tester_passes_every_check_against_the_local_stack(stack: RunningStack) -> None:
    from scim2_tester import Status

    base = stack.credentials["base_url"]
    results = check_server(http_app(base), base_url=base + "/scim/v2", token=_provisioning_token(stack, "tester"))
    failed = [f"{r.title} [{r.resource_type}]: {r.reason}" for r in results if r.status != Status.SUCCESS]
    assert len(results) > 100, len(results)
    assert not failed, "\n".join(failed)


def test_three_people_in_two_departments_and_a_deactivation_that_ends_a_session(stack: RunningStack) -> None:
    base = stack.credentials["base_url"]
    scim = _provisioning_token(stack, "Okta")
    made = {}
    for email, department in (
        ("ana.e2e@example.com", "Baggage"),
        ("bo.e2e@example.com", "Baggage"),
        ("cy.e2e@example.com", "Operations"),
    ):
        user = {
            "schemas": [USER, ENTERPRISE],
            "userName": email,
            "displayName": email.split(".", 1)[0].title(),
            "emails": [{"value": email, "type": "work", "primary": True}],
            ENTERPRISE: {"department": department},
        }
        status, made[email] = _call(f"{base}/scim/v2/Users", "POST", scim, user, "application/scim+json")
        assert status == 201, made[email]

    ana = sign_in(stack, "ana.e2e@example.com")
    status, _, page = ana.open("/departments/baggage")
    assert status == 200 and "Bo" in page.split('id="people"', 1)[1]
    listed = {}
    for slug in ("baggage", "operations"):
        status, _, body = ana.open(f"/api/departments/{slug}/people")
        assert status == 200, body
        listed[slug] = [p["email"] for p in json.loads(body)["people"]]
    assert listed == {
        "baggage": ["ana.e2e@example.com", "bo.e2e@example.com"],
        "operations": ["cy.e2e@example.com"],
    }
    assert ana.open("/api/me")[0] == 200

    off = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    uid = made["ana.e2e@example.com"]["id"]
    status, answer = _call(f"{base}/scim/v2/Users/{uid}", "PATCH", scim, off, "application/scim+json")
    assert status == 200 and answer["active"] is False, answer
    assert ana.open("/api/me")[0] == 401  # the very next request: the session is gone
    status, headers, _ = ana.open("/departments/baggage")
    assert status == 303 and headers["Location"].startswith("/signin")


def _until(what: str, check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout:.0f} s for {what}"
        time.sleep(0.5)


def _reach_mails(stack: RunningStack, to: str) -> list[dict[str, Any]]:
    return [e for e in outbox(stack) if e.get("group") == "people" and e.get("to") == to]


def _axe_read_pages(stack: RunningStack, browser: Any, link: str, incident_id: str) -> None:
    """The read page and the incident's read rates pass axe (the read page shows; it does not record)."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(link)
    assert "I've read it" in page.inner_text("main") and _axe(page) == []
    sign_in_browser(stack, page, "lead.reach@example.com")
    page.goto(f"{stack.credentials['base_url']}/incidents/{incident_id}")
    assert "Read rate by department" in page.inner_text("main") and _axe(page) == []
    context.close()


def test_a_brief_reaches_the_directory_two_confirm_the_third_is_reminded_once(
    stack: RunningStack, browser: Any
) -> None:
    base, admin = stack.credentials["base_url"], stack.credentials["admin_token"]
    scim = _provisioning_token(stack, "Entra ID")
    people = {
        "ramp.one@example.com": "Ramp E2E",
        "ramp.two@example.com": "Ramp E2E",
        "cargo.one@example.com": "Cargo E2E",
    }
    for email, department in people.items():
        user = {
            "schemas": [USER, ENTERPRISE],
            "userName": email,
            "emails": [{"value": email, "type": "work", "primary": True}],
            "preferredLanguage": "es" if email.startswith("cargo") else "en",
            "timezone": "Europe/Madrid",
            ENTERPRISE: {"department": department},
        }
        status, made = _call(f"{base}/scim/v2/Users", "POST", scim, user, "application/scim+json")
        assert status == 201, made
    # The plan reminds non-readers 20 minutes after a brief: 20 s at the drill's pace of 60.
    status, plan = _call(f"{base}/api/plans/passenger-safety", "GET", admin)
    assert status == 200, plan
    keys = ("name", "order", "scope", "triggers", "levels", "roles", "stakeholders", "checklist", "statements")
    keys += ("approvals", "brief", "storm")
    scenario = {k: v for k, v in plan["current"].items() if k in keys} | {"read_reminder_minutes": 20}
    status, saved = _call(f"{base}/api/plans/passenger-safety", "PUT", admin, scenario)
    assert status == 200, saved

    for email in ("lead.reach@example.com", "press-office@example.com", "counsel@example.com"):
        make_person(stack, email, "responder")
    lead = sign_in(stack, "lead.reach@example.com")
    lead.open("/drills")
    before = count_mail(stack, "press-office@example.com")
    status, _, body = lead.open("/drills", {"scenario": "passenger-safety", "pace": "60"})
    assert status == 201, body[-500:]
    link = mailed_link(
        stack, "press-office@example.com", r"http://\S+/approve/i\S+\.en\.1\.\S+", after=before, timeout=40
    )
    incident_id = link.rsplit("/", 1)[1].split(".")[0]
    approver = sign_in(stack, "press-office@example.com")
    approver.open(link)
    assert "Approved" in approver.open(link, {})[2]
    counsel = sign_in(stack, "counsel@example.com")
    counsel.open(f"/incidents/{incident_id}")
    assert "Approved." in counsel.open(f"/incidents/{incident_id}/approve", {"lang": "en", "revision": "1"})[2]
    lead.open(f"/incidents/{incident_id}")
    status, _, page = lead.open(f"/incidents/{incident_id}/publish", {"lang": "en"})
    assert status == 200 and "Published" in page

    links = {}
    for email in people:
        [mail] = _until(f"the brief to {email}", lambda e=email: _reach_mails(stack, e))
        assert "DRILL" in mail["subject"]
        links[email] = re.search(r"http://\S+/read/\S+", mail["email"]).group(0)  # type: ignore[union-attr]
    assert "SIMULACRO" in _reach_mails(stack, "cargo.one@example.com")[0]["subject"]  # in Spanish

    for email in ("ramp.one@example.com", "cargo.one@example.com"):  # each in a browser of their own
        reader = HttpBrowser(base)
        status, _, page = reader.open(links[email])
        assert status == 200 and "<button" in page
        status, _, page = reader.open(links[email], {})
        assert status == 200, page[-300:]
    status, _, page = lead.open(f"/incidents/{incident_id}")
    rates = dict(re.findall(r'<th scope="row">([^<]+)</th><td>\d+</td><td>\d+</td><td>(\d+)%</td>', page))
    assert rates["ramp-e2e"] == "50" and rates["cargo-e2e"] == "100", rates

    _axe_read_pages(stack, browser, links["ramp.two@example.com"], incident_id)
    status, _, page = lead.open(f"/incidents/{incident_id}")
    again = dict(re.findall(r'<th scope="row">([^<]+)</th><td>\d+</td><td>\d+</td><td>(\d+)%</td>', page))
    assert again == rates  # the read page's GET recorded nothing

    reminded = _until(
        "the reminder", lambda: [m for m in _reach_mails(stack, "ramp.two@example.com") if "Reminder" in m["subject"]]
    )
    time.sleep(7)  # two more turns of the schedule: still the one reminder
    assert (
        len([m for m in _reach_mails(stack, "ramp.two@example.com") if "Reminder" in m["subject"]])
        == 1
        == len(reminded)
    )
    assert not [m for m in _reach_mails(stack, "ramp.one@example.com") if "Reminder" in m["subject"]]

    # A person deactivated over SCIM: their signed-in session ends at once.
    ramp = sign_in(stack, "ramp.one@example.com")
    assert ramp.open("/api/me")[0] == 200
    status, found = _call(f"{base}/scim/v2/Users?filter=userName%20eq%20%22ramp.one@example.com%22", "GET", scim)
    uid = found["Resources"][0]["id"]
    off = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    status, answer = _call(f"{base}/scim/v2/Users/{uid}", "PATCH", scim, off, "application/scim+json")
    assert status == 200 and answer["active"] is False
    assert ramp.open("/api/me")[0] == 401
