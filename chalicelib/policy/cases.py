"""Case cards: what we learnt from one of our own incidents, drafted from its review, edited and
approved by a lead, then shown on /learn, department pages and calm walls. Pure: drafting,
redaction (private people's handles, addresses and names are removed by default) and checking
a lead's edit. The texts come from posts and reports: attacker-controlled, escaped where shown."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_

# What a lead may edit, and how long each may be (a card is read on a phone and a wall).
FIELDS: dict[str, int] = {
    "title": 120,
    "posted": 600,
    "spread": 400,
    "spotted": 400,
    "did": 600,
    "helped": 600,
}
STATUSES = ("draft", "approved")
WALL_CARDS = 8  # the newest approved cards the wall snapshot keeps for its calm rotation

_EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
_HANDLE = re.compile(r"(?<![\w@/])@\w{1,30}")
_LINK = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
HANDLE_MARK = "@…"
NAME_MARK = "[name]"
ADDRESS_MARK = "[address]"
LINK_MARK = "[link]"


def names_of(people: Iterable[Mapping[str, Any]]) -> list[str]:
    """The names to remove for these people (reporters): their full names, each part of three
    letters or more, and the local part of their address read as a name ("priya.shah")."""
    out: set[str] = set()
    for who in people:
        name = " ".join(str(who.get("name") or "").split())
        local = str(who.get("email") or "").partition("@")[0]
        for whole in (name, " ".join(re.split(r"[._-]+", local)) if local else ""):
            if not whole:
                continue
            out.add(whole)
            out.update(part for part in whole.split() if len(part) >= 3)
    return sorted(out, key=len, reverse=True)


def redact(text: str, *, names: Sequence[str] = ()) -> str:
    """The text with addresses, links, @handles and the given names removed (case-insensitive,
    whole words, longest first so "Priya Shah" goes before "Priya")."""
    out = _EMAIL.sub(ADDRESS_MARK, text)
    out = _LINK.sub(LINK_MARK, out)
    out = _HANDLE.sub(HANDLE_MARK, out)
    for name in sorted({n.strip() for n in names if len(n.strip()) >= 2}, key=len, reverse=True):
        out = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", NAME_MARK, out, flags=re.IGNORECASE)
    return _SPACE.sub(" ", out).strip()


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _minutes(value: Any) -> float | None:
    return round(float(value), 1) if isinstance(value, int | float) else None


def draft(review: Mapping[str, Any], *, reporters: Sequence[Mapping[str, Any]], now: datetime) -> dict[str, Any]:
    """A card drafted from an incident's review (flows/reviews.review) and the story's reports
    (`received_at`, `channel`, `department`, `position`, `lead_minutes`, `text`, `email`,
    `name`): every text redacted, every number kept. Nothing here names a private person."""
    incident, story, minutes = review["incident"], review.get("story") or {}, review.get("minutes") or {}
    names = names_of(reporters)

    def clean(text: str, limit: int) -> str:
        return _cut(redact(str(text or ""), names=names), limit)

    chart = [
        {k: int(p.get(k) or 0) for k in ("joined", "negative", "reports")} | {"at": str(p.get("at", ""))[:16]}
        for p in story.get("chart", [])
    ]
    # Trim the quiet ten-minute buckets before the story began: the card shows its life.
    while chart and not chart[0]["joined"]:
        chart.pop(0)
    first = next((r for r in sorted(reporters, key=lambda r: str(r.get("received_at", "")))), None)
    lead = _minutes(first.get("lead_minutes")) if first else None
    copies, negative, reach = (int(story.get(k) or 0) for k in ("copies", "negative", "reach"))
    peak = max((p["joined"] for p in chart), default=0)
    if first is None:
        spotted = "The listening tools had it first; nobody reported it."
    else:
        where = f" in {first['department']}" if first.get("department") else ""
        how = str(first.get("channel") or "form")
        spotted = (
            f"An employee{where} reported it first, {lead:g} min before the listening tools ({how})."
            if lead is not None and lead > 0
            else f"An employee{where} reported it ({how}) after the listening tools had it."
        )
    did_parts = []
    for key, words in (
        ("to_acknowledge", "acknowledged in"),
        ("to_approve", "a statement approved in"),
        ("to_publish", "the staff brief published in"),
        ("to_resolve", "resolved in"),
    ):
        value = _minutes(minutes.get(key))
        if value is not None:
            did_parts.append(f"{words} {value:g} min")
    published = review.get("statements") or []
    did = ("; ".join(did_parts) + ".") if did_parts else "No response was recorded."
    if published:
        did += " Statement: " + str(published[-1].get("text", ""))
    helped_parts = []
    if lead is not None and lead > 0:
        helped_parts.append(f"An employee's report put us {lead:g} min ahead of the tools.")
    done_actions = [a for a in review.get("actions") or [] if a.get("status") == "done"]
    helped_parts += [str(a.get("text", "")) for a in done_actions[:3]]
    return {
        "incident_id": str(incident["id"]),
        "status": "draft",
        "rev": 0,
        "title": clean(incident.get("title") or story.get("title") or "", FIELDS["title"]),
        "posted": clean(story.get("title") or incident.get("title") or "", FIELDS["posted"]),
        "spread": _cut(
            f"{copies} {'post' if copies == 1 else 'posts'} joined ({negative} negative), reaching about {reach} "
            f"followers; at most {peak} in ten minutes.",
            FIELDS["spread"],
        ),
        "spotted": clean(spotted, FIELDS["spotted"]),
        "did": clean(did, FIELDS["did"]),
        "helped": clean(" ".join(helped_parts), FIELDS["helped"]),
        "numbers": {
            "posts": copies,
            "negative": negative,
            "reach": reach,
            "peak_per_10min": peak,
            "reports": len(reporters),
            "lead_minutes": lead,
            "minutes_to_resolve": _minutes(minutes.get("to_resolve")),
        },
        "chart": chart[-48:],
        "severity": str(incident.get("severity", "")),
        "departments": sorted({str(d) for d in story.get("departments", []) if d}),
        "opened_at": str(incident.get("opened_at", "")),
        "resolved_at": str(incident.get("resolved_at") or ""),
        "drafted_at": now.isoformat(),
        "redacted": True,
    }


def edit(card: Mapping[str, Any], changes: Mapping[str, Any], *, names: Sequence[str] = ()) -> dict[str, Any]:
    """A lead's edit of a card's words: each field a string within its length; what they write
    is redacted too unless they say `"redact": false` (a person who agreed to be named). A 400
    lists every wrong part; the numbers and the chart are the review's and never edited."""
    problems = []
    unknown = sorted(set(changes) - set(FIELDS) - {"redact", "approve", "rev"})
    if unknown:
        named = ", ".join(k[:30] for k in unknown[:5])
        problems.append(f"{named}: not a card field ({', '.join(FIELDS)}, approve, redact, rev)")
    keep_names = changes.get("redact", True) is False
    if "redact" in changes and not isinstance(changes["redact"], bool):
        problems.append("redact: true (the default) or false")
    out = dict(card)
    for key, limit in FIELDS.items():
        if key not in changes:
            continue
        value = changes[key]
        if not isinstance(value, str):
            problems.append(f"{key}: text, at most {limit} characters")
            continue
        value = " ".join(value.split())
        if len(value) > limit:
            problems.append(f"{key}: at most {limit} characters (got {len(value)})")
            continue
        if key == "title" and not value:
            problems.append("title: the card's title, 1 to 120 characters")
            continue
        out[key] = value if keep_names else redact(value, names=names)
    if problems:
        raise InvalidPayload(
            N_("invalid case card: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    out["redacted"] = not keep_names and bool(card.get("redacted", True))
    return out


def approve(card: Mapping[str, Any], *, by: str, now: datetime) -> dict[str, Any]:
    if not str(card.get("title") or "").strip():
        raise InvalidPayload(N_("a card needs a title before it is approved"), extra={"errors": ["title: required"]})
    return {**card, "status": "approved", "approved_by": by[:200], "approved_at": now.isoformat()}


def wall_entry(card: Mapping[str, Any]) -> dict[str, Any]:
    """What a calm wall rotates: the words and the headline numbers, no chart."""
    keys = ("incident_id", "title", "posted", "spotted", "did", "helped", "departments", "approved_at")
    return {k: card.get(k) for k in keys} | {"numbers": dict(card.get("numbers") or {})}


def wall_cards(cards: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The newest approved cards, as the wall snapshot keeps them."""
    approved = [c for c in cards if c.get("status") == "approved"]
    approved.sort(key=lambda c: str(c.get("approved_at", "")), reverse=True)
    return [wall_entry(c) for c in approved[:WALL_CARDS]]


def for_department(cards: Iterable[Mapping[str, Any]], department: str) -> list[Mapping[str, Any]]:
    return [c for c in cards if not department or department in (c.get("departments") or [])]


def peak(card: Mapping[str, Any]) -> int:
    return max([int(p.get("joined") or 0) for p in card.get("chart") or []] + [1])
