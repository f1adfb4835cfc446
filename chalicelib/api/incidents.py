"""Incidents and the delivery log: list and read incidents with their timelines (responders,
leads, admins), acknowledge or resolve them as yourself, and see and retry dead deliveries."""

from __future__ import annotations

from chalice.app import Blueprint, Request, Response

from chalicelib.api import schemas
from chalicelib.api.auth import audit
from chalicelib.api.problems import json_response, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.clock import isoformat, utcnow
from chalicelib.errors import InvalidPayload, InvalidQuery, NotFound
from chalicelib.flows import reach
from chalicelib.flows.incidents import acknowledge, add_note, assign, incident_document, link_report, load, resolve
from chalicelib.i18n import N_
from chalicelib.notify.delivery import retry_dead
from chalicelib.policy.access import Principal
from chalicelib.store.models import DeliveryModel, IncidentModel

bp = Blueprint(__name__)


def _query() -> dict[str, str]:
    return dict(bp.current_request.query_params or {})


_STATUSES = {"open", "acknowledged", "resolved"}


@bp.route("/api/incidents", methods=["GET"])
@needs("incidents.read")
def list_incidents() -> Response:
    wanted = _query().get("status", "")
    if wanted and wanted not in _STATUSES:
        raise InvalidQuery(N_("status: one of %(statuses)s"), values={"statuses": ", ".join(sorted(_STATUSES))})
    rows = [r for r in IncidentModel.scan() if not wanted or r.status == wanted]
    rows.sort(key=lambda r: r.opened_at, reverse=True)
    return json_response({"incidents": [incident_document(r) for r in rows[:200]]})


@bp.route("/api/incidents/{incident_id}", methods=["GET"])
@needs("incidents.read")
def get_incident(incident_id: str) -> Response:
    doc = incident_document(load(incident_id))
    # How many of the people it reached have read what it sent them (the page watches it live).
    doc["reads"] = sum(r.read for r in reach.incident_reach(incident_id))
    return json_response(doc)


def _body() -> tuple[str, str]:
    doc = read_json(bp.current_request) if bp.current_request.raw_body else {}
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object: group, note (both optional)"))
    return str(doc.get("group", ""))[:63], str(doc.get("note", ""))[:500]


def via_of(who: Principal) -> str:
    return {"session": "signed in", "token": f"API token {who.token_id}", "break-glass": "break-glass token"}[who.via]


# What a person does to an incident, from the API or its page alike: on the timeline as them,
# and on the audit trail.


def set_status(
    request: Request, who: Principal, incident_id: str, action: str, *, group: str = "", note: str = ""
) -> tuple[IncidentModel, bool]:
    """Acknowledge or resolve (`action`); (the incident, whether this changed it)."""
    before = load(incident_id)
    group, via, now = group or before.owner, via_of(who), utcnow()
    if action == "acknowledge":
        row, changed = acknowledge(incident_id=incident_id, group=group, by=who.label, via=via, now=now)
    else:
        row, changed = resolve(incident_id=incident_id, group=group, by=who.label, via=via, now=now, note=note)
    if changed:
        after = {"status": row.status, **({"note": note} if note else {})}
        audit(
            request, who, action=f"incident.{action}", target=incident_id, before={"status": before.status}, after=after
        )
    return row, changed


def note_as(request: Request, who: Principal, incident_id: str, note: str) -> IncidentModel:
    row = add_note(incident_id=incident_id, by=who.label, via=via_of(who), note=note, now=utcnow())
    audit(request, who, action="incident.note", target=incident_id, after={"note": note[:1000]})
    return row


def assign_as(request: Request, who: Principal, incident_id: str, owner: str) -> IncidentModel:
    row, before = assign(incident_id=incident_id, owner=owner, by=who.label, via=via_of(who), now=utcnow())
    audit(
        request, who, action="incident.assign", target=incident_id, before={"owner": before}, after={"owner": row.owner}
    )
    return row


