"""Case cards from our own incidents: offered by a resolved incident's review (drafted, nothing
stored until a lead saves it), edited and approved by a lead, then on /learn, the department
pages and the calm wall (policy/cases.py decides; this reads and writes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib.clock import isoformat
from chalicelib.errors import Conflict, InvalidPayload
from chalicelib.flows.spotit import refresh_pool
from chalicelib.i18n import N_
from chalicelib.policy import cases
from chalicelib.store import cases as stored
from chalicelib.store import identity, wall
from chalicelib.store.models import ReportModel

MAX_REPORTERS = 50


def reporters(cluster_id: str) -> list[dict[str, Any]]:
    """The story's reports with their reporters' addresses and directory names (what redaction
    removes) and departments (what the card may say)."""
    if not cluster_id:
        return []
    rows = sorted(ReportModel.cluster_index.query(cluster_id[:64], limit=MAX_REPORTERS), key=lambda r: r.received_at)
    people: dict[str, dict[str, Any]] = {}
    for email in {r.reporter_email.lower() for r in rows if r.reporter_email}:
        people[email] = identity.get_person(email) or {}
    return [
        {
            "received_at": isoformat(r.received_at),
            "channel": r.channel,
            "department": r.department or "",
            "position": int(r.position or 0),
            "lead_minutes": float(r.lead_minutes) if r.lead_minutes is not None else None,
            "email": r.reporter_email,
            "name": str(people.get(r.reporter_email.lower(), {}).get("name") or ""),
        }
        for r in rows
    ]


def current(review: Mapping[str, Any], *, cluster_id: str, now: datetime) -> dict[str, Any]:
    """The incident's card: as stored, else drafted from its review (once it is resolved)."""
    incident_id = str(review["incident"]["id"])
    card = stored.load(incident_id)
    if card is not None:
        return card
    if review["incident"].get("status") != "resolved":
        raise Conflict(N_("a case card is offered once the incident is resolved"))
    if review.get("drill"):
        raise Conflict(N_("a drill's incident is practice: it makes no case card"))
    return cases.draft(review, reporters=reporters(cluster_id), now=now)


def change(
    review: Mapping[str, Any],
    changes: Mapping[str, Any],
    *,
    cluster_id: str,
    by: str,
    now: datetime,
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """A lead's edit (and approval, with `"approve": true`): the card before (None when only
    drafted) and after. `rev`, when given, must be the card's as they saw it (a stale form is a
    409). An approved card's change reaches the wall's rotation."""
    before = stored.load(str(review["incident"]["id"]))
    card = before if before is not None else current(review, cluster_id=cluster_id, now=now)
    seen = changes.get("rev")
    if seen is not None and seen != card.get("rev", 0):
        raise Conflict(N_("the case card changed since you opened it: reload it and make your edit again"))
    names = cases.names_of(reporters(cluster_id))
    after = cases.edit(card, {k: v for k, v in changes.items() if k not in ("approve", "rev")}, names=names)
    approve = changes.get("approve")
    if approve is not None and not isinstance(approve, bool):
        raise InvalidPayload(N_("approve: true to approve the card"), extra={"errors": ["approve: true or false"]})
    if approve:
        after = cases.approve(after, by=by, now=now)
    elif approve is False and after.get("status") == "approved":
        after = {**after, "status": "draft", "approved_by": None, "approved_at": None}
    saved = stored.save(after, previous=before, now=now)
    if "approved" in (saved.get("status"), (before or {}).get("status")):
        wall.set_cases(cases.wall_cards(stored.list_all()))
        refresh_pool(now=now)  # an approved card is a spot-it item
    return before, saved
