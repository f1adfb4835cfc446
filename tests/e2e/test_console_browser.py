"""The console in a real browser: a responder searches the inbox, opens a mention, corrects its
triage, reads a department's page and an incident; every page is checked by axe-core (no serious
or critical violations) and by its own CSP (no violation), on a phone-sized screen."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.local.launcher import RunningStack, clean_environment
from infra.local.stack import app_environment
from tests.e2e import lived_in
from tests.e2e.conftest import running_stack
from tests.e2e.people import count_mail, mailed_link, make_person, outbox, sign_in_browser
from tests.e2e.test_local_stack import _post_mention
from tests.support import MENTION, fresh

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "infra" / "local" / "screenshots"
HOSTILE = '<img src=x onerror="alert(1)"> lost my bag <script>alert(2)</script>'


def _axe(page: Any) -> list[str]:
    """Serious and critical axe-core violations on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: its crisis and corrections would be in other tests' outboxes."""
    yield from running_stack(tmp_path_factory.mktemp("console-stack"))


def _live_a_week(stack: RunningStack) -> None:
    """The airport's last seven days of praise and complaints (tests/e2e/lived_in.py, run in the
    stack's environment), three of its people in the directory: the department page's
    screenshot shows a working week, not zeros."""
    base, moto = stack.credentials["base_url"], stack.credentials["moto_endpoint"]
    env = app_environment(port=int(base.rsplit(":", 1)[1]), moto_port=int(moto.rsplit(":", 1)[1]), state=stack.state)
    done = subprocess.run(
        [sys.executable, "-m", "tests.e2e.lived_in"],
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={**clean_environment(), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for email, name in (
        ("ines@example.com", "Ines Duarte"),
        ("tomas@example.com", "Tomás Reyes"),
        ("mei@example.com", "Mei Lin"),
    ):
        make_person(stack, email, "everyone", name=name, department=lived_in.DEPARTMENT)


@pytest.fixture(scope="module")
def signed_in(stack: RunningStack, browser: Any) -> Any:
    make_person(stack, "rin@example.com", "responder", name="Rin")
    # bypass_csp only so that axe can be injected; a second, strict context checks the CSP itself.
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "rin@example.com")
    yield page
    context.close()


def test_a_responder_works_the_inbox_and_every_page_passes_axe(stack: RunningStack, signed_in: Any) -> None:
    base, page = stack.credentials["base_url"], signed_in
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    posts = [
        ("Thank you to the cabin crew on flight 22, wonderful service", "kind"),
        ("Lost my bag at the gate, third time, I want a refund", "angry"),
        (HOSTILE, "hostile"),
        ("The crew refused to help my disabled son, we are calling a lawyer. Disgusting.", "viral"),
    ]
    _live_a_week(stack)
    for n, (text, who) in enumerate(posts):
        mention = {
            **fresh(MENTION),
            "id": f"console-{n}",
            "url": f"https://x.com/{who}/status/{n}",
            "text": text,
            "author": {"handle": who, "followers": 60000 if who == "viral" else 120},
        }
        assert _post_mention(stack, mention)[0] == 202
    for _ in range(50):
        if any(e.get("item_kind") == "incident" for e in outbox(stack)):
            break
        time.sleep(0.2)
    violations: dict[str, list[str]] = {}

    page.goto(base + "/inbox")
    page.get_by_label("Search the words of every mention").fill("refund")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/inbox\?"))
    assert "Lost my bag" in page.inner_text("ol.inbox") and "cabin crew" not in page.inner_text("ol.inbox")
    violations["inbox"] = _axe(page)
    page.goto(base + "/inbox")
    assert page.locator("ol.inbox img, ol.inbox script").count() == 0 and dialogs == []
    page.screenshot(path=str(SCREENSHOTS / "inbox.png"), full_page=True)

    page.get_by_role("link", name=re.compile("Lost my bag")).click()
    page.wait_for_url(re.compile(r"/mentions/"))
    violations["mention"] = _axe(page)
    page.get_by_label("What is wrong").select_option("sentiment")
    page.get_by_label(re.compile("The right value")).fill("neutral")
    page.get_by_label(re.compile("^Why")).fill("a joke between friends")
    page.get_by_role("button", name="Correct it").click()
    assert "Corrected" in page.inner_text("p.banner") and "a joke between friends" in page.inner_text("main")

    page.goto(base + "/stories")
    violations["stories"] = _axe(page)
    page.locator("ol.inbox a").first.click()
    page.wait_for_url(re.compile(r"/stories/"))
    violations["story"] = _axe(page)
    assert page.locator("svg.chart rect").count() > 0
    page.screenshot(path=str(SCREENSHOTS / "story.png"), full_page=True)
    page.goto(base + "/incidents")
    violations["incidents"] = _axe(page)
    page.locator("ol.inbox a").first.click()
    page.wait_for_url(re.compile(r"/incidents/i"))
    violations["incident"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "incident.png"), full_page=True)

    page.goto(base + "/departments")
    violations["departments"] = _axe(page)
    page.locator("ul.plain a").first.click()
    page.get_by_role("button", name=re.compile("^Follow")).click()
    assert "You follow" in page.inner_text("p.banner")
    for seeded in (lived_in.PRAISE[0], "Mei Lin"):  # the page fetches its week and its people
        page.locator("main", has_text=seeded).wait_for(timeout=15_000)
    week = page.inner_text("main")
    assert any(c in week for c in lived_in.COMPLAINTS), week
    violations["department"] = _axe(page)
    page.screenshot(path=str(SCREENSHOTS / "department.png"), full_page=True)
    for path in ("/me", "/report", "/admin", "/sources", "/drills"):
        page.goto(base + path)
        violations[path] = _axe(page)
    assert dialogs == []
    assert {k: v for k, v in violations.items() if v} == {}


