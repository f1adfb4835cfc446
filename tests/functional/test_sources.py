"""Every source through the one generic route, with the storage semantics they share."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from chalicelib import aws
from chalicelib.store.counters import bucket_for
from chalicelib.store.models import CounterModel, MentionModel
from tests.conftest import FIXTURES
from tests.functional.conftest import SOURCE_SECRETS, Harness
from tests.support import MENTION_DELIVERED, frozen_at

SOURCES = FIXTURES / "sources"


def _hex(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()


def _signed(slug: str, body: bytes) -> dict[str, str]:
    if slug == "meta":
        return {
            "content-type": "application/json",
            "x-hub-signature-256": "sha256=" + _hex(SOURCE_SECRETS["meta"]["app_secret"], body),
        }  # type: ignore[index]
    if slug == "x":
        digest = hmac.new(str(SOURCE_SECRETS["x"]).encode(), body, hashlib.sha256).digest()
        return {
            "content-type": "application/json",
            "x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode(),
        }
    if slug == "websub":
        return {
            "content-type": "application/atom+xml",
            "x-hub-signature": "sha512=" + _hex("hub-secret", body, "sha512"),
        }
    if slug == "meltwater":
        return {
            "content-type": "application/json",
            "x-hub-signature": "sha1=" + _hex(str(SOURCE_SECRETS["meltwater"]), body, "sha1"),
        }
    raise AssertionError(slug)


def _post(h: Harness, slug: str, body: bytes, headers: dict[str, str] | None = None) -> Any:
    return h.client.http.post(f"/webhooks/{slug}", body=body, headers=headers or _signed(slug, body))


def _mentions() -> list[MentionModel]:
    return list(MentionModel.scan())


def test_meta_handshake_and_a_signed_delivery(harness: Harness) -> None:
    ok = harness.client.http.get(
        "/webhooks/meta?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meatyhamhock"
    )
    assert (ok.status_code, ok.body, ok.headers["Content-Type"]) == (200, b"1158201444", "text/plain")
    refused = harness.client.http.get("/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=wrong")
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/problem+json"
    body = (SOURCES / "meta" / "page_feed_comment.json").read_bytes()
    answer = json.loads(_post(harness, "meta", body).body)
    assert (answer["stored"], answer["ignored"]) == (1, 1)
    assert (
        _post(
            harness, "meta", body, {"content-type": "application/json", "x-hub-signature-256": "sha256=00"}
        ).status_code
        == 401
    )


def test_x_crc_and_tweet_events(harness: Harness) -> None:
    crc = harness.client.http.get("/webhooks/x?crc_token=9b4507b3")
    assert crc.status_code == 200 and json.loads(crc.body)["response_token"].startswith("sha256=")
    body = (SOURCES / "x" / "tweet_create_mention.json").read_bytes()
    assert json.loads(_post(harness, "x", body).body)["stored"] == 1
    [row] = _mentions()
    assert row.identity == "x:1860654321098765312" and row.author_followers == 48210


def test_the_same_post_from_two_vendors_is_one_mention_with_both_sources(harness: Harness) -> None:
    x_body = (SOURCES / "x" / "tweet_create_mention.json").read_bytes()
    mw_body = (SOURCES / "meltwater" / "editorial_documents.json").read_bytes()
    assert json.loads(_post(harness, "x", x_body).body)["stored"] == 1
    answer = json.loads(_post(harness, "meltwater", mw_body).body)
    assert (answer["stored"], answer["duplicates"]) == (1, 1)  # the news article is new, the tweet is not
    tweet = next(m for m in _mentions() if m.identity == "x:1860654321098765312")
    assert tweet.sources == {"x", "meltwater"}
    assert "no hotel voucher" in tweet.text  # the later copy changed nothing else
    assert tweet.source == "x"
    # A redelivery from a source the mention already has changes nothing at all.
    assert json.loads(_post(harness, "x", x_body).body)["duplicates"] == 1
    assert next(m for m in _mentions() if m.identity == "x:1860654321098765312").sources == {"x", "meltwater"}


def test_a_websub_delivery_with_a_bad_signature_is_acknowledged_and_ignored(harness: Harness) -> None:
    body = (SOURCES / "websub" / "youtube_notification.xml").read_bytes()
    forged = _post(harness, "websub", body, {"content-type": "application/atom+xml", "x-hub-signature": "sha1=00"})
    assert forged.status_code == 202 and json.loads(forged.body)["ignored"] == 1
    assert _mentions() == []
    assert json.loads(_post(harness, "websub", body).body)["stored"] == 1
    json_type = _post(harness, "websub", body, {**_signed("websub", body), "content-type": "application/json"})
    assert json_type.status_code == 415


def test_counters_count_each_new_mention_once_per_time_bucket(harness: Harness) -> None:
    body = (SOURCES / "meltwater" / "editorial_documents.json").read_bytes()
    # Delivered the morning the fixture's posts were written, as history it is about: delivered
    # today, they would be older than the counters' retention and not counted at all.
    with frozen_at(MENTION_DELIVERED):
        _post(harness, "meltwater", body)
        harness.pump.pump_once()  # the router counts, from the stream's INSERT records
        _post(harness, "meltwater", body)  # a redelivery adds nothing
        harness.pump.pump_once()
    mentions = _mentions()
    buckets = {bucket_for(m.published_at, received_at=m.received_at) for m in mentions}
    hours = {"h|" + b[2:15] for b in buckets if b.startswith("m|")}  # recent minutes also count in their hour
    assert {r.bucket for r in CounterModel.scan()} == buckets | hours
    totals: dict[str, int] = {}
    for bucket in buckets:
        item = aws.dynamodb().get_item(TableName=CounterModel.Meta.table_name, Key={"bucket": {"S": bucket}})["Item"]
        assert "expires_at" in item
        for name, value in item.items():
            if name.startswith("n"):
                totals[name] = totals.get(name, 0) + int(value["N"])
    assert {k: v for k, v in totals.items() if "|dept|" not in k} == {
        "n": 2,
        "n|source|meltwater": 2,
        "n|platform|news": 1,
        "n|platform|x": 1,
        "n|sentiment|negative": 2,
    }
    assert totals["n|dept|operations"] == 2 and totals["n|dept|operations|negative"] == 2


def test_meta_redelivering_a_day_and_a_half_later_is_the_same_mention(harness: Harness) -> None:
    body = (SOURCES / "meta" / "page_feed_comment.json").read_bytes()
    doc = json.loads(body)
    doc["entry"][0]["time"] += 36 * 3600  # Meta retries failed deliveries for up to 36 hours
    later = json.dumps(doc).encode()
    assert json.loads(_post(harness, "meta", body).body)["stored"] == 1
    again = json.loads(_post(harness, "meta", later).body)
    assert (again["stored"], again["duplicates"]) == (0, 1)
    assert len(_mentions()) == 1
