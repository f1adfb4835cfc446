"""Admin API (bearer admin token): the taxonomy triage uses, and the planned events the spike
detector expects. Everything is validated when saved: a bad document is a 4xx saying what is
wrong, and nothing of it is stored."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import require_token
from chalicelib.api.problems import json_response, problem_view, read_json
from chalicelib.store.config import current_taxonomy, planned_events, save_planned_event, save_taxonomy

bp = Blueprint(__name__)


def _json_body() -> Any:
    require_token(bp.current_request)
    return read_json(bp.current_request)


@bp.route("/api/taxonomy", methods=["GET"])
@problem_view
def get_taxonomy() -> Response:
    require_token(bp.current_request)
    _, doc = current_taxonomy()
    return json_response(doc)


@bp.route("/api/taxonomy", methods=["PUT"], content_types=["*/*"])
@problem_view
def put_taxonomy() -> Response:
    taxonomy = save_taxonomy(_json_body())
    return json_response({"departments": sorted(taxonomy.names), "watched": sorted(taxonomy.watched)})


@bp.route("/api/planned-events", methods=["GET"])
@problem_view
def list_planned_events() -> Response:
    require_token(bp.current_request)
    return json_response(
        {
            "events": [
                {"series": e.key, "name": e.name, "start": e.start.isoformat(), "end": e.end.isoformat()}
                for e in planned_events()
            ]
        }
    )


@bp.route("/api/planned-events/{event_id}", methods=["PUT"], content_types=["*/*"])
@problem_view
def put_planned_event(event_id: str) -> Response:
    doc = _json_body()
    if isinstance(doc, dict):
        doc = {**doc, "id": event_id}
    event = save_planned_event(doc)
    return json_response({"id": event_id, "series": event.key, "name": event.name}, status=200)
