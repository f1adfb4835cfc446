"""Where mentions come from, as the team running sharedwatch needs to see it: every source,
configured or not, when it last delivered, how many deliveries it refused lately and why not,
and the pull targets with their cursors and back-off. Refusals are counted per source and hour
(one UpdateItem for a refused delivery; none for an accepted one: when a source last delivered
is when its newest new mention arrived, whatever the post's own date, folded into the wall's
snapshot by the write the router already makes per stream batch)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib import aws, credentials
from chalicelib.flows.polling import load_targets, read_cursor, save_target
from chalicelib.settings import get_settings
from chalicelib.sources import PULL_REGISTRY, REGISTRY
from chalicelib.store import wall
from chalicelib.store.config import delete_config
from chalicelib.store.counters import read_buckets
from chalicelib.store.models import CounterModel

REFUSALS_KEPT = timedelta(days=2)


def _refusal_bucket(slug: str, at: datetime) -> str:
    return f"refused|{slug}|{at.astimezone(UTC):%Y-%m-%dT%H}"


def count_refusal(slug: str, *, reason: str, now: datetime) -> None:
    """A delivery the source's door refused (signature, body, shape): counted by hour, with the
    last reason, for the sources page. Never fails the answer to the sender."""
    if slug not in REGISTRY:
        return  # an unknown source is not a source's refusal
    aws.dynamodb().update_item(
        TableName=CounterModel.Meta.table_name,
        Key={"bucket": {"S": _refusal_bucket(slug, now)}},
        UpdateExpression="ADD n :one SET expires_at = if_not_exists(expires_at, :ttl), last_reason = :why",
        ExpressionAttributeValues={
            ":one": {"N": "1"},
            ":ttl": {"N": str(int((now + REFUSALS_KEPT).timestamp()))},
            ":why": {"S": reason[:200]},
        },
    )


def overview(*, now: datetime) -> dict[str, Any]:
    hours = [now - timedelta(hours=h) for h in range(24)]
    refusals = read_buckets(_refusal_bucket(slug, h) for slug in REGISTRY for h in hours)
    last: dict[str, str] = wall.read_snapshot()[1].get("arrived", {})
    base = get_settings().public_base_url
    sources = []
    for slug, adapter in sorted(REGISTRY.items()):
        refused = [(bucket, counts) for bucket, counts in refusals.items() if bucket.split("|")[1] == slug]
        newest = max(refused, default=None)
        sources.append(
            {
                "slug": slug,
                "way": "pull" if slug in PULL_REGISTRY else "push",
                "configured": bool(credentials.source_secrets(slug)),
                "webhook": "" if slug in PULL_REGISTRY else f"{base}/webhooks/{slug}",
                "last_delivery": last.get(slug),
                "refused_24h": sum(int(c.get("n", 0)) for _, c in refused),
                "last_refusal": _reason(newest[0]) if newest else "",
                "doc": (adapter.__class__.__doc__ or "").strip().splitlines()[0] if adapter.__class__.__doc__ else "",
            }
        )
    targets = []
    for target in load_targets():
        cursor = read_cursor(target)
        targets.append(
            {
                "id": target.id,
                "source": target.source,
                "url": target.url,
                "brand": target.brand,
                "interval_minutes": target.interval_minutes,
                "next_poll_at": cursor.next_poll_at.isoformat() if cursor.next_poll_at.year > 1970 else None,
                "failures": int(cursor.failures or 0),
                "last_status": cursor.last_status,
                "cursor": json.loads(cursor.state or "{}"),
                "polled_at": cursor.updated_at.isoformat() if cursor.updated_at.year > 1970 else None,
            }
        )
    return {"sources": sources, "pull_targets": targets}


def _reason(bucket: str) -> str:
    item = aws.dynamodb().get_item(TableName=CounterModel.Meta.table_name, Key={"bucket": {"S": bucket}})
    return str(item.get("Item", {}).get("last_reason", {}).get("S", ""))


def put_pull_target(key: str, doc: Any) -> dict[str, Any]:
    """A pull target, validated whole (a 400 lists each wrong part); polled from the next minute."""
    target = save_target({**doc, "id": key} if isinstance(doc, dict) else doc)
    return {"id": target.id, "source": target.source, "url": target.url, "interval_minutes": target.interval_minutes}


def delete_pull_target(key: str) -> bool:
    return delete_config("pull", key)