def test_the_console_pages_keep_their_content_security_policy(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    broken: list[str] = []
    page.on("console", lambda m: broken.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(base + "/signin")
    for path in ("/inbox", "/incidents", "/departments"):
        page.goto(base + path)
        assert "/signin" in page.url  # nobody signed in: every console page asks first
    assert broken == []
    context.close()


def test_the_inbox_says_when_new_mentions_arrive_under_its_strict_policy(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    broken: list[str] = []
    page.on("console", lambda m: broken.append(m.text) if "Content Security Policy" in m.text else None)
    sign_in_browser(stack, page, "rin@example.com")
    page.goto(base + "/inbox")
    assert page.locator("#live").is_hidden()
    live = {
        **fresh(MENTION),
        "id": "console-live",
        "url": "https://x.com/live/status/9",
        "text": "Is the app down? cannot check in",
        "author": {"handle": "live"},
    }
    assert _post_mention(stack, live)[0] == 202
    page.locator("#live a", has_text="New mentions").wait_for(timeout=25_000)  # one 15 s poll, and the router's second
    assert broken == []
    context.close()


def test_an_admin_edits_the_configuration_and_an_employee_follows_a_department(
    stack: RunningStack, browser: Any
) -> None:
    base = stack.credentials["base_url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "admin@example.com")

    page.goto(base + "/admin/edit/groups")
    page.get_by_label(re.compile("Its id")).fill("press-office")
    page.get_by_label(re.compile("The document")).fill('{"name": "", "max_per_hour": -1}')
    page.get_by_role("button", name="Save").click()
    problems = page.inner_text("div.banner")
    assert "name: 1 to 80 characters" in problems and "max_per_hour" in problems
    assert _axe(page) == []
    page.get_by_label(re.compile("The document")).fill('{"name": "Press office", "quiet_hours": "22:00-07:00"}')
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r"/admin\?saved="))
    assert "Saved groups press-office" in page.inner_text("p.banner") and "Press office" in page.inner_text("main")

    page.goto(base + "/departments")
    page.locator("ul.plain a").first.click()
    page.get_by_role("button", name=re.compile("^Follow")).click()
    assert "You follow" in page.inner_text("p.banner")
    assert page.get_by_role("button", name=re.compile("^Stop following")).count() == 1
    context.close()


def test_the_crisis_plan_in_use_statement_edited_approved_by_two_roles_and_published(
    stack: RunningStack, browser: Any, signed_in: Any
) -> None:
    """An incident that matches a shipped scenario: its plan on the incident's page; a responder
    edits the statement; the spokesperson approves from the mailed link, legal signed in from the
    page; it is published to every employee, the wall and the dark site (local S3); the review."""
    base, page = stack.credentials["base_url"], signed_in
    make_person(stack, "press-office@example.com", "responder", name="Press office")
    make_person(stack, "counsel@example.com", "responder", name="Counsel")
    mention = {
        **fresh(MENTION),
        "id": "plan-1",
        "url": "https://x.com/plan/status/1",
        "text": "The crew left my disabled mother alone at the gate and she was injured. We are filing a lawsuit.",
        "author": {"handle": "planfamily", "followers": 80000},
    }
    assert _post_mention(stack, mention)[0] == 202
    link = mailed_link(stack, "press-office@example.com", r"http://\S+/approve/i\S+\.en\.\S+", timeout=20)
    incident_id = link.rsplit("/", 1)[1].split(".")[0]

    page.goto(f"{base}/incidents/{incident_id}")
    assert "The plan: Passenger safety" in page.inner_text("main")
    before = count_mail(stack, "press-office@example.com")
    english = page.locator("section[lang=en]")
    english.locator("summary", has_text="Edit (en)").click()
    english.get_by_label("The statement (en)").fill("We are aware of a passenger's account and are reaching out. <b>")
    english.get_by_role("button", name="Save as revision 2").click()
    assert "new revision" in page.inner_text("p.banner")
    assert _axe(page) == []
    new_link = mailed_link(stack, "press-office@example.com", r"http://\S+/approve/i\S+\.en\.2\.\S+", after=before)

    visitor = browser.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    approver = visitor.new_page()
    approver.goto(link)
    assert "no longer approves" in approver.inner_text("main")
    approver.goto(new_link)
    assert "&lt;b&gt;" not in approver.inner_text("main") and "<b>" in approver.inner_text("blockquote")
    assert _axe(approver) == []
    approver.get_by_role("button", name="Approve this text as spokesperson").click()
    assert "Approved" in approver.inner_text("p.banner")
    visitor.close()

    legal = browser.new_context(viewport={"width": 390, "height": 844})
    counsel = legal.new_page()
    sign_in_browser(stack, counsel, "counsel@example.com")
    counsel.goto(f"{base}/incidents/{incident_id}")
    counsel.locator("section[lang=en]").get_by_role("button", name="Approve as legal").click()
    assert "Approved." in counsel.inner_text("p.banner")
    legal.close()

    page.goto(f"{base}/incidents/{incident_id}")
    page.locator("section[lang=en]").get_by_role("button", name=re.compile("^Publish to every employee")).click()
    assert "Published" in page.inner_text("p.banner")
    page.screenshot(path=str(SCREENSHOTS / "plan.png"), full_page=True)
    with urllib.request.urlopen(stack.credentials["dark_site_url"], timeout=10) as answer:
        site = answer.read().decode()
    assert "reaching out. &lt;b&gt;" in site
    briefs = [e for e in outbox(stack) if e.get("group") == "all-staff"]
    assert briefs and "What not to say" in briefs[0]["email"]

    page.goto(f"{base}/incidents/{incident_id}/review")
    assert "Post-incident review" in page.inner_text("h1") and page.locator("table").count() >= 2
    assert _axe(page) == []
    page.screenshot(path=str(SCREENSHOTS / "review.png"), full_page=True)


def test_an_admin_makes_a_departments_screen_and_a_responder_starts_a_drill(stack: RunningStack, browser: Any) -> None:
    """The configuration page's screen form gives a screen its own address; that screen shows
    only its department's wall. The drills page starts a drill; its report page follows it."""
    base = stack.credentials["base_url"]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in_browser(stack, page, "admin@example.com")
    page.goto(base + "/admin#displays")
    page.locator("summary", has_text="A new screen").click()
    page.get_by_label(re.compile("^Its name")).fill("bag-desk")
    page.get_by_label(re.compile("^Only one department")).select_option("baggage")
    page.get_by_role("button", name="Make the screen").click()
    address = re.search(r"/wall#token=[\w-]+", page.inner_text("p.banner"))
    assert address, page.inner_text("p.banner")
    assert _axe(page) == []

    screen = browser.new_context(viewport={"width": 1920, "height": 1080}).new_page()
    screen.goto(base + address.group(0) + "&department=inflight")  # the token's scope wins
    screen.locator("#mode", has_text="Baggage").wait_for(timeout=15_000)
    screen.context.close()

    page.goto(base + "/drills")
    page.get_by_label("Scenario").select_option("service-outage")
    page.get_by_label(re.compile("^Pace")).fill("60")
    page.get_by_role("button", name="Start the drill").click()
    assert "started" in page.inner_text("p.banner")
    assert _axe(page) == []
    page.locator("main ul a").first.click()
    page.wait_for_url(re.compile(r"/drills/d[0-9a-f]{10}$"))
    assert "DRILL report" in page.inner_text("h1") and _axe(page) == []
    context.close()
