"""A watchfulness drill in a real browser (issue 35, item 3): a lead's exercise post is on the
department's page (marked DRILL, a practice) and its wall; a person on a phone follows its
"Report it" link to the report form (pre-filled, saying DRILL), sends it, and the department page
shows the report rate and minutes to the first report; ending it takes the post away. axe-core
finds no serious or critical violation on the department page or the form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from infra.local.launcher import RunningStack
from tests.e2e.conftest import admin_api, running_stack
from tests.e2e.people import make_person, sign_in_browser
from tests.e2e.test_console_browser import SCREENSHOTS, _axe


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: the department's staff count is this test's people only."""
    yield from running_stack(tmp_path_factory.mktemp("watch-stack"))


def test_a_watchfulness_drill_is_reported_from_the_department_page_and_measured(
    stack: RunningStack, browser: Any
) -> None:
    base = stack.credentials["base_url"]
    make_person(stack, "sam@example.com", "everyone", name="Sam", department="inflight")
    make_person(stack, "kim@example.com", "everyone", name="Kim", department="inflight")
    post = "Your crew just ignored a passenger in a wheelchair at gate 12. Filming it next time."
    drill_id = admin_api(stack, "POST", "/api/drills/watch", {"departments": ["inflight"], "text": post})["drill"]["id"]

    wall = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    wall.goto(f"{base}/wall#token={stack.credentials['display_token']}&interval=2")
    wall.wait_for_selector("#exercise:not([hidden])", timeout=15_000)
    assert wall.inner_text("#exercise-text").startswith("DRILL · practice")
    wall.screenshot(path=str(SCREENSHOTS / "wall-watch-drill.png"))

    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "sam@example.com")
    violations: dict[str, list[str]] = {}
    page.goto(f"{base}/departments/inflight")
    exercise = page.locator(f"section[data-drill='{drill_id}']")
    assert "DRILL" in exercise.inner_text() and "This is a practice" in exercise.inner_text()
    violations["department"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "department-watch-drill.png"), full_page=True)
    exercise.get_by_role("link", name="Report it").click()
    page.wait_for_url(re.compile(r"/report\?"))
    assert "DRILL: this is a watchfulness practice" in page.inner_text("main")
    assert page.get_by_label("What did you see?").input_value() == post
    violations["report form"] = _axe(page)
    page.get_by_role("button", name="Send report").click()
    page.wait_for_load_state()

    measured = admin_api(stack, "GET", f"/api/drills/{drill_id}")["watch"]["departments"]["inflight"]
    assert measured["reporters"] == 1 and measured["staff"] == 2 and measured["rate"] == 0.5
    page.goto(f"{base}/departments/inflight")
    assert re.search(
        r"Report rate: 50% \(1 of 2 people\)\. First report after [\d.]+ minutes\.", page.inner_text("main")
    )
    # The month's measures never count a drill's report as real.
    month = admin_api(stack, "GET", "/api/measures?department=inflight")["departments"]["inflight"]
    assert month["reports"] == 0 and month["staff"] == 2 and month["reports_per_100_staff"] == 0.0

    admin_api(stack, "POST", f"/api/drills/watch/{drill_id}/end")
    page.goto(f"{base}/departments/inflight")
    assert "Watchfulness practice (ended)" in page.inner_text("main")
    assert page.get_by_role("link", name="Report it").count() == 0
    wall.wait_for_selector("#exercise", state="hidden", timeout=15_000)
    wall.context.close()
    context.close()
    assert {k: v for k, v in violations.items() if v} == {}
