"""Incidents and the delivery log for admins (bearer admin token): list and read incidents
with their timelines, acknowledge or resolve from the API, and see and retry dead deliveries."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.auth import require_token
from chalicelib.api.problems import json_response, read_json
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.flows.incidents import acknowledge, incident_document, load, resolve
from chalicelib.notify.delivery import retry_dead
from chalicelib.store.models import DeliveryModel, IncidentModel

bp = Blueprint(__name__)


def _query() -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


_STATUSES = {"open", "acknowledged", "resolved"}


@bp.route("/api/incidents", methods=["GET"])
def list_incidents() -> Response:
    require_token(bp.current_request)
    wanted = _query().get("status", "")
    if wanted and wanted not in _STATUSES:
        raise InvalidPayload(f"status: one of {', '.join(sorted(_STATUSES))}")
    rows = [r for r in IncidentModel.scan() if not wanted or r.status == wanted]
    rows.sort(key=lambda r: r.opened_at, reverse=True)
    return json_response({"incidents": [incident_document(r) for r in rows[:200]]})


@bp.route("/api/incidents/{incident_id}", methods=["GET"])
def get_incident(incident_id: str) -> Response:
    require_token(bp.current_request)
    return json_response(incident_document(load(incident_id)))


def _actor() -> tuple[str, str, str]:
    doc = read_json(bp.current_request) if bp.current_request.raw_body else {}
    if not isinstance(doc, dict):
        raise InvalidPayload("a JSON object: group, by, note (all optional)")
    return (
        str(doc.get("group", "admin"))[:63],
        str(doc.get("by", "an administrator"))[:120],
        str(doc.get("note", ""))[:500],
    )


@bp.route("/api/incidents/{incident_id}/acknowledge", methods=["POST"], content_types=["*/*"])
def acknowledge_incident(incident_id: str) -> Response:
    require_token(bp.current_request)
    group, by, _ = _actor()
    row, changed = acknowledge(incident_id=incident_id, group=group, by=by, now=utcnow())
    return json_response({**incident_document(row), "changed": changed})


@bp.route("/api/incidents/{incident_id}/resolve", methods=["POST"], content_types=["*/*"])
def resolve_incident(incident_id: str) -> Response:
    require_token(bp.current_request)
    group, by, note = _actor()
    row, changed = resolve(incident_id=incident_id, group=group, by=by, now=utcnow(), note=note)
    return json_response({**incident_document(row), "changed": changed})


def _delivery(row: DeliveryModel) -> dict[str, object]:
    return {
        "id": row.delivery_id,
        "status": row.status,
        "group": row.group,
        "item_kind": row.item_kind,
        "item_id": row.item_id,
        "subject": row.subject,
        "attempts": int(row.attempts or 0),
        "last_error": row.last_error,
        "claimed_at": isoformat(row.claimed_at),
        "reasons": [str(r) for r in row.reasons or []],
    }


@bp.route("/api/deliveries", methods=["GET"])
def list_deliveries() -> Response:
    """The dead-letter view: `?status=dead` (default), `held` or `claimed`."""
    require_token(bp.current_request)
    status = _query().get("status", "dead")
    if status not in ("dead", "held", "claimed"):
        raise InvalidPayload("status: dead, held or claimed")
    if status == "dead":
        rows = list(DeliveryModel.scan(DeliveryModel.status == "dead", limit=1000))
    else:
        rows = list(DeliveryModel.pending_index.query(status, limit=200))
    return json_response({"status": status, "deliveries": [_delivery(r) for r in rows[:200]]})


@bp.route("/api/deliveries/{delivery_id}/retry", methods=["POST"], content_types=["*/*"])
def retry_delivery(delivery_id: str) -> Response:
    require_token(bp.current_request)
    try:
        row = retry_dead(delivery_id)
    except DeliveryModel.DoesNotExist:
        raise NotFound(f"no delivery {delivery_id[:64]!r}") from None
    return json_response(_delivery(row))
