"""`make cost`'s arithmetic (bench/cost.py) and its price table (infra/prices.json): the day's
deliveries, the ledger's requests by what AWS bills, SMS parts, Lambda's billed time, prices."""

from __future__ import annotations

import math
import re
from datetime import date

import pytest

from bench import cost
from bench.bench_latency import published

# -- the day's deliveries ---------------------------------------------------------------------


def test_a_day_of_minutes_adds_up_to_the_volume_at_the_hours_shares() -> None:
    shares = [0.0] * 24
    shares[9], shares[10] = 0.75, 0.25
    counts = cost.minute_counts(10_000, shares)
    assert len(counts) == 24 * 60 and sum(counts) == 10_000
    assert sum(counts[9 * 60 : 10 * 60]) == 7_500 and sum(counts[10 * 60 : 11 * 60]) == 2_500
    assert not any(counts[:540]) and not any(counts[660:])


def test_quiet_minutes_bring_nothing_when_the_day_is_small() -> None:
    counts = cost.minute_counts(100, [1 / 24] * 24)
    assert sum(counts) == 100 and counts.count(0) > 1_000


def test_hour_shares_follow_when_posts_were_made() -> None:
    shares = cost.hour_shares(["2015-02-24 11:35:52 -0800", "2015-02-24 11:01:00 -0800", "2015-02-24 23:59:59 -0800"])
    assert shares[11] == pytest.approx(2 / 3) and shares[23] == pytest.approx(1 / 3) and sum(shares) == pytest.approx(1)


def test_a_minute_goes_out_in_requests_of_at_most_the_sources_cap() -> None:
    assert cost.requests_for(1_138) == [500, 500, 138]
    assert cost.requests_for(7) == [7] and cost.requests_for(0) == []


def test_the_plan_replays_spread_minutes_holding_the_sample_and_scales_to_the_day() -> None:
    p = cost.plan(1_000_000, [1 / 24] * 24, 2_000)
    assert p.mentions >= 2_000 and len(p.minutes) >= 2
    assert p.minutes[0] > 0 and p.minutes[-1] < 24 * 60 - 1  # spread through the day, not its start
    assert all(size <= cost.DELIVERY_CAP for sizes in p.requests for size in sizes)
    assert p.scale == pytest.approx(1_000_000 / p.mentions)
    assert p.day_requests == sum(len(cost.requests_for(c)) for c in cost.minute_counts(1_000_000, [1 / 24] * 24))


# -- the ledger -------------------------------------------------------------------------------


def _entry(action: str, **extra: object) -> dict[str, object]:
    service, _, name = action.partition(".")
    return {"t": 10.0, "key": "local", "service": service, "action": name, "status": 200, **extra}


def test_the_tally_sums_what_aws_bills_and_leaves_out_the_local_plumbing() -> None:
    t = cost.tally(
        [
            _entry("dynamodb.BatchWriteItem", units={"m": [0.0, 3.0, 1.0], "n": [0.0, 2.0, 0.0]}),
            _entry("dynamodb.Query", units={"m": [1.5, 0.0, 0.0]}),
            _entry("dynamodb.DescribeTable", units={}),
            _entry("dynamodbstreams.GetRecords", table="m", records=7, inserts=6),
            _entry("dynamodbstreams.GetRecords", table="m", records=0, inserts=0),
            _entry("dynamodbstreams.DescribeStream"),
            _entry("sqs.ReceiveMessage"),
            _entry("sns.PublishBatch", topic="p-group-care", messages=3, chunks=1),
            _entry("sns.Publish", topic="p-group-care", messages=1, chunks=2),
            _entry("ses.SendEmail", messages=2),
            _entry("comprehend.DetectSentiment", units=4),
        ]
    )
    assert (t.read_units, t.write_units, t.index_write_units) == (1.5, 5.0, 1.0)
    assert t.by_table == {"m": [1.5, 3.0, 1.0], "n": [0.0, 2.0, 0.0]}
    assert (t.stream_reads, t.stream_records, t.stream_inserts) == (1, 7, {"m": 6})
    assert (t.publish_requests, t.published["p-group-care"]) == (3, 4)
    assert (t.ses_messages, t.comprehend_units) == (2, 4)
    assert t.dynamodb_requests() == 2
    assert "dynamodb.DescribeTable" not in t.calls and not any(k.startswith("sqs.") for k in t.calls)


