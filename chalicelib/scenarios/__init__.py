"""The scenarios sharedwatch ships: a crisis plan to start from, and a storm each (a scripted
timeline of mentions and reports) that a drill sends through the real webhooks."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

_HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def shipped() -> dict[str, dict[str, Any]]:
    """Scenario id -> its document (with its storm: the steps a drill sends)."""
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(_HERE.glob("*.json"))}
