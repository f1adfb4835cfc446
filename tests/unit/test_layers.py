"""The rooms and which way imports go: every import in chalicelib/ and app.py goes down the
layers or stays in its own, never up (docs/architecture.md draws the same picture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Lowest first. A module may import from its own layer and the ones below it.
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    (
        "core",
        frozenset({"records", "errors", "clock", "settings", "retry", "bodies", "deadline", "scenarios", "i18n"}),
    ),
    ("pure decisions", frozenset({"triage", "policy"})),
    (
        "adapters",
        frozenset(
            {
                "aws",
                "observability",
                "credentials",
                "http",
                "oidc",
                "teams_auth",
                "comprehend",
                "store",
                "notify",
                "sources",
                "intake",
                "web",
            }
        ),
    ),
    ("flows", frozenset({"flows"})),
    ("entry points", frozenset({"api", "handlers"})),
)
RANK = {room: rank for rank, (_, rooms) in enumerate(LAYERS) for room in rooms}


def room_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if parts[0] == "chalicelib" and len(parts) > 1 else parts[0]


def imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("chalicelib"):
            if node.module == "chalicelib":
                found += [(node.lineno, f"chalicelib.{a.name}") for a in node.names]
            else:
                found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("chalicelib")]
    return found


MODULES = sorted((ROOT / "chalicelib").rglob("*.py"))


def test_every_room_has_a_layer() -> None:
    rooms = {p.relative_to(ROOT / "chalicelib").parts[0].removesuffix(".py") for p in MODULES} - {"__init__"}
    assert rooms <= set(RANK), f"rooms without a layer: {sorted(rooms - set(RANK))}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_never_climb_back_up(path: Path) -> None:
    module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
    here = RANK.get(room_of(module))
    if here is None:  # chalicelib/__init__.py
        return
    upward = [
        f"line {line}: {target} ({LAYERS[RANK[room_of(target)]][0]})"
        for line, target in imports(path)
        if RANK[room_of(target)] > here
    ]
    assert not upward, f"{module} ({LAYERS[here][0]}) imports upward: {upward}"


def test_the_router_goes_down_from_the_stream_to_sns() -> None:
    # handlers/stream -> flows/router -> policy/batch (decides) and notify/gate -> notify/delivery -> SNS
    assert RANK["handlers"] > RANK["flows"] > RANK["notify"] > RANK["policy"]
    targets = {room_of(t) for _, t in imports(ROOT / "chalicelib" / "flows" / "router.py")}
    assert "api" not in targets and "handlers" not in targets
