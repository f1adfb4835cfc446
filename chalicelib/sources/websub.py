"""YouTube and any W3C WebSub hub (https://www.w3.org/TR/websub/).

GET: the hub's intent verification, hub.challenge echoed. POST: an Atom (or RSS) document,
signed with X-Hub-Signature: <sha1|sha256|sha384|sha512>=<hex HMAC of the body with hub.secret>.
As WebSub requires, a delivery whose signature does not match is acknowledged (2xx) and
ignored, so a hub neither retries nor learns anything; nothing of it is stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from chalicelib.errors import InvalidPayload
from chalicelib.records import Author
from chalicelib.sources.base import (
    Delivery,
    Handshake,
    Parsed,
    SourceSecrets,
    build_mention,
    is_web_link,
    secret_values,
    verify_prefixed_hmac,
)
from chalicelib.sources.feeds import parse_feed

ALGORITHMS = ("sha1", "sha256", "sha384", "sha512")
FEED_TYPES = frozenset({"application/atom+xml", "application/rss+xml", "application/xml", "text/xml"})


class WebSubSource:
    slug = "websub"
    content_types = FEED_TYPES
    acknowledge_unverified = True  # WebSub §8: answer 2xx, ignore the content

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        mode = query.get("hub.mode")
        if mode == "denied":
            return Handshake(body="")
        if mode not in {"subscribe", "unsubscribe"} or not query.get("hub.challenge"):
            raise InvalidPayload("expected hub.mode=subscribe|unsubscribe with hub.challenge and hub.topic")
        return Handshake(body=query["hub.challenge"])

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        valid = secret_values(secrets, "secret", slug=self.slug)
        verify_prefixed_hmac(delivery, header="x-hub-signature", secrets=valid, methods=ALGORITHMS)

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        feed = parse_feed(delivery.body)
        mentions = []
        ignored = feed.deleted
        for entry in feed.entries:
            video = entry.extra.get("video_id", "")
            link = entry.link if is_web_link(entry.link) else (entry.id if is_web_link(entry.id) else "")
            if not (video or link or entry.id):
                ignored += 1  # nothing to identify it by
                continue
            text = " — ".join(p for p in (entry.title, entry.summary) if p)
            mentions.append(
                build_mention(
                    source=self.slug,
                    platform="youtube" if video else "web",
                    # A web entry is its canonical URL (so other vendors' copies join it); an entry
                    # without a link falls back to its Atom id, which the spec makes permanent.
                    external_id=video or ("" if link else entry.id),
                    url=link,
                    text=text,
                    author=Author(handle=entry.extra.get("channel_id", ""), name=entry.author),
                    published_at=entry.published or received_at,
                    received_at=received_at,
                    raw={"feed": feed.title, "id": entry.id, "title": entry.title, "link": entry.link},
                    needs_enrichment=not text,
                )
            )
        return Parsed(mentions, ignored)
