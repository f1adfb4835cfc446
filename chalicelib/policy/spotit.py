"""Spot it: practice rounds of five real items from our own past (approved case cards, people's
corrections of the triage, praise the wall credited), each asking what a watchful employee
would do (nothing, report, report as urgent; and which department), answered with why
afterwards. Pure: the items, the pool, a round's draw, its score, and the aggregate a
department sees (participation and accuracy, never a person). Item texts are posts:
attacker-controlled, redacted of handles and addresses here and escaped where shown."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.policy.cases import redact

ACTIONS = ("nothing", "report", "urgent")
ROUND = 5
POOL_LIMIT = 200
TEXT_LIMIT = 400
URGENT_SEVERITIES = ("high", "critical")


def _id(source: str, text: str) -> str:
    return hashlib.sha256(f"{source}|{text}".encode()).hexdigest()[:12]


def _text(text: str) -> str:
    cleaned = redact(str(text or ""))
    return cleaned if len(cleaned) <= TEXT_LIMIT else cleaned[: TEXT_LIMIT - 1] + "…"


def item_from_card(card: Mapping[str, Any]) -> dict[str, Any] | None:
    """An approved case card: it became an incident, so it was worth reporting; urgent when it
    was high or critical. Why: what the card says about who spotted it and what helped."""
    text = _text(str(card.get("posted") or ""))
    if not text:
        return None
    departments = list(card.get("departments") or [])
    why = " ".join(str(card.get(k) or "") for k in ("spotted", "helped")).strip()
    return {
        "id": _id("case", text),
        "source": "case",
        "text": text,
        "action": "urgent" if card.get("severity") in URGENT_SEVERITIES else "report",
        "department": departments[0] if departments else "",
        "why": _text(f"It became an incident ({card.get('severity') or 'high'}). {why}"),
    }


def item_from_correction(correction: Mapping[str, Any]) -> dict[str, Any] | None:
    """A person corrected the triage of a post: what they decided is the answer. Corrected to
    positive or neutral: nothing to report; to negative: report; to a department: report, there."""
    text = _text(str(correction.get("text") or ""))
    field, after = correction.get("field"), correction.get("after")
    if not text:
        return None
    if field == "sentiment" and after in ("positive", "neutral"):
        action, department = "nothing", ""
        why = f"A colleague read it again: {after}, not a complaint. Nothing to report."
    elif field == "sentiment" and after == "negative":
        action, department = "report", ""
        why = "A colleague read it again: a complaint the tools had missed. Worth a report."
    elif field in ("department", "departments") and after:
        action = "report"
        department = str(after[0] if isinstance(after, list) else after)
        why = f"A colleague put it where it belongs: {department}."
    else:
        return None
    if correction.get("why"):
        why += f" ({correction['why']})"
    return {
        "id": _id("correction", text),
        "source": "correction",
        "text": text,
        "action": action,
        "department": department,
        "why": _text(why),
    }


def item_from_kudos(kudos: Mapping[str, Any]) -> dict[str, Any] | None:
    """Praise the wall credited to a team: good to see, nothing to report."""
    text = _text(str(kudos.get("text") or ""))
    if not text:
        return None
    return {
        "id": _id("kudos", text),
        "source": "kudos",
        "text": text,
        "action": "nothing",
        "department": "",
        "why": _text("Praise: the wall already thanks the team for it. Nothing to report."),
    }


def build_pool(
    *,
    cards: Iterable[Mapping[str, Any]],
    corrections: Iterable[Mapping[str, Any]],
    kudos: Iterable[Mapping[str, Any]],
    departments: Sequence[tuple[str, str]],
) -> dict[str, Any]:
    """Every item, once each (newest sources first), and the departments a round asks about."""
    items: dict[str, dict[str, Any]] = {}
    sources = [
        *(item_from_card(c) for c in cards),
        *(item_from_correction(c) for c in corrections),
        *(item_from_kudos(k) for k in kudos),
    ]
    for item in sources:
        if item is not None and item["id"] not in items:
            items[item["id"]] = item
    return {"items": list(items.values())[:POOL_LIMIT], "departments": [list(d) for d in departments]}


def draw(pool: Mapping[str, Any], *, seed: int, n: int = ROUND) -> list[dict[str, Any]]:
    """A round: n distinct items, the same for the same seed (the form carries it)."""
    items = list(pool.get("items") or [])
    return random.Random(seed).sample(items, min(n, len(items)))  # noqa: S311 (a practice round, not a secret)


def score(
    pool: Mapping[str, Any], item_ids: Sequence[str], answers: Mapping[str, Mapping[str, str]]
) -> list[dict[str, Any]]:
    """Each item of the round with the answer given, the right one and why. An item is right
    when its action is, and, for a report of an item that names a department, the department is
    too. A round names items of the pool, each once, and answers every one (else a 422)."""
    known = {str(i["id"]): i for i in pool.get("items") or []}
    problems = []
    if not 0 < len(item_ids) <= ROUND or len(set(item_ids)) != len(item_ids):
        problems.append(f"items: one to {ROUND} different items of the round")
    unknown = [i for i in item_ids if i not in known]
    if unknown:
        problems.append("items: not items of the practice (reload the page for a new round)")
    for item_id in item_ids:
        action = (answers.get(item_id) or {}).get("action", "")
        if action not in ACTIONS:
            problems.append(f"answer {item_id[:12]}: nothing, report or urgent")
    if problems:
        raise InvalidPayload(
            N_("invalid round: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    out = []
    for item_id in item_ids:
        item, given = known[item_id], answers[item_id]
        department = str(given.get("department") or "")
        action_right = given["action"] == item["action"]
        department_right = item["action"] == "nothing" or not item["department"] or department == item["department"]
        out.append(
            {
                **item,
                "given": given["action"],
                "given_department": department,
                "right": action_right and department_right,
                "action_right": action_right,
                "department_right": department_right,
            }
        )
    return out


def aggregate(counts: Mapping[str, Any], *, staff: int) -> dict[str, Any]:
    """What a department sees: how many of its people played, rounds, and the share of items
    answered right, never who. Participation is None without a staff count."""
    people = int(counts.get("people") or 0)
    items, right = int(counts.get("items") or 0), int(counts.get("correct") or 0)
    return {
        "people": people,
        "rounds": int(counts.get("rounds") or 0),
        "participation": round(min(people, staff) / staff, 3) if staff else None,
        "accuracy": round(right / items, 3) if items else None,
    }
