"""An incident's page for signed-in people: where the wall's code leads (`?at=<severity>-<level>`:
the code works only while the incident is open at the level it was shown at) and where
responders acknowledge or resolve as themselves."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import forms
from chalicelib.api.auth import check_csrf, csrf_token, reader_for
from chalicelib.api.incidents import assign_as, link_as, note_as, set_status
from chalicelib.api.plans import doer
from chalicelib.api.problems import read_form
from chalicelib.api.routes import caller, needs
from chalicelib.bodies import whole_number
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound, SharedwatchError
from chalicelib.flows import plans, reach, reviews
from chalicelib.flows.incidents import incident_document, load
from chalicelib.flows.plan_actions import approve_as, complete_as, edit_as, plan_document, publish_as
from chalicelib.i18n import N_
from chalicelib.policy.access import Principal, allows
from chalicelib.store.config import load_routing
from chalicelib.store.models import IncidentModel
from chalicelib.web import error_page, page, word

bp = Blueprint(__name__)


def _render(
    who: Principal,
    incident_id: str,
    *,
    at: str = "",
    done: str = "",
    status: int = 200,
    problems: list[str] | None = None,
) -> Response:
    row = load(incident_id)
    doc = incident_document(row)
    current = f"{row.severity}-{int(row.level or 0)}"
    stale = bool(at) and (row.status != "open" or at != current)
    config = load_routing()
    read_by = reach.incident_reach(incident_id)  # one Query, whatever the number of people
    reads = sum(r.read for r in read_by)
    try:
        row_of_plan = plans.load(incident_id)
        plan: dict[str, Any] | None = plan_document(row_of_plan)
        my_roles = plans.state_of(row_of_plan).roles_of(who.id)
    except NotFound:
        plan, my_roles = None, []
    return page(
        "incident.html",
        reader=reader_for(bp.current_request),
        plan=plan,
        my_roles=my_roles,
        now=utcnow().isoformat(),
        status=status,
        live=True,
        version=f"{row.status}:{len(doc['timeline'])}" + (f":{reads}" if reads else ""),
        incident=doc,
        owner=config.group_name(row.owner) if row.owner else "",
        person=who.label,
        may_act=allows(who.role, "incidents.act"),
        stale=stale,
        csrf=csrf_token(who.session_id),
        done=done,
        problems=problems or [],
        groups=sorted((g.slug, g.name) for g in config.groups.values()),
        timeline=doc["timeline"][-40:],
        reach=read_by,
        departments={slug: d.name for slug, d in config.departments.items()},
    )


@bp.route("/incidents", methods=["GET"])
@needs("incidents.read", page=True)
def incidents_page() -> Response:
    """Open first, then acknowledged, then resolved; newest first within each."""
    who = caller()
    order = {"open": 0, "acknowledged": 1, "resolved": 2}
    rows = sorted(IncidentModel.scan(), key=lambda r: (order.get(r.status, 3), -r.opened_at.timestamp()))[:200]
    config = load_routing()
    incidents = [{**incident_document(r), "owner_name": config.group_name(r.owner) if r.owner else ""} for r in rows]
    return page("incidents.html", reader=reader_for(bp.current_request), person=who.label, incidents=incidents)


@bp.route("/incidents/{incident_id}", methods=["GET"])
@needs("incidents.read", back="/incidents/{incident_id}", keep=("at",))
def incident_page(incident_id: str) -> Response:
    who = caller()
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    at = query.get("at", "")[:40]
    try:
        return _render(who, incident_id, at=at)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")


@bp.route("/incidents/{incident_id}/{action}", methods=["POST"], content_types=["*/*"])
@needs("incidents.act", form=forms.INCIDENT_FORM, back="/incidents/{incident_id}")
def act_on_incident(incident_id: str, action: str) -> Response:
    """The incident page's forms: acknowledge, resolve, note, assign (an owner group), link (a report)."""
    request = bp.current_request
    who = caller()
    form = read_form(request, fields=5)
    try:
        check_csrf(form.get("csrf", ""), who.session_id)
        if action in ("acknowledge", "resolve"):
            done = _change_status(who, incident_id, action, " ".join(form.get("note", "").split())[:500])
        elif action in ACTIONS:
            done = ACTIONS[action](who, incident_id, form)
        else:
            raise NotFound(N_("No action %(action)s: %(actions)s."), values={"action": action[:20], "actions": _NAMES})
        return _render(who, incident_id, done=done)
    except InvalidPayload as exc:
        exc.for_reader(reader_for(request))
        return _render(who, incident_id, done="", problems=list(exc.extra.get("errors") or [exc.detail]), status=400)
    except SharedwatchError as exc:
        return error_page(exc)


