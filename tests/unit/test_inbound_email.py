from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.intake.inbound_email import parse_notification, quarantine_reason
from tests.conftest import FIXTURES

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PASS = {
    "spfVerdict": {"status": "PASS"},
    "dkimVerdict": {"status": "PASS"},
    "dmarcVerdict": {"status": "PASS"},
    "spamVerdict": {"status": "PASS"},
    "virusVerdict": {"status": "PASS"},
}


def _notification(raw: bytes, receipt: dict[str, object] | None = None) -> dict[str, object]:
    return {
        "notificationType": "Received",
        "mail": {"messageId": "abc123", "source": "someone@example.com"},
        "receipt": {**PASS, **(receipt or {}), "action": {"type": "SNS", "encoding": "BASE64"}},
        "content": base64.b64encode(raw).decode(),
    }


def test_the_aws_sample_notification_parses_and_outside_mail_is_quarantined() -> None:
    sample = json.loads((FIXTURES / "ses_sns_action_notification_with_content.json").read_text())
    report = parse_notification(sample, allowed_domains=["corp.example"], received_at=NOW)
    assert report.subject == "Example subject"
    assert report.status == "quarantined"
    assert "not a company domain" in report.quarantine_reason
    assert parse_notification(sample, allowed_domains=["example.com"], received_at=NOW).status == "received"


@pytest.mark.parametrize(
    ("receipt", "reason"),
    [
        ({"spfVerdict": {"status": "FAIL"}, "dkimVerdict": {"status": "GRAY"}}, "neither SPF nor DKIM"),
        ({"dmarcVerdict": {"status": "FAIL"}}, "DMARC"),
        ({"virusVerdict": {"status": "FAIL"}}, "virusVerdict"),
        ({"spamVerdict": {"status": "FAIL"}}, "spamVerdict"),
    ],
)
def test_failed_verdicts_quarantine(receipt: dict[str, object], reason: str) -> None:
    assert reason in quarantine_reason({**PASS, **receipt}, "a@example.com", ["example.com"])


def test_urgent_subject_and_links_are_read() -> None:
    raw = b"From: Carol <carol@example.com>\r\nSubject: URGENT look\r\n\r\nSee https://x.com/b/status/9 now\r\n"
    report = parse_notification(_notification(raw), allowed_domains=["example.com"], received_at=NOW)
    assert report.urgency == "urgent"
    assert report.urls == ("https://x.com/b/status/9",)
    assert report.reporter_email == "carol@example.com"
    assert report.report_id == parse_notification(_notification(raw), allowed_domains=[], received_at=NOW).report_id


def test_a_notification_without_content_is_refused_clearly() -> None:
    with pytest.raises(InvalidPayload, match="content"):
        parse_notification(
            {"notificationType": "Received", "mail": {"messageId": "x"}, "receipt": {}},
            allowed_domains=[],
            received_at=NOW,
        )


@pytest.mark.parametrize("path", sorted((FIXTURES / "email").glob("*.eml")), ids=lambda p: Path(p).name)
def test_every_real_message_yields_a_report_never_a_crash(path: Path) -> None:
    report = parse_notification(_notification(path.read_bytes()), allowed_domains=["example.com"], received_at=NOW)
    assert report.text
    assert report.status in {"received", "quarantined"}