def link_as(request: Request, who: Principal, incident_id: str, report_id: str) -> IncidentModel:
    row = link_report(incident_id=incident_id, report_id=report_id, by=who.label, via=via_of(who), now=utcnow())
    audit(request, who, action="incident.link_report", target=incident_id, after={"report": report_id[:40]})
    return row


@bp.route("/api/incidents/{incident_id}/acknowledge", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.INCIDENT_ACTION)
def acknowledge_incident(incident_id: str) -> Response:
    """Acknowledged as the person the session or token belongs to (the timeline and the audit
    trail name them); `group` says on whose behalf (default: the incident's owner)."""
    who = caller()
    group, _ = _body()
    row, changed = set_status(bp.current_request, who, incident_id, "acknowledge", group=group)
    return json_response({**incident_document(row), "changed": changed})


@bp.route("/api/incidents/{incident_id}/resolve", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.INCIDENT_ACTION)
def resolve_incident(incident_id: str) -> Response:
    who = caller()
    group, note = _body()
    row, changed = set_status(bp.current_request, who, incident_id, "resolve", group=group, note=note)
    return json_response({**incident_document(row), "changed": changed})


def _field(name: str, what: str) -> str:
    doc = read_json(bp.current_request)
    value = doc.get(name) if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value.strip():
        raise InvalidPayload(f"{name}: {what}")  # `what` is a fragment its callers write: left English
    return value.strip()


@bp.route("/api/incidents/{incident_id}/notes", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.INCIDENT_NOTE)
def note_incident(incident_id: str) -> Response:
    """{"note": "..."}: on the incident's timeline, with who wrote it."""
    who = caller()
    row = note_as(bp.current_request, who, incident_id, _field("note", "what to put on the timeline"))
    return json_response(incident_document(row), status=201)


@bp.route("/api/incidents/{incident_id}/assign", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.INCIDENT_OWNER)
def assign_incident(incident_id: str) -> Response:
    """{"owner": "<group>"}: the group that owns it from now on."""
    who = caller()
    row = assign_as(bp.current_request, who, incident_id, _field("owner", "a group's slug"))
    return json_response(incident_document(row))


@bp.route("/api/incidents/{incident_id}/reports", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", body=schemas.INCIDENT_REPORT)
def link_incident_report(incident_id: str) -> Response:
    """{"report_id": "..."}: an employee's report joins the incident (its reporter hears the outcome)."""
    who = caller()
    row = link_as(bp.current_request, who, incident_id, _field("report_id", "a report's tracking id"))
    return json_response(incident_document(row))


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
        "claimed_at": isoformat(row.claimed_at) if row.claimed_at else None,  # a bundle's covered row has none
        "reasons": [str(r) for r in row.reasons or []],
    }


@bp.route("/api/deliveries", methods=["GET"])
@needs("incidents.read")
def list_deliveries() -> Response:
    """The dead-letter view: `?status=dead` (default), `held` or `claimed`."""
    status = _query().get("status", "dead")
    if status not in ("dead", "held", "claimed"):
        raise InvalidQuery(N_("status: one of dead, held, claimed"))
    if status == "dead":
        rows = list(DeliveryModel.scan(DeliveryModel.status == "dead", limit=1000))
    else:
        rows = list(DeliveryModel.pending_index.query(status, limit=200))
    return json_response({"status": status, "deliveries": [_delivery(r) for r in rows[:200]]})


@bp.route("/api/deliveries/{delivery_id}/retry", methods=["POST"], content_types=["*/*"])
@needs("incidents.act")
def retry_delivery(delivery_id: str) -> Response:
    who = caller()
    try:
        row = retry_dead(delivery_id)
    except DeliveryModel.DoesNotExist:
        raise NotFound(N_("no delivery %(delivery_id)s"), values={"delivery_id": repr(delivery_id[:64])}) from None
    audit(bp.current_request, who, action="delivery.retry", target=delivery_id, after={"status": row.status})
    return json_response(_delivery(row))