def test_the_tally_counts_only_its_window_and_not_the_benchmarks_own_requests() -> None:
    entries = [
        {**_entry("dynamodb.PutItem", units={"m": [0.0, 1.0, 0.0]}), "t": 5.0},
        {**_entry("dynamodb.PutItem", units={"m": [0.0, 2.0, 0.0]}), "t": 10.0},
        {**_entry("dynamodb.Scan", units={"m": [9.0, 0.0, 0.0]}), "t": 10.0, "key": "observer"},
        {**_entry("dynamodb.PutItem", units={"m": [0.0, 4.0, 0.0]}), "t": 20.0},
    ]
    t = cost.tally(entries, since=8.0, until=15.0, skip_key="observer")
    assert (t.read_units, t.write_units) == (0.0, 2.0)


def test_a_groups_topic_names_the_group() -> None:
    assert cost.group_of("arn:aws:sns:us-east-1:1:sharedwatch-local-group-customer-care") == "customer-care"
    assert cost.group_of("sharedwatch-local-alarms") == ""


# -- SMS and Lambda ---------------------------------------------------------------------------


def test_sms_parts_are_counted_as_carriers_bill_them() -> None:
    assert cost.sms_parts("a" * 160) == 1 and cost.sms_parts("a" * 161) == 2
    assert cost.sms_parts("delayed €5 [gate]") == 1  # the GSM alphabet and its extension
    assert cost.sms_parts("✈" * 70) == 1 and cost.sms_parts("✈" * 71) == 2  # one emoji: all UCS-2
    assert cost.sms_parts("“quoted” " + "a" * 60) == 1 and cost.sms_parts("“quoted” " + "a" * 62) == 2


def test_lambda_bills_cpu_at_its_share_of_a_core_and_the_waits_for_aws() -> None:
    assert cost.billed_ms(10.0, {}) == pytest.approx(10.0 * 1769 / 512)
    assert cost.billed_ms(0.0, {"dynamodb": 2, "sns": 1}) == pytest.approx(2 * 6.0 + 20.0)
    assert cost.gb_seconds(999.2) == pytest.approx(1.0 * 512 / 1024)  # rounded up to the millisecond


# -- prices -----------------------------------------------------------------------------------


def test_every_price_says_where_it_is_published_and_when_it_was_entered() -> None:
    table = cost.load_prices()
    assert table["region"] == "us-east-1" and table["currency"] == "USD"
    for key, price in table["prices"].items():
        assert isinstance(price["usd"], float | int) and price["usd"] >= 0, key
        assert re.fullmatch(r"https://aws\.amazon\.com/[a-z0-9/-]+/", price["source"]), key
        assert date.fromisoformat(price["recorded"]) <= date.today(), key
        assert price["per"], key


def test_usage_is_priced_from_the_table() -> None:
    prices = {"prices": {"a": {"usd": 0.5}, "b": {"usd": 2e-6}}}
    lines = cost.priced([("a", "things", 3.0), ("b", "requests", 1_000_000.0)], prices)
    assert [line.usd for line in lines] == [1.5, pytest.approx(2.0)]
    assert cost.per_million(3.0, 10_000) == 300.0 and cost.per_million(3.0, 1_000_000) == 3.0
    assert math.isclose(sum(line.usd for line in lines), 3.5)


# -- how soon a person hears (bench/bench_latency.py) -----------------------------------------


def _publish(when: str, email: str, topic: str = "group-social-team", kind: str = "bundle") -> dict[str, str]:
    return {"timestamp": f"2026-11-24T10:00:{when}Z", "email": email, "topic_arn": topic, "item_kind": kind}


def test_a_bundles_unnamed_mentions_follow_its_first_named_around_incidents() -> None:
    accepted = {n: 1_795_000_000.0 for n in range(10)}
    outbox = [
        _publish("01.000", "@lat000000 on x"),  # a batch of one
        # A batch of 1-9 whose 3 went to an incident; the bundle names only its first two.
        _publish("02.500", "Incident: fire\n@lat000003 on x", kind="incident"),
        _publish(
            "03.000", "8 new for Social team, newest first:\n- @lat000001 (100) on x: a\n- @lat000002 (100) on x: b"
        ),
        _publish("03.100", "@lat000004 on x", topic="group-operations"),  # also told elsewhere, earlier
    ]
    at = published(outbox, accepted, "group-social-team")
    assert sorted(at) == list(range(10))
    assert at[0] < at[3] < at[1] == at[2] == at[5] == at[9]  # the incident's own notice went first
    assert at[4] == at[1]  # the earliest publish that carried it


def test_a_mention_no_publish_carried_is_left_out() -> None:
    accepted = {0: 1.0, 1: 1.0, 2: 1.0}
    outbox = [_publish("01.000", "2 new for Social team, newest first:\n- @lat000000 (100) on x: a")]
    assert sorted(published(outbox, accepted, "group-social-team")) == [0, 1]
