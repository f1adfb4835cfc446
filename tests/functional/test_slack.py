from __future__ import annotations

import hashlib
import hmac
import json
import time

from chalicelib.store.models import ReportModel
from tests.conftest import FIXTURES
from tests.functional.conftest import Harness

SECRET = "slack-signing-secret"


def _signed(body: bytes, content_type: str = "application/json") -> dict[str, str]:
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {"content-type": content_type, "x-slack-request-timestamp": ts, "x-slack-signature": signature}


def test_slack_url_verification_and_app_mentions(harness: Harness) -> None:
    challenge = (FIXTURES / "slack_url_verification.json").read_bytes()
    answer = harness.client.http.post("/slack/events", body=challenge, headers=_signed(challenge))
    assert json.loads(answer.body)["challenge"].startswith("3eZbrw")
    mention = (FIXTURES / "slack_event_callback_app_mention.json").read_bytes()
    for _ in range(2):  # Slack retries: one report
        assert harness.client.http.post("/slack/events", body=mention, headers=_signed(mention)).status_code == 200
    [report] = ReportModel.scan()
    assert report.channel == "slack"
    harness.pump.pump_once()
    assert {d["group"] for d in harness.deliveries()} == {"social-team"}


def test_unsigned_slack_requests_are_refused(harness: Harness) -> None:
    body = (FIXTURES / "slack_event_callback_app_mention.json").read_bytes()
    bad = {**_signed(body), "x-slack-signature": "v0=00"}
    assert harness.client.http.post("/slack/events", body=body, headers=bad).status_code == 401
    assert list(ReportModel.scan()) == []
