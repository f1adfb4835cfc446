"""The pull sources' schedule: which targets are due, poll them, store what is new, move the
cursor. Politeness lives here: each target's interval, the server's Retry-After, and an
exponential backoff after failures (capped at six hours)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.exceptions import DoesNotExist

from chalicelib import credentials, http
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, StoreUnavailable
from chalicelib.flows.ingest import ingest
from chalicelib.i18n import N_
from chalicelib.observability import logger
from chalicelib.sources import PULL_REGISTRY
from chalicelib.sources.base import PullSource, PullTarget
from chalicelib.store.models import ConfigModel, CursorModel

MAX_BACKOFF = timedelta(hours=6)
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class PollOutcome:
    target: str
    status: str
    stored: int = 0
    skipped: bool = False


def parse_target(doc: Any) -> PullTarget:
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a pull target is a JSON object"))
    problems = []
    if not _ID.match(str(doc.get("id", ""))):
        problems.append("id: lowercase letters, digits and dashes")
    source = doc.get("source")
    if not isinstance(source, str) or source not in PULL_REGISTRY:  # a list or an object is not a name
        problems.append(f"source: one of {', '.join(sorted(PULL_REGISTRY))}")
    interval = doc.get("interval_minutes", 15)
    if isinstance(interval, bool) or not isinstance(interval, int) or not 1 <= interval <= 1440:
        problems.append("interval_minutes: 1 to 1440")
    url = doc.get("url", "")
    if not isinstance(url, str) or len(url) > 2048 or (url and not url.lower().startswith(("http://", "https://"))):
        problems.append("url: an http(s) URL of at most 2048 characters")
        url = ""
    if source == "rss" and not url:
        problems.append("url: required for a feed")
    options = doc.get("options") or {}
    if not isinstance(options, dict) or len(options) > 20:
        problems.append("options: an object of at most 20 names and values")
        options = {}
    brand = doc.get("brand", "")
    if not isinstance(brand, str) or len(brand) > 128:
        problems.append("brand: a brand name of at most 128 characters")
    if problems:
        raise InvalidPayload(
            N_("invalid pull target: %(problems)s"),
            values={"problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    return PullTarget(
        id=str(doc["id"]),
        source=str(doc["source"]),
        url=url,
        interval_minutes=int(interval),
        brand=str(brand),
        options={str(k)[:64]: str(v)[:500] for k, v in options.items()},
    )


def save_target(doc: dict[str, Any]) -> PullTarget:
    """Validate, then store the target as parsed (capped), never the document as sent. A URL the
    fetcher would refuse (an internal address, by name or once resolved) is refused here too, so
    the person typing it hears why at once; the fetcher checks again at every poll."""
    target = parse_target(doc)
    refused = http.refusal(target.url) if target.url else ""
    if refused:
        problem = f"url: {refused}"
        raise InvalidPayload(
            N_("invalid pull target: %(problem)s"), values={"problem": problem}, extra={"errors": [problem]}
        )
    stored = {
        "id": target.id,
        "source": target.source,
        "url": target.url,
        "interval_minutes": target.interval_minutes,
        "brand": target.brand,
        "options": dict(target.options),
    }
    ConfigModel(kind="pull", key=target.id, body=json.dumps(stored, sort_keys=True), updated_at=utcnow()).save()
    return target


def load_targets() -> list[PullTarget]:
    return [parse_target(json.loads(row.body)) for row in ConfigModel.query("pull")]


def read_cursor(target: PullTarget) -> CursorModel:
    """Where a target's polling stands (a fresh cursor, due at once, when it never ran)."""
    try:
        return CursorModel.get(f"{target.source}|{target.id}", consistent_read=True)
    except DoesNotExist:
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        return CursorModel(cursor_id=f"{target.source}|{target.id}", next_poll_at=epoch, updated_at=epoch)


def next_poll(target: PullTarget, *, now: datetime, failures: int, retry_after_seconds: float | None) -> datetime:
    if retry_after_seconds is not None:
        return now + timedelta(seconds=max(retry_after_seconds, 1.0))
    interval = timedelta(minutes=target.interval_minutes)
    if failures:
        backoff: timedelta = min(interval * (2 ** min(failures, 10)), MAX_BACKOFF)
        return now + backoff
    return now + interval


def poll_target(target: PullTarget, source: PullSource, *, now: datetime, force: bool = False) -> PollOutcome:
    cursor = read_cursor(target)
    if not force and cursor.next_poll_at > now:
        return PollOutcome(target.id, cursor.last_status, skipped=True)
    state: Mapping[str, Any] = json.loads(cursor.state or "{}")
    result = source.poll(target, state=state, secrets=credentials.source_secrets(target.source), received_at=now)
    stored = 0
    new_state = result.state
    failed = result.failed
    status = result.status
    if result.mentions:
        try:
            stored = ingest(result.mentions, source=target.source, way="pull").stored
        except StoreUnavailable as exc:
            new_state, failed, status = dict(state), True, f"error: {exc.detail}"  # poll the same again
    failures = int(cursor.failures) + 1 if failed else 0
    cursor.failures = failures
    cursor.state = json.dumps(new_state, sort_keys=True)
    cursor.last_status = status[:300]
    cursor.next_poll_at = next_poll(target, now=now, failures=failures, retry_after_seconds=result.retry_after_seconds)
    cursor.updated_at = now
    cursor.save()
    return PollOutcome(target.id, status, stored=stored)


def poll_due(*, now: datetime | None = None) -> list[PollOutcome]:
    moment = now or utcnow()
    outcomes = []
    for target in load_targets():
        outcome = poll_target(target, PULL_REGISTRY[target.source], now=moment)
        if not outcome.skipped:
            logger.info("polled", extra={"target": target.id, "status": outcome.status, "stored": outcome.stored})
        outcomes.append(outcome)
    return outcomes
