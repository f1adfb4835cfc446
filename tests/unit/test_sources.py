"""Every adapter against real or documented payloads, and the official signature vectors."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest

from chalicelib.errors import Forbidden, InvalidPayload, MalformedBody, VerificationFailed
from chalicelib.sources import REGISTRY, get_source
from chalicelib.sources.base import Delivery, signature_matches
from chalicelib.sources.x import crc_response
from tests.conftest import FIXTURES

VECTORS = json.loads((FIXTURES / "webhook_signature_test_vectors.json").read_text())
SOURCES = FIXTURES / "sources"
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PAYLOAD_SUFFIXES = {".json", ".xml"}


def _payloads(slug: str) -> list[Path]:
    return sorted(p for p in (SOURCES / slug).glob("*") if p.suffix in PAYLOAD_SUFFIXES)


def _parse(slug: str, name: str) -> list:  # type: ignore[type-arg]
    body = (SOURCES / slug / name).read_bytes()
    return get_source(slug).parse(Delivery(headers={}, body=body), received_at=NOW).mentions


def _hex(secret: str, body: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(secret.encode(), body, getattr(hashlib, algorithm)).hexdigest()


# -- the contract every registered source keeps ------------------------------------------------


@pytest.mark.parametrize("slug", sorted(REGISTRY))
def test_every_registered_source_has_fixtures_with_their_sources_noted(slug: str) -> None:
    payloads = _payloads(slug)
    assert payloads, f"tests/fixtures/sources/{slug} holds no payloads"
    for path in payloads:
        assert path.with_name(path.name + ".source.txt").exists(), f"{path.name} does not say where it came from"


@pytest.mark.parametrize(
    ("slug", "path"),
    [(s, p) for s in sorted(REGISTRY) for p in _payloads(s)],
    ids=lambda v: v if isinstance(v, str) else v.name,
)
def test_every_fixture_yields_valid_mentions(slug: str, path: Path) -> None:
    parsed = get_source(slug).parse(Delivery(headers={}, body=path.read_bytes()), received_at=NOW)
    assert parsed.mentions
    for m in parsed.mentions:
        assert m.mention_id and m.identity and m.source == slug
        assert m.published_at.tzinfo is not None and m.published_at.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
        assert m.text or m.needs_enrichment
        assert len(m.raw) <= 16_384 + 20


# -- meta ------------------------------------------------------------------------------------


def test_meta_verifies_the_official_x_hub_signature_256_vector() -> None:
    vector = VECTORS["github_x_hub_signature_256"]
    delivery = Delivery(headers={"x-hub-signature-256": vector["expected"]}, body=vector["payload"].encode())
    get_source("meta").verify(delivery, secrets={"app_secret": [vector["secret"]]})
    with pytest.raises(VerificationFailed):
        get_source("meta").verify(delivery, secrets={"app_secret": ["another secret"]})
    with pytest.raises(VerificationFailed, match="missing"):
        get_source("meta").verify(Delivery(headers={}, body=b"{}"), secrets={"app_secret": ["s"]})


def test_meta_answers_its_documented_verification_request() -> None:
    request_line = (SOURCES / "meta" / "verification_request.txt").read_text().splitlines()[0]
    query = dict(parse_qsl(urlsplit(request_line.split()[1]).query))
    source = get_source("meta")
    assert source.handshake(query, secrets={"verify_token": ["meatyhamhock"]}).body == "1158201444"
    with pytest.raises(Forbidden):
        source.handshake(query, secrets={"verify_token": ["something-else"]})
    with pytest.raises(InvalidPayload):
        source.handshake({"hub.mode": "subscribe"}, secrets={"verify_token": ["meatyhamhock"]})


def test_instagram_mentions_carry_ids_only_and_are_marked_for_enrichment() -> None:
    [caption] = _parse("meta", "instagram_mention_in_caption.json")
    [comment] = _parse("meta", "instagram_mention_in_comment.json")
    assert (caption.platform, caption.external_id, caption.needs_enrichment) == ("instagram", "17918195224117851", True)
    assert comment.external_id == "17894227972186120"
    assert caption.published_at == datetime(2018, 3, 9, 19, 16, 8, tzinfo=UTC)


def test_meta_page_feed_keeps_comments_and_ignores_reactions() -> None:
    body = (SOURCES / "meta" / "page_feed_comment.json").read_bytes()
    parsed = get_source("meta").parse(Delivery(headers={}, body=body), received_at=NOW)
    [m] = parsed.mentions
    assert parsed.ignored == 1
    assert (m.platform, m.external_id, m.author.name) == ("facebook", "998877_112233", "Sam Traveller")
    assert "tarmac" in m.text and not m.needs_enrichment


def test_meta_messaging_and_legacy_changed_fields_shapes() -> None:
    body = (SOURCES / "meta" / "messenger_message.json").read_bytes()
    parsed = get_source("meta").parse(Delivery(headers={}, body=body), received_at=NOW)
    [dm] = parsed.mentions
    assert parsed.ignored == 1  # the echo of our own reply
    assert "Denver" in dm.text and dm.published_at.year == 2024
    [legacy] = _parse("meta", "legacy_changed_fields.json")
    assert legacy.needs_enrichment and legacy.external_id.startswith("10210299214172187:photos:")


# -- x ---------------------------------------------------------------------------------------


def test_x_answers_the_crc_challenge() -> None:
    vector = VECTORS["x_twitter_crc"]
    assert crc_response(vector["crc_token"], vector["consumer_secret"]) == vector["expected_response"]["response_token"]
    answer = get_source("x").handshake(
        {"crc_token": vector["crc_token"]}, secrets={"secret": [vector["consumer_secret"]]}
    )
    assert json.loads(answer.body) == vector["expected_response"]
    assert answer.content_type == "application/json"


def test_x_signatures_are_base64_not_hex() -> None:
    body = (SOURCES / "x" / "tweet_create_mention.json").read_bytes()
    digest = hmac.new(b"consumer", body, hashlib.sha256).digest()
    good = Delivery(headers={"x-twitter-webhooks-signature": "sha256=" + base64.b64encode(digest).decode()}, body=body)
    get_source("x").verify(good, secrets={"secret": ["consumer"]})
    hexed = Delivery(headers={"x-twitter-webhooks-signature": "sha256=" + digest.hex()}, body=body)
    with pytest.raises(VerificationFailed):
        get_source("x").verify(hexed, secrets={"secret": ["consumer"]})


def test_x_tweet_create_events_become_mentions_with_full_text_and_reach() -> None:
    body = (SOURCES / "x" / "tweet_create_mention.json").read_bytes()
    parsed = get_source("x").parse(Delivery(headers={}, body=body), received_at=NOW)
    [m] = parsed.mentions
    assert parsed.ignored == 1  # the favorite event
    assert m.identity == "x:1860654321098765312"
    assert "no hotel voucher" in m.text  # extended_tweet.full_text, not the truncated text
    assert (m.author.handle, m.author.followers) == ("ana", 48210)
    assert m.engagement == {"likes": 12, "shares": 5, "replies": 1}
    assert m.published_at == datetime(2026, 11, 24, 9, 59, 31, tzinfo=UTC)


def test_x_text_is_what_its_author_wrote_not_xs_html_escaping() -> None:
    # X escapes &, < and > in a post's text (v1.1 and v2); the wall and triage need the text typed.
    doc = json.loads((SOURCES / "x" / "tweet_create_mention.json").read_text())
    tweet = doc["tweet_create_events"][0]
    tweet["extended_tweet"]["full_text"] = "@brand Q&amp;A: bags &lt;3 kg &gt; fees? I typed &amp;lt; myself"
    body = json.dumps(doc).encode()
    [m] = get_source("x").parse(Delivery(headers={}, body=body), received_at=NOW).mentions
    assert m.text == "@brand Q&A: bags <3 kg > fees? I typed &lt; myself"


# -- websub ----------------------------------------------------------------------------------


def test_youtube_notifications_become_video_mentions() -> None:
    [video] = _parse("websub", "youtube_notification.xml")
    assert (video.platform, video.external_id, video.identity) == ("youtube", "VIDEO_ID", "youtube:VIDEO_ID")
    assert video.url == "http://www.youtube.com/watch?v=VIDEO_ID"
    assert video.text == "Video title" and video.author.name == "Channel title"


def test_atom_html_is_flattened_and_tombstones_are_counted() -> None:
    body = (SOURCES / "websub" / "google_alerts_atom.xml").read_bytes()
    parsed = get_source("websub").parse(Delivery(headers={}, body=body), received_at=NOW)
    [m] = parsed.mentions
    assert parsed.ignored == 1
    assert m.text.startswith("Brand airline cancels 300 flights") and "<b>" not in m.text


@pytest.mark.parametrize("algorithm", ["sha1", "sha256", "sha384", "sha512"])
def test_websub_accepts_every_signature_method_the_spec_allows(algorithm: str) -> None:
    body = (SOURCES / "websub" / "youtube_notification.xml").read_bytes()
    headers = {"x-hub-signature": f"{algorithm}={_hex('hub-secret', body, algorithm)}"}
    get_source("websub").verify(Delivery(headers=headers, body=body), secrets={"secret": ["hub-secret"]})
    with pytest.raises(VerificationFailed):
        get_source("websub").verify(Delivery(headers=headers, body=body + b" "), secrets={"secret": ["hub-secret"]})


def test_websub_handshake_echoes_the_challenge() -> None:
    query = {
        "hub.mode": "subscribe",
        "hub.topic": "https://www.youtube.com/xml/feeds/videos.xml?channel_id=C",
        "hub.challenge": "abc123",
        "hub.lease_seconds": "432000",
    }
    assert get_source("websub").handshake(query, secrets={}).body == "abc123"


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><feed>&lol2;</feed>',
        b"<feed><unclosed></feed>",
        b"<html><body>not a feed</body></html>",
        b"\x00\x01binary",
    ],
)
def test_hostile_or_broken_xml_is_a_clear_400(body: bytes) -> None:
    with pytest.raises(MalformedBody):
        get_source("websub").parse(Delivery(headers={}, body=body), received_at=NOW)


# -- meltwater -------------------------------------------------------------------------------


def test_meltwater_signs_with_sha1_hub_signature() -> None:
    body = (SOURCES / "meltwater" / "editorial_documents.json").read_bytes()
    headers = {"x-hub-signature": "sha1=" + _hex("e2d264b524240b9572ebc2fc7eebd980", body, "sha1")}
    get_source("meltwater").verify(
        Delivery(headers=headers, body=body), secrets={"secret": ["e2d264b524240b9572ebc2fc7eebd980"]}
    )
    with pytest.raises(VerificationFailed, match="sha1"):
        get_source("meltwater").verify(
            Delivery(headers={"x-hub-signature": "sha256=" + _hex("s", body)}, body=body), secrets={"secret": ["s"]}
        )


def test_meltwater_documents_keep_editorial_urls_and_social_post_ids() -> None:
    news, tweet = _parse("meltwater", "editorial_documents.json")
    assert news.identity == "https://dailyherald.example/business/2026/11/24/airline-strands-passengers"
    assert (news.platform, news.author.followers) == ("news", 1200000)
    assert tweet.identity == "x:1860654321098765312"  # the same post the x source delivers
    assert tweet.author.handle == "ana"


def test_signature_matches_is_false_for_any_wrong_secret() -> None:
    assert not signature_matches("00", secrets=["a", "b"], message=b"x")
    assert signature_matches(_hex("b", b"x"), secrets=["a", "b"], message=b"x")


# -- pull sources ----------------------------------------------------------------------------


def test_rss_items_become_web_mentions_by_canonical_url() -> None:
    bags, crew = _parse("rss", "review_site.xml")
    assert bags.identity == "https://reviews.example/brand-air/r/88231"  # utm_* dropped
    assert (
        bags.text == "Lost my bag twice in one trip — Both legs, both times the bag went to another city. "
        "The desk staff were kind though."
    )
    assert bags.author.name == "Priya K." and bags.published_at == datetime(2026, 11, 24, 9, 12, 44, tzinfo=UTC)
    assert crew.platform == "web"


def test_mentioncom_results_join_the_posts_other_sources_deliver() -> None:
    news, tweet = _parse("mentioncom", "mentions_page.json")
    assert news.identity == "https://news.example/dfw-strandings"
    assert news.author.followers == 250000
    assert tweet.identity == "x:1860600000000000001" and tweet.platform == "x"


def test_pull_sources_take_no_deliveries() -> None:
    from chalicelib.errors import MethodNotAllowed

    for slug in ("rss", "mentioncom"):
        with pytest.raises(MethodNotAllowed, match="pulled"):
            get_source(slug).verify(Delivery(headers={}, body=b""), secrets={})
