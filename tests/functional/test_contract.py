"""GET /openapi.json is generated from the routes the app registers, and says what they read."""

from __future__ import annotations

import inspect
import json

import app
from tests.functional.conftest import Harness

READS_A_BODY = ("read_json(", "raw_body(", "_admin_json(", "_form_fields(")


def test_every_route_is_in_the_document_with_its_body(harness: Harness) -> None:
    answer = harness.client.http.get("/openapi.json")
    assert answer.status_code == 200
    doc = json.loads(answer.body)
    assert doc["openapi"] == "3.1.0"
    documented = {(path, method.upper()) for path, ops in doc["paths"].items() for method in ops}
    registered = {(path, method) for path, methods in app.app.routes.items() for method in methods}
    assert documented == registered
    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            operation = doc["paths"][path][method.lower()]
            source = inspect.getsource(entry.view_function)
            if method in ("POST", "PUT") and any(reader in source for reader in READS_A_BODY):
                assert "requestBody" in operation, f"{method} {path} reads a body the document does not describe"
            assert [p["name"] for p in operation["parameters"]] == [
                part[1:-1] for part in path.split("/") if part.startswith("{")
            ]


def test_routes_say_who_may_call_them(harness: Harness) -> None:
    doc = json.loads(harness.client.http.get("/openapi.json").body)
    rules = doc["paths"]["/api/rules"]
    assert (
        rules["get"]["security"] == [{"token": []}, {"session": []}] and rules["get"]["x-permission"] == "config.read"
    )
    assert (
        doc["paths"]["/api/rules/{rule_id}"]["put"]["x-permission"] == "config.write"
        and doc["paths"]["/api/audit"]["get"]["x-permission"] == "people"
    )
    assert doc["paths"]["/api/wall"]["get"]["security"][0] == {"display": []}
    assert "security" not in doc["paths"]["/webhooks/{source}"]["post"]
    # Every /api/ route names the permission it checks.
    assert all(
        "x-permission" in op for path, ops in doc["paths"].items() if path.startswith("/api/") for op in ops.values()
    )
