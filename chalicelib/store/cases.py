"""Case cards as configuration rows (kind "case", keyed by incident): every card is one Query
away, so /learn and a department page read them in one request. A change is conditional on the
card as it was read (two leads editing at once: the second is told to reload)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.errors import Conflict
from chalicelib.i18n import N_
from chalicelib.store.models import ConfigModel

KIND = "case"
ID_LENGTH = 64


def load(incident_id: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(ConfigModel.get(KIND, incident_id[:ID_LENGTH]).body))
    except ConfigModel.DoesNotExist:
        return None


def save(card: dict[str, Any], *, previous: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """Write the card as the next rev, only if the stored card is still `previous` (None: none
    was stored); else 409, and the caller's edit is not half-applied."""
    stored = {**card, "rev": int((previous or {}).get("rev") or 0) + 1}
    row = ConfigModel(kind=KIND, key=str(card["incident_id"])[:ID_LENGTH], body=json.dumps(stored), updated_at=now)
    condition = ConfigModel.key.does_not_exist() if previous is None else ConfigModel.body == json.dumps(previous)
    try:
        row.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        raise Conflict(N_("the case card changed since you opened it: reload it and make your edit again")) from None
    return stored


def list_all() -> list[dict[str, Any]]:
    """Every card, drafts too (one Query; a card is a few kilobytes, a year's are one page)."""
    return [dict(json.loads(r.body)) for r in ConfigModel.query(KIND)]


def approved() -> list[dict[str, Any]]:
    """The approved cards, newest approval first: one Query."""
    cards = [c for c in list_all() if c.get("status") == "approved"]
    return sorted(cards, key=lambda c: str(c.get("approved_at", "")), reverse=True)
