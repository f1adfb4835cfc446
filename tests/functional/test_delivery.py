"""What happens when SNS fails or DynamoDB throttles: nothing accepted is lost, nothing is
done twice."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.clock import utcnow
from chalicelib.notify.delivery import retry_stale
from chalicelib.store.models import DeliveryModel, MentionModel
from infra.local.handlers import resolve
from tests.functional.conftest import Harness
from tests.support import MENTION, Fault, aws_error, aws_json, batch_envelope, envelope, signed_headers


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the backoff botocore and the store ask for instead of waiting it out."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept


def _post(h: Harness, body: bytes) -> Any:
    return h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body))


def _rows() -> dict[str, DeliveryModel]:
    return {row.group: row for row in DeliveryModel.scan()}


def test_an_sns_outage_leaves_claimed_rows_that_a_redelivery_sends_once(
    harness: Harness, no_sleep: list[float], tmp_path: Path
) -> None:
    from infra.local.handlers import app_event_sources
    from infra.local.stream_pump import StreamPump

    pump = StreamPump(app_event_sources(), region="us-east-1", dead_letters=tmp_path / "dlq.jsonl", max_attempts=1)
    assert _post(harness, envelope()).status_code == 202
    with Fault(aws.sns(), "PublishBatch", lambda _: aws_error("InternalError", 500, xml=True)) as outage:
        pump.pump_once()
    assert outage.calls >= 2  # botocore retried with backoff before giving up
    assert no_sleep, "botocore backed off between attempts"
    rows = _rows()
    assert {r.status for r in rows.values()} == {"claimed"}
    assert all(r.last_error == "InternalError" and r.attempts >= 1 for r in rows.values())
    assert harness.deliveries() == []

    # The failed batch went to the dead-letter file, as to an on-failure destination; redrive it.
    [dead] = [json.loads(line) for line in (tmp_path / "dlq.jsonl").read_text().splitlines()]
    handler = resolve(f"chalicelib.handlers.stream.{dead['function']}")
    handler(dead["event"], None)
    handler(dead["event"], None)  # a second redelivery finds everything sent
    assert sorted(d["group"] for d in harness.deliveries()) == ["operations", "social-team"]
    assert {r.status for r in _rows().values()} == {"sent"}


def test_the_schedule_publishes_claims_that_were_never_sent(harness: Harness, no_sleep: list[float]) -> None:
    assert _post(harness, envelope()).status_code == 202
    with (
        Fault(aws.sns(), "PublishBatch", lambda _: aws_error("Throttling", 400, xml=True)),
        pytest.raises(Exception, match="failed"),
    ):
        resolve("chalicelib.handlers.stream.on_mention_stored")(harness.mention_stream_event(), None)
    assert retry_stale(now=utcnow()) == (0, 0)  # too fresh: a stream retry may still be under way
    assert retry_stale(now=utcnow() + timedelta(minutes=3)) == (2, 0)
    assert len(harness.deliveries()) == 2
    assert retry_stale(now=utcnow() + timedelta(minutes=3)) == (0, 0)


def test_a_throttle_that_passes_is_retried_with_backoff_and_stores_once(
    harness: Harness, no_sleep: list[float]
) -> None:
    with Fault(aws.dynamodb(), "PutItem", lambda _: aws_error("ProvisionedThroughputExceededException"), times=2):
        response = _post(harness, envelope())
    assert response.status_code == 202
    assert json.loads(response.body)["stored"] == 1
    assert len(no_sleep) >= 2
    assert sum(1 for _ in MentionModel.scan()) == 1


def test_a_throttle_that_persists_is_503_with_retry_after_and_a_retry_stores_it(
    harness: Harness, no_sleep: list[float]
) -> None:
    with Fault(aws.dynamodb(), "PutItem", lambda _: aws_error("ProvisionedThroughputExceededException")):
        response = _post(harness, envelope())
    assert response.status_code == 503
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.headers["Retry-After"] == "30"
    assert sum(1 for _ in MentionModel.scan()) == 0
    retry = _post(harness, envelope())
    assert json.loads(retry.body)["stored"] == 1


def test_unprocessed_items_are_resent_with_backoff(harness: Harness, no_sleep: list[float]) -> None:
    def unprocessed(request: Any) -> Any:
        return aws_json({"UnprocessedItems": json.loads(request.body)["RequestItems"]})

    items = [{**MENTION, "id": str(i)} for i in range(30)]  # two BatchWriteItem chunks: 25 + 5
    with Fault(aws.dynamodb(), "BatchWriteItem", unprocessed, times=1) as fault:
        response = _post(harness, batch_envelope(items))
    assert fault.calls == 1
    assert json.loads(response.body)["stored"] == 30
    assert sum(1 for _ in MentionModel.scan()) == 30
    assert no_sleep  # the resend waited


def test_the_schedule_runner_fires_the_apps_scheduled_handlers(harness: Harness) -> None:
    from infra.local.handlers import app_event_sources
    from infra.local.scheduler import ScheduleRunner

    runner = ScheduleRunner(app_event_sources(), region="us-east-1")
    assert set(runner.expressions) == {
        "retry_stale_deliveries",
        "send_held_deliveries",
        "escalate_incidents",
        "run_crisis_plans",
        "run_drills",
        "poll_sources",
        "detect_spikes",
        "daily_digests",
        "weekly_digests",
        "policy_reminders",
        "monthly_team_notes",
    }
    for name in runner.expressions:
        runner.fire(name)
    assert runner.fired == dict.fromkeys(runner.expressions, 1)


def test_a_delivery_keeps_its_message_compressed_and_publishes_it_whole(harness: Harness) -> None:
    """The message (its email three times over: default, email, and inside the structured
    variant) is most of a delivery row, and each KB is a write unit on the table and on both
    of its indexes: it is stored compressed, and what is published is the same document."""
    import zlib

    assert _post(harness, envelope()).status_code == 202
    harness.pump.pump_once()
    sent = {d["group"]: d for d in harness.deliveries()}
    for row in DeliveryModel.scan():
        raw = aws.dynamodb().get_item(
            TableName=DeliveryModel.Meta.table_name, Key={"delivery_id": {"S": row.delivery_id}}
        )
        stored = raw["Item"]["message"]["B"]
        assert json.loads(zlib.decompress(stored)) == json.loads(row.message)
        assert len(stored) < len(row.message.encode()) / 2
        assert json.loads(json.loads(row.message)["sqs"])["email"] == sent[row.group]["email"]


def _notice(delivery_id: str, *, covers: tuple[str, ...] = ()) -> Any:
    from chalicelib.records import Notification

    return Notification(
        delivery_id=delivery_id,
        group="social-team",
        subject=f"about {delivery_id}",
        email="what happened",
        sms="what happened",
        reasons=("a rule",),
        item_kind="bundle" if covers else "mention",
        item_id=delivery_id,
        covers=covers,
    )


def test_a_bundle_of_stories_all_told_already_is_not_sent_and_one_with_a_new_story_is(harness: Harness) -> None:
    """A bundle's claim writes the rows of the single notices it stands for before its publish.
    Where every one of them is there already by another message (sent alone, or listed by a
    bigger bundle before Lambda bisected the batch), the bundle tells nothing new and is skipped;
    where one is new, it goes out and the others are left as they were."""
    from chalicelib.notify.delivery import deliver_many
    from chalicelib.settings import get_settings

    topic = get_settings().group_topic_arn("social-team")
    everyone = ("all",)
    outcomes, _ = deliver_many([(_notice("one"), topic, everyone), (_notice("two"), topic, everyone)])
    assert outcomes == {"one": "sent", "two": "sent"}
    outcomes, failures = deliver_many([(_notice("one+two", covers=("one", "two")), topic, everyone)])
    assert (outcomes, failures) == ({"one+two": "skipped"}, [])
    assert DeliveryModel.count("one+two") == 0  # not claimed: nothing new to tell
    outcomes, _ = deliver_many([(_notice("two+three", covers=("two", "three")), topic, everyone)])
    assert outcomes == {"two+three": "sent"}
    assert DeliveryModel.get("two").status == "sent"  # left as it was
    three = DeliveryModel.get("three")
    assert (three.status, three.covered_by) == ("covered", "two+three")
    assert three.expires_at is not None and three.expires_at - utcnow() < timedelta(days=3)
    outcomes, _ = deliver_many([(_notice("three"), topic, everyone)])  # the retry plans it alone
    assert outcomes == {"three": "skipped"}
    # A bisected batch's half plans a smaller bundle of stories the bigger one listed: nothing new.
    outcomes, _ = deliver_many([(_notice("one+three", covers=("one", "three")), topic, everyone)])
    assert outcomes == {"one+three": "skipped"}
    assert [d["delivery_id"] for d in harness.deliveries()] == ["one", "two", "two+three"]
    outcomes, _ = deliver_many([(_notice("two+three", covers=("two", "three")), topic, everyone)])
    assert outcomes == {
        "two+three": "skipped"
    }  # redelivered: its own rows do not make it new, nor do they skip it unsent


def test_a_bundle_claimed_before_sns_failed_is_published_by_its_redelivery_with_its_rows_kept(
    harness: Harness, no_sleep: list[float]
) -> None:
    """SNS refuses the bundle: its claim and the rows it stands for stay; the redelivered batch
    finds the rows written by this same bundle (not another message), so it publishes it then."""
    from chalicelib.notify.delivery import deliver_many
    from chalicelib.settings import get_settings

    topic = get_settings().group_topic_arn("social-team")
    bundle = (_notice("a+b", covers=("a", "b")), topic, ("all",))
    with Fault(aws.sns(), "PublishBatch", lambda _: aws_error("InternalError", 500, xml=True)):
        outcomes, failures = deliver_many([bundle])
    assert outcomes == {} and len(failures) == 1
    assert {r.delivery_id: r.status for r in DeliveryModel.scan()} == {"a+b": "claimed", "a": "covered", "b": "covered"}
    assert deliver_many([bundle]) == ({"a+b": "sent"}, [])
    assert deliver_many([(_notice("a"), topic, ("all",)), (_notice("b"), topic, ("all",))]) == (
        {"a": "skipped", "b": "skipped"},
        [],
    )
    assert [d["delivery_id"] for d in harness.deliveries()] == ["a+b"]


def _unprocessed_all(request: Any) -> Any:
    return aws_json({"UnprocessedItems": json.loads(request.body)["RequestItems"]})


def test_a_bundle_whose_rows_could_not_be_written_gives_back_its_claim_so_only_the_singles_go_out(
    harness: Harness, no_sleep: list[float]
) -> None:
    """DynamoDB keeps the singles' rows unprocessed: the bundle is not published, and its claim
    is given back (left claimed, retry_stale would publish it beside the singles a bisected
    batch plans, which nothing skips). The group hears each story once, as a single."""
    from chalicelib.notify.delivery import deliver_many
    from chalicelib.settings import get_settings

    topic = get_settings().group_topic_arn("social-team")
    with Fault(aws.dynamodb(), "BatchWriteItem", _unprocessed_all):
        outcomes, failures = deliver_many([(_notice("a+b", covers=("a", "b")), topic, ("all",))])
    assert outcomes == {} and len(failures) == 1 and "stand for" in failures[0]
    assert DeliveryModel.count("a+b") == 0
    deliver_many([(_notice("a"), topic, ("all",))])  # a bisected batch: one record each
    deliver_many([(_notice("b"), topic, ("all",))])
    assert retry_stale(now=utcnow() + timedelta(minutes=3)) == (0, 0)
    assert sorted(d["delivery_id"] for d in harness.deliveries()) == ["a", "b"]


def test_a_throttled_write_of_a_bundles_rows_is_a_failed_delivery_and_a_row_it_left_tells_nothing(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    """The rows' write stores one row, then DynamoDB throttles (botocore gave up): a failed
    delivery the batch is retried for, not a crash. The claim is given back, so the row written
    names a bundle that tells nothing: its single takes the row over and goes out, and a smaller
    bundle of the same stories is not skipped for it."""
    from botocore.exceptions import ClientError

    from chalicelib.notify import delivery
    from chalicelib.settings import get_settings

    cover = delivery._cover

    def first_then_throttled(bundles: Any, *, now: Any) -> None:
        cover({b: list(c)[:1] for b, c in bundles.items()}, now=now)
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "BatchWriteItem")

    monkeypatch.setattr(delivery, "_cover", first_then_throttled)
    topic = get_settings().group_topic_arn("social-team")
    outcomes, failures = delivery.deliver_many([(_notice("a+b+c", covers=("a", "b", "c")), topic, ("all",))])
    assert outcomes == {} and failures == [
        "could not record what 1 bundles stand for: ProvisionedThroughputExceededException"
    ]
    monkeypatch.undo()
    assert DeliveryModel.get("a").covered_by == "a+b+c" and DeliveryModel.count("a+b+c") == 0
    assert delivery.deliver_many([(_notice("a+b", covers=("a", "b")), topic, ("all",))]) == ({"a+b": "sent"}, [])
    assert delivery.deliver_many([(_notice("c"), topic, ("all",))]) == ({"c": "sent"}, [])
    assert DeliveryModel.get("a").covered_by == "a+b"  # taken over by the bundle that told it
    assert [d["delivery_id"] for d in harness.deliveries()] == ["a+b", "c"]


def test_a_single_over_a_row_its_given_back_bundle_left_is_claimed_and_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, no_sleep: list[float]
) -> None:
    """The rows' write stores one row and gives up on the other: the claim is given back, and
    the bisected batch's singles go out, the one over the row the bundle left too."""
    from chalicelib.errors import StoreUnavailable
    from chalicelib.notify import delivery
    from chalicelib.settings import get_settings

    cover = delivery._cover

    def first_then_refused(bundles: Any, *, now: Any) -> None:
        cover({b: list(c)[:1] for b, c in bundles.items()}, now=now)
        raise StoreUnavailable("DynamoDB kept returning unprocessed items; retry the delivery")

    monkeypatch.setattr(delivery, "_cover", first_then_refused)
    topic = get_settings().group_topic_arn("social-team")
    delivery.deliver_many([(_notice("a+b", covers=("a", "b")), topic, ("all",))])
    monkeypatch.undo()
    assert delivery.deliver_many([(_notice("a"), topic, ("all",)), (_notice("b"), topic, ("all",))]) == (
        {"a": "sent", "b": "sent"},
        [],
    )
    assert DeliveryModel.get("a").status == "sent"
    assert sorted(d["delivery_id"] for d in harness.deliveries()) == ["a", "b"]


def test_a_covered_row_is_shown_by_the_deliveries_api_without_a_claim_time(harness: Harness) -> None:
    from chalicelib.api.incidents import _delivery
    from chalicelib.notify.delivery import deliver_many, retry_dead
    from chalicelib.settings import get_settings

    deliver_many([(_notice("a+b", covers=("a", "b")), get_settings().group_topic_arn("social-team"), ("all",))])
    row = retry_dead("a")  # an admin's retry of it: nothing to retry
    assert (row.status, _delivery(row)["status"], _delivery(row)["claimed_at"]) == ("covered", "covered", None)
