"""A route declares what it needs once (api/routes.needs): the check, the OpenAPI operation and
docs/people.md's access table row all come from that declaration."""

from __future__ import annotations

import json

import pytest

import app
from chalicelib.api.openapi import SCHEMAS, document
from chalicelib.api.routes import ATTRIBUTE, PEOPLE, Needs, access_table, needs_of
from tests.functional.conftest import Harness
from tests.functional.identity_support import token_for

# Routes still checking in their bodies (require / signed_in), to convert file by file. The list
# may shrink, never grow: a new route declares what it needs. (124 when @needs came; the 18 routes
# of case cards, spot-it, the policy, reads and translation were written beside it in parallel
# branches and merged together: the next to convert.)
UNDECLARED_AT_MOST = 54


def _undeclared() -> list[str]:
    return sorted(
        f"{method} {path}"
        for path, methods in app.app.routes.items()
        for method, entry in methods.items()
        if needs_of(entry.view_function) is None
    )


def test_routes_not_yet_declared_never_grow() -> None:
    undeclared = _undeclared()
    assert len(undeclared) <= UNDECLARED_AT_MOST, (
        f"{len(undeclared)} routes without @needs (at most {UNDECLARED_AT_MOST}): declare the new one"
    )


def test_the_access_table_is_what_the_declarations_say() -> None:
    text = PEOPLE.read_text(encoding="utf-8")
    assert access_table(text, app.app.routes) == text, "run python -m chalicelib.api.routes"


def test_every_declared_body_is_a_schema_in_the_contract() -> None:
    bodies = {
        needs.body
        for methods in app.app.routes.values()
        for entry in methods.values()
        if (needs := needs_of(entry.view_function)) is not None and needs.body
    }
    assert bodies, "some declared route reads a body"
    assert bodies <= set(SCHEMAS)


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
