"""Spot it (docs/training.md): the pool of practice items drawn from our own past, refreshed when a
case card is approved or a lead asks; a round scored and counted as its player's own, and in
their department's aggregate (policy/spotit.py decides; this reads and writes)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib import credentials
from chalicelib.flows.corrections import export as corrections_since
from chalicelib.policy import spotit
from chalicelib.store import cases, wall
from chalicelib.store import spotit as stored
from chalicelib.store.config import load_routing

CORRECTIONS_LOOKED_AT = timedelta(days=365)


def player(email: str) -> str:
    """A person's key in the results: a keyed digest of their address (the results never hold it)."""
    mac = hmac.new(credentials.signing_key(), b"sharedwatch-spotit|" + email.lower().encode(), hashlib.sha256)
    return mac.hexdigest()[:32]


def refresh_pool(*, now: datetime) -> dict[str, Any]:
    """The items from approved case cards, a year's corrections and the praise on the wall."""
    departments = sorted((d.slug, d.name) for d in load_routing().departments.values())
    pool = spotit.build_pool(
        cards=cases.approved(),
        corrections=reversed(corrections_since(since=now - CORRECTIONS_LOOKED_AT, until=now, limit=500)),
        kudos=wall.read_snapshot()[1].get("kudos", []),
        departments=departments,
    )
    stored.save_pool(pool, now=now)
    return pool


def play(
    *,
    email: str,
    department: str,
    pool: Mapping[str, Any],
    item_ids: Sequence[str],
    answers: Mapping[str, Mapping[str, str]],
    now: datetime,
) -> list[dict[str, Any]]:
    """A round's answers scored against the pool it was drawn from, and counted (nothing stored
    says what was answered)."""
    results = spotit.score(pool, item_ids, answers)
    stored.record(
        person=player(email),
        department=department,
        month=f"{now:%Y-%m}",
        items=len(results),
        correct=sum(1 for r in results if r["right"]),
    )
    return results
