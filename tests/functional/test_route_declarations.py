"""A route declares what it needs once (api/routes.needs): the check, the OpenAPI operation and
docs/people.md's access table row all come from that declaration, and so do the body's check
and its schema in the contract."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

import app
from chalicelib.api.openapi import document
from chalicelib.api.routes import ATTRIBUTE, PEOPLE, Needs, access_table, needs_of
from chalicelib.bodies import Body
from chalicelib.clock import utcnow
from tests.functional.conftest import Harness
from tests.functional.identity_support import token_for

# Every route declares what it needs (@needs, or @public / @signed for routes no role opens);
# there were 124 without when @needs came.
UNDECLARED_AT_MOST: set[str] = set()


def _undeclared() -> list[str]:
    return sorted(
        f"{method} {path}"
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
        if needs_of(entry.view_function) is None
    )


def test_every_route_declares_what_it_needs() -> None:
    grown = set(_undeclared()) - UNDECLARED_AT_MOST
    assert not grown, f"routes declaring nothing (@needs, @public or @signed): {sorted(grown)}"


def test_the_access_table_is_what_the_declarations_say() -> None:
    text = PEOPLE.read_text(encoding="utf-8")
    assert access_table(text, app.app.routes) == text, "run python -m chalicelib.api.routes"


def test_every_declared_body_is_published_as_the_schema_its_route_checks() -> None:
    published = document(app.app.routes)["components"]["schemas"]
    bodies = {
        needs.body
        for methods in app.app.routes.values()
        for entry in methods.values()
        if (needs := needs_of(entry.view_function)) is not None and needs.body is not None
    }
    assert len(bodies) > 40, "the routes that read a body declare it"
    assert all(published[body.name] == body.schema for body in bodies)


def test_changing_a_declared_body_changes_what_the_route_refuses_and_what_the_contract_says(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/api/maintenance/{window_id}"
    view = app.app.routes[path]["PUT"].view_function
    declared = needs_of(view)
    assert declared is not None and declared.body is not None
    now = utcnow()
    window = {"start": now.isoformat(), "end": (now + timedelta(hours=1)).isoformat(), "reason": "the new gates"}

    def put() -> Any:
        headers = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
        return harness.client.http.put("/api/maintenance/gates", headers=headers, body=json.dumps(window))

    assert put().status_code == 200, put().body
    assert document(app.app.routes)["components"]["schemas"]["Window"]["properties"]["reason"] == {"type": "string"}

    schema = dict(declared.body.schema)
    schema["properties"] = {**schema["properties"], "reason": {"type": "string", "maxLength": 5}}
    monkeypatch.setattr(view, ATTRIBUTE, replace(declared, body=Body("Window", schema)))

    answer = put()
    assert answer.status_code == 400, answer.body  # (configuration routes answer a refused document 400)
    assert json.loads(answer.body)["errors"] == ["reason: at most 5 characters"]
    published = document(app.app.routes)["components"]["schemas"]["Window"]["properties"]["reason"]
    assert published == {"type": "string", "maxLength": 5}


def test_flipping_one_declaration_changes_the_check_the_contract_and_the_table(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, method = "/api/maintenance/{window_id}", "DELETE"
    view = app.app.routes[path][method].view_function
    lead = token_for(harness, "lead@example.com", "lead")
    headers = {"authorization": f"Bearer {lead}"}

    def row() -> str:
        table = access_table(PEOPLE.read_text(encoding="utf-8"), app.app.routes)
        return next(line for line in table.splitlines() if line.startswith(f"| `{method} {path}` |"))

    assert harness.client.http.delete("/api/maintenance/nothing-here", headers=headers).status_code == 403
    assert document(app.app.routes)["paths"][path]["delete"]["x-permission"] == "config.write"
    assert row() == f"| `{method} {path}` | config.write | ✗ | ✗ | ✗ | ✗ | ✓ |"

    monkeypatch.setattr(view, ATTRIBUTE, Needs("config.read"))

    answer = harness.client.http.delete("/api/maintenance/nothing-here", headers=headers)
    assert answer.status_code == 404, answer.body  # let in, and nothing there to delete
    assert json.loads(answer.body)["detail"].startswith("no maintenance window")
    assert document(app.app.routes)["paths"][path]["delete"]["x-permission"] == "config.read"
    assert row() == f"| `{method} {path}` | config.read | ✗ | ✗ | ✓ | ✓ | ✓ |"


def test_a_declared_page_sends_a_visitor_to_sign_in_and_back(harness: Harness) -> None:
    answer = harness.client.http.get("/departments")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/signin?next=%2Fdepartments"


def test_a_route_no_role_opens_says_what_does_in_the_contract_and_the_table(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    path, method = "/webhooks/{source}", "POST"
    view = app.app.routes[path][method].view_function

    def row() -> str:
        table = access_table(PEOPLE.read_text(encoding="utf-8"), app.app.routes)
        return next(line for line in table.splitlines() if line.startswith(f"| `{method} {path}` |"))

    operation = document(app.app.routes)["paths"][path]["post"]
    assert operation["x-access"]["by"] == "source signature" and operation["x-access"]["why"]
    assert "security" not in operation and "x-permission" not in operation
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/MentionDelivery")
    assert row() == f"| `{method} {path}` | source signature | ✓ | ✓ | ✓ | ✓ | ✓ |"

    monkeypatch.setattr(view, ATTRIBUTE, Needs(None, kind="provisioning token", why="a test"))

    assert document(app.app.routes)["paths"][path]["post"]["x-access"] == {"by": "provisioning token", "why": "a test"}
    assert row() == f"| `{method} {path}` | provisioning token | ✗ | ✗ | ✗ | ✗ | ✗ |"


def test_a_public_route_opens_for_nobody_signed_in(harness: Harness) -> None:
    declared = needs_of(app.app.routes["/health"]["GET"].view_function)
    assert declared is not None and declared.kind == "public" and declared.permission is None
    assert harness.client.http.get("/health").status_code not in (401, 403)


def test_a_form_page_returns_to_its_declared_page_after_sign_in(harness: Harness) -> None:
    answer = harness.client.http.post(
        "/mentions/m-1/correct", headers={"content-type": "application/x-www-form-urlencoded"}, body=b""
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/signin?next=%2Fmentions%2Fm-1"
    kept = harness.client.http.get("/incidents/i-1?at=2026-01-01T00:00")
    assert kept.headers["Location"] == "/signin?next=%2Fincidents%2Fi-1%3Fat%3D2026-01-01T00%3A00"


def test_every_api_route_declaring_a_json_body_checks_it_when_it_reads_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[str] = []

    class Spy(Body):
        __slots__ = ()

        def check(self, value: Any) -> None:
            checked.append(self.name)

    declared = [
        (path, method, entry.view_function, needs)
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
        if (needs := needs_of(entry.view_function)) is not None
        and needs.body is not None
        and needs.kind == "role"
        and needs.media == "application/json"
    ]
    assert len(declared) > 25
    # A person's token (the break-glass one is no person: /api/tokens refuses it before reading)
    headers = {"authorization": f"Bearer {token_for(harness, 'boss@example.com', 'admin')}"}
    headers["content-type"] = "application/json"
    unread = []
    for path, method, view, needs in declared:
        assert needs.body is not None
        monkeypatch.setattr(view, ATTRIBUTE, replace(needs, body=Spy(f"{method} {path}", needs.body.schema)))
        url = re.sub(r"{[^}]+}", "legal", path)  # "legal": a seeded group; elsewhere an id not there
        answer = harness.client.http.request(method, url, headers=headers, body=b"{}")
        if f"{method} {path}" not in checked and answer.status_code != 404:
            unread.append(f"{method} {path}: {answer.status_code}")
    assert unread == []
    assert len(checked) > 20
