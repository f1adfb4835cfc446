"""Stories: the list of those active lately, and one story's page with its volume and sentiment
over time (a server-drawn chart: no script), its employee reports and who spotted it first, and
its incident."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import reader_for
from chalicelib.api.problems import json_response
from chalicelib.api.routes import caller, needs
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import NotFound
from chalicelib.i18n import N_
from chalicelib.store.models import ClusterModel, ReportModel
from chalicelib.web import page

bp = Blueprint(__name__)
CHART_BUCKETS = 48  # eight hours of ten-minute buckets up to the story's last activity


def recent_stories(days: int = 2) -> list[dict[str, Any]]:
    today = utcnow()
    out: list[dict[str, Any]] = []
    for d in range(days):
        day = (today - timedelta(days=d)).isoformat()[:10]
        for row in ClusterModel.recent.query(day, scan_index_forward=False, limit=100):
            out.append(
                {
                    "id": row.cluster_id,
                    "title": row.title,
                    "copies": int(row.size or 0),
                    "negative": int(row.negative or 0),
                    "reports": int(row.reports or 0),
                    "reach": int(row.reach or 0),
                    "severity": row.severity,
                    "incident": row.incident_id,
                    "last_seen": isoformat(row.last_seen),
                }
            )
    return sorted({s["id"]: s for s in out}.values(), key=lambda s: str(s["last_seen"]), reverse=True)[:100]


def chart(buckets: dict[str, list[int]]) -> list[dict[str, Any]]:
    """The last CHART_BUCKETS ten-minute buckets up to the newest, empty ones included."""
    if not buckets:
        return []

    newest = datetime.fromisoformat(max(buckets) + ":00+00:00")
    points = []
    for n in range(CHART_BUCKETS - 1, -1, -1):
        at = newest - timedelta(minutes=10 * n)
        key = f"{at:%Y-%m-%dT%H}:{at.minute // 10}0"
        joined, negative, reports = (buckets.get(key) or [0, 0, 0])[:3]
        points.append({"at": key, "joined": joined, "negative": negative, "reports": reports})
    return points


def story_document(cluster_id: str) -> dict[str, Any]:
    if not cluster_id:  # DynamoDB refuses an empty key outright: there is no such story
        raise NotFound(N_("no story ''"))
    try:
        row = ClusterModel.get(cluster_id[:64], consistent_read=True)
    except ClusterModel.DoesNotExist:
        raise NotFound(N_("no story %(cluster_id)s"), values={"cluster_id": repr(cluster_id[:40])}) from None
    reports = sorted(ReportModel.cluster_index.query(row.cluster_id, limit=100), key=lambda r: r.received_at)
    return {
        "id": row.cluster_id,
        "title": row.title,
        "copies": int(row.size or 0),
        "negative": int(row.negative or 0),
        "reach": int(row.reach or 0),
        "velocity_10min": int(row.window_count or 0),
        "severity": row.severity,
        "departments": list(row.departments or []),
        "influencers": list(row.influencers or []),
        "first_seen": isoformat(row.first_seen),
        "last_seen": isoformat(row.last_seen),
        "first_mention_at": isoformat(row.first_mention_at) if row.first_mention_at else None,
        "first_report_at": isoformat(row.first_report_at) if row.first_report_at else None,
        "incident": row.incident_id,
        "reports": [
            {
                "id": r.report_id,
                "received_at": isoformat(r.received_at),
                "channel": r.channel,
                "position": int(r.position or 0),
                "lead_minutes": float(r.lead_minutes) if r.lead_minutes is not None else None,
                "text": r.text[:500],
            }
            for r in reports
        ],
        "chart": chart(dict(row.buckets or {})),
    }


@bp.route("/api/stories", methods=["GET"])
@needs("incidents.read")
def list_stories() -> Response:
    """Stories told more than once (or reported, or an incident) active today and yesterday."""
    return json_response({"stories": recent_stories()})


@bp.route("/api/stories/{cluster_id}", methods=["GET"])
@needs("incidents.read")
def get_story(cluster_id: str) -> Response:
    return json_response(story_document(cluster_id))


@bp.route("/stories", methods=["GET"])
@needs("incidents.read", page=True)
def stories_page() -> Response:
    who = caller()
    return page("stories.html", reader=reader_for(bp.current_request), person=who.label, stories=recent_stories())


@bp.route("/stories/{cluster_id}", methods=["GET"])
@needs("incidents.read", page=True)
def story_page(cluster_id: str) -> Response:
    who = caller()
    try:
        doc = story_document(cluster_id)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    peak = max([p["joined"] for p in doc["chart"]] + [1])
    return page("story.html", reader=reader_for(bp.current_request), person=who.label, s=doc, peak=peak)
