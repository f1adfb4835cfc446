"""Meltwater's streaming push (REST hooks on a saved search).

Each POST carries search results: one document, a list of them, or {"documents": [...]}, signed
with X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body with the hook's shared secret>."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.bodies import count, load_json
from chalicelib.clock import parse_timestamp
from chalicelib.errors import InvalidPayload
from chalicelib.records import Author, Mention
from chalicelib.sources.base import (
    JSON_TYPES,
    Delivery,
    NoHandshake,
    Parsed,
    SourceSecrets,
    build_mention,
    is_web_link,
    secret_values,
    verify_prefixed_hmac,
)

_PLATFORMS = {
    "twitter": "x",
    "x": "x",
    "facebook": "facebook",
    "instagram": "instagram",
    "youtube": "youtube",
    "reddit": "reddit",
    "tiktok": "tiktok",
    "linkedin": "linkedin",
}


def _get(doc: Mapping[str, Any], *paths: str) -> Any:
    """The first present value among dotted paths (Meltwater's editorial and social layouts differ)."""
    for path in paths:
        node: Any = doc
        for part in path.split("."):
            node = node.get(part) if isinstance(node, Mapping) else None
        if node not in (None, ""):
            return node
    return None


class MeltwaterSource(NoHandshake):
    slug = "meltwater"
    content_types = JSON_TYPES

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        valid = secret_values(secrets, "secret", slug=self.slug)
        verify_prefixed_hmac(delivery, header="x-hub-signature", secrets=valid, methods=("sha1",))

    def _document(self, doc: Any, *, path: str, received_at: datetime) -> Mention:
        if not isinstance(doc, dict):
            raise InvalidPayload(f"{path}: a document is an object")
        url = str(_get(doc, "url", "link", "content.url") or "")
        url = url if is_web_link(url) else ""  # a javascript: or data: "link" identifies nothing
        external_id = str(_get(doc, "external_id", "id", "document_id") or "")
        if not url and not external_id:
            raise InvalidPayload(f"{path}: a document needs an id or a url")
        title = str(_get(doc, "content.title", "title") or "")
        body = str(
            _get(
                doc,
                "content.opening_text",
                "content.ingress",
                "opening_text",
                "ingress",
                "content.text",
                "text",
                "hit_sentence",
            )
            or ""
        )
        published = _get(doc, "published_date", "published_at", "publish_date", "indexed_date")
        try:
            published_at = parse_timestamp(str(published)) if published else received_at
        except ValueError:
            raise InvalidPayload(f"{path}.published_date: not an ISO 8601 timestamp") from None
        source_type = str(_get(doc, "source.type", "source.channel", "document_type", "content_type") or "").lower()
        platform = next((p for key, p in _PLATFORMS.items() if key in source_type), "news" if source_type else "")
        text = " — ".join(p for p in (title, body) if p)
        return build_mention(
            source=self.slug,
            platform=platform,
            # Social posts keep the platform's own id (external_id) so they join the same post from
            # another vendor; editorial documents are identified by their canonical URL.
            external_id=str(_get(doc, "external_id") or "")
            if platform in _PLATFORMS.values()
            else ("" if url else external_id),
            url=url,
            text=text,
            author=Author(
                handle=str(_get(doc, "author.handle", "author.username") or "").lstrip("@"),
                name=str(_get(doc, "author.name", "author.display_name", "source.name") or ""),
                followers=count(_get(doc, "author.followers", "metrics.reach", "source.reach", "reach")),
            ),
            published_at=published_at,
            received_at=received_at,
            raw=doc,
            lang=str(_get(doc, "language", "lang", "content.language") or ""),
            engagement={
                "likes": count(_get(doc, "metrics.engagement.likes", "metrics.likes")),
                "shares": count(_get(doc, "metrics.engagement.shares", "metrics.shares")),
                "replies": count(_get(doc, "metrics.engagement.comments", "metrics.comments")),
            },
            needs_enrichment=not text,
        )

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        doc = load_json(delivery.body)
        if isinstance(doc, dict) and isinstance(doc.get("documents"), list):
            items = doc["documents"]
        elif isinstance(doc, list):
            items = doc
        elif isinstance(doc, dict):
            items = [doc]
        else:
            raise InvalidPayload('expected a document, a list of documents or {"documents": [...]}')
        return Parsed([self._document(d, path=f"documents[{i}]", received_at=received_at) for i, d in enumerate(items)])
