"""Which reports' "urgent" routes (a public form's does not: anyone can send it), the form a
phone's share opens, and a report's own text triaged like a mention's."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from chalicelib.intake.web_form import prefilled, shared
from chalicelib.records import Report
from chalicelib.triage import triage_report

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
URGENT = Report(report_id="r1", channel="web", text="a fire at gate 4", received_at=NOW, urgency="urgent")


@pytest.mark.parametrize(
    ("report", "routed"),
    [
        (URGENT, "normal"),  # anonymous
        (replace(URGENT, reporter_email="ceo@example.com"), "normal"),  # typed, not shown to be theirs
        (replace(URGENT, reporter_email="ceo@example.com", reporter_proof="confirmation link"), "normal"),
        (replace(URGENT, reporter_email="lena@example.com", reporter_proof="signed in"), "urgent"),
        (replace(URGENT, drill="d1"), "urgent"),  # the app's own drill signed it
        (replace(URGENT, channel="email", reporter_email="a@example.com", reporter_proof="company mail"), "urgent"),
        (replace(URGENT, channel="slack"), "urgent"),
        (replace(URGENT, urgency="low"), "low"),
    ],
)
def test_only_a_trusted_reporters_urgent_is_routed_as_urgent(report: Report, routed: str) -> None:
    fields = report.routing_fields()
    assert fields["urgency"] == routed == report.routed_urgency
    # Not triaged here: the level is the routed urgency's (an anonymous "urgent" is not "high").
    assert fields["severity"] == {"urgent": "high", "normal": "medium", "low": "low"}[routed]


def test_the_texts_triage_raises_a_reports_severity_and_adds_departments() -> None:
    report = triage_report(
        Report(
            report_id="r2",
            channel="web",
            text="Awful, they lost my bags and my lawyer will sue",
            received_at=NOW,
            department="airport",
        )
    )
    assert report.sentiment_label == "negative" and "baggage" in report.departments
    assert report.severity_reasons and report.risk_terms
    fields = report.routing_fields()
    assert fields["departments"][0] == "airport" and "baggage" in fields["departments"]
    assert fields["severity"] == report.severity or report.severity == "low"


def test_a_query_pre_fills_within_the_forms_limits() -> None:
    form = prefilled({"text": "x" * 9000, "url": " https://a.example/1 \n https://b.example/2 ", "email": "a@b.c"})
    assert len(form.text) == 5000 and form.url == "https://a.example/1 https://b.example/2"
    assert (form.email, form.urgency) == ("", "normal")  # only the text and the links come from a link


def test_a_share_moves_the_link_android_puts_in_the_text_to_the_links() -> None:
    form = shared(title="  A  post ", text="Look https://www.tiktok.com/@x/video/1 now", url="")
    assert (form.text, form.url) == ("A post\nLook now", "https://www.tiktok.com/@x/video/1")
    both = shared(title="", text="https://x.com/a/status/1", url="https://x.com/a/status/1")
    assert (both.text, both.url) == ("", "https://x.com/a/status/1")
    assert shared(title="t", text="no link", url="javascript:alert(1)").url == ""
