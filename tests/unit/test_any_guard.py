"""`Any` belongs where JSON or DynamoDB comes in and goes out; elsewhere it is a type not yet
written. Each module's count may fall, never rise (a ratchet): lower its number here when you
remove some, and a new module outside the edges starts at none."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The edges: items read from and written to DynamoDB, payloads parsed from the outside, boto3's
# untyped answers, JSON bodies, and the OpenAPI document. Any is at home here.
EDGES = (
    "chalicelib/store/",
    "chalicelib/sources/",
    "chalicelib/intake/",
    "chalicelib/aws.py",
    "chalicelib/bodies.py",
    "chalicelib/api/openapi.py",
)

# Today's counts outside the edges (issue 32). Most are JSON documents (rules, scenarios, the
# directory, SCIM) still passed as dicts; a typed record in their place lowers them.
RATCHET: dict[str, int] = {
    "chalicelib/policy/measures.py": 4,  # new in session 15: stored report rows as dicts
    "chalicelib/flows/measures.py": 7,  # new in session 15: stored report rows as dicts
    "chalicelib/policy/watch.py": 3,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/policy/spotit.py": 17,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/policy/recognition.py": 6,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/policy/reach.py": 5,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/policy/onboarding.py": 6,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/policy/cases.py": 17,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/notify/reach.py": 12,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/flows/spotit.py": 3,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/flows/recognition.py": 3,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/flows/reach.py": 5,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/flows/onboarding.py": 4,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/flows/cases.py": 8,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/api/spotit.py": 2,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/api/onboarding.py": 1,  # new in session 14 (parallel branches): JSON documents as dicts
    "chalicelib/api/learn.py": 4,  # new in session 14 (parallel branches): JSON documents as dicts
    "app.py": 4,
    "chalicelib/api/admin.py": 1,
    "chalicelib/api/admin_pages.py": 2,
    "chalicelib/api/auth.py": 2,
    "chalicelib/api/drills.py": 4,
    "chalicelib/api/groups.py": 3,
    "chalicelib/api/inbox.py": 7,
    "chalicelib/api/incident_pages.py": 1,
    "chalicelib/api/plans.py": 4,
    "chalicelib/api/problems.py": 4,
    "chalicelib/api/readiness.py": 1,
    "chalicelib/api/rules.py": 4,
    "chalicelib/api/slack.py": 5,
    "chalicelib/api/stories.py": 4,
    "chalicelib/api/teams.py": 5,
    "chalicelib/api/wall.py": 17,
    "chalicelib/api/webhooks.py": 1,
    "chalicelib/credentials.py": 2,
    "chalicelib/deadline.py": 1,
    "chalicelib/errors.py": 1,
    "chalicelib/flows/alarms.py": 1,
    "chalicelib/flows/cards.py": 2,
    "chalicelib/flows/configuration.py": 24,
    "chalicelib/flows/corrections.py": 7,
    "chalicelib/flows/digests.py": 1,
    "chalicelib/flows/directory.py": 17,
    "chalicelib/flows/drills.py": 20,  # sessions 14-15: drill and chat documents passed as dicts
    "chalicelib/flows/incidents.py": 5,
    "chalicelib/flows/people.py": 13,
    "chalicelib/flows/plans.py": 1,
    "chalicelib/flows/polling.py": 3,
    "chalicelib/flows/readiness.py": 6,
    "chalicelib/flows/reviews.py": 4,  # its review is still a JSON document (the page and the API share it)
    "chalicelib/flows/scim.py": 28,
    "chalicelib/flows/signin.py": 3,  # session 15: the session and person items of one BatchGetItem
    "chalicelib/flows/sources.py": 3,
    "chalicelib/flows/statements.py": 3,
    "chalicelib/handlers/inbound_email.py": 2,
    "chalicelib/handlers/stream.py": 4,
    "chalicelib/notify/chat.py": 10,  # sessions 14-15: chat payloads (JSON) as dicts
    "chalicelib/notify/delivery.py": 1,
    "chalicelib/notify/platforms.py": 18,
    "chalicelib/observability.py": 1,
    "chalicelib/oidc.py": 6,
    "chalicelib/policy/chat.py": 8,  # session 15: the exercise post as a chat payload (JSON)
    "chalicelib/policy/config.py": 5,  # session 14's merges: a JSON document passed as a dict
    "chalicelib/policy/directory.py": 22,
    "chalicelib/policy/drills.py": 3,
    "chalicelib/policy/crisis.py": 2,  # the crisis plan's store edge: its two aliases of the stored JSON document
    "chalicelib/policy/escalation.py": 4,
    "chalicelib/policy/noise.py": 3,  # session 14's merges: a JSON document passed as a dict
    "chalicelib/policy/batch.py": 2,
    "chalicelib/policy/readiness.py": 4,
    "chalicelib/policy/digests.py": 4,  # the wall's day documents a department digest reads
    "chalicelib/policy/rules.py": 13,
    "chalicelib/policy/scenarios.py": 21,
    "chalicelib/policy/search.py": 3,
    "chalicelib/policy/stories.py": 1,
    "chalicelib/records.py": 2,
    "chalicelib/scenarios/__init__.py": 1,
    "chalicelib/teams_auth.py": 6,
    "chalicelib/triage/language.py": 1,
    "chalicelib/triage/sentiment.py": 2,
    "chalicelib/triage/taxonomy.py": 3,
    "chalicelib/triage/vader.py": 1,
    "chalicelib/web/__init__.py": 3,
}


def any_uses(source: str) -> int:
    """`Any` as a name or `typing.Any`, in annotations and aliases alike (the import is not a use)."""
    return sum(
        1
        for node in ast.walk(ast.parse(source))
        if (isinstance(node, ast.Name) and node.id == "Any") or (isinstance(node, ast.Attribute) and node.attr == "Any")
    )


def modules() -> list[str]:
    found = [ROOT / "app.py", *sorted((ROOT / "chalicelib").rglob("*.py"))]
    return [p.relative_to(ROOT).as_posix() for p in found]


def test_any_uses_outside_the_json_and_dynamodb_edges_never_rise() -> None:
    risen = []
    for module in modules():
        if module.startswith(EDGES):
            continue
        count = any_uses((ROOT / module).read_text(encoding="utf-8"))
        if count > RATCHET.get(module, 0):
            risen.append(f"{module}: {count} uses of Any, at most {RATCHET.get(module, 0)}")
    assert not risen, "Any outside the JSON/DynamoDB edges (type it, or say why here):\n" + "\n".join(risen)


def test_the_count_sees_annotations_aliases_and_typing_dot_any() -> None:
    source = (
        "from __future__ import annotations\nimport typing\nfrom typing import Any\n"
        "Doc = dict[str, Any]\ndef f(x: Any, y: typing.Any) -> list[Any]: ...\n"
    )
    assert any_uses(source) == 4
    assert any_uses("from typing import Any\nx: object = 1\n") == 0


def test_the_ratchet_names_only_modules_that_exist_outside_the_edges() -> None:
    present = set(modules())
    stale = [m for m in RATCHET if m not in present or m.startswith(EDGES)]
    assert not stale, f"remove these from RATCHET: {stale}"
