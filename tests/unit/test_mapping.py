from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from chalicelib.records import Author, Mention
from chalicelib.store.mapping import mention_from_image, mention_item, mention_to_model


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
