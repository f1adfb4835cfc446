"""Signing in, in a real browser (Debian's chromium through Playwright), on the local stack: by
the link the outbox receives, and by single sign-on through a real OpenID Provider on loopback;
then acting as each role."""

from __future__ import annotations

import json
import re
import time
import urllib.request
from pathlib import Path
from typing import Any

from infra.local.launcher import RunningStack
from tests.e2e.people import count_mail, mailed_link, make_person, outbox
from tests.e2e.test_local_stack import _post_mention
from tests.support import MENTION, fresh

SCREENSHOTS = Path(__file__).resolve().parents[2] / "infra" / "local" / "screenshots"


def _context(browser: Any) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return context, page, violations


def _sso(page: Any, base: str, login: str) -> None:
    """From our sign-in page through the provider's own login page and back."""
    page.get_by_role("link", name=re.compile("Sign in with")).click()
    page.locator('input[name="login"]').fill(login)
    page.locator('input[name="password"]').fill("any password")
    page.locator('input[name="password"]').press("Enter")
    page.wait_for_url(re.compile(re.escape(base) + r"/(me|incidents/.*)$"))


def _api(stack: RunningStack, path: str, token: str) -> Any:
    request = urllib.request.Request(stack.credentials["base_url"] + path, headers={"authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def test_the_first_admin_signs_in_by_email_link_and_makes_a_token(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    context, page, violations = _context(browser)
    page.goto(base + "/signin")
    page.get_by_label("Your work email").fill("admin@example.com")
    before = count_mail(stack, "admin@example.com")
    page.get_by_role("button", name="Email me a sign-in link").click()
    assert "a link is on its way" in page.inner_text("p.banner")
    link = mailed_link(stack, "admin@example.com", r"http://\S+/signin/link/\S+", after=before)
    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/me")
    assert "admin" in page.inner_text("dl") and "admin@example.com" in page.inner_text("dl")

    page.get_by_label("New token: what it is for").fill("deploy bot")
    page.get_by_label("Role").select_option("responder")
    page.get_by_role("button", name="Create token").click()
    token = page.inner_text("code.secret")
    assert token.startswith("swt_")
    page.screenshot(path=str(SCREENSHOTS / "account.png"), full_page=True)
    me = _api(stack, "/api/me", token)
    assert (me["id"], me["role"]) == ("admin@example.com", "responder")
    assert violations == []
    context.close()


def test_people_sign_in_with_the_company_provider_and_act_as_their_role(stack: RunningStack, browser: Any) -> None:
    base = stack.credentials["base_url"]
    make_person(stack, "ana@example.com", "responder", name="Ana")
    make_person(stack, "lee@example.com", "lead", department="inflight")
    crisis = {
        **fresh(MENTION),
        "id": "sso-crisis",
        "url": "https://x.com/critic/status/4242",
        "text": "The crew refused to help my disabled father off the plane. Disgusting. Lawyer is next.",
        "author": {"handle": "critic", "followers": 90000},
    }
    assert _post_mention(stack, crisis)[0] == 202
    incident_id = ""
    for _ in range(50):
        found = [e for e in outbox(stack) if e.get("item_kind") == "incident" and "disabled father" in e["email"]]
        if found:
            incident_id = found[0]["item_id"]
            break
        time.sleep(0.2)
    assert incident_id

    # A responder scans the wall's code: the incident's page asks them to sign in first.
    context, page, violations = _context(browser)
    page.goto(f"{base}/incidents/{incident_id}")
    assert "/signin" in page.url
    _sso(page, base, "ana@example.com")
    assert page.url.endswith(f"/incidents/{incident_id}")
    page.get_by_role("button", name="Acknowledge as Ana <ana@example.com>").click()
    assert "Acknowledged as you" in page.inner_text("p.banner")
    page.screenshot(path=str(SCREENSHOTS / "incident-acknowledged.png"), full_page=True)
    assert violations == []
    context.close()
    doc = _api(stack, f"/api/incidents/{incident_id}", stack.credentials["admin_token"])
    acked = next(e for e in doc["timeline"] if e["event"] == "acknowledged")
    assert (acked["by"], acked["via"]) == ("Ana <ana@example.com>", "signed in")
    audit = _api(stack, f"/api/audit?target={incident_id}", stack.credentials["admin_token"])["entries"]
    assert [(e["action"], e["actor"]) for e in audit] == [("incident.acknowledge", "ana@example.com")]

    # A department lead sees the incident but cannot act on it; everyone else cannot open it.
    context, page, _ = _context(browser)
    page.goto(f"{base}/incidents/{incident_id}")
    _sso(page, base, "lee@example.com")
    assert "acknowledged by Ana" in page.inner_text("dl") and page.get_by_role("button").count() == 0
    assert "for responders" in page.inner_text("main")
    context.close()
    context, page, _ = _context(browser)
    page.goto(f"{base}/signin?next=/me")
    _sso(page, base, "sam@example.com")
    assert "everyone" in page.inner_text("dl")
    answer = page.goto(f"{base}/incidents/{incident_id}")
    assert answer.status == 403 and "Not for your role" in page.inner_text("h1")
    page.goto(f"{base}/me")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/signin"))
    page.goto(f"{base}/me")
    assert "/signin" in page.url  # signed out: the account page asks again
    context.close()


def test_a_lobby_screen_shows_no_code_and_its_token_gets_no_handles(stack: RunningStack, browser: Any) -> None:
    request = urllib.request.Request(
        stack.credentials["base_url"] + "/api/displays",
        data=json.dumps({"name": "front-desk", "lobby": True}).encode(),
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        token = json.loads(answer.read())["token"]
    crisis = {
        **fresh(MENTION),
        "id": "lobby-crisis",
        "url": "https://x.com/loud/status/777",
        "text": "Passengers stranded for 6 hours, a child fainted, lawsuit coming @brand",
        "author": {"handle": "loudvoice", "name": "Loud Voice", "followers": 300000},
    }
    assert _post_mention(stack, crisis)[0] == 202
    context = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = context.new_page()
    page.goto(f"{stack.credentials['base_url']}/wall#token={token}")  # no lobby=1: the token says so
    page.wait_for_selector("#crisis:not([hidden])", timeout=15_000)
    assert page.locator("img").count() == 0 and "loudvoice" not in page.inner_text("body")
    assert "lobby" in page.inner_text("#mode")
    data = _api(stack, "/api/wall?lobby=0", token)
    assert '"qr":' not in json.dumps(data) and "loudvoice" not in json.dumps(data)
    context.close()
