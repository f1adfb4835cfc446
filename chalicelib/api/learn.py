"""Learning from our own cases (docs/training.md): `/learn`, every approved case card for every
signed-in employee (one Query for the cards); a resolved incident's card, drafted from its
review, edited and approved by a lead (`/learn/cases/{incident_id}`, and the same as JSON at
`/api/cases/{incident_id}`)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import audit, check_csrf, csrf_token, reader_for
from chalicelib.api.plans import review_of
from chalicelib.api.problems import json_response, read_form, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.flows import cases
from chalicelib.i18n import N_
from chalicelib.policy import cases as card_policy
from chalicelib.policy.access import Principal, allows
from chalicelib.store import cases as stored
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _review(incident_id: str) -> tuple[dict[str, Any], str]:
    review = review_of(incident_id)
    return review, str(review.get("story", {}).get("id") or "")


def _change(request: Request, who: Principal, incident_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    review, cluster = _review(incident_id)
    before, after = cases.change(review, changes, cluster_id=cluster, by=who.label, now=utcnow())
    approve = changes.get("approve")
    action = "case.approve" if approve else "case.withdraw" if approve is False else "case.save"
    audit(request, who, action=action, target=incident_id[:64], before=before, after=after)
    return after


@bp.route("/learn", methods=["GET"])
@needs("self", page=True)
def learn_page() -> Response:
    """Every approved card, newest first; `?department=` keeps one department's."""
    request = bp.current_request
    who = caller()
    department = str(dict(request.query_params or {}).get("department", ""))[:63]
    every = stored.approved()
    shown = card_policy.for_department(every, department)
    departments = sorted({d for c in every for d in c.get("departments") or []})
    return page(
        "learn.html",
        reader=reader_for(request),
        person=who.label,
        cards=shown,
        department=department if department in departments else "",
        departments=departments,
        peak=card_policy.peak,
    )


def _case_page(
    who: Principal, incident_id: str, *, done: str = "", problems: list[str] | None = None, status: int = 200
) -> Response:
    request = bp.current_request
    review, cluster = _review(incident_id)
    card = cases.current(review, cluster_id=cluster, now=utcnow())
    return page(
        "case.html",
        reader=reader_for(request),
        status=status,
        person=who.label,
        card=card,
        peak=card_policy.peak(card),
        may_edit=allows(who.role, "cases"),
        csrf=csrf_token(who.session_id),
        done=done,
        problems=problems or [],
        limits=card_policy.FIELDS,
    )


@bp.route("/learn/cases/{incident_id}", methods=["GET"])
@needs("incidents.read", page=True)
def case_page(incident_id: str) -> Response:
    """A resolved incident's card: its draft (nothing stored) or as saved; a lead edits it here."""
    who = caller()
    try:
        return _case_page(who, incident_id)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader_for(bp.current_request))


@bp.route("/learn/cases/{incident_id}", methods=["POST"], content_types=["*/*"])
@needs("cases", form=forms.CASE_FORM, back="/learn/cases/{incident_id}")
def case_form(incident_id: str) -> Response:
    """The card's form: save the words, approve, or withdraw (back to a draft)."""
    request = bp.current_request
    who = caller()
    reader = reader_for(request)
    try:
        form = read_form(request, fields=12)
        check_csrf(form.get("csrf", ""), who.session_id)
        rev = form.get("rev", "")
        if not rev.isdigit() or len(rev) > 6:
            raise InvalidPayload(
                N_("rev: the card's revision, from the form"), extra={"errors": ["rev: a whole number"]}
            )
        changes: dict[str, Any] = {k: form[k] for k in card_policy.FIELDS if k in form}
        changes["rev"] = int(rev)
        if form.get("keep_names") == "yes":
            changes["redact"] = False
        action = form.get("action", "save")
        if action not in ("save", "approve", "withdraw"):
            wrong = "action: save, approve or withdraw"
            raise InvalidPayload(wrong, extra={"errors": [wrong]})
        if action != "save":
            changes["approve"] = action == "approve"
        after = _change(request, who, incident_id, changes)
        done = {
            "approved": reader.gettext("Approved: the card is on /learn, its departments' pages and calm walls."),
            "draft": reader.gettext("Saved as a draft: nobody else sees it until it is approved."),
        }[str(after["status"])]
        return _case_page(who, incident_id, done=done)
    except InvalidPayload as exc:
        try:
            return _case_page(who, incident_id, problems=list(exc.extra.get("errors") or [exc.detail]), status=400)
        except SharedwatchError:
            return error_page(exc, reader=reader)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader)


@bp.route("/api/cases", methods=["GET"])
@needs("self")
def list_cases() -> Response:
    """The approved cards, newest first."""
    return json_response({"cases": stored.approved()})


@bp.route("/api/cases/{incident_id}", methods=["GET"])
@needs("incidents.read")
def get_case(incident_id: str) -> Response:
    """A resolved incident's card: as saved, else its draft (`status` says which; nothing stored)."""
    review, cluster = _review(incident_id)
    return json_response(cases.current(review, cluster_id=cluster, now=utcnow()))


@bp.route("/api/cases/{incident_id}", methods=["PUT"], content_types=["*/*"])
@needs("cases", body=schemas.CASE_CARD)
def put_case(incident_id: str) -> Response:
    """`{"title", "posted", "spread", "spotted", "did", "helped", "approve": true|false,
    "redact": true|false, "rev"}`: any of them; leads and admins."""
    request = bp.current_request
    who = caller()
    doc = read_json(request)
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("the body is a JSON object: the card's fields to change"))
    if "rev" in doc and (not isinstance(doc["rev"], int) or isinstance(doc["rev"], bool)):
        raise InvalidPayload(N_("rev: the card's revision as you read it, a whole number"))
    return json_response(_change(request, who, incident_id, doc))
