"""Helpers shared by the test layers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

from standardwebhooks.webhooks import Webhook

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the official test vector's secret

MENTION: dict[str, Any] = {
    "id": "1893021",
    "platform": "x",
    "url": "https://x.com/ana/status/1893021",
    "text": "Third cancelled flight this month, @brand. Never again.",
    "author": {"handle": "ana", "name": "Ana", "followers": 48210, "verified": False},
    "published_at": "2026-11-24T09:59:31Z",
    "lang": "en",
    "brand": "brand",
    "engagement": {"likes": 12, "shares": 3, "replies": 1},
}


def signed_headers(body: bytes, *, secret: str = SECRET, msg_id: str | None = None) -> dict[str, str]:
    msg_id = msg_id or f"msg_{uuid.uuid4().hex}"
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, body.decode()),
    }


def envelope(data: dict[str, Any] | None = None, *, event_type: str = "mention.created") -> bytes:
    return json.dumps({"type": event_type, "timestamp": "2026-11-24T10:00:00Z", "data": data or MENTION}).encode()


def batch_envelope(items: list[Any]) -> bytes:
    return envelope({"mentions": items}, event_type="mention.batch")
