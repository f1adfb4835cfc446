"""docs/people.md's route table is the contract: every route, as nobody and as each role, gets
exactly what the table says; a refusal is a 401/403 (or, for a page, the way to sign in) and
changes nothing."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import app
from chalicelib.api.openapi import permission_of
from chalicelib.store.models import AuditModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in, token_for
from tests.support import Browser

TABLE = Path(__file__).resolve().parents[2] / "docs" / "people.md"
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| ([a-z. ]+) \|(.*)\|$")
WHO = ("anyone", "everyone", "lead", "responder", "admin")
NOT_A_PERMISSION = {
    "public",
    "source signature",
    "signed link",
    "provider answer",
    "local stack only",
    "provisioning token",
}


def table() -> list[tuple[str, str, str, dict[str, str]]]:
    rows = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        found = ROW.match(line)
        if found:
            method, path, needs, cells = found.groups()
            marks = [c.strip() for c in cells.split("|")]
            rows.append((method, path, needs.strip(), dict(zip(WHO, marks, strict=True))))
    return rows


def test_the_table_names_every_route_and_the_permission_it_checks() -> None:
    rows = table()
    listed = {(m, p) for m, p, _, _ in rows}
    registered = {(m, p) for p, methods in app.app.routes.items() for m in methods}
    assert registered <= listed, f"routes missing from the table in docs/people.md: {sorted(registered - listed)}"
    assert {x for x in listed - registered} <= {("GET", "/local/outbox")}
    for method, path, needs, _ in rows:
        if (method, path) in registered:
            checked = permission_of(app.app.routes[path][method].view_function)
            assert checked == ("" if needs in NOT_A_PERMISSION else needs), f"{method} {path}"


def _fill(path: str) -> str:
    path = path.replace("{action}", "acknowledge")
    return re.sub(r"{[^}]+}", "zz-missing", path)


def _call(who: str, method: str, path: str, *, tokens: dict[str, str], browsers: dict[str, Browser], h: Harness) -> Any:
    url = _fill(path)
    if path.startswith("/api/"):
        headers = {"content-type": "application/json"}
        if who != "anyone":
            headers["authorization"] = f"Bearer {tokens[who]}"
        body = b"{}" if method in ("POST", "PUT") else b""
        return getattr(h.client.http, method.lower())(url, headers=headers, body=body)
    browser = browsers.get(who) or Browser(h.client.http)
    return browser.post_form(url, {}) if method == "POST" else browser.get(url)


def _refused(answer: Any, path: str) -> bool:
    if path.startswith("/api/"):
        return answer.status_code in (401, 403)
    to_signin = answer.status_code == 303 and answer.headers.get("Location", "").startswith("/signin")
    return to_signin or answer.status_code == 403


def test_every_route_as_every_role_gets_exactly_the_table(harness: Harness) -> None:
    roles = WHO[1:]
    tokens = {role: token_for(harness, f"{role}@example.com", role) for role in roles}
    browsers = {role: sign_in(harness, f"{role}@example.com") for role in roles}
    wrong: list[str] = []
    for method, path, needs, cells in table():
        if needs in NOT_A_PERMISSION or path not in app.app.routes:
            continue
        for who in WHO:
            expected = cells[who]
            before = AuditModel.count()
            answer = _call(who, method, path, tokens=tokens, browsers=browsers, h=harness)
            refused = _refused(answer, path)
            if (expected == "✓") == refused or (expected == "display token" and not refused and who == "anyone"):
                wrong.append(f"{method} {path} as {who}: expected {expected}, got {answer.status_code}")
            if refused and AuditModel.count() != before:
                wrong.append(f"{method} {path} as {who}: refused, yet the audit trail changed")
    assert not wrong, "\n".join(wrong)


def test_public_pages_open_for_anyone(harness: Harness) -> None:
    for method, path, needs, _ in table():
        if needs == "public" and method == "GET" and "{" not in path:
            assert harness.client.http.get(path).status_code not in (401, 403), path
