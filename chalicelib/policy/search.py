"""What the inbox can find, as pure functions: each stored mention carries one compact string of
search terms (its words, and a term per facet: source, platform, sentiment, complaint,
department, severity, kind, language, brand, kudos); a search is the set of terms every result
must hold, and a time range. The store filters on those terms server-side inside day
partitions (store/search.py; docs/architecture.md says why and what it costs)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.bodies import whole_number
from chalicelib.clock import parse_timestamp
from chalicelib.errors import InvalidPayload, InvalidQuery
from chalicelib.i18n import N_
from chalicelib.records import REPORT_STATUSES, URGENCIES

MAX_WORDS = 60  # distinct words kept per mention: enough for any post, bounded for any hostile one
MAX_QUERY_WORDS = 8
MAX_RANGE = timedelta(days=31)
DEFAULT_RANGE = timedelta(days=7)
_WORD = re.compile(r"[^\W_]{2,40}", re.UNICODE)
_VALUE = re.compile(r"^[a-z0-9][a-z0-9_.:-]{0,62}$")
STOPWORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "with",
        "this",
        "that",
        "are",
        "was",
        "were",
        "have",
        "has",
        "had",
        "not",
        "but",
        "our",
        "from",
        "they",
        "their",
        "them",
        "what",
        "when",
        "its",
        "it's",
        "just",
        "been",
        "will",
        "would",
        "can",
        "could",
        "there",
        "here",
        "about",
        "into",
        "out",
        "all",
        "any",
        "some",
        "very",
        "too",
        "also",
        "who",
        "how",
        "why",
        "then",
        "than",
        "she",
        "him",
        "her",
        "his",
        "has",
        "hers",
        "ours",
    ]
)
# The facets a search may name, and the mention field each reads.
FACETS: dict[str, str] = {
    "source": "src",
    "platform": "plat",
    "sentiment": "sent",
    "complaint": "complaint",
    "department": "dept",
    "severity": "sev",
    "kind": "kind",
    "language": "lang",
    "brand": "brand",
    "kudos": "kudos",
    "urgency": "urgency",
    "status": "status",
}
SENTIMENTS = ("positive", "neutral", "negative", "unscored")
SEVERITIES = ("low", "medium", "high", "critical")
KINDS = ("mention", "report")
# The facets whose values are a fixed set: anything else is a 400 that lists the set, at once (a
# value nothing holds once read every day of the range, until the request's time ran out).
ENUMERATED: dict[str, tuple[str, ...]] = {
    "sentiment": SENTIMENTS,
    "severity": SEVERITIES,
    "complaint": ("yes", "no"),
    "kudos": ("yes", "no"),
    "kind": KINDS,
    "urgency": URGENCIES,
    "status": REPORT_STATUSES,
}


def words(text: str) -> list[str]:
    """The words of a text as search sees them: NFKC, case-folded, 2-40 letters or digits."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(unicodedata.normalize("NFKC", text).casefold()):
        if word not in STOPWORDS:
            seen.setdefault(word, None)
    return list(seen)


def _slug(value: object) -> str:
    return re.sub(r"[^a-z0-9_.:-]+", "-", str(value).strip().lower())[:63].strip("-")


def inbox_keys(*, received_at: datetime, item_id: str) -> tuple[str, str]:
    """(day partition, sort key) of an item in the inbox index."""
    iso = received_at.isoformat(timespec="microseconds")
    return iso[:10], f"{iso}|{item_id}"


def owner_term(email: str) -> str:
    """How a person's own reports are found without their address in the index. ("own:", not
    the "by:" that once marked any typed address: reports stored then are nobody's own.)"""
    return "own:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]


def _joined(terms: list[str]) -> str:
    # Spaces around every term, so `contains` matches whole terms only.
    return " " + " ".join(dict.fromkeys(terms)) + " "


def report_terms(fields: dict[str, Any], *, owner: str, status: str) -> str:
    terms = _signal_terms({**fields, "sentiment": "unscored", "kind": "report"})
    terms += [f"urgency:{_slug(fields.get('urgency', 'normal'))}", f"status:{_slug(status)}"]
    if owner:
        terms.append(owner_term(owner))
    return _joined(terms)


