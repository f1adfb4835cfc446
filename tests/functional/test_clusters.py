"""Stories: reposts, copies and the reports that point at a post fold into one cluster; a fast or
severe cluster becomes an incident with a timeline; a redelivered stream batch counts nothing twice."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib.store.models import ClusterModel, IncidentModel
from tests.functional.conftest import Harness
from tests.support import MENTION, batch_envelope, envelope, signed_headers


def _post(h: Harness, body: bytes) -> None:
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202


def _report(h: Harness, text: str, url: str) -> None:
    import re
    from urllib.parse import urlencode

    page = h.client.http.get("/report", headers={"accept": "text/html"}).body.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"csrf": token, "text": text, "url": url, "urgency": "normal"}).encode()
    response = h.client.http.post(
        "/report", body=body, headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"}
    )
    assert response.status_code == 201


def test_a_repost_and_a_report_join_the_original_story(harness: Harness) -> None:
    _post(harness, envelope())
    repost = {
        **MENTION,
        "id": "1893099",
        "url": "https://x.com/bo/status/1893099",
        "text": "RT @ana: Third cancelled flight this month, @brand. Never again.",
        "author": {"handle": "bo"},
    }
    _post(harness, envelope(repost))
    harness.pump.pump_once()
    _report(harness, "Saw this one going around", "https://twitter.com/ana/status/1893021?s=20")
    harness.pump.pump_once()
    [cluster] = ClusterModel.scan()
    assert (cluster.size, cluster.reports) == (3, 1)
    emails = [d["email"] for d in harness.deliveries()]
    assert any("Story: 3 posts and reports so far" in e and "1 reported by employees" in e for e in emails)


def test_a_copy_paste_campaign_becomes_an_incident_with_a_timeline(harness: Harness) -> None:
    campaign = [
        {
            **MENTION,
            "id": str(9000 + i),
            "url": "",
            "author": {"handle": f"bot{i}", "followers": 10},
            "text": f"@brand lost my luggage and nobody answers the phone #brandfail {'!' * i}",
        }
        for i in range(12)
    ]
    _post(harness, batch_envelope(campaign))
    harness.pump.pump_once()
    [cluster] = ClusterModel.scan()
    assert cluster.size == 12 and cluster.incident_id
    incident = IncidentModel.get(cluster.incident_id)
    events = [json.loads(e) for e in incident.timeline]
    assert events[0]["event"] == "opened" and "joined in 10 min" in events[0]["reason"]
    notified = sorted(e["group"] for e in events if e["event"] == "notified")
    # Twelve copies, one incident: each routed group hears it once, with the story's velocity
    # in the severity and a link to acknowledge it.
    deliveries = harness.deliveries()
    assert sorted(d["group"] for d in deliveries) == notified and len(set(notified)) == len(notified)
    assert all(d["item_kind"] == "incident" and d["item_id"] == incident.incident_id for d in deliveries)
    assert all("similar recently" in d["email"] and "/ack/" in d["email"] for d in deliveries)


def test_a_redelivered_stream_batch_counts_nothing_twice(harness: Harness) -> None:
    from infra.local.handlers import resolve

    _post(harness, envelope())
    event = harness.mention_stream_event()
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    handler(event, None)
    handler(event, None)
    [cluster] = ClusterModel.scan()
    assert cluster.size == 1
    assert len(harness.deliveries()) == 2  # social team and operations, once each


def test_the_reporter_sees_where_their_report_went_and_who_spotted_it_first(harness: Harness) -> None:
    from chalicelib.store.models import ReportModel

    _report(harness, "A video of our gate agent is going viral", "https://x.com/ana/status/1893021")
    _report(harness, "Seen this? It's everywhere", "https://twitter.com/ana/status/1893021?s=20")
    harness.pump.pump_once()
    first, second = sorted(ReportModel.scan(), key=lambda r: r.position or 0)
    assert (first.position, second.position) == (1, 2)
    page = harness.client.http.get(f"/report/{second.report_id}", headers={"accept": "text/html"}).body.decode()
    assert "You are employee number 2 to report this" in page
    assert "Social team has it." in page
    _post(harness, envelope())  # the listening tool delivers the post itself, published 09:59
    harness.pump.pump_once()
    assert isinstance(first.cluster_id, str)


def test_a_batch_planned_again_after_another_worker_moved_its_story_counts_every_mention_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stories in one batch: a new one and one that another worker changes between this
    worker's read and its write. The new story is written, the moved one is not; the batch is
    read and planned again. The new story's member, already indexed by then, must still be
    counted (the spike detector's input): once, not never."""
    from chalicelib.clock import isoformat, utcnow
    from chalicelib.flows import router
    from chalicelib.store.counters import read_buckets
    from chalicelib.store.models import CounterModel

    now = isoformat(utcnow())  # counted in this minute's bucket
    original = {**MENTION, "id": "7001", "url": "https://x.com/ana/status/7001", "published_at": now}
    _post(harness, envelope(original))
    harness.pump.pump_once()
    [story] = ClusterModel.scan()
    copy = {**original, "id": "7002", "url": "https://x.com/bo/status/7002", "author": {"handle": "bo"}}
    stranger = {
        **MENTION,
        "id": "7003",
        "url": "https://x.com/cy/status/7003",
        "text": "The new lounge menu in terminal five is excellent, thank you",
        "author": {"handle": "cy"},
        "published_at": now,
    }
    read_batch, reads = router.read_batch, []

    def read_then_moved(signals: Any) -> Any:
        answer = read_batch(signals)
        reads.append(len(signals))
        if len(reads) == 1:  # another worker's write lands between this read and the write
            ClusterModel(cluster_id=story.cluster_id).update(actions=[ClusterModel.version.add(1)])
        return answer

    monkeypatch.setattr(router, "read_batch", read_then_moved)
    _post(harness, batch_envelope([copy, stranger]))
    harness.pump.pump_once()
    assert len(reads) == 2  # planned again
    stories = {s.cluster_id: s for s in ClusterModel.scan()}
    assert len(stories) == 2 and stories[story.cluster_id].size == 2
    counts = read_buckets(r.bucket for r in CounterModel.scan())
    assert sum(c.get("n", 0) for b, c in counts.items() if b.startswith("m|")) == 3


