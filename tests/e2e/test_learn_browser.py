"""Learning from our own cases in a real browser (issue 35): an incident is resolved, its review
offers a case card drafted from it, a lead approves it on a phone, and the card is on /learn,
the department's page and the office wall's calm rotation. axe-core finds no serious or
critical violation on the new pages; the wall keeps its strict CSP (script from our origin)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.e2e.conftest import admin_api, running_stack
from tests.e2e.people import make_person, sign_in_browser
from tests.e2e.test_console_browser import SCREENSHOTS, _axe
from tests.e2e.test_local_stack import _post_mention
from tests.support import CRISIS, fresh


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: the calm wall needs no other test's open incident on it."""
    yield from running_stack(tmp_path_factory.mktemp("learn-stack"))


def _resolved_incident(stack: RunningStack) -> str:
    crisis = {**fresh(CRISIS), "id": "learn-crisis", "url": "https://x.com/dana/status/7101"}
    assert _post_mention(stack, crisis)[0] == 202
    deadline = time.monotonic() + 30
    while not (incidents := admin_api(stack, "GET", "/api/incidents")["incidents"]):
        assert time.monotonic() < deadline, "the crisis opened no incident"
        time.sleep(0.3)
    incident_id = str(incidents[0]["id"])
    admin_api(stack, "POST", f"/api/incidents/{incident_id}/resolve", {"note": "answered and apologised"})
    return incident_id


def test_a_resolved_incident_becomes_a_card_on_learn_the_department_page_and_the_calm_wall(
    stack: RunningStack, browser: Any
) -> None:
    base = stack.credentials["base_url"]
    incident_id = _resolved_incident(stack)
    make_person(stack, "lee@example.com", "lead", name="Lee", department="inflight")
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "lee@example.com")
    violations: dict[str, list[str]] = {}

    page.goto(f"{base}/incidents/{incident_id}/review")
    page.get_by_role("link", name=re.compile("Its case card")).click()
    page.wait_for_url(re.compile(r"/learn/cases/"))
    assert "Drafted from the incident's review" in page.inner_text("main")
    assert "dana" not in page.inner_text("main").lower()  # the poster's handle is not on the draft
    violations["case"] = _axe(page)
    page.get_by_label("Title").fill("A refused passenger, answered within the hour")
    page.get_by_role("button", name="Save and approve").click()
    page.wait_for_load_state()
    assert "Approved: the card is on /learn" in page.inner_text("main")
    departments = [d.strip() for d in page.inner_text("article .hint").split("·")[0].split(",")]

    page.goto(base + "/learn")
    assert page.get_by_role("heading", name="A refused passenger, answered within the hour").is_visible()
    assert page.locator("article svg rect").count() > 0 and page.locator("article table").count() == 1
    violations["learn"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "learn.png"), full_page=True)

    page.goto(f"{base}/departments/{departments[0]}")
    assert "A refused passenger, answered within the hour" in page.inner_text("#cases ~ article")
    violations["department"] = _axe(page)
    page.locator("#cases ~ article").first.screenshot(path=str(SCREENSHOTS / "department-case.png"))
    context.close()

    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    wall.goto(f"{base}/wall#token={stack.credentials['display_token']}&interval=2")
    wall.wait_for_selector("#case:not([hidden])", timeout=15_000)
    assert "A refused passenger" in wall.inner_text("#case-title")
    wall.screenshot(path=str(SCREENSHOTS / "wall-calm-case.png"))
    wall.context.close()
    assert {k: v for k, v in violations.items() if v} == {}


def test_a_person_plays_spot_it_without_javascript_and_acknowledges_the_policy_and_both_pass_axe(
    stack: RunningStack, browser: Any
) -> None:
    base = stack.credentials["base_url"]
    resolved = [i for i in admin_api(stack, "GET", "/api/incidents")["incidents"] if i["status"] == "resolved"]
    incident_id = str(resolved[0]["id"]) if resolved else _resolved_incident(stack)
    admin_api(stack, "PUT", f"/api/cases/{incident_id}", {"approve": True})  # an approved card draws the items
    make_person(stack, "sam@example.com", "everyone", name="Sam", department="inflight")

    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    sign_in_browser(stack, page, "sam@example.com")
    page.goto(base + "/learn")
    page.get_by_role("link", name="Practise: Spot it").click()
    page.wait_for_url(re.compile(r"/learn/spot-it$"))
    posts = page.locator("fieldset")
    assert 1 <= posts.count() <= 5
    for n in range(posts.count()):
        posts.nth(n).get_by_label("Report it as urgent").check()
        posts.nth(n).get_by_label("Which department should hear of it?").select_option("inflight")
    page.get_by_role("button", name="Check my answers").click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert re.search(r"This round: \d of \d right", main) and "Why:" in main
    assert "It became an incident" in main and "Your results so far: 1 rounds" in main
    page.screenshot(path=str(SCREENSHOTS / "spot-it.png"), full_page=True)
    context.close()

    checked = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = checked.new_page()
    sign_in_browser(stack, page, "sam@example.com")
    page.goto(base + "/learn/spot-it")
    violations = {"spot-it": _axe(page)}
    # Onboarding: the policy an admin published, acknowledged beside the three ways to report.
    admin_api(
        stack, "PUT", "/api/policy", {"title": "Our social media policy", "text": "Speak for yourself.", "version": 0}
    )
    page.goto(base + "/policy")
    assert page.get_by_role("link", name="The report form").is_visible()
    page.get_by_role("button", name="I have read it and will follow it").click()
    page.wait_for_load_state()
    assert "you acknowledged version 1" in page.inner_text("main")
    violations["policy"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "policy.png"), full_page=True)
    page.goto(base + "/departments/inflight")
    assert "Players: 1 · rounds: 1." in page.inner_text("main")
    checked.close()
    assert {k: v for k, v in violations.items() if v} == {}
