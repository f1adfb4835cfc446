"""Drills: start one from a scenario (its storm goes through the real webhooks, marked DRILL),
follow it, end it, and read its report: how long to the first acknowledgement, to an approved
statement and to the all-staff brief, and how much of the checklist was done."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import audit, check_csrf, csrf_token, require, signed_in
from chalicelib.api.plans import review_of
from chalicelib.api.problems import json_response, read_form, read_json
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound, SharedwatchError
from chalicelib.flows import drills
from chalicelib.policy.access import Principal, allows
from chalicelib.store import drills as records
from chalicelib.store.config import load_scenarios
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def drill_report(drill_id: str) -> dict[str, Any]:
    doc = records.load(drill_id)
    reviews = []
    for incident_id in doc["incidents"]:
        try:
            reviews.append(review_of(incident_id))
        except NotFound:
            continue
    return drills.report(doc, reviews)


def _pace(value: Any) -> float:
    if value in (None, ""):
        return 1.0
    try:
        pace = float(value)
    except (TypeError, ValueError):
        raise InvalidPayload(f"pace: a number, 1 (real time) to {drills.MAX_PACE:.0f}") from None
    if not 1 <= pace <= drills.MAX_PACE:  # NaN compares false: refused too
        raise InvalidPayload(f"pace: 1 (real time) to {drills.MAX_PACE:.0f}")
    return pace


def start_as(who: Principal, doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("scenario"), str):
        raise InvalidPayload('{"scenario": "<id>", "pace": 1}: the scenario whose storm to send')
    pace = _pace(doc.get("pace"))
    started = drills.start(scenario_id=doc["scenario"][:63], pace=pace, by=who.label, now=utcnow())
    audit(
        bp.current_request,
        who,
        action="drill.start",
        target=started["id"],
        after={"scenario": started["scenario"], "pace": pace},
    )
    return started


@bp.route("/api/drills", methods=["POST"])
def start_drill() -> Response:
    """Start a drill: the schedule sends the scenario's storm through the webhooks, at `pace`
    (1 real time; up to 60, a minute of the plan in a second, for a rehearsal)."""
    who = require(bp.current_request, "incidents.act")
    return json_response(start_as(who, read_json(bp.current_request)), status=201)


@bp.route("/api/drills", methods=["GET"])
def list_drills() -> Response:
    require(bp.current_request, "incidents.read")
    return json_response({"drills": [{k: v for k, v in d.items() if k != "steps"} for d in records.list_all()]})


@bp.route("/api/drills/{drill_id}", methods=["GET"])
def get_drill(drill_id: str) -> Response:
    """The drill's report, as it stands (and once it has ended)."""
    require(bp.current_request, "incidents.read")
    return json_response(drill_report(drill_id))


@bp.route("/api/drills/{drill_id}/end", methods=["POST"])
def end_drill(drill_id: str) -> Response:
    """End the drill and everything it started: its storm, its incidents (resolved as
    drill-ended), their plans' reminders and updates, their escalations. Ending it again
    changes nothing."""
    who = require(bp.current_request, "incidents.act")
    drills.end(drill_id=drill_id, by=who.label, now=utcnow())
    return json_response(drill_report(drill_id))


def _list_page(who: Principal, *, done: str = "", problems: list[str] | None = None, status: int = 200) -> Response:
    return page(
        "drills.html",
        status=status,
        person=who.label,
        drills=records.list_all(),
        scenarios=[(s.id, s.name, len(s.storm)) for s in load_scenarios()],
        may_act=allows(who.role, "incidents.act"),
        csrf=csrf_token(who.session_id),
        done=done,
        problems=problems or [],
    )


@bp.route("/drills", methods=["GET"])
def drills_page() -> Response:
    who = signed_in(bp.current_request, "incidents.read")
    if isinstance(who, Response):
        return who
    return _list_page(who)


@bp.route("/drills", methods=["POST"], content_types=["application/x-www-form-urlencoded", "multipart/form-data"])
def start_from_page() -> Response:
    who = signed_in(bp.current_request, "incidents.act", back="/drills")
    if isinstance(who, Response):
        return who
    form = read_form(bp.current_request, fields=3)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        doc = start_as(who, {"scenario": form.get("scenario", ""), "pace": form.get("pace", "")})
    except InvalidPayload as exc:
        return _list_page(who, problems=list(exc.extra.get("errors") or [exc.detail]), status=400)
    except SharedwatchError as exc:
        return error_page(exc)
    return _list_page(who, done=f"Drill {doc['id']} started: its storm begins within a minute.", status=201)


@bp.route("/drills/{drill_id}", methods=["GET"])
def drill_page(drill_id: str) -> Response:
    who = signed_in(bp.current_request, "incidents.read")
    if isinstance(who, Response):
        return who
    try:
        r = drill_report(drill_id)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    return page("drill.html", person=who.label, r=r)
