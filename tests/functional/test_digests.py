"""Department digests: counts and trend, the best praise and the worst complaints with links,
the incidents a department owned, a one-line quiet period, each sent once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.flows.digests import send_digests
from tests.functional.conftest import Harness
from tests.support import MENTION, batch_envelope, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def test_each_department_gets_its_day_once_and_a_quiet_one_gets_one_line(harness: Harness) -> None:
    mentions = [
        {
            **MENTION,
            "id": "d1",
            "url": "https://x.com/fan/status/1",
            "author": {"handle": "fan", "followers": 5000},
            "text": "The cabin crew on my flight were wonderful, thank you!",
        },
        {
            **MENTION,
            "id": "d2",
            "url": "https://x.com/grumpy/status/2",
            "author": {"handle": "grumpy", "followers": 80},
            "text": "Flight attendant was rude and the seat was broken. Awful.",
        },
        {
            **MENTION,
            "id": "d3",
            "url": "",
            "author": {"handle": "bags"},
            "text": "Lost my bag in Denver, awful service",
        },
    ]
    body = batch_envelope(mentions)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    harness.deliveries()
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    outcomes = send_digests("daily", now=tomorrow)
    assert set(outcomes.values()) == {"sent"}
    digests = {d["item_id"].split(":")[1]: d for d in harness.deliveries() if d["item_kind"] == "digest"}
    assert digests["inflight"]["group"] == "operations"  # a department's digest goes to its group
    operations = digests["inflight"]["email"]
    assert "The pat on the back:" in operations and "@fan" in operations and "https://x.com/fan/status/1" in operations
    assert "What hurt most:" in operations and "@grumpy" in operations
    assert "no earlier period to compare with" in operations
    quiet = [d["email"] for d in digests.values() if d["email"].startswith("A quiet day")]
    assert quiet, [d["email"][:80] for d in digests.values()]
    assert all(len(d["sms"]) <= 160 for d in digests.values())
    assert set(send_digests("daily", now=tomorrow).values()) == {"skipped"}  # once per period
    assert harness.deliveries() == []


def test_departments_are_managed_through_the_admin_api(harness: Harness) -> None:
    listed = harness.client.http.get("/api/departments", headers=ADMIN).json_body["departments"]
    assert {"slug": "baggage", "name": "Baggage", "group": "customer-care", "group_exists": True} in listed
    moved = harness.client.http.put(
        "/api/departments/baggage", body=json.dumps({"name": "Baggage", "group": "operations"}).encode(), headers=ADMIN
    )
    assert moved.status_code == 200
    bad = harness.client.http.put(
        "/api/departments/cargo", body=json.dumps({"name": "", "group": "ghosts"}).encode(), headers=ADMIN
    )
    assert bad.status_code == 400 and len(json.loads(bad.body)["errors"]) == 2
