"""Onboarding: the company's social media policy (versioned, edited by admins), acknowledged by
each person, and reminded until they have. Pure: a new version checked, who still owes the
current version an acknowledgement, and the period a reminder belongs to (one a period, by its
delivery id, however often the schedule runs)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_

TITLE_LIMIT = 120
TEXT_LIMIT = 20_000
REMINDER_DAYS = 7  # a reminder a week until acknowledged


def new_version(doc: Any, *, current: Mapping[str, Any] | None, by: str, now: datetime) -> dict[str, Any]:
    """The next version from an admin's `{"title", "text", "version"}` (`version`: the one they
    edited, so two admins never overwrite each other unseen). A 422 lists each wrong part."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("the body is a JSON object: title, text and the version you edited"))
    problems = []
    title = " ".join(str(doc.get("title") or "").split()) if isinstance(doc.get("title"), str) else None
    if not title or len(title) > TITLE_LIMIT:
        problems.append(f"title: the policy's title, 1 to {TITLE_LIMIT} characters")
    text = doc.get("text")
    if not isinstance(text, str) or not text.strip() or len(text) > TEXT_LIMIT:
        problems.append(f"text: the policy itself, 1 to {TEXT_LIMIT} characters")
    have = int((current or {}).get("version") or 0)
    edited = doc.get("version", have)
    if not isinstance(edited, int) or isinstance(edited, bool) or edited < 0:
        problems.append("version: the version you edited, a whole number (0 for the first)")
    if problems:
        raise InvalidPayload(
            N_("invalid policy: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    return {
        "version": have + 1,
        "edited": edited,
        "title": title,
        "text": str(text).strip().replace("\r\n", "\n"),
        "by": by[:200],
        "at": now.isoformat(),
    }


def owing(
    people: Iterable[Mapping[str, Any]], acks: Mapping[str, Mapping[str, Any]], *, version: int
) -> list[dict[str, Any]]:
    """The active people who have not acknowledged this version (or any later one)."""
    out = []
    for person in people:
        email = str(person.get("email") or "").lower()
        if not email or person.get("disabled") or person.get("active") is False:
            continue
        if int((acks.get(email) or {}).get("version") or 0) < version:
            out.append(dict(person))
    return out


def period(now: datetime, *, days: int = REMINDER_DAYS) -> int:
    """Which reminder period `now` falls in (days since the epoch, in periods)."""
    return int(now.timestamp() // (days * 86400))


def reminder_id(email_digest: str, *, version: int, now: datetime) -> str:
    """One reminder per person, version and period: the delivery log sends it once."""
    return f"policy-reminder|{email_digest[:24]}|v{version}|p{period(now)}"
