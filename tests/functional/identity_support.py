"""Signing people in on the in-process app: the real flow (a link mailed through SES, opened in
the browser that asked), so tests act as a person with a role."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.functional.conftest import Harness
from tests.support import Browser

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def mail_to(address: str) -> list[Any]:
    from moto.backends import get_backend

    sent = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    return [m for m in sent if address in m.destinations["ToAddresses"]]


def signin_link(address: str) -> str:
    [*_, last] = mail_to(address)
    found = re.search(r"/signin/link/\S+", last.body)
    assert found, last.body
    return found.group(0)


def make_person(h: Harness, email: str, role: str, **fields: Any) -> None:
    answer = h.client.http.put(
        f"/api/people/{email}", body=json.dumps({"role": role, **fields}).encode(), headers=ADMIN
    )
    assert answer.status_code in (200, 201), answer.body


def sign_in(h: Harness, email: str, role: str | None = None, **fields: Any) -> Browser:
    if role:
        make_person(h, email, role, **fields)
    browser = Browser(h.client.http)
    browser.get("/signin?next=/me")
    assert browser.post_form("/signin", {"email": email, "next": "/me"}).status_code == 200
    path = signin_link(email)
    assert browser.get(path).status_code == 200
    done = browser.post_form(path, {})
    assert done.status_code == 303 and done.headers["Location"] == "/me", done.body
    assert browser.get("/me").status_code == 200  # the account page's forms carry the session's CSRF token
    return browser


def token_for(h: Harness, email: str, role: str) -> str:
    """A personal API token for a person of this role (made by signing them in)."""
    browser = sign_in(h, email, role, **({"department": "inflight"} if role == "lead" else {}))
    made = browser.api("POST", "/api/tokens", {"name": f"{role} bot", "role": role})
    assert made.status_code == 201, made.body
    return str(json.loads(made.body)["token"])
