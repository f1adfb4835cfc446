"""People on the local stack: a cookie-keeping HTTP client, sign-in links from the outbox, and
the break-glass token making people (what an admin's first minutes look like)."""

from __future__ import annotations

import http.cookiejar
import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from infra.local.launcher import RunningStack


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class HttpBrowser:
    """What a browser does that matters here: keeps cookies, reads each page's CSRF token."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirects())
        self.csrf = ""

    def open(self, path: str, form: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        url = path if path.startswith("http") else self.base + path
        data = urllib.parse.urlencode({"csrf": self.csrf, **form}).encode() if form is not None else None
        try:
            with self.opener.open(url, data=data, timeout=10) as answer:
                status, headers, body = answer.status, dict(answer.headers), answer.read().decode()
        except urllib.error.HTTPError as exc:
            status, headers, body = exc.code, dict(exc.headers), exc.read().decode()
        found = re.search(r'name="csrf" value="([^"]+)"', body)
        if found:
            self.csrf = found.group(1)
        return status, headers, body


def outbox(stack: RunningStack) -> list[dict[str, Any]]:
    with urllib.request.urlopen(stack.credentials["base_url"] + "/local/outbox", timeout=10) as answer:
        return json.loads(answer.read())["deliveries"]  # type: ignore[no-any-return]


def mailed_link(stack: RunningStack, to: str, pattern: str, *, after: int = 0, timeout: float = 10) -> str:
    """The link matching `pattern` in the newest mail to `to`, once there are more than `after`."""
    deadline = time.monotonic() + timeout
    while True:
        mails = [e for e in outbox(stack) if e.get("channel") == "email" and e.get("to") == to]
        found = re.search(pattern, mails[0].get("email", "")) if len(mails) > after else None  # newest first
        if found:
            return found.group(0)
        assert time.monotonic() < deadline, f"no mail to {to} with {pattern}"
        time.sleep(0.2)


def make_person(stack: RunningStack, email: str, role: str, **fields: Any) -> None:
    request = urllib.request.Request(
        f"{stack.credentials['base_url']}/api/people/{email}",
        data=json.dumps({"role": role, **fields}).encode(),
        headers={"authorization": f"Bearer {stack.credentials['admin_token']}", "content-type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status in (200, 201)


def count_mail(stack: RunningStack, to: str) -> int:
    return sum(1 for e in outbox(stack) if e.get("channel") == "email" and e.get("to") == to)


def sign_in(stack: RunningStack, email: str) -> HttpBrowser:
    """Signed in by the link the outbox receives, as a person on the local stack would be."""
    browser = HttpBrowser(stack.credentials["base_url"])
    browser.open("/signin")
    before = count_mail(stack, email)
    status, _, _ = browser.open("/signin", {"email": email, "next": "/me"})
    assert status == 200
    link = mailed_link(stack, email, r"http://\S+/signin/link/\S+", after=before)
    browser.open(link)
    status, headers, body = browser.open(link, {})
    assert status == 303 and headers["Location"] == "/me", body[-300:]
    browser.open("/me")
    return browser


def sign_in_browser(stack: RunningStack, page: Any, email: str) -> None:
    """A real browser page signs in by the link the outbox receives, and lands on its account."""
    base = stack.credentials["base_url"]
    page.goto(base + "/signin")
    page.get_by_label("Your work email").fill(email)
    before = count_mail(stack, email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    page.goto(mailed_link(stack, email, r"http://\S+/signin/link/\S+", after=before))
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(base + "/me")
