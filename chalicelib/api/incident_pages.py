"""An incident's page for signed-in people: where the wall's code leads (`?at=<severity>-<level>`:
the code works only while the incident is open at the level it was shown at) and where
responders acknowledge or resolve as themselves."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.auth import audit, check_csrf, csrf_token, signed_in
from chalicelib.api.incidents import via_of
from chalicelib.api.problems import read_form
from chalicelib.clock import utcnow
from chalicelib.errors import NotFound, SharedwatchError
from chalicelib.flows.incidents import acknowledge, incident_document, load, resolve
from chalicelib.policy.access import Principal, allows
from chalicelib.store.config import load_routing
from chalicelib.store.models import IncidentModel
from chalicelib.web import page

bp = Blueprint(__name__)


def _render(who: Principal, incident_id: str, *, at: str = "", done: str = "", status: int = 200) -> Response:
    row = load(incident_id)
    doc = incident_document(row)
    current = f"{row.severity}-{int(row.level or 0)}"
    stale = bool(at) and (row.status != "open" or at != current)
    config = load_routing()
    return page(
        "incident.html",
        status=status,
        live=True,
        version=f"{row.status}:{len(doc['timeline'])}",
        incident=doc,
        owner=config.group_name(row.owner) if row.owner else "",
        person=who.label,
        may_act=allows(who.role, "incidents.act"),
        stale=stale,
        csrf=csrf_token(who.session_id),
        done=done,
        timeline=doc["timeline"][-20:],
    )


@bp.route("/incidents", methods=["GET"])
def incidents_page() -> Response:
    """Open first, then acknowledged, then resolved; newest first within each."""
    who = signed_in(bp.current_request, "incidents.read")
    if isinstance(who, Response):
        return who
    order = {"open": 0, "acknowledged": 1, "resolved": 2}
    rows = sorted(IncidentModel.scan(), key=lambda r: (order.get(r.status, 3), -r.opened_at.timestamp()))[:200]
    config = load_routing()
    incidents = [{**incident_document(r), "owner_name": config.group_name(r.owner) if r.owner else ""} for r in rows]
    return page("incidents.html", person=who.label, incidents=incidents)


@bp.route("/incidents/{incident_id}", methods=["GET"])
def incident_page(incident_id: str) -> Response:
    request = bp.current_request
    query: dict[str, str] = dict(request.query_params or {})
    at = query.get("at", "")[:40]
    who = signed_in(
        bp.current_request, "incidents.read", back=f"/incidents/{incident_id}" + (f"?at={at}" if at else "")
    )
    if isinstance(who, Response):
        return who
    try:
        return _render(who, incident_id, at=at)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")


@bp.route("/incidents/{incident_id}/{action}", methods=["POST"], content_types=["*/*"])
def act_on_incident(incident_id: str, action: str) -> Response:
    request = bp.current_request
    who = signed_in(bp.current_request, "incidents.act", back=f"/incidents/{incident_id}")
    if isinstance(who, Response):
        return who
    form = read_form(request, fields=4)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        before = load(incident_id)
        note = " ".join(form.get("note", "").split())[:500]
        if action == "acknowledge":
            row, changed = acknowledge(
                incident_id=incident_id, group=before.owner, by=who.label, via=via_of(who), now=utcnow()
            )
            done = "Acknowledged as you: everyone who was told is being told it is in hand." if changed else ""
        elif action == "resolve":
            row, changed = resolve(
                incident_id=incident_id, group=before.owner, by=who.label, via=via_of(who), now=utcnow(), note=note
            )
            done = "Resolved: thank you." if changed else ""
        else:
            raise NotFound(f"no action {action[:20]!r}: acknowledge or resolve")
        if changed:
            audit(
                request,
                who,
                action=f"incident.{action}",
                target=incident_id,
                before={"status": before.status},
                after={"status": row.status, "note": note} if note else {"status": row.status},
            )
        return _render(who, incident_id, done=done or f"It was already {row.status}.")
    except SharedwatchError as exc:
        return page("error.html", status=exc.status, title=exc.title, detail=exc.detail, back="")
