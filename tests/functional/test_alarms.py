"""The crisis detector live: counters written by ingest, read back by the schedule, the crisis
group told once."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from chalicelib.flows.alarms import check_spikes
from chalicelib.records import Author, Mention
from chalicelib.store.counters import add_counts
from tests.functional.conftest import Harness

NOW = datetime.now(UTC).replace(second=0, microsecond=0)


def _mention(i: int, at: datetime, negative: bool = False) -> Mention:
    return Mention(
        mention_id=f"m{i}",
        identity=f"x:{i}",
        source="generic",
        platform="x",
        external_id=str(i),
        url="",
        text="t",
        author=Author(),
        published_at=at,
        received_at=NOW,
        brand="Brand Air",
        sentiment_label="negative" if negative else "neutral",
        departments=("operations",),
    )


def _history() -> list[Mention]:
    """Three days of one mention every five minutes, a third of them negative."""
    out, at, i = [], NOW - timedelta(days=3), 0
    while at < NOW - timedelta(hours=3):
        out.append(_mention(i, at, negative=i % 3 == 0))
        at += timedelta(minutes=5)
        i += 1
    return out


def test_a_burst_alarms_the_crisis_team_once_with_its_reasons(harness: Harness) -> None:
    add_counts(_history())
    assert check_spikes(now=NOW) == []  # a normal half hour
    burst = [replace(_mention(10_000 + i, NOW - timedelta(minutes=1 + i % 25), negative=True)) for i in range(80)]
    add_counts(burst)
    alarms = check_spikes(now=NOW)
    kinds = {(a.key, a.kind) for a in alarms}
    assert ("all mentions", "volume") in kinds and ("brand brand-air", "negativity") in kinds
    assert ("department operations", "volume") in kinds
    deliveries = harness.deliveries()
    assert {d["group"] for d in deliveries} == {"crisis-team"}
    assert any("Volume spike: all mentions" in d["subject"] for d in deliveries)
    assert any("usual at this time of day" in d["email"] for d in deliveries)
    check_spikes(now=NOW)  # the next minute's run: the same alarms, nobody told twice
    assert harness.deliveries() == []


def test_a_burst_delivered_by_webhook_alarms_when_routed_without_waiting_for_the_schedule(harness: Harness) -> None:
    from chalicelib.clock import isoformat
    from tests.support import MENTION, batch_envelope, signed_headers

    add_counts(_history())
    items = [
        {
            **MENTION,
            "id": str(50_000 + i),
            "url": "",
            "brand": "Brand Air",
            "text": f"@brand flight {i} cancelled again",
            "published_at": isoformat(NOW - timedelta(minutes=2)),
        }
        for i in range(80)
    ]
    body = batch_envelope(items)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()  # the router counts the burst and runs the detector at once
    subjects = [d["subject"] for d in harness.deliveries()]
    assert any("spike" in s.lower() for s in subjects)


def test_spike_alarms_are_routed_by_the_rules_and_shown_on_the_wall(harness: Harness) -> None:
    import json

    admin = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
    rule = {
        "name": "Operations hears its own negativity",
        "order": 1,
        "when": {"spike": "negativity", "department": "operations"},
        "notify": ["operations"],
    }
    assert (
        harness.client.http.put("/api/rules/ops-spikes", body=json.dumps(rule).encode(), headers=admin).status_code
        == 200
    )
    bad = {"name": "x", "order": 2, "when": {"spike": "loud"}, "notify": ["operations"]}
    refused = harness.client.http.put("/api/rules/bad", body=json.dumps(bad).encode(), headers=admin)
    assert refused.status_code == 400 and "when.spike" in refused.body.decode()
    add_counts(_history())
    add_counts([_mention(20_000 + i, NOW - timedelta(minutes=1 + i % 25), negative=True) for i in range(80)])
    alarms = check_spikes(now=NOW)
    told = {(d["group"], d["subject"]) for d in harness.deliveries()}
    ops = {s for g, s in told if g == "operations"}
    assert ops and all("department operations" in s and "Negativity" in s for s in ops)
    assert {g for g, _ in told} == {"crisis-team", "operations"}  # the demo's spike rule, and this one
    wall = json.loads(harness.client.http.get("/api/wall", headers={"authorization": "Bearer display-test-token"}).body)
    assert wall["alarms"] and {(a["key"], a["kind"]) for a in wall["alarms"]} <= {(a.key, a.kind) for a in alarms}
    # With no spike rule at all, an alarm takes the default route: never dropped, never hard-coded.
    harness.client.http.delete("/api/rules/ops-spikes", headers=admin)
    harness.client.http.delete("/api/rules/spikes-to-crisis", headers=admin)
    from chalicelib.flows.alarms import notify

    outcomes = notify(replace(alarms[0], at=NOW + timedelta(hours=1)))
    assert set(outcomes) == {"social-team"}


def test_a_brand_newly_watched_is_not_a_spike_in_the_aggregate_series(harness: Harness) -> None:
    add_counts(_history())
    newcomer = [
        replace(_mention(20_000 + i, NOW - timedelta(minutes=1 + i % 25)), brand="New Brand", identity=f"x:n{i}")
        for i in range(120)
    ]
    add_counts(newcomer)  # a brand added to the listening tool today: its whole stream arrives at once
    alarms = check_spikes(now=NOW)
    assert not [a for a in alarms if a.kind == "volume"], [a.explanation for a in alarms]


def _live(i: int, at: datetime, brand: str) -> Mention:
    """A mention counted as it happened (seconds behind), not replayed."""
    return replace(_mention(i, at), brand=brand, identity=f"x:{brand}:{i}", received_at=at + timedelta(seconds=20))


def test_a_brand_newly_watched_alarms_on_its_burst_against_its_share_of_everyone_else(harness: Harness) -> None:
    add_counts(_history())  # Brand Air's three days, replayed by its source
    add_counts([_live(40_000 + i, NOW - timedelta(hours=3) + timedelta(minutes=i), "Brand Air") for i in range(180)])
    # New Brand, watched for six hours: twelve an hour, then 80 in the last half hour.
    add_counts([_live(50_000 + i, NOW - timedelta(hours=6) + timedelta(minutes=5 * i), "New Brand") for i in range(66)])
    add_counts([_live(60_000 + i, NOW - timedelta(minutes=1 + i % 25), "New Brand") for i in range(80)])
    alarms = {(a.key, a.kind): a for a in check_spikes(now=NOW)}
    young = alarms[("brand new-brand", "volume")]
    assert "from its share of all mentions" in young.explanation and "6 h it has been seen" in young.explanation
    assert any("Volume spike: brand new-brand" in d["subject"] for d in harness.deliveries())


def test_a_usual_a_source_replayed_is_named_in_the_alarm(harness: Harness) -> None:
    add_counts(_history())  # watched since three hours ago; the three days before replayed by the source
    add_counts([_live(70_000 + i, NOW - timedelta(minutes=1 + i % 25), "Brand Air") for i in range(80)])
    [alarm] = [a for a in check_spikes(now=NOW) if (a.key, a.kind) == ("brand brand-air", "volume")]
    assert "usual at this time of day on 2 earlier days from the source's replay" in alarm.explanation


def test_the_evaluations_counter_store_answers_as_dynamodb_does(harness: Harness) -> None:
    """bench/counter_store.py replays a week in seconds; the same replay through moto (the
    DynamoDB the tests use) raises the same alarms at the same minutes."""
    from bench.eval_spikes import replay
    from chalicelib import aws

    start = NOW - timedelta(days=3)
    stream = [(start + timedelta(minutes=20 * i), "Brand Air", "my flight was fine") for i in range(3 * 24 * 3)]
    burst_at = NOW - timedelta(hours=2)
    stream += [(burst_at + timedelta(seconds=20 * i), "Brand Air", "cancelled again, stranded") for i in range(90)]
    through_memory = replay(stream)
    through_moto = replay(stream, store=aws.dynamodb())
    assert through_memory.alarms, "the replay must raise something to compare"
    assert [(a.key, a.kind, a.at) for a in through_memory.alarms] == [
        (a.key, a.kind, a.at) for a in through_moto.alarms
    ]
