"""The watchfulness measures per department and month (decided in policy/measures.py): read the
month's reports (one Scan filtered by date: reports expire, so the table stays small), the first
post of each story a first report joined (BatchGetItem) and each department's staff (the
directory's department index); keep a finished month's in one configuration row, which the
department page reads."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from chalicelib.policy import measures
from chalicelib.store import directory
from chalicelib.store.config import load_routing
from chalicelib.store.models import ClusterModel, ConfigModel, ReportModel

KIND = "measures"


def reports_between(start: datetime, end: datetime) -> list[dict[str, Any]]:
    """The reports received in [start, end), as stored."""
    rows = ReportModel.scan(ReportModel.received_at.between(start, end - timedelta(microseconds=1)))
    return [dict(r.attribute_values) for r in rows]


def first_posts(reports: Iterable[Mapping[str, Any]]) -> dict[str, datetime]:
    """Story id -> its first post, for the stories real first reports joined."""
    wanted = sorted(
        {
            str(r["cluster_id"])
            for r in reports
            if r.get("cluster_id") and int(r.get("position") or 0) == 1 and measures.real(r)
        }
    )
    found: dict[str, datetime] = {}
    read = ["cluster_id", "first_seen", "first_mention_at"]
    for i in range(0, len(wanted), 100):
        for row in ClusterModel.batch_get(wanted[i : i + 100], attributes_to_get=read):
            found[row.cluster_id] = measures.first_post_at(
                first_seen=row.first_seen, first_mention_at=row.first_mention_at
            )
    return found


def month(reports: Sequence[Mapping[str, Any]], *, departments: Iterable[str] = ()) -> dict[str, dict[str, Any]]:
    """Each department's measures (every configured one, or those named) from a month's reports."""
    slugs = list(departments) or sorted(load_routing().departments)
    posts = first_posts(reports)
    return {
        slug: measures.department_month(
            reports, department=slug, staff=len(directory.in_department(slug)), first_posts=posts
        )
        for slug in slugs
    }


def measure(label: str, *, now: datetime, departments: Iterable[str] = ()) -> dict[str, Any]:
    """A month's measures as the API answers them (this month so far, for ""); ValueError for a
    label that is not a month begun."""
    start, end = measures.month_span(label, now=now)
    reports = reports_between(start, min(end, now + timedelta(microseconds=1)))
    return {"month": f"{start:%Y-%m}", "complete": end <= now, "departments": month(reports, departments=departments)}


def keep(label: str, by_department: Mapping[str, Mapping[str, Any]], *, now: datetime) -> None:
    """Keep a finished month's measures (the monthly note's run writes them once a month)."""
    body = json.dumps({"month": label, "departments": by_department})
    ConfigModel(kind=KIND, key=label, body=body, updated_at=now).save()


def kept(label: str, department: str) -> dict[str, Any] | None:
    """A department's kept measures for a month (one GetItem), or None before the note ran."""
    try:
        row = ConfigModel.get(KIND, label)
    except ConfigModel.DoesNotExist:
        return None
    found = json.loads(row.body)["departments"].get(department)
    return dict(found) if isinstance(found, dict) else None
