"""make smoke's parts that need no stack (tests/e2e/test_first_deploy.py runs it whole)."""

from __future__ import annotations

import itertools

import pytest

from chalicelib.policy.stories import JOIN_RESEMBLANCE
from chalicelib.triage.identity import resemblance, sketch
from infra import smoke


def test_each_run_s_texts_start_stories_of_their_own() -> None:
    """A smoke post that joined an earlier run's story would be told to nobody (once per story
    and group): no two runs' texts, nor a run's mention and report, may resemble enough to join."""
    runs = [(smoke.fresh_text("mention", f"{n:08x}"), smoke.fresh_text("report", f"{n:08x}")) for n in range(60)]
    sketches = [sketch(text) for pair in runs for text in pair]
    closest = max(resemblance(a, b) for a, b in itertools.combinations(sketches, 2))
    assert closest < JOIN_RESEMBLANCE
    assert all(text.startswith(f"{smoke.MARKER} ") for pair in runs for text in pair)


def test_a_deployed_stage_needs_the_inbox_named() -> None:
    with pytest.raises(smoke.SmokeFailed, match=r"INBOX=you@example\.com"):
        smoke.deployed_target("dev", base_url="", token="", inbox="")


def test_the_report_says_each_step_s_time_and_what_was_not_observed() -> None:
    target = smoke.Target(
        stage="dev",
        base_url="https://x.execute-api.us-east-1.amazonaws.com/api/",
        token="t",
        generic_secret="s",
        inbox="ops@example.com",
        notes=["used the break-glass admin_token"],
    )
    steps = [smoke.Step("mention accepted through the API (202)", 0.31), smoke.Step("inbox", None, "not observed")]
    text = smoke.render(target, steps)
    assert "0.31 s  mention accepted" in text and "-   inbox  (not observed)" in text
    assert "note: used the break-glass" in text and text.endswith("PASSED")
    assert smoke.render(target, steps, "the report form answered 502").endswith("FAILED: the report form answered 502")
