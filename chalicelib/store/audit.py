"""The audit trail: every change to configuration, people, roles, tokens, displays and incidents,
with who, when, from where, and the record before and after. Kept a year (TTL). A write request
that succeeds and wrote no entry of its own gets one from the HTTP middleware (api/problems.py),
so no write route escapes the trail by forgetting it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import isoformat
from chalicelib.store.models import AuditModel

KEEP = timedelta(days=366)
MAX_MONTHS = 13


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acted and through what: a person (session or personal token), the break-glass token,
    or an action link from a message (the group and the channel it went to)."""

    id: str
    via: str
    source_ip: str = ""
    user_agent: str = ""


@dataclass(slots=True)
class RequestTrail:
    """What one request has put on the trail: its actor once authorised, whether an entry was
    written, and why not when its route is declared unaudited (api/problems.unaudited)."""

    actor: Actor | None = None
    recorded: bool = False
    unaudited: str = ""


_request: ContextVar[RequestTrail | None] = ContextVar("sharedwatch_audit", default=None)


@contextmanager
def request_scope() -> Iterator[RequestTrail]:
    """One request's trail: set when the request is authorised, gone when it ends (a warm Lambda
    or a server thread never carries one request's actor into the next)."""
    trail = RequestTrail()
    token = _request.set(trail)
    try:
        yield trail
    finally:
        _request.reset(token)


def act_as(actor: Actor) -> None:
    trail = _request.get()
    if trail is not None:
        trail.actor = actor


def current_actor() -> Actor | None:
    trail = _request.get()
    return trail.actor if trail is not None else None


def set_aside(why: str) -> None:
    """This request's route leaves no entry, for the reason its declaration gives."""
    trail = _request.get()
    if trail is not None:
        trail.unaudited = why


def record(*, actor: Actor, action: str, target: str, now: datetime, before: Any = None, after: Any = None) -> None:
    AuditModel(
        isoformat(now)[:7],
        f"{isoformat(now)}|{secrets.token_hex(4)}",
        actor=actor.id[:320],
        via=actor.via[:80],
        action=action,
        target=target[:300],
        source_ip=actor.source_ip[:64],
        user_agent=actor.user_agent[:300],
        before=before,
        after=after,
        expires_at=now + KEEP,
    ).save()
    trail = _request.get()
    if trail is not None:
        trail.recorded = True


def _months(since: datetime, until: datetime) -> list[str]:
    """The month partitions from `until` back to `since`, newest first."""
    out: list[str] = []
    year, month = until.year, until.month
    while (year, month) >= (since.year, since.month) and len(out) < MAX_MONTHS:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


def entry(row: AuditModel) -> dict[str, Any]:
    return {
        "at": row.key.split("|", 1)[0],
        "id": row.key,
        "actor": row.actor,
        "via": row.via,
        "action": row.action,
        "target": row.target,
        "source_ip": row.source_ip,
        "user_agent": row.user_agent,
        "before": row.before,
        "after": row.after,
    }


def search(
    *,
    since: datetime,
    until: datetime,
    actor: str = "",
    action: str = "",
    target: str = "",
    limit: int = 100,
    after_key: str = "",
) -> tuple[list[dict[str, Any]], str]:
    """Entries newest first with the filters applied, and the cursor for the next page ("" at the end)."""
    found: list[dict[str, Any]] = []
    low, high = isoformat(since), after_key or isoformat(until) + "~"
    for month in _months(since, until):
        condition = AuditModel.key.between(low, high)
        for row in AuditModel.query(month, range_key_condition=condition, scan_index_forward=False):
            if row.key == after_key:
                continue
            if actor and row.actor != actor:
                continue
            if action and not row.action.startswith(action):
                continue
            if target and row.target != target:
                continue
            found.append(entry(row))
            if len(found) == limit:
                return found, row.key
    return found, ""
