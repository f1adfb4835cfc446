"""Watchfulness drills, decided purely: an exercise post shown where a department's staff look
(its page and its wall), marked DRILL and announced as a practice, with a link to the report
form that carries the drill's signed mark; staff who report it through the normal form are
counted per department as a report rate (reporters / staff in the directory) and minutes to the
first report. Everything of it is a drill's: never a real report, count, digest or note.

The post's text is attacker-controlled (a lead writes it, or it comes from a template): kept as
plain text, shortened, never markup; the pages escape it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chalicelib.policy.drills import RUNNING

KIND = "watch"  # a drill record's `kind` for a watchfulness exercise (a storm drill has none)
DRILL = "DRILL"
TEXT_LIMIT = 500
MAX_DEPARTMENTS = 20
TEMPLATE = (
    "Ugh, flew with you yesterday and the crew were rude to a passenger in a wheelchair. "
    "Filming it next time. #neveragain"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Reported:
    """One report a drill's link brought in: its department, who sent it (the address, or the
    report's own id when anonymous: one person each) and when."""

    department: str
    reporter: str
    at: datetime


def post_text(text: str) -> tuple[str, list[str]]:
    """The exercise post's text (the template when empty), as plain text; problems when unusable."""
    cleaned = _CONTROL.sub("", text or "").strip() or TEMPLATE
    if len(cleaned) > TEXT_LIMIT:
        return "", [f"text: at most {TEXT_LIMIT} characters ({len(cleaned)} now)"]
    return cleaned, []


def departments_of(wanted: Iterable[Any], known: Iterable[str]) -> tuple[list[str], list[str]]:
    """The departments an exercise is for (slugs, deduplicated, in order); problems when none
    is named, too many are, or one is not a department."""
    names = list(known)
    chosen: list[str] = []
    problems: list[str] = []
    for value in wanted:
        slug = str(value).strip()[:63] if isinstance(value, str) else ""
        if slug not in names:
            problems.append(f"departments: no department {slug[:40]!r}")
        elif slug not in chosen:
            chosen.append(slug)
    if not chosen and not problems:
        problems.append("departments: name at least one department")
    if len(chosen) > MAX_DEPARTMENTS:
        problems.append(f"departments: at most {MAX_DEPARTMENTS} in one exercise")
    return chosen, problems


def report_link(*, mark: str, department: str, text: str) -> str:
    """The exercise post's link to the normal report form, pre-filled: the post's text, the
    department and the drill's signed mark (which ties the report to the exercise)."""
    return "/report?" + urlencode({"text": text, "department": department, "drill": mark})


def belongs(report_drill: str, exercise_id: str) -> bool:
    """A report is the exercise's when it carries the exercise's (verified) drill id."""
    return bool(report_drill) and report_drill == exercise_id


def labelled(text: str) -> str:
    """The post as staff see it: DRILL first, announced as a practice."""
    return f"{DRILL} · practice: {text}"


def department_of(report_department: str, departments: Mapping[str, str]) -> str:
    """Which exercise department a report counts for (its department by slug or by name,
    ignoring case); "" when it names none of them."""
    wanted = report_department.strip().lower()
    for slug, name in departments.items():
        if wanted in (slug.lower(), name.strip().lower()):
            return slug
    return ""


def unrouted(states: Mapping[str, tuple[str, str]]) -> frozenset[str]:
    """The drills among those read (id -> (status, kind)) whose signals are stored but not
    routed: one that is no longer running (or has no record), and every watchfulness exercise:
    its reports are counted for the exercise, and a department's fifty reports of the practice
    post would otherwise page the team fifty times."""
    return frozenset(d for d, (status, kind) in states.items() if status != RUNNING or kind == KIND)


def measure(
    *,
    started_at: datetime,
    reports: Sequence[Reported],
    staff: Mapping[str, int],
) -> dict[str, dict[str, Any]]:
    """Per department of the exercise (the keys of `staff`): how many people reported, out of
    how many staff, the rate (None without staff), and minutes from the start to the first
    report (None before one)."""
    measured: dict[str, dict[str, Any]] = {}
    for department, count in staff.items():
        mine = [r for r in reports if r.department == department and r.at >= started_at]
        reporters = len({r.reporter for r in mine})
        first = min((r.at for r in mine), default=None)
        measured[department] = {
            "reporters": reporters,
            "staff": count,
            "rate": round(reporters / count, 3) if count > 0 else None,
            "minutes_to_first_report": round((first - started_at).total_seconds() / 60, 1) if first else None,
        }
    return measured
