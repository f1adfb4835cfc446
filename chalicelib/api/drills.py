"""Drills: start one from a scenario (its storm goes through the real webhooks, marked DRILL),
follow it, end it, and read its report: how long to the first acknowledgement, to an approved
statement and to the all-staff brief, and how much of the checklist was done."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import audit, check_csrf, csrf_token, reader_for
from chalicelib.api.plans import review_of
from chalicelib.api.problems import json_response, raw_body, read_form, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound, SharedwatchError
from chalicelib.flows import drills
from chalicelib.i18n import N_
from chalicelib.policy import watch
from chalicelib.policy.access import Principal, allows
from chalicelib.store import drills as records
from chalicelib.store.config import load_routing, load_scenarios
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
    measured = drills.report(doc, reviews)
    if doc.get("kind") == watch.KIND:  # a watchfulness exercise: its post and its departments' measures
        measured["watch"] = {
            "post": doc["post"],
            "label": watch.DRILL,
            "links": doc["links"],
            "departments": drills.watch_measure(doc),
        }
    return measured


def _pace(value: Any) -> float:
    if value in (None, ""):
        return 1.0
    try:
        pace = float(value)
    except (TypeError, ValueError):
        raise InvalidPayload(
            N_("pace: a number, 1 (real time) to %(most)s"), values={"most": f"{drills.MAX_PACE:.0f}"}
        ) from None
    if not 1 <= pace <= drills.MAX_PACE:  # NaN compares false: refused too
        raise InvalidPayload(N_("pace: a number, 1 (real time) to %(most)s"), values={"most": f"{drills.MAX_PACE:.0f}"})
    return pace


def start_as(who: Principal, doc: Any) -> dict[str, Any]:
    if not isinstance(doc, dict) or not isinstance(doc.get("scenario"), str):
        raise InvalidPayload(N_('{"scenario": "<id>", "pace": 1}: the scenario whose storm to send'))
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
@needs("incidents.act", body=schemas.DRILL_START)
def start_drill() -> Response:
    """Start a drill: the schedule sends the scenario's storm through the webhooks, at `pace`
    (1 real time; up to 60, a minute of the plan in a second, for a rehearsal)."""
    who = caller()
    return json_response(start_as(who, read_json(bp.current_request)), status=201)


@bp.route("/api/drills/watch", methods=["POST"])
@needs("cases", body=schemas.WATCH_START)
def start_watch() -> Response:
    """Start a watchfulness exercise for departments (leads and admins: it is training, like the
    case cards): `{"departments": ["<slug>"], "text": "..."}` (no text: the template's). Its post,
    marked DRILL, shows on their pages and walls with a link to the report form carrying the
    drill's mark; end it with POST /api/drills/watch/{id}/end (or as any drill)."""
    who = caller()
    doc = read_json(bp.current_request)  # an object with a list of departments: api/schemas.WATCH_START
    text = doc.get("text", "")
    started = _start_watch(who, departments=doc["departments"], text=str(text))
    return json_response(drill_report(started), status=201)


def _start_watch(who: Principal, *, departments: list[str], text: str) -> str:
    """Start a watchfulness exercise (the API's and the page's one way), audited; its id."""
    started = drills.start_watch(departments=departments[:50], text=text, by=who.label, now=utcnow())
    audit(
        bp.current_request,
        who,
        action="drill.start",
        target=started["id"],
        after={"kind": watch.KIND, "departments": started["departments"]},
    )
    return str(started["id"])


@bp.route("/api/drills/watch/{drill_id}/end", methods=["POST"])
@needs("cases")
def end_watch(drill_id: str) -> Response:
    """End a watchfulness exercise: its post leaves the pages and walls; the measures stay. Only
    an exercise: a storm drill is ended by a responder (POST /api/drills/{id}/end)."""
    who = caller()
    if records.load(drill_id).get("kind") != watch.KIND:
        raise NotFound(
            N_("no watchfulness exercise %(drill_id)s (a storm drill ends at /api/drills/{id}/end)"),
            values={"drill_id": repr(drill_id[:20])},
        )
    drills.end(drill_id=drill_id, by=who.label, now=utcnow())
    audit(bp.current_request, who, action="drill.end", target=drill_id, after={"kind": watch.KIND})
    return json_response(drill_report(drill_id))


@bp.route("/api/drills", methods=["GET"])
@needs("incidents.read")
def list_drills() -> Response:
    return json_response({"drills": [{k: v for k, v in d.items() if k != "steps"} for d in records.list_all()]})


@bp.route("/api/drills/{drill_id}", methods=["GET"])
@needs("incidents.read")
def get_drill(drill_id: str) -> Response:
    """The drill's report, as it stands (and once it has ended)."""
    return json_response(drill_report(drill_id))


@bp.route("/api/drills/{drill_id}/end", methods=["POST"])
@needs("incidents.act")
def end_drill(drill_id: str) -> Response:
    """End the drill and everything it started: its storm, its incidents (resolved as
    drill-ended), their plans' reminders and updates, their escalations. Ending it again
    changes nothing."""
    who = caller()
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
        may_exercise=allows(who.role, "cases"),
        departments=sorted((d.slug, d.name) for d in load_routing().departments.values()),
        post_template=watch.TEMPLATE,
        csrf=csrf_token(who.session_id),
        done=done,
        problems=problems or [],
    )


