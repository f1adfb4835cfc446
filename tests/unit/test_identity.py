from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.triage.identity import canonical_url, key_for, post_identity


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://twitter.com/Ana/status/1893021?s=20&t=abc", "https://x.com/ana/status/1893021"),
        ("http://mobile.twitter.com/ana/status/1893021/", "https://x.com/ana/status/1893021"),
        ("https://www.example.com/Review/42/?utm_source=x&utm_medium=y&id=7#top", "https://example.com/Review/42?id=7"),
        ("https://m.facebook.com/brand/posts/123?fbclid=zzz", "https://facebook.com/brand/posts/123"),
        ("https://youtu.be/dQw4w9WgXcQ?si=share", "https://youtube.com/watch?v=dQw4w9WgXcQ"),
        ("HTTPS://EXAMPLE.COM//a//b/", "https://example.com/a/b"),
    ],
)
def test_canonical_url_folds_aliases_tracking_and_case(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_post_identity_prefers_the_platform_id_and_matches_an_x_url() -> None:
    by_id = post_identity(platform="twitter", external_id="1893021", url="")
    by_url = post_identity(platform="", external_id="", url="https://mobile.twitter.com/ana/status/1893021?s=46")
    by_both = post_identity(platform="x", external_id="1893021", url="https://x.com/ana/status/1893021")
    assert by_id == by_url == by_both == "x:1893021"


def test_post_identity_falls_back_to_the_canonical_url() -> None:
    assert post_identity(platform="news", external_id="", url="https://www.paper.example/a?utm_campaign=q") == (
        "https://paper.example/a"
    )


def test_post_identity_needs_an_id_or_a_url() -> None:
    with pytest.raises(ValueError, match="id or a url"):
        post_identity(platform="x", external_id="", url="")


def test_key_for_is_deterministic_and_namespaced() -> None:
    assert key_for("mention", "x:1") == key_for("mention", "x:1")
    assert key_for("mention", "x:1") != key_for("delivery", "x:1")
    assert key_for("mention", "x:1") != key_for("mention", "x:2")
    assert len(key_for("mention", "x:1")) == 24


def test_a_delivery_key_is_the_id_every_stored_delivery_already_has() -> None:
    from chalicelib.records import delivery_key

    # Delivery ids were key_for("delivery", ...) before they had a name of their own: the same
    # message must keep its id across the move, or a retry after a deploy would send it twice.
    for what in ("mention:abc:crisis-team:0", "digest:daily:baggage:2026-12-01", "ü:1"):
        assert delivery_key(what) == key_for("delivery", what)
    assert delivery_key("a") != delivery_key("b")


@given(st.text(max_size=80), st.sampled_from(["mention", "incident", "report"]))
def test_key_for_spells_the_digest_as_base32_always_has(identity: str, namespace: str) -> None:
    # Stored keys were made with base64.b32encode: the faster spelling must give the same letters.
    digest = hashlib.sha256(f"{namespace}\x00{identity}".encode()).digest()
    assert key_for(namespace, identity) == base64.b32encode(digest[:15]).decode().lower()