def test_a_repost_in_a_later_batch_finds_the_story_its_original_started_without_an_alias(harness: Harness) -> None:
    """The original started its story, so the index holds no alias for it (one write unit less);
    the repost, routed in a later batch, still joins it, and a redelivery counts nothing twice."""
    from chalicelib.policy.stories import alias_key
    from chalicelib.store.models import ClusterIndexModel, MentionModel
    from infra.local.handlers import resolve

    _post(harness, envelope())
    harness.pump.pump_once()
    [original] = MentionModel.scan()
    assert ClusterIndexModel.count(alias_key(original.mention_id)) == 0
    repost = {**MENTION, "id": "1893099", "url": "https://x.com/bo/status/1893099", "author": {"handle": "bo"}}
    repost["text"] = "RT @ana: " + str(MENTION["text"])
    _post(harness, envelope(repost))
    event = harness.mention_stream_event()
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    handler(event, None)
    handler(event, None)
    [cluster] = ClusterModel.scan()
    assert cluster.size == 2


def _keys_read(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Table suffix -> every key read by BatchGetItem, as the router sends them."""
    from botocore.client import BaseClient

    read: dict[str, list[str]] = {}
    send = BaseClient._make_api_call

    def counting(self: Any, operation: str, params: Any) -> Any:
        if operation == "BatchGetItem":
            for table, spec in params["RequestItems"].items():
                names = [next(iter(v.values())) for k in spec["Keys"] for v in list(k.values())[:1]]
                read.setdefault(table.rsplit("-", 1)[-1], []).extend(str(n) for n in names)
        return send(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counting)
    return read


def test_a_story_a_post_starts_is_looked_up_once_and_its_notices_are_not_read(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A post that starts its story: the router looks for that story once (not found: this batch
    starts it) and reads no notices for it (a story not stored yet was told nothing). The repost
    in a later batch reads its story and what its groups were told, and they are not told again."""
    _post(harness, envelope())
    read = _keys_read(monkeypatch)
    harness.pump.pump_once()
    [story] = ClusterModel.scan()
    assert read.get("clusters") == [story.cluster_id]
    assert "notices" not in read
    assert len(harness.deliveries()) == 2  # social team and operations
    repost = {**MENTION, "id": "1893099", "url": "https://x.com/bo/status/1893099", "author": {"handle": "bo"}}
    repost["text"] = "RT @ana: " + str(MENTION["text"])
    _post(harness, envelope(repost))
    read.clear()
    harness.pump.pump_once()
    assert story.cluster_id in read["clusters"] and read["notices"] == [story.cluster_id]
    [cluster] = ClusterModel.scan()
    assert cluster.size == 2
    assert harness.deliveries() == []  # folded: both groups have this story


def _counted_now() -> int:
    from chalicelib.store.counters import read_buckets
    from chalicelib.store.models import CounterModel

    counts = read_buckets(r.bucket for r in CounterModel.scan())
    return sum(int(c.get("n", 0)) for b, c in counts.items() if b.startswith("m|"))


def test_a_story_a_post_starts_keeps_what_it_told_in_its_own_row_and_a_redelivery_adds_nothing(
    harness: Harness,
) -> None:
    """The story is put once its notices went out, with what its groups were told: no notices
    row of its own. The batch redelivered finds the story (its post is counted), reads what it
    told from the row, and tells nobody again."""
    from chalicelib.clock import isoformat, utcnow
    from chalicelib.store.models import NoticeModel
    from infra.local.handlers import resolve

    _post(harness, envelope({**MENTION, "published_at": isoformat(utcnow())}))
    event = harness.mention_stream_event()
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    handler(event, None)
    [story] = ClusterModel.scan()
    told = harness.deliveries()
    assert len(told) == 2  # social team and operations
    assert {t.split("|", 1)[0] for t in story.told or ()} == {d["group"] for d in told}
    assert NoticeModel.count() == 0
    handler(event, None)
    [again] = ClusterModel.scan()
    assert (again.size, again.version, set(again.told or ())) == (1, 0, set(story.told or ()))
    assert harness.deliveries() == []
    assert _counted_now() == 1


def test_a_batch_that_dies_between_its_notices_and_its_new_story_tells_nobody_twice_when_redelivered(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notices went out, then the process died before the story it starts was put. The
    redelivered batch plans the story as new again, with the same delivery ids: the delivery log
    skips them (sent), the story is put with them as told, and the post is counted once."""
    from chalicelib.clock import isoformat, utcnow
    from chalicelib.flows import router
    from infra.local.handlers import resolve

    _post(harness, envelope({**MENTION, "published_at": isoformat(utcnow())}))
    event = harness.mention_stream_event()
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    put_started = router.put_started

    def died(*_: Any, **__: Any) -> Any:
        raise SystemExit("the process died")

    monkeypatch.setattr(router, "put_started", died)
    with pytest.raises(SystemExit):
        handler(event, None)
    first = harness.deliveries()
    assert len(first) == 2 and list(ClusterModel.scan()) == [] and _counted_now() == 0
    monkeypatch.setattr(router, "put_started", put_started)
    handler(event, None)
    assert harness.deliveries() == []  # told once, before the crash
    [story] = ClusterModel.scan()
    assert story.size == 1 and {t.split("|", 1)[0] for t in story.told or ()} == {d["group"] for d in first}
    assert _counted_now() == 1
    handler(event, None)  # and once more: the story is there now
    assert harness.deliveries() == [] and _counted_now() == 1


def test_what_another_worker_told_a_started_story_is_read_with_what_the_story_holds(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A story a batch started holds what its groups were told; another shard's worker that
    joined it meanwhile and told a group adds that to the story's notices (an ADD). A later
    batch reads both, and neither group hears of the story again."""
    from chalicelib.clock import utcnow
    from chalicelib.flows import router

    _post(harness, envelope())
    harness.pump.pump_once()
    [story] = ClusterModel.scan()
    harness.deliveries()
    router.save_told({story.cluster_id: frozenset({"planted|story"})}, utcnow())
    reads: list[Any] = []
    read_batch = router.read_batch

    def kept(signals: Any) -> Any:
        answer = read_batch(signals)
        reads.append(answer[0])
        return answer

    monkeypatch.setattr(router, "read_batch", kept)
    repost = {**MENTION, "id": "1893099", "url": "https://x.com/bo/status/1893099", "author": {"handle": "bo"}}
    repost["text"] = "RT @ana: " + str(MENTION["text"])
    _post(harness, envelope(repost))
    harness.pump.pump_once()
    [read] = reads
    assert read.told[story.cluster_id] == frozenset({*(story.told or ()), "planted|story"})
    assert harness.deliveries() == []
    [joined] = ClusterModel.scan()
    assert joined.size == 2 and set(joined.told or ()) == set(story.told or ())  # kept by its rewrite


@pytest.mark.parametrize("throttled_write", ["write_index", "write_rows"])
def test_a_started_story_stored_before_a_write_was_throttled_is_still_counted_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, throttled_write: str
) -> None:
    """The story a post starts is put, then DynamoDB throttles the write of its index keys (or
    another request of the stories' put, 25 a request, after this one was stored). The batch
    fails (its records are routed again, one by one): the post finds its own story and is not
    counted again, so the count must be taken by the batch that stored the story, whatever failed
    after (dispatch counts the stories written, even when a stage failed)."""
    from chalicelib.clock import isoformat, utcnow
    from chalicelib.errors import StoreUnavailable
    from chalicelib.flows import router
    from infra.local.handlers import resolve

    _post(harness, envelope({**MENTION, "published_at": isoformat(utcnow())}))
    event = harness.mention_stream_event()
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    write = getattr(router.stories, throttled_write)
    throttled: list[int] = []

    def stored_then_throttled(entries: Any, **kwargs: Any) -> Any:
        answer = write(entries, **kwargs) if throttled_write == "write_rows" else None
        if entries and not throttled:
            throttled.append(len(entries))
            raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")
        return answer if throttled_write == "write_rows" else write(entries, **kwargs)

    monkeypatch.setattr(router.stories, throttled_write, stored_then_throttled)
    handler(event, None)
    assert throttled  # the started story's write was refused once
    [story] = ClusterModel.scan()
    assert story.size == 1
    assert len(harness.deliveries()) == 2  # social team and operations, once
    assert _counted_now() == 1
    handler(event, None)  # the stream's redelivery changes nothing
    assert harness.deliveries() == [] and _counted_now() == 1


def _bundle_then_throttled(harness: Harness, monkeypatch: pytest.MonkeyPatch, *, times: int) -> list[str]:
    """Two new stories for the social team go out as one bundle; then DynamoDB throttles the put
    of the stories that would remember it, `times` times. What the social team was sent."""
    from chalicelib.errors import StoreUnavailable
    from chalicelib.flows import router
    from infra.local.handlers import resolve

    event = _bundle_event(harness)
    write_rows = router.stories.write_rows
    throttled: list[int] = []

    def throttled_at_first(rows: Any) -> Any:
        if rows and rows[0].version == 0 and len(throttled) < times:
            throttled.append(len(rows))
            raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")
        return write_rows(rows)

    monkeypatch.setattr(router.stories, "write_rows", throttled_at_first)
    resolve("chalicelib.handlers.stream.on_mention_stored")(event, None)
    assert len(throttled) == times and len(list(ClusterModel.scan())) == 2
    return [d["item_kind"] for d in harness.deliveries() if d["group"] == "social-team"]


def test_a_bundle_sent_before_a_throttle_is_not_sent_again_when_the_batch_is_routed_again_whole(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The handler routes a failed batch again whole before record by record: the same records
    plan the same bundle, which the delivery log skips, and its stories are stored as told."""
    assert _bundle_then_throttled(harness, monkeypatch, times=1) == ["bundle"]


def test_a_bundle_sent_before_two_throttles_is_not_sent_again_as_singles(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch fails twice, so its records are routed one by one, each planning a single notice
    the bundle stood for: the bundle's claim wrote those notices' rows (covered), so each single
    is skipped, and what the group was told is stored with its story."""
    assert _bundle_then_throttled(harness, monkeypatch, times=2) == ["bundle"]
    assert all("social-team|story" in (story.told or ()) for story in ClusterModel.scan())


def _bundle_event(harness: Harness) -> dict[str, Any]:
    """Two new stories for the social team in one stream batch (one bundle for each group)."""
    from chalicelib.clock import isoformat, utcnow

    now = isoformat(utcnow())
    lounge = {
        **MENTION,
        "id": "777001",
        "url": "https://x.com/zed/status/777001",
        "author": {"handle": "zed"},
        "text": "The lounge in terminal two has been closed all week, @brand, and nobody says why",
    }
    _post(harness, batch_envelope([{**MENTION, "published_at": now}, {**lounge, "published_at": now}]))
    return harness.mention_stream_event()


def test_a_bundle_claimed_while_sns_failed_goes_out_once_from_the_retry_and_never_as_singles(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SNS refuses the bundle's publish: its claim (and the rows of the singles it stands for) is
    written, the batch fails whole and record by record, and Lambda then bisects it into single
    records. None of those sends a single; the minute's retry publishes the bundle, once."""
    from datetime import timedelta

    from chalicelib import aws
    from chalicelib.clock import utcnow
    from chalicelib.notify.delivery import retry_stale
    from chalicelib.store.models import DeliveryModel
    from infra.local.handlers import resolve
    from tests.support import Fault, aws_error

    monkeypatch.setattr("time.sleep", lambda _: None)  # botocore's backoff between its retries
    event = _bundle_event(harness)
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    with (
        Fault(aws.sns(), "PublishBatch", lambda _: aws_error("InternalError", 500, xml=True)),
        pytest.raises(Exception, match="failed"),
    ):
        handler(event, None)
    rows = list(DeliveryModel.scan())
    bundles = [r for r in rows if r.item_kind == "bundle"]
    assert bundles and {r.status for r in bundles} == {"claimed"}
    covered = [r for r in rows if r.status == "covered"]
    assert len(covered) == 2 * len(bundles)  # each bundle's two stories, by the bundle's id
    assert {r.covered_by for r in covered} == {b.delivery_id for b in bundles}
    for record in event["Records"]:  # Lambda bisects the failed batch down to single records
        handler({**event, "Records": [record]}, None)
    sent = harness.deliveries()  # another group's single notice, claimed when SNS failed, goes now
    assert [d for d in sent if d["group"] == "social-team"] == []  # the bundle stands for its singles
    assert retry_stale(now=utcnow() + timedelta(minutes=3)) == (len(bundles), 0)
    retried = harness.deliveries()
    assert [(d["group"], d["item_kind"]) for d in retried] == [("social-team", "bundle")]
    handler(event, None)  # the stream's redelivery of the whole batch: nothing more
    assert harness.deliveries() == []
    ids = [d["delivery_id"] for d in sent + retried]
    assert len(ids) == len(set(ids))  # nothing went out twice
    assert all("social-team|story" in _told(story) for story in ClusterModel.scan())


def test_a_batch_whose_bundle_rows_were_throttled_tells_the_group_once(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write of what the bundle stands for raises a throttle botocore gave up on: the bundle
    is not published and its claim is given back, and the batch fails as a failed delivery (Lambda
    retries it, then bisects it). Each story goes out once, as a single, and nothing is left for
    the minute's retry to send beside them."""
    from datetime import timedelta

    from botocore.exceptions import ClientError

    from chalicelib.clock import utcnow
    from chalicelib.errors import DeliveryFailed
    from chalicelib.notify import delivery
    from infra.local.handlers import resolve

    monkeypatch.setattr("time.sleep", lambda _: None)
    event = _bundle_event(harness)

    def throttled(*_: Any, **__: Any) -> None:
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "BatchWriteItem")

    monkeypatch.setattr(delivery, "_cover", throttled)
    handler = resolve("chalicelib.handlers.stream.on_mention_stored")
    with pytest.raises(DeliveryFailed, match="stand for"):
        handler(event, None)
    sent = harness.deliveries()  # the other groups' single notices went out
    assert [d for d in sent if d["group"] == "social-team"] == []
    for record in event["Records"]:  # Lambda bisects the failed batch
        handler({**event, "Records": [record]}, None)
    monkeypatch.undo()
    assert delivery.retry_stale(now=utcnow() + timedelta(minutes=3)) == (0, 0)
    sent += harness.deliveries()
    assert [d["item_kind"] for d in sent if d["group"] == "social-team"] == ["mention", "mention"]
    assert len({d["delivery_id"] for d in sent}) == len(sent)  # nothing went out twice


def _told(story: ClusterModel) -> set[str]:
    """What a story's groups were told: in its own row (put by the batch that started it) and in
    its notices (added by later batches, as when the story was put before its notices went out)."""
    from chalicelib.store.models import NoticeModel

    notices = {str(t) for n in NoticeModel.query(story.cluster_id) for t in n.told}
    return {str(t) for t in story.told or ()} | notices