@bp.route("/drills", methods=["GET"])
@needs("incidents.read", page=True)
def drills_page() -> Response:
    who = caller()
    return _list_page(who)


@bp.route("/drills", methods=["POST"], content_types=["application/x-www-form-urlencoded", "multipart/form-data"])
@needs("incidents.act", form=forms.DRILL_FORM, back="/drills")
def start_from_page() -> Response:
    who = caller()
    form = read_form(bp.current_request, fields=3)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        doc = start_as(who, {"scenario": form.get("scenario", ""), "pace": form.get("pace", "")})
    except InvalidPayload as exc:
        exc.for_reader(reader_for(bp.current_request))
        return _list_page(who, problems=list(exc.extra.get("errors") or [exc.detail]), status=400)
    except SharedwatchError as exc:
        return error_page(exc)
    done = N_("Drill %(id)s started: its storm begins within a minute.")
    return _list_page(who, done=reader_for(bp.current_request).gettext(done, id=doc["id"]), status=201)


@bp.route("/drills/watch", methods=["POST"], content_types=["application/x-www-form-urlencoded"])
@needs("cases", form=forms.WATCH_FORM, back="/drills")
def start_watch_from_page() -> Response:
    """The /drills page's form: a watchfulness exercise for the departments ticked."""
    who = caller()
    fields = _form_pairs()
    try:
        check_csrf(next((v for k, v in fields if k == "csrf"), ""), who.session_id)
        text = next((v for k, v in fields if k == "text"), "")
        started = _start_watch(who, departments=[v for k, v in fields if k == "department"], text=text)
    except InvalidPayload as exc:
        exc.for_reader(reader_for(bp.current_request))
        return _list_page(who, problems=list(exc.extra.get("errors") or [exc.detail]), status=422)
    except SharedwatchError as exc:
        return error_page(exc)
    done = N_("Exercise %(id)s started: its post is on the departments' pages and walls.")
    return _list_page(who, done=reader_for(bp.current_request).gettext(done, id=started), status=201)


def _form_pairs() -> list[tuple[str, str]]:
    """The form's fields, a name repeated for each ticked box (at most 60 fields)."""
    try:
        return parse_qsl(raw_body(bp.current_request).decode("utf-8"), max_num_fields=60)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidPayload(N_("The form could not be read.")) from exc


@bp.route("/drills/{drill_id}", methods=["GET"])
@needs("incidents.read", page=True)
def drill_page(drill_id: str) -> Response:
    who = caller()
    try:
        r = drill_report(drill_id)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    return page("drill.html", person=who.label, r=r)
