"""Any sender that speaks Standard Webhooks (https://www.standardwebhooks.com), Svix included.

Envelope: {"type": "mention.created", "timestamp": ..., "data": {...one mention...}} or
{"type": "mention.batch", "data": {"mentions": [...up to 500...]}}."""

from __future__ import annotations

import binascii
from datetime import datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from chalicelib.bodies import load_json
from chalicelib.errors import InvalidPayload, MalformedBody, VerificationFailed
from chalicelib.sources.base import (
    JSON_TYPES,
    Delivery,
    NoHandshake,
    Parsed,
    SourceSecrets,
    mention_from_fields,
    require_valid,
    secret_values,
)

MAX_BATCH = 500
_HEADER_SETS = (
    ("webhook-id", "webhook-timestamp", "webhook-signature"),
    ("svix-id", "svix-timestamp", "svix-signature"),
)


class GenericSource(NoHandshake):
    slug = "generic"
    content_types = JSON_TYPES

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        names = next((s for s in _HEADER_SETS if s[0] in delivery.headers), _HEADER_SETS[0])
        missing = [n for n in names if not delivery.headers.get(n)]
        if missing:
            raise VerificationFailed(f"missing header(s): {', '.join(missing)}")
        valid = secret_values(secrets, "secret", slug=self.slug)
        try:
            delivery.body.decode("utf-8")  # the scheme signs text: say so rather than blame the header
        except UnicodeDecodeError as exc:
            raise MalformedBody(f"body is not UTF-8: {exc.reason} at byte {exc.start}") from exc
        # The library reads only webhook-* names: Svix deliveries are the same scheme renamed.
        headers = {std: delivery.headers[n] for std, n in zip(_HEADER_SETS[0], names, strict=True)}
        last = "signature does not match"
        for secret in valid:
            try:
                Webhook(secret).verify(delivery.body, headers, json_parse=False)
                return
            except WebhookVerificationError as exc:
                last = str(exc) or last
            # The library raises these on malformed headers or secrets instead of its own error.
            except (ValueError, binascii.Error, TypeError) as exc:
                last = f"malformed signature header: {exc}"
        raise VerificationFailed(last.rstrip(".").lower() if last else "signature does not match")

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        envelope = load_json(delivery.body)
        if not isinstance(envelope, dict):
            raise InvalidPayload("expected a JSON object with type, timestamp and data")
        event_type = envelope.get("type")
        data = envelope.get("data")
        delivery_id = delivery.headers.get("webhook-id") or delivery.headers.get("svix-id") or ""
        errors: list[str] = []
        if event_type == "mention.created":
            mention = mention_from_fields(
                data, path="data", source=self.slug, received_at=received_at, delivery_id=delivery_id, errors=errors
            )
            require_valid(errors, "invalid mention")
            assert mention is not None
            return Parsed([mention])
        if event_type == "mention.batch":
            items = data.get("mentions") if isinstance(data, dict) else None
            if not isinstance(items, list):
                raise InvalidPayload("mention.batch needs data.mentions, a list")
            if len(items) > MAX_BATCH:
                raise InvalidPayload(f"data.mentions holds {len(items)} mentions, at most {MAX_BATCH}")
            mentions = [
                mention_from_fields(
                    item,
                    path=f"data.mentions[{i}]",
                    source=self.slug,
                    received_at=received_at,
                    delivery_id=delivery_id,
                    errors=errors,
                )
                for i, item in enumerate(items)
            ]
            require_valid(errors, "invalid mention batch (nothing was stored)")
            return Parsed([m for m in mentions if m is not None])
        raise InvalidPayload(
            f"unsupported event type {str(event_type)[:64]!r}: expected 'mention.created' or 'mention.batch'"
        )
