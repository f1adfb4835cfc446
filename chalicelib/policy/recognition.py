"""Closing the loop (docs/training.md): what a person's reports led to, and each team's monthly
note (reports, good catches, minutes ahead of the listening tools), recognition by team, and by
name only for those who opted in. Pure."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

TEXT_SHOWN = 200


def outcome(report: Mapping[str, Any]) -> dict[str, Any]:
    """What one report led to, as facts a page renders in its reader's language."""
    text = " ".join(str(report.get("text") or "").split())
    lead = report.get("lead_minutes")
    return {
        "id": str(report.get("report_id") or ""),
        "received_at": str(report.get("received_at") or ""),
        "text": text if len(text) <= TEXT_SHOWN else text[: TEXT_SHOWN - 1] + "…",
        "quarantined": report.get("status") == "quarantined",
        "joined": bool(report.get("cluster_id")),
        "first": int(report.get("position") or 0) == 1,
        "position": int(report.get("position") or 0),
        "lead_minutes": round(float(lead), 1) if isinstance(lead, int | float) and lead > 0 else None,
        "routed_to": sorted(str(g) for g in report.get("routed_to") or []),
        "outcome": str(report.get("outcome") or ""),  # the sentence its reporter was told
        "outcome_at": str(report.get("outcome_at") or ""),
    }


def good_catch(report: Mapping[str, Any]) -> bool:
    """The first employee to report a story, before any listening tool had it."""
    lead = report.get("lead_minutes")
    return int(report.get("position") or 0) == 1 and isinstance(lead, int | float) and lead > 0


def team_note(reports: Iterable[Mapping[str, Any]], *, department: str, named: Mapping[str, str]) -> dict[str, Any]:
    """A department's month: its people's reports (drills never count), its good catches and
    minutes ahead of the tools, and the names of catchers who opted in (`named`: address ->
    name); everyone else is thanked as the team."""
    mine = [r for r in reports if r.get("department") == department and not r.get("drill")]
    catches = [r for r in mine if good_catch(r)]
    leads = [float(r["lead_minutes"]) for r in catches]
    catchers = {str(r.get("reporter_email") or "").lower() for r in catches}
    return {
        "department": department,
        "reports": len(mine),
        "reporters": len({str(r.get("reporter_email") or "").lower() for r in mine if r.get("reporter_email")}),
        "good_catches": len(catches),
        "minutes_ahead": round(sum(leads), 1),
        "median_minutes_ahead": round(statistics.median(leads), 1) if leads else None,
        "named": sorted(named[e] for e in catchers if named.get(e)),
        "unnamed_catchers": len([e for e in catchers if not named.get(e)]),
    }


def render_note(note: Mapping[str, Any], *, department_name: str, month: str) -> tuple[str, str]:
    """The note's subject and text (a quiet month says so in one line)."""
    subject = f"{department_name}: your reports in {month}"
    if not note["reports"]:
        return subject, f"No reports from {department_name} in {month}. Spotted something? Report it: one tap."
    lines = [
        f"{department_name} in {month}: {note['reports']} reports from {note['reporters']} people.",
        f"Good catches (first to report, before the listening tools): {note['good_catches']}"
        + (f", {note['minutes_ahead']:g} minutes ahead in all." if note["good_catches"] else "."),
    ]
    if note["median_minutes_ahead"] is not None:
        lines.append(f"A good catch was typically {note['median_minutes_ahead']:g} minutes ahead.")
    if note["named"]:
        lines.append(
            "Thank you, "
            + ", ".join(note["named"])
            + (", and the rest of the team." if note["unnamed_catchers"] else ".")
        )
    elif note["good_catches"]:
        lines.append("Thank you, team: every catch was yours.")
    return subject, "\n".join(lines)
