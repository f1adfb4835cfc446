from __future__ import annotations

import json
from datetime import UTC, datetime

from chalicelib.store.models import ReportModel
from infra.local.handlers import resolve
from infra.local.smtp_inbox import ses_notification, sns_event
from tests.functional.conftest import Harness

TOPIC = "arn:aws:sns:us-east-1:123456789012:sharedwatch-test-inbound-email"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def _mail(sender: str, subject: str, body: str) -> bytes:
    return f"From: {sender}\r\nTo: reports@example.com\r\nSubject: {subject}\r\n\r\n{body}\r\n".encode()


def _deliver(raw: bytes, envelope_from: str) -> None:
    notification = ses_notification(
        raw,
        mail_from=envelope_from,
        recipients=["reports@example.com"],
        company_domains=["example.com"],
        topic_arn=TOPIC,
        now=NOW,
    )
    resolve("chalicelib.handlers.inbound_email.on_inbound_email")(
        sns_event(json.dumps(notification), topic_arn=TOPIC, now=NOW), None
    )


def test_company_mail_becomes_a_routed_report(harness: Harness) -> None:
    _deliver(_mail("Carol <carol@example.com>", "URGENT: this post", "https://x.com/b/status/1"), "carol@example.com")
    [report] = ReportModel.scan()
    assert (report.channel, report.status, report.urgency) == ("email", "received", "urgent")
    harness.pump.pump_once()
    assert sorted(d["group"] for d in harness.deliveries()) == ["crisis-team", "social-team"]


def test_spoofed_and_outside_mail_is_quarantined_and_never_routed(harness: Harness) -> None:
    _deliver(_mail("ceo@example.com", "wire money", "now"), "evil@attacker.test")
    _deliver(_mail("someone@gmail.example", "hi", "look"), "someone@gmail.example")
    reasons = sorted(r.quarantine_reason for r in ReportModel.scan())
    assert reasons == ["DMARC verdict is FAIL", "neither SPF nor DKIM passed"]
    harness.pump.pump_once()
    assert harness.deliveries() == []


def test_a_malformed_notification_is_dropped_without_a_retry_storm(harness: Harness) -> None:
    handler = resolve("chalicelib.handlers.inbound_email.on_inbound_email")
    handler(sns_event("not json", topic_arn=TOPIC, now=NOW), None)
    handler(sns_event(json.dumps({"notificationType": "Bounce"}), topic_arn=TOPIC, now=NOW), None)
    assert list(ReportModel.scan()) == []


def test_the_s3_action_notification_is_read_from_the_bucket(harness: Harness) -> None:
    """AWS's documented S3-action notification (tests/fixtures, objectKey fixed), its sender made a
    company address: the raw message is in the bucket, not in the notification."""
    import boto3

    from tests.conftest import FIXTURES

    notification = json.loads((FIXTURES / "ses_s3_action_alert_notification_fixed.json").read_text())
    action = notification["receipt"]["action"]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=action["bucketName"].lower())
    action["bucketName"] = action["bucketName"].lower()
    raw = _mail("Dana <dana@example.com>", "This thread is blowing up", "https://x.com/c/status/9")
    s3.put_object(Bucket=action["bucketName"], Key=action["objectKey"], Body=raw)
    notification["mail"]["source"] = "dana@example.com"
    notification["mail"]["commonHeaders"] = {
        "from": ["Dana <dana@example.com>"],
        "subject": "This thread is blowing up",
    }
    resolve("chalicelib.handlers.inbound_email.on_inbound_email")(
        sns_event(json.dumps(notification), topic_arn=TOPIC, now=NOW), None
    )
    [report] = ReportModel.scan()
    assert report.channel == "email" and "This thread is blowing up" in (report.subject or report.text)
    assert list(report.urls) == ["https://x.com/c/status/9"]
