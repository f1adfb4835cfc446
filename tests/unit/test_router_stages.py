"""One executor per stream batch: after the stories are written, the router runs its stages in
one order (the spike alarms and the crisis plans among them, not beside them), and its
docstring and docs/architecture.md name the same stages in the same order. No AWS is called:
each stage's work is replaced by a recorder."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from chalicelib.flows import router
from tests.unit.test_batch import CONFIG, EMPTY, mention, plan

ROOT = Path(__file__).resolve().parents[2]
ORDER = [
    "reporters' pages",
    "notices",
    "stories started",
    "counts",
    "spike alarms",
    "told",
    "incidents",
    "wall",
    "drills",
    "crisis plans",
    "chat cards",
    "receipts",
]


def test_the_stages_run_in_their_order_spike_alarms_and_crisis_plans_among_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ran: list[str] = []

    def recorder(name: str, answer: Any = None) -> Any:
        def record(*_: Any, **__: Any) -> Any:
            ran.append(name)
            return answer

        return record

    batch_plan = plan([mention(1, "The crew refused to help my son board and we are filing a lawsuit")])
    batch_plan.chat = [SimpleNamespace()]  # type: ignore[list-item]
    batch_plan.receipts = [SimpleNamespace(report=None, lines=())]  # type: ignore[list-item]
    monkeypatch.setattr(router, "load_routing", lambda: CONFIG)
    monkeypatch.setattr(router, "plan_and_write", lambda *_, **__: (batch_plan, EMPTY, {}))
    monkeypatch.setattr(router, "add_counts", recorder("counts"))
    monkeypatch.setattr(router, "INLINE_SPIKE_CHECK", 0)
    monkeypatch.setattr(router, "_last_inline_check", float("-inf"))
    monkeypatch.setattr(router, "check_spikes", recorder("spike alarms", []))
    monkeypatch.setattr(router, "record_outcomes", recorder("reporters' pages"))
    monkeypatch.setattr(router, "translate_notifications", lambda outgoing, *_, **__: list(outgoing))
    monkeypatch.setattr(router, "send", recorder("notices", ({}, [])))
    monkeypatch.setattr(router, "put_started", recorder("stories started", frozenset()))
    monkeypatch.setattr(router, "save_told", recorder("told"))
    monkeypatch.setattr(router.incidents, "apply_changes", recorder("incidents", []))
    monkeypatch.setattr(router, "show_on_wall", recorder("wall"))
    monkeypatch.setattr(router.drills, "follow_openings", recorder("drills", []))
    monkeypatch.setattr(router.plans, "start_for", recorder("crisis plans", 0))
    monkeypatch.setattr(router.cards, "post_cards", recorder("chat cards", {}))
    monkeypatch.setattr(router, "send_receipt", recorder("receipts", True))
    monkeypatch.setattr(router, "emit_counts", lambda *_, **__: None)

    router.dispatch([])

    assert ran == ORDER
    assert [name for name, _ in router.STAGES] == ORDER


def test_a_batch_whose_publishing_fails_counts_the_stories_written_and_not_the_ones_it_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The stories that existed are written before the stages: a redelivered record finds its
    # membership key and is not new again, so a count skipped now would be lost for good. A
    # story the batch starts is put after the notices: not put, it is planned (and counted)
    # again when the batch is redelivered, so counting it now would count it twice.
    counted: list[set[str]] = []
    batch_plan = plan(
        [mention(1, "My bag never arrived and nobody answers"), mention(2, "The lounge in Terminal 2 is closed")]
    )
    existing, new = batch_plan.stories.rows
    existing.version = 1  # as if read at version 0 and written by write_stories
    monkeypatch.setattr(router, "load_routing", lambda: CONFIG)
    monkeypatch.setattr(router, "plan_and_write", lambda *_, **__: (batch_plan, EMPTY, {}))
    monkeypatch.setattr(router, "record_outcomes", lambda *_: None)
    monkeypatch.setattr(router, "translate_notifications", lambda outgoing, *_, **__: list(outgoing))

    def outage(*_: Any, **__: Any) -> Any:
        raise ConnectionError("SNS is down")

    monkeypatch.setattr(router, "send", outage)
    monkeypatch.setattr(router, "count_new", lambda p, written: counted.append(set(written)) or 0)

    with pytest.raises(ConnectionError):
        router.dispatch([])
    assert counted == [{existing.cluster_id}]
    assert new.cluster_id not in counted[0]


def _named_in_order(text: str) -> list[str]:
    """The stages a numbered list names, in its order ("1. counts: ...")."""
    return re.findall(r"^\s*\d+\. ([a-z' ]+):", text, flags=re.MULTILINE)


def test_the_docstring_and_the_architecture_document_name_the_same_stages_in_order() -> None:
    assert _named_in_order(router.__doc__ or "") == ORDER
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = doc.split("## The router: read, plan, act", 1)[1].split("\n## ", 1)[0]
    assert _named_in_order(section) == ORDER
