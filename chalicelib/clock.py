"""Timezone-aware UTC time, in one place so tests can reason about it."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_


def utcnow() -> datetime:
    return datetime.now(UTC)


EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # before the web had posts to mention anyone
LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def parse_timestamp(value: str) -> datetime:
    """ISO 8601 to an aware UTC datetime; a value without an offset is taken as UTC. ValueError
    for anything else, including times outside 1990-2200 (year 1 with an offset overflows)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return in_range(parsed.astimezone(UTC))
    except OverflowError:
        raise ValueError(f"{value[:40]!r} is out of range") from None


def in_range(moment: datetime) -> datetime:
    if not EARLIEST <= moment < LATEST:
        raise ValueError(f"{moment:%Y-%m-%d} is not between {EARLIEST:%Y} and {LATEST:%Y}")
    return moment


def from_epoch(seconds: float) -> datetime:
    """Unix seconds to an aware UTC datetime; ValueError when out of range (1e20, negative)."""
    try:
        return in_range(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError):
        raise ValueError(f"{seconds!r} seconds is out of range") from None


def parse_span(doc: dict[str, object], *, required: tuple[str, ...], what: str) -> tuple[datetime, datetime]:
    """A config document's start and end (ISO 8601, end after start), or the error that says
    which fields are missing or wrong (a planned event, a maintenance window)."""
    problems = [f"{n}: required" for n in required if not isinstance(doc.get(n), str) or not str(doc[n]).strip()]
    if problems:
        raise InvalidPayload(f"invalid {what}: " + "; ".join(problems), extra={"errors": problems})
    try:
        start, end = parse_timestamp(str(doc["start"])), parse_timestamp(str(doc["end"]))
    except ValueError:
        raise InvalidPayload(N_("start and end: ISO 8601 timestamps")) from None
    if end <= start:
        raise InvalidPayload(N_("end: after start"))
    return start, end


def isoformat(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
