"""The contract machines read (GET /openapi.json) and a schema-driven fuzz run against the local
stack: schemathesis generates what the document allows and what it does not, for every route,
with the admin token where a route wants one. Nothing may answer 5xx, and nothing refused may
leave anything stored."""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from infra.local.launcher import RunningStack
from tests.e2e.conftest import running_stack

EXAMPLES = 12  # per operation and mode (valid, then invalid): about 45 operations


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A stack of its own: the fuzz rewrites rules, groups and displays as it goes."""
    yield from running_stack(tmp_path_factory.mktemp("fuzz-stack"))


def _get(stack: RunningStack, path: str, token: str) -> Any:
    request = urllib.request.Request(stack.credentials["base_url"] + path, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_no_input_finds_a_5xx(stack: RunningStack) -> None:
    # schemathesis' own pytest plugin does not run under pytest 9: its strategies, driven here.
    api = schemathesis.openapi.from_url(f"{stack.credentials['base_url']}/openapi.json")
    headers = {"Authorization": f"Bearer {stack.credentials['admin_token']}"}
    broken: list[str] = []
    calls = 0

    for found, mode in itertools.product(api.get_all_operations(), GenerationMode):
        operation = found.ok()

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
            derandomize=True,
        )
        def attack(case: Any) -> None:
            nonlocal calls
            calls += 1
            response = case.call(headers=headers, timeout=30)
            kind = "".join(response.headers.get("content-type", []))  # schemathesis keeps each header as a list
            if response.status_code >= 500:
                broken.append(f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:200]}")
            elif 400 <= response.status_code < 500 and kind.startswith("application/json"):
                broken.append(f"{case.method} {case.formatted_path}: a {response.status_code} without problem+json")

        try:
            attack()
        except Unsatisfiable:  # nothing about this operation can be invalid (a GET without parameters)
            assert mode is GenerationMode.NEGATIVE
    assert calls > 600 and broken == []


def test_the_document_lists_every_route_and_nothing_refused_was_stored(stack: RunningStack) -> None:
    doc = _get(stack, "/openapi.json", "")
    assert doc["openapi"] == "3.1.0" and "/webhooks/{source}" in doc["paths"]
    # Fuzzed webhook deliveries carry no valid signature: every one was refused, none stored.
    wall = _get(stack, "/api/wall", stack.credentials["admin_token"])
    assert wall["stream"] == []
