from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.records import Author, Mention
from chalicelib.store.mapping import mention_from_image, mention_from_model, mention_item, mention_to_model
from chalicelib.store.models import MentionModel


@pytest.mark.parametrize(
    "mention",
    [
        Mention(
            mention_id="k",
            identity="x:1",
            source="generic",
            platform="x",
            external_id="1",
            url="https://x.com/a/status/1",
            text="ünïcode ✈",
            author=Author("a", "A", 48210, True),
            published_at=datetime(2015, 2, 24, 11, 35, 52, tzinfo=timezone(timedelta(hours=-8))),
            received_at=datetime(2026, 11, 24, 10, 0, 0, 123456, tzinfo=UTC),
            lang="en",
            brand="b",
            engagement={"likes": 3},
            delivery_id="msg_1",
            raw="{}",
            needs_enrichment=True,
            sentiment_label="negative",
            sentiment_score=-0.62,
            departments=("baggage", "digital"),
            risk_terms=("lawsuit",),
            severity="high",
            severity_reasons=("risk term 'lawsuit'", "reach 48210"),
            kudos=False,
            cluster_key="s:0badf00d",
        ),
        Mention(
            mention_id="k2",
            identity="https://e.example/a",
            source="rss",
            platform="",
            external_id="",
            url="",
            text="",
            author=Author(),
            published_at=datetime(2026, 1, 1, tzinfo=UTC),
            received_at=datetime(2026, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_the_stream_reader_and_the_model_read_the_same_mention_back(mention: Mention) -> None:
    assert mention_from_model(mention_to_model(mention)) == mention
    back = mention_from_image(mention_item(mention))
    assert back == mention
    # The router's direct read of a stream image and PynamoDB's agree, field by field.
    assert back == mention_from_model(MentionModel.from_raw_data(mention_item(mention)))


def _airline_post(raw_extra: str = "") -> Mention:
    published = datetime(2026, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=-5)))
    text = "@united why don't you de-ice while the plane sits there with no one in it for 2 hours ?? Or delay :/"
    raw = (
        '{"id":"569508469088387072","platform":"x","text":'
        + json.dumps(text)
        + ',"author":{"handle":"201Chef"},"published_at":"'
        + published.isoformat()
        + '","brand":"United","engagement":{"shares":0}'
        + raw_extra
        + "}"
    )
    return Mention(
        mention_id="m" + "0" * 31,
        identity="x:569508469088387072",
        source="generic",
        platform="x",
        external_id="569508469088387072",
        url="",
        text=text,
        author=Author("201Chef"),
        published_at=published,
        received_at=datetime(2026, 3, 1, 14, 31, 2, 123456, tzinfo=UTC),
        brand="United",
        engagement={"shares": 0},
        delivery_id="0f0e1c7a-7c1d-4a8e-9d52-3f1f4d0c2b11",
        raw=raw,
        sentiment_label="negative",
        sentiment_score=-0.62,
        departments=("customer-care", "operations"),
        severity="medium",
        severity_reasons=("negative",),
        complaint=True,
        cluster_key="",
    )


def _billed_size(item: dict[str, dict[str, object]]) -> int:
    """Bytes as DynamoDB bills an item: names, strings' and binaries' bytes, numbers' digits."""

    def size(value: dict[str, object]) -> int:
        ((kind, v),) = value.items()
        if kind == "L":
            return sum(size(x) for x in v)  # type: ignore[attr-defined]
        if kind == "SS":
            return sum(len(str(x).encode()) for x in v)  # type: ignore[attr-defined]
        if kind == "BOOL":
            return 1
        return len(v) if isinstance(v, bytes) else len(str(v).encode())

    return sum(len(name.encode()) + size(value) for name, value in item.items())


def test_a_typical_post_is_stored_in_one_write_unit_with_its_payload_intact() -> None:
    post = _airline_post()
    item = mention_item(post)
    assert "raw" not in item and isinstance(item["rawz"]["B"], bytes)
    assert len(item["rawz"]["B"]) < len(post.raw) // 3  # it repeats its own fields
    assert _billed_size(item) <= 1024
    assert mention_from_image(item).raw == post.raw
    # A stream image carries the binary base64-encoded, as Lambda's event does.
    image = {**item, "rawz": {"B": base64.b64encode(item["rawz"]["B"]).decode()}}
    assert mention_from_image(image) == post


def test_a_payload_unlike_its_fields_is_still_stored_whole() -> None:
    post = replace(_airline_post(), raw=json.dumps({"unrelated": "ünïcode ✈ " * 40}))
    assert mention_from_model(MentionModel.from_raw_data(mention_item(post))).raw == post.raw


def test_a_payload_stored_as_text_before_it_was_packed_is_read_as_it_was() -> None:
    post = _airline_post()
    item = {k: v for k, v in mention_item(post).items() if k != "rawz"} | {"raw": {"S": post.raw}}
    assert mention_from_image(item) == post
    assert mention_from_model(MentionModel.from_raw_data(item)) == post
