from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.records import Author, Mention
from chalicelib.store.counters import bucket_for, bucket_start, tally
from chalicelib.triage.spikes import Counts, Series

NOW = datetime(2026, 11, 24, 10, 30, 15, tzinfo=UTC)


def _mention(published: datetime, source: str = "generic", brand: str = "Brand Air") -> Mention:
    return Mention(
        mention_id=str(published),
        identity="x:1",
        source=source,
        platform="x",
        external_id="1",
        url="",
        text="t",
        author=Author(),
        published_at=published,
        received_at=NOW,
        brand=brand,
    )


def test_recent_mentions_count_by_minute_and_old_ones_by_hour() -> None:
    assert bucket_for(NOW - timedelta(minutes=5), received_at=NOW) == "m|2026-11-24T10:25"
    assert bucket_for(NOW - timedelta(hours=3), received_at=NOW) == "h|2026-11-24T07"
    assert bucket_for(NOW + timedelta(hours=3), received_at=NOW) == "m|2026-11-24T10:30"  # the future counts at arrival
    assert bucket_start("h|2026-11-24T07") == datetime(2026, 11, 24, 7, tzinfo=UTC)
    assert bucket_start("m|2026-11-24T10:25") == datetime(2026, 11, 24, 10, 25, tzinfo=UTC)


def test_tally_counts_each_dimension_once_per_bucket() -> None:
    at = NOW - timedelta(seconds=30)
    counts = tally([_mention(at), _mention(at, source="meta"), _mention(NOW - timedelta(days=3))])
    assert counts["m|2026-11-24T10:29"] == {
        "n": 2,
        "n|source|generic": 1,
        "n|source|meta": 1,
        "n|brand|brand-air": 2,
        "n|platform|x": 2,
    }
    assert counts["h|2026-11-21T10"]["n"] == 1


def test_mentions_older_than_the_retention_are_not_counted() -> None:
    assert tally([_mention(NOW - timedelta(days=91))]) == {}


def test_an_hours_count_counts_for_the_part_of_it_inside_a_window() -> None:
    # An earlier day's half hour that ends on the hour once read 0 (the count sat in the first
    # minutes), and today looked like a spike against it: 34 of 52 false alarms in a brand's week.
    hour = datetime(2026, 11, 23, 10, tzinfo=UTC)
    for count in (0, 1, 7, 30, 59, 60, 61, 1234):
        series = Series([(hour, timedelta(hours=1), Counts(count, count // 2))])
        assert series.sum(hour, hour + timedelta(hours=1)).total == count
        assert series.sum(hour + timedelta(minutes=30), hour + timedelta(hours=2)).total == count / 2
        assert series.sum(hour - timedelta(minutes=30), hour + timedelta(minutes=15)).total == count / 4
        assert series.sum(hour + timedelta(minutes=30), hour + timedelta(minutes=45)).negative == (count // 2) / 4
    mixed = Series(
        [(hour, timedelta(hours=1), Counts(60)), (hour + timedelta(hours=1), timedelta(minutes=1), Counts(5))]
    )
    assert mixed.sum(hour + timedelta(minutes=50), hour + timedelta(minutes=61)).total == 15


def test_a_brands_mentions_counted_late_are_also_counted_as_replayed() -> None:
    # A source's replay of the days before a brand was watched: the detector names it as the usual.
    counts = tally([_mention(NOW - timedelta(days=3)), _mention(NOW - timedelta(seconds=30))])
    assert counts["h|2026-11-21T10"]["n|brand|brand-air|replayed"] == 1
    assert "n|brand|brand-air|replayed" not in counts["h|2026-11-24T10"]  # counted live, in its hour too
    assert "n|brand|brand-air|replayed" not in counts["m|2026-11-24T10:29"]
