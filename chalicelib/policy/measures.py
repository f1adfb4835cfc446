"""How watchful the staff are, per department and month (issue 35's measures, docs/training.md):
the report rate per 100 staff, the median minutes from a story's first post to its first
employee report, and how many stories an employee spotted before the listening tools. Drill
reports never count. Pure: the reports, stories and staff counts are read in flows/measures.py."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.policy.recognition import good_catch


def first_post_at(*, first_seen: datetime, first_mention_at: datetime | None) -> datetime:
    """When a story's first post was up, as far as we know: the earliest post a listening tool
    dated, or, when an employee reported it before any tool had it, when the story began."""
    return min(first_seen, first_mention_at) if first_mention_at is not None else first_seen


def minutes_between(first_post: datetime, first_report: datetime) -> float:
    """Minutes from the first post to the first employee report (never below 0: a report
    cannot come before the post it is about; a clock that says so is read as at once)."""
    return max(0.0, round((first_report - first_post).total_seconds() / 60, 1))


def per_100(count: int, staff: int) -> float | None:
    """A count per 100 staff; None for a department with nobody in the directory (no rate)."""
    return round(count * 100 / staff, 1) if staff > 0 else None


def real(report: Mapping[str, Any]) -> bool:
    """A report that counts: a drill's (a storm's or a watchfulness exercise's) never does."""
    return not report.get("drill")


def department_month(
    reports: Iterable[Mapping[str, Any]],
    *,
    department: str,
    staff: int,
    first_posts: Mapping[str, datetime],
) -> dict[str, Any]:
    """One department's month from its reports (each as stored: department, drill, position,
    cluster_id, received_at, lead_minutes), its active staff and the first post of each story
    (cluster id -> when) its first reports joined. A story counts for the department whose
    person was the first employee to report it."""
    mine = [r for r in reports if r.get("department") == department and real(r)]
    firsts = [r for r in mine if int(r.get("position") or 0) == 1 and str(r.get("cluster_id") or "") in first_posts]
    minutes = [minutes_between(first_posts[str(r["cluster_id"])], r["received_at"]) for r in firsts]
    return {
        "department": department,
        "staff": staff,
        "reports": len(mine),
        "reports_per_100_staff": per_100(len(mine), staff),
        "first_reports": len(firsts),
        "median_minutes_to_first_report": round(statistics.median(minutes), 1) if minutes else None,
        "spotted_before_tools": len([r for r in mine if good_catch(r)]),
    }


def month_lines(measures: Mapping[str, Any]) -> list[str]:
    """The measures as the monthly note's lines (English, like the note)."""
    lines = []
    rate = measures["reports_per_100_staff"]
    if rate is not None:
        lines.append(f"Report rate: {rate:g} reports per 100 staff ({measures['staff']} people in the directory).")
    if measures["median_minutes_to_first_report"] is not None:
        lines.append(
            f"From a story's first post to its first report by one of you: typically "
            f"{measures['median_minutes_to_first_report']:g} minutes ({measures['first_reports']} stories)."
        )
    lines.append(f"Spotted before the listening tools: {measures['spotted_before_tools']}.")
    return lines


def month_span(label: str, *, now: datetime) -> tuple[datetime, datetime]:
    """The month a label names ("2026-11", or "" for this month), as [start, end) in UTC. A
    label that is not a month, or a month not begun yet, is a ValueError that says so."""
    this = now.astimezone(UTC).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    start = this
    if label:
        try:
            if len(label) != 7:
                raise ValueError(label)
            start = datetime.strptime(label, "%Y-%m").replace(tzinfo=UTC)
        except ValueError:
            raise ValueError(f"month: {label[:20]!r} is not a month written YYYY-MM") from None
        if start > this:
            raise ValueError(f"month: {label} has not begun yet")
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def month_before(now: datetime) -> str:
    """The label of the month before `now`'s (what a department page shows: a finished month)."""
    first = now.astimezone(UTC).replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"
