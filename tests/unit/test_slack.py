from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest

from chalicelib.errors import VerificationFailed
from chalicelib.intake import slack
from tests.conftest import FIXTURES

VECTOR = json.loads((FIXTURES / "webhook_signature_test_vectors.json").read_text())["slack_v0"]
SIGNED_AT = datetime.fromtimestamp(int(VECTOR["timestamp"]), UTC)
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_the_official_v0_vector_verifies_with_its_own_clock() -> None:
    headers = {k.lower(): v for k, v in VECTOR["headers"].items()}
    slack.verify(headers, VECTOR["body"].encode(), secrets=[VECTOR["signing_secret"]], now=SIGNED_AT)
    with pytest.raises(VerificationFailed, match="signature"):
        slack.verify(headers, VECTOR["body"].encode() + b"x", secrets=[VECTOR["signing_secret"]], now=SIGNED_AT)


def test_a_replay_outside_five_minutes_is_refused() -> None:
    headers = {k.lower(): v for k, v in VECTOR["headers"].items()}
    with pytest.raises(VerificationFailed, match="five minutes"):
        slack.verify(headers, VECTOR["body"].encode(), secrets=[VECTOR["signing_secret"]], now=NOW)


def test_url_verification_is_answered() -> None:
    challenge, report = slack.parse_event((FIXTURES / "slack_url_verification.json").read_bytes(), received_at=NOW)
    assert challenge == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" and report is None


def test_an_app_mention_becomes_a_report_pointing_at_the_message() -> None:
    _, report = slack.parse_event((FIXTURES / "slack_event_callback_app_mention.json").read_bytes(), received_at=NOW)
    assert report is not None and report.channel == "slack"
    assert report.text.startswith("Flagged in Slack without a note")
    assert report.urls == ("https://slack.com/archives/C111/p1610241741000200",)
    assert report.reporter_email == "slack:T111/U222/C111"


def test_a_message_shortcut_reports_the_flagged_message_once() -> None:
    payload = {
        "type": "message_action",
        "callback_id": "report_to_sharedwatch",
        "team": {"id": "T1"},
        "channel": {"id": "C9"},
        "user": {"id": "U7"},
        "message": {"ts": "1732442400.000100", "text": "URGENT look <https://twitter.com/a/status/5|this>"},
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    first = slack.parse_shortcut(body, received_at=NOW)
    again = slack.parse_shortcut(body, received_at=NOW)
    assert first is not None and again is not None and first.report_id == again.report_id
    assert first.urgency == "urgent" and "https://twitter.com/a/status/5" in first.urls
    assert first.text == "URGENT look https://twitter.com/a/status/5"