def _say(message: str, **values: object) -> str:
    """A banner in the language of whoever sent the form (the messages are whole sentences)."""
    return reader_for(bp.current_request).gettext(message, **values)


def _change_status(who: Principal, incident_id: str, action: str, note: str) -> str:
    row, changed = set_status(bp.current_request, who, incident_id, action, note=note)
    if not changed:
        return _say(N_("It was already %(status)s."), status=word(row.status, reader=reader_for(bp.current_request)))
    if action == "acknowledge":
        return _say(N_("Acknowledged as you: everyone who was told is being told it is in hand."))
    return _say(N_("Resolved: thank you."))


def _note(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    note_as(bp.current_request, who, incident_id, form.get("note", "").strip())
    return _say(N_("Your note is on the timeline."))


def _assign(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    row = assign_as(bp.current_request, who, incident_id, form.get("owner", ""))
    return _say(N_("%(group)s has it now."), group=load_routing().group_name(row.owner))


def _link(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    report_id = form.get("report", "").strip()
    if not report_id:
        raise InvalidPayload(N_("report: the report's tracking id"))
    link_as(bp.current_request, who, incident_id, report_id)
    return _say(N_("Report %(id)s is linked: its reporter hears what becomes of it."), id=report_id[:40])


def _number(value: str, what: str) -> int:
    number = whole_number(value, digits=6)
    if number is None:
        raise InvalidPayload(N_("%(field)s: a whole number"), values={"field": what})
    return number


def _task(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    complete_as(doer(bp.current_request, who), incident_id=incident_id, task_id=form.get("task", ""))
    return _say(N_("Marked done: it is on the timeline."))


def _statement(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    revision = _number(form.get("revision", ""), "revision")
    text, lang = form.get("text", ""), form.get("lang", "")
    edit_as(doer(bp.current_request, who), incident_id=incident_id, lang=lang, text=text, revision=revision)
    return _say(N_("Saved as a new revision: its approvers have each been sent a link."))


def _approve(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    revision = _number(form.get("revision", ""), "revision")
    lang = form.get("lang", "")
    role = form.get("role", "")
    done = approve_as(doer(bp.current_request, who), incident_id=incident_id, lang=lang, revision=revision, role=role)
    return _say(N_("Approved.")) if done else _say(N_("You had approved it already."))


def _publish(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    done = publish_as(doer(bp.current_request, who), incident_id=incident_id, lang=form.get("lang", ""))
    if done:
        return _say(N_("Published: every employee, the wall and the dark site have it."))
    return _say(N_("It was published already."))


def _action(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    reviews.add_action(
        incident_id=incident_id,
        text=form.get("text", ""),
        owner=form.get("owner", "")[:254],
        due=form.get("due", "")[:10],
        by=who.label,
        now=utcnow(),
    )
    return _say(N_("The action item is on the plan and its review."))


def _action_done(who: Principal, incident_id: str, form: dict[str, str]) -> str:
    reviews.finish_action(incident_id=incident_id, action_id=form.get("action_id", "")[:20], by=who.label, now=utcnow())
    return _say(N_("Marked done."))


ACTIONS: dict[str, Callable[[Principal, str, dict[str, str]], str]] = {
    "note": _note,
    "assign": _assign,
    "link": _link,
    "task": _task,
    "statement": _statement,
    "approve": _approve,
    "publish": _publish,
    "action": _action,
    "action-done": _action_done,
}
_NAMES = ", ".join(("acknowledge", "resolve", *ACTIONS))
