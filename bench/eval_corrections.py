"""Corrections as feedback: people's corrections of triage, exported from a deployment with
`GET /api/corrections?days=90` (JSON lines: the text and the corrected value), read back as
labels. `SHAREDWATCH_CORRECTIONS=corrections.jsonl make eval` scores today's triage on them:
how often it now agrees with the people who corrected it (sentiment and departments), beside
how often it agreed when they corrected it (never, by definition: that is why they did).
Without the variable there is nothing to read and no figure."""

from __future__ import annotations

import json
import os
from pathlib import Path

from bench.harness import Figure

# Nothing to score without an export: the runner then expects no figure (a name, not a file).
NEEDS = (Path(os.environ.get("SHAREDWATCH_CORRECTIONS") or "$SHAREDWATCH_CORRECTIONS"),)


def run() -> list[Figure]:
    path = os.environ.get("SHAREDWATCH_CORRECTIONS", "")
    if not path or not Path(path).exists():
        return []
    from chalicelib.triage import triage_text

    rows = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    checked = agreed = 0
    for row in rows:
        if row.get("field") not in ("sentiment", "departments") or not row.get("text"):
            continue
        triage = triage_text(row["text"], identity=row.get("mention_id", "c"))
        now = triage.sentiment_label if row["field"] == "sentiment" else sorted(triage.departments)
        wanted = row["after"] if row["field"] == "sentiment" else sorted(row["after"])
        checked += 1
        agreed += now == wanted
    share = agreed / checked if checked else 0.0
    return [
        Figure(
            "corrections_agreed",
            round(share, 3),
            "share",
            0.0,
            round(share, 3),
            "value >= 0.0",
            f"{agreed} of {checked} corrections (sentiment, departments) now agree with today's triage",
        )
    ]
