"""Platforms retry while the first attempt is still running: the same delivery from sixteen
senders at once is stored once, told once, and counted once (the spike detector's input)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import isoformat, utcnow
from chalicelib.flows.ingest import ingest
from chalicelib.records import IngestResult
from chalicelib.sources import get_source
from chalicelib.sources.base import Delivery
from chalicelib.store.counters import read_buckets
from chalicelib.store.models import CounterModel, MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION, batch_envelope

SENDERS = 16


@pytest.fixture(autouse=True)
def atomic_item_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """DynamoDB checks a write's condition and writes the item atomically; moto's in-process
    backend checks, then writes, with no lock, so racing threads can both pass the check. The
    lock gives the emulator DynamoDB's semantics; what races is still the app's code."""
    from moto.dynamodb.models.table import Table

    lock = threading.Lock()
    put_item = Table.put_item

    def atomic(self: Table, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return put_item(self, *args, **kwargs)

    monkeypatch.setattr(Table, "put_item", atomic)


def _race(delivery: Delivery) -> list[IngestResult]:
    """The same delivery ingested by SENDERS threads released at once."""
    start = threading.Barrier(SENDERS)
    answers: list[IngestResult] = []

    def send() -> None:
        mentions = get_source("generic").parse(delivery, received_at=utcnow()).mentions
        start.wait()
        answers.append(ingest(mentions, source="generic", way="push"))

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers


@pytest.mark.slow  # make test runs it; make check leaves it (docs/testing.md)
def test_sixteen_concurrent_redeliveries_are_counted_once(harness: Harness) -> None:
    published = isoformat(utcnow() - timedelta(minutes=1))
    items = [
        {
            **MENTION,
            "id": str(n),
            "url": f"https://x.com/u/status/{n}",
            "text": f"post {n:04d} about the lounge",
            "published_at": published,
        }
        for n in range(50)
    ]
    answers = _race(Delivery(headers={}, body=batch_envelope(items)))
    assert len(answers) == SENDERS and len(list(MentionModel.scan())) == 50
    for _ in range(100):  # 800 records: 50 INSERTs and the racing copies' MODIFYs, 100 a read
        if not harness.pump.pump_once():
            break
    counts = read_buckets(r.bucket for r in CounterModel.scan())
    assert sum(c.get("n", 0) for b, c in counts.items() if b.startswith("m|")) == 50  # not 50 per sender
    told = [d for d in harness.deliveries() if d["group"] == "social-team"]
    sizes = [int(re.search(r"(\d+) new for", d["subject"])[1]) if d["item_kind"] == "bundle" else 1 for d in told]
    assert sum(sizes) == 50  # each of the fifty told once, in bundles


def test_a_single_mention_raced_by_sixteen_retries_is_stored_once_and_said_so_once(harness: Harness) -> None:
    answers = _race(Delivery(headers={}, body=batch_envelope([{**MENTION, "published_at": isoformat(utcnow())}])))
    assert sorted(a.stored for a in answers) == [0] * (SENDERS - 1) + [1]


def test_what_another_worker_told_a_story_meanwhile_is_kept(harness: Harness) -> None:
    """Two workers route the same story at once (batches of two shards): each read that nobody
    was told, each tells its own groups and saves what it told. The second save must add to the
    first, not replace it, or the story forgets that operations heard about it."""
    from chalicelib.flows.router import save_told
    from chalicelib.store.models import NoticeModel

    now = utcnow()
    save_told({"s:0badcafe": frozenset({"operations|high"})}, now)  # the other worker, first
    save_told({"s:0badcafe": frozenset({"social-team|low"})}, now)  # this one, from its own read
    assert set(NoticeModel.get("s:0badcafe", consistent_read=True).told) == {"operations|high", "social-team|low"}


def test_a_told_save_that_was_throttled_is_tried_again(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from botocore.awsrequest import AWSResponse

    from chalicelib import aws
    from chalicelib.flows.router import save_told
    from chalicelib.store.models import NoticeModel
    from tests.support import Fault, _Raw

    def throttled(_: Any) -> AWSResponse:
        body = {
            "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
            "message": "Rate of requests exceeds the allowed throughput",
        }
        headers = {
            "x-amzn-errortype": "ProvisionedThroughputExceededException",
            "content-type": "application/x-amz-json-1.0",
        }
        return AWSResponse("https://fault.local", 400, headers, _Raw(json.dumps(body).encode()))

    monkeypatch.setattr("time.sleep", lambda _: None)
    with Fault(aws.dynamodb(), "UpdateItem", throttled, times=2) as fault:
        save_told({"s:feedface": frozenset({"operations|high"})}, utcnow())
    assert fault.calls == 2
    assert set(NoticeModel.get("s:feedface", consistent_read=True).told) == {"operations|high"}


def test_stories_told_nothing_new_are_not_written_again_and_the_others_all_are(harness: Harness) -> None:
    """Every notice write is a write unit: a story whose groups had all been told (as read
    before the batch) costs none, and each of many stories told something new is saved."""
    from chalicelib.flows.router import save_told
    from chalicelib.store.models import NoticeModel

    now = utcnow()
    save_told({"s:old": frozenset({"operations|high"})}, now)
    NoticeModel(cluster_id="s:old", told={"planted|low"}).save()  # what a rewrite would erase
    told = {f"s:{n:04d}": frozenset({"social-team|low"}) for n in range(30)}
    save_told({**told, "s:old": frozenset({"operations|high"})}, now, before={"s:old": frozenset({"operations|high"})})
    assert set(NoticeModel.get("s:old", consistent_read=True).told) == {"planted|low"}
    stored = {n.cluster_id: set(n.told) for n in NoticeModel.batch_get(list(told))}
    assert stored == {c: {"social-team|low"} for c in told}


def test_what_stories_were_told_is_only_ever_added_to_never_put(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """save_told adds to every story it is given (one UpdateItem each), so another worker's tag
    is never replaced. The stories a batch starts do not come here: they carry what they were
    told in their own put (flows/router.put_started, tests/functional/test_clusters.py)."""
    from chalicelib.flows import router
    from chalicelib.store.models import NoticeModel

    now = utcnow()
    NoticeModel(cluster_id="s:old", told={"planted|low"}).save()  # another worker's tag
    updated: list[str] = []
    real_update_each = router.update_each

    def counted(requests: list[dict[str, Any]], **kwargs: Any) -> None:
        updated.extend(r["Key"]["cluster_id"]["S"] for r in requests)
        real_update_each(requests, **kwargs)

    monkeypatch.setattr(router, "update_each", counted)
    others = {f"s:{n:04d}": frozenset({"social-team|low"}) for n in range(30)}
    router.save_told({**others, "s:old": frozenset({"operations|high"})}, now)
    assert sorted(updated) == sorted([*others, "s:old"])
    assert set(NoticeModel.get("s:old", consistent_read=True).told) == {"planted|low", "operations|high"}
    stored = {n.cluster_id: set(n.told) for n in NoticeModel.batch_get(list(others))}
    assert stored == {c: {"social-team|low"} for c in others}
