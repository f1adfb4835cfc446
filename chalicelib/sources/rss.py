"""Any RSS 2.0 or Atom feed (Google Alerts, news searches, a review site's feed), pulled.

Polite: a conditional GET every time (If-None-Match / If-Modified-Since from the cursor), the
server's Retry-After honoured, and the caller backs off after failures."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.errors import SharedwatchError
from chalicelib.http import fetch
from chalicelib.records import Author
from chalicelib.sources.base import (
    Delivery,
    Parsed,
    PollResult,
    Pulled,
    PullTarget,
    SourceSecrets,
    build_mention,
    is_web_link,
    retry_after,
)
from chalicelib.sources.feeds import parse_feed

FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/xml", "text/xml"})


class RssSource(Pulled):
    slug = "rss"
    content_types = FEED_TYPES

    def parse(self, delivery: Delivery, *, received_at: datetime, brand: str = "") -> Parsed:
        feed = parse_feed(delivery.body)
        mentions = []
        ignored = feed.deleted
        for entry in feed.entries:
            link = entry.link if is_web_link(entry.link) else (entry.id if is_web_link(entry.id) else "")
            if not (link or entry.id):
                ignored += 1
                continue
            text = " — ".join(p for p in (entry.title, entry.summary) if p)
            mentions.append(
                build_mention(
                    source=self.slug,
                    platform="web",
                    external_id="" if link else entry.id,
                    url=link,
                    text=text,
                    author=Author(name=entry.author or feed.title),
                    published_at=entry.published or received_at,
                    received_at=received_at,
                    raw={"feed": feed.title, "id": entry.id, "title": entry.title, "link": entry.link},
                    brand=brand,
                    needs_enrichment=not text,
                )
            )
        return Parsed(mentions, ignored)

    def poll(
        self, target: PullTarget, *, state: Mapping[str, Any], secrets: SourceSecrets, received_at: datetime
    ) -> PollResult:
        headers = {"Accept": "application/atom+xml, application/rss+xml;q=0.9, application/xml;q=0.8, */*;q=0.1"}
        if state.get("etag"):
            headers["If-None-Match"] = str(state["etag"])
        if state.get("last_modified"):
            headers["If-Modified-Since"] = str(state["last_modified"])
        answer = fetch(target.url, headers=headers)
        kept = dict(state)
        if answer.error:
            return PollResult([], kept, f"error: {answer.error}", failed=True)
        if answer.status == 304:
            return PollResult([], kept, "304")
        if answer.status in (429, 503):
            return PollResult(
                [], kept, str(answer.status), retry_after_seconds=retry_after(answer.headers, received_at), failed=True
            )
        if answer.status != 200:
            return PollResult([], kept, str(answer.status), failed=True)
        try:
            parsed = self.parse(
                Delivery(headers=answer.headers, body=answer.body), received_at=received_at, brand=target.brand
            )
        except SharedwatchError as exc:
            return PollResult([], kept, f"error: {exc.detail}"[:300], failed=True)
        kept.update(
            {
                k: answer.headers[h]
                for k, h in (("etag", "etag"), ("last_modified", "last-modified"))
                if answer.headers.get(h)
            }
        )
        return PollResult(parsed.mentions, kept, "200")
