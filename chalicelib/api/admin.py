"""Admin API (bearer admin token): the taxonomy triage uses, and the planned events the spike
detector expects. Everything is validated when saved: a bad document is a 4xx saying what is
wrong, and nothing of it is stored."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import schemas
from chalicelib.api.inbox import item_deliveries
from chalicelib.api.problems import json_response, read_json
from chalicelib.api.routes import needs
from chalicelib.errors import NotFound
from chalicelib.flows import configuration
from chalicelib.i18n import N_
from chalicelib.intake.screenshots import view_url
from chalicelib.store.config import current_taxonomy, planned_events
from chalicelib.store.mapping import report_from_model
from chalicelib.store.models import ReportModel

bp = Blueprint(__name__)


def _json_body() -> Any:
    return read_json(bp.current_request)  # after the declared check: a refusal reads no body


@bp.route("/api/taxonomy", methods=["GET"])
@needs("config.read")
def get_taxonomy() -> Response:
    _, doc = current_taxonomy()
    return json_response(doc)


@bp.route("/api/taxonomy", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.TAXONOMY)
def put_taxonomy() -> Response:
    return json_response(configuration.put_taxonomy("", _json_body()))


@bp.route("/api/planned-events", methods=["GET"])
@needs("config.read")
def list_planned_events() -> Response:
    return json_response(
        {
            "events": [
                {"series": e.key, "name": e.name, "start": e.start.isoformat(), "end": e.end.isoformat()}
                for e in planned_events()
            ]
        }
    )


@bp.route("/api/planned-events/{event_id}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.PLANNED_EVENT)
def put_planned_event(event_id: str) -> Response:
    return json_response(configuration.put_planned_event(event_id, _json_body()))


@bp.route("/api/reports/{report_id}", methods=["GET"])
@needs("incidents.read")
def get_report(report_id: str) -> Response:
    """A report as the team sees it, with week-long links to its screenshots."""
    try:
        row = ReportModel.get(report_id, consistent_read=True)
    except ReportModel.DoesNotExist:
        raise NotFound(N_("no report %(report_id)s"), values={"report_id": repr(report_id[:40])}) from None
    report = report_from_model(row)
    return json_response(
        {
            "id": report.report_id,
            "channel": report.channel,
            "text": report.text,
            "urls": list(report.urls),
            "urgency": report.urgency,
            "department": report.department,
            "status": report.status,
            "reporter": report.reporter_email or None,
            "received_at": report.received_at.isoformat(),
            "cluster_id": row.cluster_id,
            "routed_to": [str(g) for g in row.routed_to or []],
            "outcome": row.outcome,
            "screenshots": [view_url(str(key)) for key in row.screenshots or []],
            "sent": item_deliveries(report.report_id),
        }
    )
