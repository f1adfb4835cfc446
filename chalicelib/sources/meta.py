"""Facebook Pages and Instagram through Meta's Graph API webhooks.

GET: the subscription handshake (hub.mode, hub.verify_token, hub.challenge echoed as text).
POST: X-Hub-Signature-256 = "sha256=" + hex HMAC-SHA256 of the raw body with the app secret.
A delivery batches `entry[]`, each in one of the three shapes Meta documents: `changes[]`
(field/value: feed, mention, ratings, comments, mentions, ...), `messaging[]` (messages to the
page or account), or the legacy `changed_fields` list. Ids-only notifications (Instagram
mentions, user photos, changed_fields) are stored as such and marked for enrichment."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.bodies import load_json
from chalicelib.clock import from_epoch, parse_timestamp
from chalicelib.errors import Forbidden, InvalidPayload, MalformedBody
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

_PLATFORM = {"page": "facebook", "instagram": "instagram", "user": "facebook"}
_FEED_ITEMS = {"post", "status", "comment", "photo", "video", "share"}
_KEPT_VERBS = {"add", "edited", None}


def _time(value: Any, default: datetime) -> datetime:
    """Meta sends unix seconds, unix milliseconds (messaging) or ISO 8601 strings."""
    if isinstance(value, bool) or value in (None, ""):
        return default
    try:
        if isinstance(value, (int, float)):
            return from_epoch(value / 1000 if value > 10**11 else value)
        return parse_timestamp(str(value).replace("+0000", "+00:00"))
    except ValueError:
        return default


def _listed(entry: dict[str, Any], key: str, index: int) -> list[Any]:
    """One of an entry's lists (changes, messaging, changed_fields): absent is empty."""
    value = entry.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidPayload(f"entry[{index}].{key}: expected a list")
    return value


def _s(value: Any) -> str:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""


