from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.policy.messages import SMS_LIMIT, delivery_id_for, render, sns_message
from chalicelib.policy.rules import Route
from chalicelib.records import Author, Mention, Report

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ROUTE = Route(group="social-team", reasons=("rule 'Every mention': kind is mention",))


def _mention(text: str, url: str = "https://x.com/ana/status/1") -> Mention:
    return Mention(
        mention_id="m1",
        identity="x:1",
        source="generic",
        platform="x",
        external_id="1",
        url=url,
        text=text,
        author=Author(handle="ana", name="Ana", followers=48210),
        published_at=NOW,
        received_at=NOW,
    )


@pytest.mark.parametrize("text", ["short", "x" * 500, "ünïcödé 🚀 " * 40, "line\nbreaks\n\neverywhere " * 20])
def test_sms_never_exceeds_160_characters(text: str) -> None:
    assert len(render(_mention(text), ROUTE).sms) <= SMS_LIMIT
    report = Report(report_id="r1", channel="web", text=text, received_at=NOW)
    assert len(render(report, ROUTE).sms) <= SMS_LIMIT


def test_subject_is_ascii_single_line_and_under_100_characters() -> None:
    n = render(_mention("Zürich\nflight 🚀 " * 30), ROUTE)
    assert n.subject.isascii()
    assert "\n" not in n.subject
    assert len(n.subject) < 100


def test_email_variant_carries_the_context_and_the_reasons() -> None:
    n = render(_mention("Third cancelled flight"), ROUTE)
    assert "48,210 followers" in n.email
    assert "https://x.com/ana/status/1" in n.email
    assert "rule 'Every mention': kind is mention" in n.email


def test_anonymous_reports_say_so_and_carry_no_identity() -> None:
    n = render(Report(report_id="r1", channel="web", text="saw it", received_at=NOW), ROUTE)
    assert "Reported by: anonymous" in n.email


def test_delivery_ids_are_deterministic_per_signal_and_group() -> None:
    m = _mention("a")
    assert delivery_id_for(m, "ops") == delivery_id_for(m, "ops")
    assert delivery_id_for(m, "ops") != delivery_id_for(m, "social-team")


def test_sns_message_has_a_variant_for_each_protocol() -> None:
    import json

    doc = json.loads(sns_message(render(_mention("a"), ROUTE)))
    assert set(doc) == {"default", "email", "sms", "sqs"}
    assert json.loads(doc["sqs"])["group"] == "social-team"
