"""Mention (mention.com), pulled from its REST API: the mentions of one alert, newer than the
cursor's since_id, a page of up to 100 at a time.

GET /api/accounts/{account_id}/alerts/{alert_id}/mentions?since_id=...&limit=100 with
"Authorization: Bearer <token>" and "Accept-Version: 1.21". Collections answer {"mentions": [...],
"_links": {"more": ..., "pull": ...}}. A 429 carries X-Rate-Limit-Reset (a unix time): the poll
stops there and the cursor waits until then."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalicelib.bodies import count, load_json
from chalicelib.clock import parse_timestamp
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.http import fetch
from chalicelib.records import Author, Mention
from chalicelib.sources.base import (
    JSON_TYPES,
    Delivery,
    Parsed,
    PollResult,
    Pulled,
    PullTarget,
    SourceSecrets,
    as_object,
    build_mention,
    retry_after,
    secret_values,
)

API = "https://api.mention.net/api"
API_VERSION = "1.21"
PAGE = 100
MAX_PAGES = 10  # per poll: a backlog drains over several polls instead of one long Lambda
_PLATFORMS = {
    "twitter": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "youtube": "youtube",
    "videos": "youtube",
    "reddit": "reddit",
    "tiktok": "tiktok",
    "linkedin": "linkedin",
    "news": "news",
    "blogs": "web",
    "forums": "web",
    "web": "web",
}


def _id_number(value: str) -> int:
    return int(value) if value.isdigit() else -1


class MentionComSource(Pulled):
    slug = "mentioncom"
    content_types = JSON_TYPES

    def _mention(self, item: Any, *, path: str, received_at: datetime, brand: str) -> Mention:
        if not isinstance(item, dict) or not item.get("id"):
            raise InvalidPayload(f"{path}: a mention needs an id")
        url = str(item.get("original_url") or item.get("clickable_url") or "")
        source_type = str(item.get("source_type") or "").lower()
        platform = _PLATFORMS.get(source_type, source_type)
        published = item.get("published_at") or item.get("created_at")
        try:
            published_at = parse_timestamp(str(published)) if published else received_at
        except ValueError:
            raise InvalidPayload(f"{path}.published_at: not a W3C date-time") from None
        influence = as_object(item.get("author_influence"))
        text = " — ".join(str(p) for p in (item.get("title"), item.get("description")) if p)
        return build_mention(
            source=self.slug,
            platform=platform,
            # Social posts are identified by their URL (which names the platform's post id);
            # Mention's own id identifies nothing outside Mention.
            external_id="" if url else f"mention.com:{item['id']}",
            url=url,
            text=text,
            author=Author(
                handle=str(item.get("source_name") or ""),
                name=str(item.get("source_name") or ""),
                followers=count(influence.get("followers")),
            ),
            published_at=published_at,
            received_at=received_at,
            raw=item,
            lang=str(item.get("language_code") or ""),
            brand=brand,
            needs_enrichment=not text,
        )

    def parse(self, delivery: Delivery, *, received_at: datetime, brand: str = "") -> Parsed:
        doc = load_json(delivery.body)
        items = doc.get("mentions") if isinstance(doc, dict) else None
        if not isinstance(items, list):
            raise InvalidPayload('expected a Mention API collection: {"mentions": [...], "_links": {...}}')
        return Parsed(
            [self._mention(m, path=f"mentions[{i}]", received_at=received_at, brand=brand) for i, m in enumerate(items)]
        )

    def poll(
        self, target: PullTarget, *, state: Mapping[str, Any], secrets: SourceSecrets, received_at: datetime
    ) -> PollResult:
        token = secret_values(secrets, "secret", slug=self.slug)[0]
        base = target.url or API
        account, alert = target.options.get("account_id", ""), target.options.get("alert_id", "")
        since = str(state.get("since_id") or "")
        kept = dict(state)
        found: list[Mention] = []
        for _ in range(MAX_PAGES):
            query = {"limit": str(PAGE), **({"since_id": since} if since else {})}
            url = f"{base}/accounts/{account}/alerts/{alert}/mentions?{urlencode(query)}"
            answer = fetch(
                url,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Accept-Version": API_VERSION,
                    "Accept": "application/json",
                },
            )
            if answer.error:
                return PollResult(found, kept, f"error: {answer.error}", failed=True)
            if answer.status == 429:
                return PollResult(
                    found, kept, "429", retry_after_seconds=retry_after(answer.headers, received_at), failed=True
                )
            if answer.status != 200:
                return PollResult(found, kept, str(answer.status), failed=True)
            try:
                body = load_json(answer.body)
                parsed = self.parse(
                    Delivery(headers=answer.headers, body=answer.body), received_at=received_at, brand=target.brand
                )
            except SharedwatchError as exc:
                return PollResult(found, kept, f"error: {exc.detail}"[:300], failed=True)
            found.extend(parsed.mentions)
            ids = [str(m.get("id")) for m in body.get("mentions", []) if isinstance(m, dict)]
            newest = max(ids, key=_id_number, default="")
            if newest and _id_number(newest) > _id_number(since):
                since = newest
                kept["since_id"] = since
            # A first poll takes the latest page only: no backfill of the alert's whole history.
            if len(ids) < PAGE or not state.get("since_id"):
                break
        return PollResult(found, kept, "200")
