"""Department digests: counts and trend, the best praise and the worst complaints with links,
the incidents a department owned, a one-line quiet period, each sent once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

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
    # 08:05 tomorrow: the harness's members know no zone, so it is the company's (UTC) morning.
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=8, minute=5)
    assert send_digests("daily", now=tomorrow.replace(hour=7)) == {}
    outcomes = send_digests("daily", now=tomorrow)
    assert set(outcomes.values()) == {"sent"}
    assert set(outcomes) == {f"{slug.split('@')[0]}@UTC" for slug in outcomes}
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


def _queue(harness: Harness, name: str, topic_suffix: str, policy: dict[str, Any]) -> str:
    """A queue subscribed to a group's topic with a recipient's own filter policy: what they get."""
    sns = boto3.client("sns", region_name="us-east-1")
    url = harness.sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(topic_suffix))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)})
    return str(url)


def _subjects(harness: Harness, url: str) -> list[str]:
    messages = harness.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        harness.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"])["Subject"] for m in messages]


def test_a_digest_arrives_at_eight_in_the_morning_in_tokyo_and_in_new_york(harness: Harness) -> None:
    from chalicelib.policy.noise import follower_filter, member_filter
    from chalicelib.store import config, directory

    for endpoint, zone in (("kenji@example.com", "Asia/Tokyo"), ("nora@example.com", "America/New_York")):
        answer = harness.client.http.post(
            "/api/groups/operations/members",
            body=json.dumps({"protocol": "email", "endpoint": endpoint, "timezone": zone}).encode(),
            headers=ADMIN,
        )
        assert answer.status_code == 201, answer.body
    directory.follow("inflight", "lena@example.com", at="2026-01-01T00:00:00Z", zone="Europe/Berlin")
    config.clear_cache()
    inbox = {
        "Asia/Tokyo": _queue(harness, "tokyo", "group-operations", member_filter("Asia/Tokyo")),
        "America/New_York": _queue(harness, "new-york", "group-operations", member_filter("America/New_York")),
        "Europe/Berlin": _queue(harness, "berlin", "group-operations", follower_filter("inflight", "Europe/Berlin")),
    }
    harness.deliveries()
    # A winter day from the clock (any year): 08:00 in Tokyo is 23:00 UTC the day before, in
    # New York 13:00 UTC, in Berlin 07:00 UTC.
    day = datetime(datetime.now(UTC).year + 1, 1, 14, tzinfo=UTC)
    got: dict[str, list[datetime]] = {zone: [] for zone in inbox}
    at = day - timedelta(hours=2)
    while at < day + timedelta(hours=23):
        send_digests("daily", now=at)
        for zone, url in inbox.items():
            got[zone] += [at] * sum("Inflight" in s for s in _subjects(harness, url))
        at += timedelta(minutes=15)
    assert got == {
        "Asia/Tokyo": [day - timedelta(hours=1)],
        "America/New_York": [day + timedelta(hours=13)],
        "Europe/Berlin": [day + timedelta(hours=7)],
    }
