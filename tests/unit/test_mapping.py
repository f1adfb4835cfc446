from __future__ import annotations

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
def test_the_fast_item_is_exactly_what_the_pynamodb_model_writes(mention: Mention) -> None:
    assert mention_item(mention) == mention_to_model(mention).serialize()
    back = mention_from_image(mention_item(mention))
    assert back == mention
    # The router's direct read of a stream image and PynamoDB's agree, field by field.
    assert back == mention_from_model(MentionModel.from_raw_data(mention_item(mention)))