def mention_terms(fields: dict[str, Any]) -> str:
    """The search string stored with a mention: " w:refund w:lost src:x sent:negative … "."""
    return _joined(_signal_terms(fields))


def _signal_terms(fields: dict[str, Any]) -> list[str]:
    terms = [f"w:{w}" for w in words(str(fields.get("text", "")))[:MAX_WORDS]]
    handle = _slug(fields.get("author", ""))
    if handle:
        terms.append(f"w:{handle}")
    facets = {
        "src": fields.get("source"),
        "plat": fields.get("platform"),
        "sent": fields.get("sentiment") or "unscored",
        "complaint": "yes" if fields.get("complaint") else "no",
        "sev": fields.get("severity") or "low",
        "kind": fields.get("kind", "mention"),
        "lang": fields.get("lang"),
        "brand": fields.get("brand"),
        "kudos": "yes" if fields.get("kudos") else "no",
    }
    terms += [f"{name}:{_slug(value)}" for name, value in facets.items() if value]
    terms += [f"dept:{_slug(d)}" for d in fields.get("departments", ())]
    return terms


@dataclass(frozen=True, slots=True)
class Search:
    since: datetime
    until: datetime
    terms: tuple[str, ...]  # every one must be present
    limit: int = 50

    def matches(self, stored_terms: str) -> bool:
        return all(f" {t} " in stored_terms for t in self.terms)


def _facet_problem(name: str, value: str, allowed: Sequence[str]) -> str | None:
    if allowed and value not in allowed:
        return f"{name}: one of {', '.join(allowed)}"
    if not _VALUE.match(value):
        return f"{name}: a slug (letters, digits, dashes)"
    return None


def _window(params: dict[str, str], *, now: datetime, problems: list[str]) -> tuple[datetime, datetime]:
    """`since` and `until`: the last 7 days by default, a week before `until` when only it is given."""
    until, since = now, now - DEFAULT_RANGE
    try:
        if params.get("until"):
            until = parse_timestamp(params["until"])
        if params.get("since"):
            since = parse_timestamp(params["since"])
        elif params.get("until"):
            since = until - DEFAULT_RANGE
    except (ValueError, InvalidPayload):
        problems.append("since/until: ISO 8601 times, e.g. 2026-11-30T09:00:00Z")
    if since > until:
        problems.append("since: before until")
    elif until - since > MAX_RANGE:
        problems.append(f"since/until: at most {MAX_RANGE.days} days apart (page with the cursor for more)")
    return since, until


def parse_search(params: dict[str, str], *, now: datetime, sources: Sequence[str] = ()) -> Search:
    """A search from query parameters: `q` (words), `since`/`until` (ISO times; default the
    last 7 days, at most 31), each facet by name (the enumerated ones, and `source` when the
    caller names the `sources`, one of their values), `limit` (1-100). A 400 lists every wrong part."""
    problems: list[str] = []
    terms: list[str] = []
    query_words = words(params.get("q", ""))
    if len(query_words) > MAX_QUERY_WORDS:
        problems.append(f"q: at most {MAX_QUERY_WORDS} words")
    terms += [f"w:{w}" for w in query_words[:MAX_QUERY_WORDS]]
    for name, short in FACETS.items():
        value = params.get(name, "").strip().lower()
        allowed = tuple(sources) if name == "source" else ENUMERATED.get(name, ())
        problem = _facet_problem(name, value, allowed) if value else None
        if problem:
            problems.append(problem)
        elif value:
            terms.append(f"{short}:{value}")
    since, until = _window(params, now=now, problems=problems)
    limit = whole_number(params.get("limit", "50"), digits=3) or 0
    if not 1 <= limit <= 100:
        problems.append("limit: 1 to 100")
    if problems:
        raise InvalidQuery(
            N_("invalid search: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    return Search(since=since, until=min(until, now), terms=tuple(dict.fromkeys(terms)), limit=limit)