class MetaSource:
    slug = "meta"
    content_types = JSON_TYPES

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        mode, token, challenge = query.get("hub.mode"), query.get("hub.verify_token"), query.get("hub.challenge")
        if mode != "subscribe" or not challenge:
            raise InvalidPayload("expected hub.mode=subscribe with hub.challenge and hub.verify_token")
        expected = secret_values(secrets, "verify_token", slug=self.slug)
        if not token or not any(hmac.compare_digest(token.encode(), v.encode()) for v in expected):
            raise Forbidden("hub.verify_token does not match the configured verify token")
        return Handshake(body=challenge)

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        valid = secret_values(secrets, "app_secret", slug=self.slug)
        verify_prefixed_hmac(delivery, header="x-hub-signature-256", secrets=valid)

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        doc = load_json(delivery.body)
        if not isinstance(doc, dict) or not isinstance(doc.get("entry"), list):
            raise InvalidPayload("expected a Meta webhook object with object and entry[]")
        platform = _PLATFORM.get(_s(doc.get("object")), _s(doc.get("object")) or "facebook")
        mentions: list[Mention] = []
        ignored = 0
        for index, entry in enumerate(doc["entry"]):
            if not isinstance(entry, dict):
                raise InvalidPayload(f"entry[{index}] is not an object")
            at = _time(entry.get("time"), received_at)
            found = 0
            for change in _listed(entry, "changes", index):
                mention = self._change(change, platform=platform, entry=entry, at=at, received_at=received_at)
                found += 1
                if mention is None:
                    ignored += 1
                else:
                    mentions.append(mention)
            for event in _listed(entry, "messaging", index):
                found += 1
                message = self._message(event, platform=platform, received_at=received_at)
                if message is None:
                    ignored += 1
                else:
                    mentions.append(message)
            for field in _listed(entry, "changed_fields", index):
                found += 1
                if not isinstance(field, str):
                    raise InvalidPayload(f"entry[{index}].changed_fields: a list of field names")
                uid = _s(entry.get("uid") or entry.get("id"))
                mentions.append(
                    self._mention(
                        platform=platform,
                        external_id=f"{uid}:{field}:{int(at.timestamp())}",
                        text="",
                        author=Author(),
                        at=at,
                        received_at=received_at,
                        raw={"entry": {k: v for k, v in entry.items() if k != "changed_fields"}, "field": field},
                    )
                )
            if not found:
                ignored += 1
        return Parsed(mentions, ignored)

    def _mention(
        self,
        *,
        platform: str,
        external_id: str,
        text: str,
        author: Author,
        at: datetime,
        received_at: datetime,
        raw: Any,
        url: str = "",
    ) -> Mention:
        """Ids-only notifications (no text) are stored as such and marked for enrichment."""
        if not external_id and not url:
            raise InvalidPayload("a Meta change without any id")
        return build_mention(
            source=self.slug,
            platform=platform,
            external_id=external_id,
            url=url,
            text=text,
            author=author,
            published_at=at,
            received_at=received_at,
            raw=raw,
            needs_enrichment=not text,
        )

    def _change(
        self, change: Any, *, platform: str, entry: dict[str, Any], at: datetime, received_at: datetime
    ) -> Mention | None:
        if not isinstance(change, dict) or not isinstance(change.get("value"), dict):
            raise InvalidPayload("each change needs a field and a value object")
        field, value = _s(change.get("field")), change["value"]
        raw = {"entry_id": entry.get("id"), "time": entry.get("time"), **change}
        when = _time(value.get("created_time"), at)
        found = self._change_fields(field, value)
        if found is None:
            return None
        external_id, text, author, url = found
        return self._mention(
            platform=platform,
            external_id=external_id,
            text=text,
            author=author,
            at=when,
            received_at=received_at,
            raw=raw,
            url=url,
        )

    @staticmethod
    def _change_fields(  # noqa: PLR0911 (one return per documented Meta field shape)
        field: str, value: dict[str, Any]
    ) -> tuple[str, str, Author, str] | None:
        """(external id, text, author, url) of a change that is a mention; None for the rest."""
        sender = as_object(value.get("from"))
        verb_kept = value.get("verb") in _KEPT_VERBS
        if field == "feed":
            if value.get("item") not in _FEED_ITEMS or not verb_kept:
                return None  # reactions, removals, hides: not mentions
            comment = value.get("item") == "comment"
            return (
                _s(value.get("comment_id") if comment else value.get("post_id")),
                _s(value.get("message")),
                Author(handle=_s(sender.get("id")), name=_s(sender.get("name"))),
                _s(value.get("link") or value.get("permalink_url")),
            )
        if field == "mention":  # the page was @mentioned in a post or comment
            if not verb_kept:
                return None
            author = Author(handle=_s(value.get("sender_id")), name=_s(value.get("sender_name")))
            return _s(value.get("comment_id") or value.get("post_id")), _s(value.get("message")), author, ""
        if field == "ratings":  # a page review: reputation in its plainest form
            if not verb_kept:
                return None
            author = Author(handle=_s(value.get("reviewer_id")), name=_s(value.get("reviewer_name")))
            external_id = _s(value.get("open_graph_story_id") or value.get("review_id"))
            return external_id, _s(value.get("review_text")), author, ""
        if field == "comments":  # Instagram comments on the account's media
            author = Author(handle=_s(sender.get("username")), name=_s(sender.get("username")))
            return _s(value.get("id")), _s(value.get("text")), author, ""
        if field == "mentions":  # Instagram @mentions: ids only
            return _s(value.get("comment_id") or value.get("media_id")), "", Author(), ""
        object_id = _s(value.get("object_id") or value.get("id"))
        if object_id and value.get("verb", "add") in _KEPT_VERBS | {"update"}:
            return object_id, "", Author(), ""  # e.g. user photos: ids only
        return None

    def _message(self, event: Any, *, platform: str, received_at: datetime) -> Mention | None:
        if not isinstance(event, dict):
            raise MalformedBody("each messaging event must be an object")
        message = event.get("message")
        if not isinstance(message, dict) or message.get("is_echo") or not message.get("mid"):
            return None  # deliveries, reads, echoes of our own replies
        sender = as_object(event.get("sender"))
        text = _s(message.get("text"))
        return self._mention(
            platform=platform,
            external_id=_s(message["mid"]),
            text=text,
            author=Author(handle=_s(sender.get("id"))),
            at=_time(event.get("timestamp"), received_at),
            received_at=received_at,
            raw=event,
        )
