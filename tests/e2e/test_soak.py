"""Sustained load on the local stack, bounded: 600 mentions a second for 10 seconds from three
senders on loopback. Afterwards every stored mention has been counted once and told to every
group its rules name (a copy through its story). `make bench` runs the same for 60 seconds and
reports the catch-up time."""

from __future__ import annotations

from bench.bench_soak import soak


def test_after_a_burst_every_stored_mention_is_counted_and_told() -> None:
    result = soak(seconds=10, rate=600, patience=300)
    assert result.stored == 6000
    assert result.untold == 0
    # Caught up (every stored mention counted once) within three times the load's duration: on
    # plain moto it took 4.3 times (44.8 s after 10.5 s); through infra/local/moto_server.py 1.4.
    assert result.catch_up_seconds < 3 * result.load_seconds, result
