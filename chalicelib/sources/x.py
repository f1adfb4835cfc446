"""X (Twitter) Account Activity API.

GET ?crc_token=...: answered with {"response_token": "sha256=" + base64 HMAC-SHA256 of the token
with the consumer secret}, at once (X allows a few seconds). POST: x-twitter-webhooks-signature
is "sha256=" + base64 (not hex) HMAC-SHA256 of the raw body. Posts, replies, quotes, retweets and
@mentions arrive as tweet_create_events in the v1.1 Tweet format; other events are counted as
ignored."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from chalicelib.bodies import count, load_json
from chalicelib.clock import in_range
from chalicelib.errors import InvalidPayload
from chalicelib.records import Author, Mention
from chalicelib.sources.base import (
    JSON_TYPES,
    Delivery,
    Handshake,
    Parsed,
    SourceSecrets,
    as_object,
    build_mention,
    secret_values,
    verify_prefixed_hmac,
)

EVENT_KEYS = ("tweet_create_events",)


def crc_response(token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), token.encode(), hashlib.sha256).digest()
    return "sha256=" + base64.b64encode(digest).decode()


def _created(value: Any, default: datetime) -> datetime:
    if isinstance(value, str):
        try:
            return in_range(datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC))
        except (ValueError, OverflowError):
            pass
    return default


def unescape(text: str) -> str:
    """X escapes exactly `&`, `<` and `>` in a post's text (v1.1 and v2): the text its author
    wrote has them back. `&amp;` goes last, so an author's own "&lt;" stays as typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def tweet_mention(tweet: Any, *, source: str, received_at: datetime, path: str) -> Mention:
    if not isinstance(tweet, dict) or not (tweet.get("id_str") or tweet.get("id")):
        raise InvalidPayload(f"{path}: a Tweet object needs id_str")
    user = as_object(tweet.get("user"))
    extended = as_object(tweet.get("extended_tweet"))
    text = unescape(str(extended.get("full_text") or tweet.get("full_text") or tweet.get("text") or ""))
    tweet_id = str(tweet.get("id_str") or tweet.get("id"))
    handle = str(user.get("screen_name") or "")
    return build_mention(
        source=source,
        platform="x",
        external_id=tweet_id,
        url=f"https://x.com/{handle or 'i/web'}/status/{tweet_id}",
        text=text,
        author=Author(
            handle=handle,
            name=str(user.get("name") or ""),
            followers=count(user.get("followers_count")),
            verified=bool(user.get("verified")),
        ),
        published_at=_created(tweet.get("created_at"), received_at),
        received_at=received_at,
        raw=tweet,
        lang=str(tweet.get("lang") or "") if tweet.get("lang") != "und" else "",
        engagement={
            "likes": count(tweet.get("favorite_count")),
            "shares": count(tweet.get("retweet_count")) + count(tweet.get("quote_count")),
            "replies": count(tweet.get("reply_count")),
        },
        needs_enrichment=not text,
    )


class XSource:
    slug = "x"
    content_types = JSON_TYPES

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        token = query.get("crc_token")
        if not token:
            raise InvalidPayload("expected ?crc_token=... (X's challenge-response check)")
        # During a rotation the first secret is the one X now signs with.
        secret = secret_values(secrets, "secret", slug=self.slug)[0]
        return Handshake(
            body=json.dumps({"response_token": crc_response(token, secret)}), content_type="application/json"
        )

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        valid = secret_values(secrets, "secret", slug=self.slug)
        verify_prefixed_hmac(delivery, header="x-twitter-webhooks-signature", secrets=valid, encoding="base64")

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        doc = load_json(delivery.body)
        if not isinstance(doc, dict):
            raise InvalidPayload("expected an Account Activity event object")
        tweets = doc.get("tweet_create_events") or []
        if not isinstance(tweets, list):
            raise InvalidPayload("tweet_create_events must be a list")
        mentions = [
            tweet_mention(t, source=self.slug, received_at=received_at, path=f"tweet_create_events[{i}]")
            for i, t in enumerate(tweets)
        ]
        others = sum(
            len(v) if isinstance(v, list) else 1
            for k, v in doc.items()
            if k.endswith("_events") and k not in EVENT_KEYS
        )
        return Parsed(mentions, others)
