"""The crisis plan's routes: scenarios (versioned, validated whole, tested against a mention or
a story), an incident's plan (tasks, holding statements and their approval and publication),
approval links for approvers, and the post-incident review as JSON and as a printable page.

Thin: each route reads and validates its request and calls a flow. The dry run
(`POST /api/plans/test`) calls the same pure `policy/crisis_run.start` a real incident's plan
takes hold by; what a signed-in person does to a plan is `flows/plan_actions.py`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from chalice.app import Blueprint, Request, Response

from chalicelib import credentials
from chalicelib.api import forms, schemas
from chalicelib.api.auth import actor, audit, client_address
from chalicelib.api.incidents import via_of
from chalicelib.api.problems import configuration_view, json_response, read_form, read_json, unaudited
from chalicelib.api.routes import caller, needs, signed
from chalicelib.api.stories import story_document
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound, SharedwatchError
from chalicelib.flows import plans, reach, reviews, statements
from chalicelib.flows.configuration import put_scenario
from chalicelib.flows.incidents import load as load_incident
from chalicelib.flows.plan_actions import Doer, approve_as, complete_as, edit_as, plan_document, publish_as
from chalicelib.i18n import N_
from chalicelib.policy import approval_links
from chalicelib.policy.access import Principal
from chalicelib.policy.crisis_run import IncidentNow, describe, start
from chalicelib.policy.scenarios import Facts, match, scenario_document, verdict
from chalicelib.settings import get_settings
from chalicelib.sources.base import mention_from_fields
from chalicelib.store.audit import Actor, act_as, record
from chalicelib.store.config import current_taxonomy, delete_config, load_scenarios, scenario_versions
from chalicelib.store.models import DeliveryModel, PlanModel
from chalicelib.triage import severity_thresholds, triage_mention
from chalicelib.triage.severity import LEVELS
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


# -- scenarios ---------------------------------------------------------------------------------


@bp.route("/api/plans", methods=["GET"])
@needs("config.read")
def list_plans() -> Response:
    return json_response({"scenarios": [scenario_document(s) for s in load_scenarios()]})


@bp.route("/api/plans/{scenario_id}", methods=["GET"])
@needs("config.read")
def get_plan(scenario_id: str) -> Response:
    versions = scenario_versions(scenario_id[:63])
    if not versions:
        raise NotFound(N_("no scenario %(scenario_id)s"), values={"scenario_id": repr(scenario_id[:40])})
    return json_response({"current": versions[0], "versions": versions})


@bp.route("/api/plans/{scenario_id}", methods=["PUT"])
@needs("config.write", body=schemas.SCENARIO)
@configuration_view
def put_plan(scenario_id: str) -> Response:
    """Validated whole (a 400 lists each wrong part); saved as the next version."""
    return json_response(put_scenario(scenario_id, read_json(bp.current_request)))


@bp.route("/api/plans/{scenario_id}", methods=["DELETE"])
@needs("config.write")
def delete_plan(scenario_id: str) -> Response:
    if not delete_config("scenario", scenario_id[:63]):
        raise NotFound(N_("no scenario %(scenario_id)s"), values={"scenario_id": repr(scenario_id[:40])})
    return Response(body="", status_code=204)


def facts_from(doc: Any) -> Facts:
    """What `POST /api/plans/test` matches: a mention as a source sends it (triaged here), a story
    by id, or the facts themselves."""
    if not isinstance(doc, dict) or len({"mention", "story", "facts"} & set(doc)) != 1:
        raise InvalidPayload(
            N_('one of "mention" (a mention as the generic source takes it), "story" (an id) or "facts"')
        )
    if "story" in doc:
        if not isinstance(doc["story"], str) or not doc["story"].strip():
            raise InvalidPayload(N_("story: a story's id (as GET /api/stories lists them)"))
        story = story_document(doc["story"].strip()[:64])
        return Facts(
            text=story["title"],
            departments=tuple(story["departments"]),
            severity=story["severity"],
            reach=int(story["reach"]),
            author=(story["influencers"] or [""])[0],
        )
    if "mention" in doc:
        errors: list[str] = []
        found = mention_from_fields(
            doc["mention"], path="mention", source="generic", received_at=utcnow(), delivery_id="", errors=errors
        )
        if errors or found is None:
            raise InvalidPayload("; ".join(errors[:5]) or "mention: not a mention", extra={"errors": errors})
        taxonomy, _ = current_taxonomy()
        m = triage_mention(found, taxonomy=taxonomy, thresholds=severity_thresholds())
        fields = m.routing_fields()
        return Facts(
            text=m.text,
            departments=m.departments,
            complaint=bool(fields.get("complaint")),
            severity=m.severity or "low",
            reach=m.author.followers,
            author=m.author.handle,
            region=m.region,
            brand=m.brand,
            lang=m.lang,
        )
    f = doc["facts"]
    if not isinstance(f, dict):
        raise InvalidPayload(
            N_("facts: an object (text, departments, complaint, severity, spike, reach, author, region, brand, lang)")
        )
    problems = []
    severity = str(f.get("severity", "low"))
    if severity not in LEVELS:
        problems.append(f"facts.severity: one of {', '.join(LEVELS)}")
    reach = f.get("reach", 0)
    if isinstance(reach, bool) or not isinstance(reach, int) or not 0 <= reach <= 10**10:
        problems.append("facts.reach: a whole number, 0 to 10^10")
        reach = 0
    departments = f.get("departments", [])
    if not isinstance(departments, list) or not all(isinstance(d, str) for d in departments):
        problems.append("facts.departments: a list of department slugs")
        departments = []
    if problems:
        raise InvalidPayload(
            N_("invalid facts: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    return Facts(
        text=str(f.get("text", ""))[:5000],
        departments=tuple(d[:63] for d in departments[:20]),
        complaint=f.get("complaint") is True,
        severity=severity,
        spike=str(f.get("spike", ""))[:20],
        reach=reach,
        author=str(f.get("author", ""))[:120],
        region=str(f.get("region", ""))[:20],
        brand=str(f.get("brand", ""))[:64],
        lang=str(f.get("lang", ""))[:20],
    )


@bp.route("/api/plans/test", methods=["POST"])
@needs("config.read", body=schemas.PLAN_TEST)
@unaudited("a dry run: nothing is stored or sent")
def test_plans() -> Response:
    """Which scenario would take this mention or story, every scenario's verdict and why, and
    everything the plan would set in motion (tasks with owners and due times, who hears how
    often, the drafted statements and who approves them). Nothing is stored or sent."""
    facts = facts_from(read_json(bp.current_request))
    now = utcnow()
    scenarios = load_scenarios()
    verdicts = []
    for s in scenarios:
        ok, reasons = verdict(s, facts)
        verdicts.append({"scenario": s.id, "name": s.name, "order": s.order, "matches": ok, "reasons": reasons})
    found = match(scenarios, facts)
    would: Mapping[str, object] | None = None
    if found is not None:  # the same start a real incident's plan takes
        incident = IncidentNow("(the incident)", facts.text[:120], "open", facts.severity, now)
        run = start(found, incident=incident, lang=facts.lang, company=get_settings().company_name, now=now)
        would = describe(run, now=now)
    return json_response({"facts": asdict(facts), "verdicts": verdicts, "would": would})


# -- an incident's plan --------------------------------------------------------------------------


@bp.route("/api/incidents/{incident_id}/plan", methods=["GET"])
@needs("incidents.read")
def get_incident_plan(incident_id: str) -> Response:
    return json_response(plan_document(plans.load(incident_id)))


def _object(request: Request) -> dict[str, Any]:
    doc = read_json(request) if request.raw_body else {}
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object"))
    return doc


def _revision(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidPayload(N_("revision: the statement's revision you read (a whole number)"))
    return value


def doer(request: Request, who: Principal) -> Doer:
    """The signed-in person as the plan's flows record them."""
    return Doer(label=who.label, via=via_of(who), actor=actor(request, who))


@bp.route("/api/incidents/{incident_id}/tasks/{task_id}", methods=["POST"])
@needs("incidents.act")
def finish_task(incident_id: str, task_id: str) -> Response:
    """Mark a checklist task done (once; a second call changes nothing)."""
    who = caller()
    row = complete_as(doer(bp.current_request, who), incident_id=incident_id, task_id=task_id)
    return json_response(plan_document(row))


@bp.route("/api/incidents/{incident_id}/statements/{lang}", methods=["PUT"])
@needs("incidents.act", body=schemas.STATEMENT_EDIT)
def put_statement(incident_id: str, lang: str) -> Response:
    """A new revision: `{"text": ..., "revision": <the one you read>}`; approvals start over."""
    who = caller()
    doc = _object(bp.current_request)
    text = doc.get("text")
    if not isinstance(text, str):
        raise InvalidPayload(N_("text: the statement"))
    by = doer(bp.current_request, who)
    row = edit_as(by, incident_id=incident_id, lang=lang, text=text, revision=_revision(doc.get("revision")))
    return json_response(plan_document(row))


@bp.route("/api/incidents/{incident_id}/statements/{lang}/approve", methods=["POST"])
@needs("incidents.act", body=schemas.STATEMENT_APPROVAL)
def approve_statement(incident_id: str, lang: str) -> Response:
    """`{"revision": n, "role": "legal"}` as a person the scenario names for that role."""
    who = caller()
    doc = _object(bp.current_request)
    revision, role = _revision(doc.get("revision")), str(doc.get("role", ""))[:63]
    done = approve_as(doer(bp.current_request, who), incident_id=incident_id, lang=lang, revision=revision, role=role)
    return json_response({"approved": done, "plan": plan_document(plans.load(incident_id))})


@bp.route("/api/incidents/{incident_id}/statements/{lang}/publish", methods=["POST"])
@needs("incidents.act")
def publish_statement(incident_id: str, lang: str) -> Response:
    """The approved statement to every employee, the wall and the dark site, in one step."""
    who = caller()
    done = publish_as(doer(bp.current_request, who), incident_id=incident_id, lang=lang)
    return json_response({"published": done, "plan": plan_document(plans.load(incident_id))})


@bp.route("/api/incidents/{incident_id}/actions", methods=["POST"])
@needs("incidents.act", body=schemas.ACTION_ITEM)
def add_action_item(incident_id: str) -> Response:
    """A review's action item: `{"text", "owner" (email), "due" (YYYY-MM-DD)}`."""
    who = caller()
    doc = _object(bp.current_request)
    row = reviews.add_action(
        incident_id=incident_id,
        text=str(doc.get("text", "")),
        owner=str(doc.get("owner", ""))[:254],
        due=str(doc.get("due", ""))[:10],
        by=who.label,
        now=utcnow(),
    )
    audit(
        bp.current_request,
        who,
        action="plan.action.add",
        target=incident_id,
        after={"text": str(doc.get("text", ""))[:300]},
    )
    return json_response(plan_document(row), status=201)


@bp.route("/api/incidents/{incident_id}/actions/{action_id}", methods=["POST"])
@needs("incidents.act")
def finish_action_item(incident_id: str, action_id: str) -> Response:
    who = caller()
    row = reviews.finish_action(incident_id=incident_id, action_id=action_id[:20], by=who.label, now=utcnow())
    audit(bp.current_request, who, action="plan.action.done", target=f"{incident_id}/{action_id[:20]}")
    return json_response(plan_document(row))


# -- the review ----------------------------------------------------------------------------------


def review_of(incident_id: str) -> dict[str, Any]:
    incident = load_incident(incident_id)
    try:
        plan: PlanModel | None = plans.load(incident_id)
    except NotFound:
        plan = None
    try:
        story = story_document(incident.cluster_id)
    except NotFound:
        story = {"chart": [], "reports": []}
    told = [
        {
            "at": d.claimed_at.isoformat(),
            "group": d.group,
            "kind": d.item_kind,
            "subject": d.subject,
            "status": d.status,
        }
        for d in DeliveryModel.item_index.query(incident.incident_id, limit=200)
    ]
    return reviews.review(incident, plan, story=story, told=told, reach=reach.reach_summary(incident_id))


@bp.route("/api/incidents/{incident_id}/review", methods=["GET"])
@needs("incidents.read")
def get_review(incident_id: str) -> Response:
    return json_response(review_of(incident_id))


@bp.route("/incidents/{incident_id}/review", methods=["GET"])
@needs("incidents.read", page=True)
def review_page(incident_id: str) -> Response:
    """Printable (the browser prints it to PDF): no script, print styles in the sheet."""
    who = caller()
    try:
        r = review_of(incident_id)
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    peak = max([p["joined"] for p in r["story"].get("chart", [])] + [1])
    return page("review.html", person=who.label, r=r, peak=peak)


# -- approval links --------------------------------------------------------------------------------


def _grant(token: str) -> approval_links.Approval:
    return approval_links.verify(token[:200], key=credentials.signing_key(), now=utcnow())


def _approval_page(token: str, grant: approval_links.Approval, *, done: str = "", status: int = 200) -> Response:
    row = plans.load(grant.incident_id)
    state = plans.state_of(row)
    st = state.statements.get(grant.lang)
    if st is None:
        raise NotFound(N_("this statement no longer exists"))
    current = st.revision == grant.revision
    holder = state.scenario.roles.get(grant.role)
    return page(
        "approve.html",
        status=status,
        token=token,
        grant=grant,
        statement=st.to_item(),
        current=current,
        approved=grant.role in st.approvals and current,
        holder=holder.person if holder else "",
        title=state.title,
        drill=bool(row.drill),
        done=done,
    )


@bp.route("/approve/{token}", methods=["GET"])
@signed("signed link", "a statement's approval link, mailed to its approver")
def approval_link(token: str) -> Response:
    """Shows the statement and a button: a GET (a mail scanner) approves nothing."""
    try:
        return _approval_page(token, _grant(token))
    except SharedwatchError as exc:
        return error_page(exc)


@bp.route(
    "/approve/{token}", methods=["POST"], content_types=["application/x-www-form-urlencoded", "multipart/form-data"]
)
@signed("signed link", "a statement's approval link, mailed to its approver", form=forms.CSRF_FORM)
def approve_by_link(token: str) -> Response:
    """Approves for the role the link was sent to, for the revision it was minted for only."""
    read_form(bp.current_request, fields=2)
    try:
        grant = _grant(token)
        holder = plans.state_of(plans.load(grant.incident_id)).scenario.roles.get(grant.role)
        person = holder.person if holder else ""
        # The link was mailed to the role's holder: on the audit trail as them, by that link.
        by_link = Actor(
            id=person or f"role:{grant.role}",
            via="email link",
            source_ip=client_address(bp.current_request),
            user_agent=bp.current_request.headers.get("user-agent") or "",
        )
        act_as(by_link)
        _, done = statements.approve(
            incident_id=grant.incident_id,
            lang=grant.lang,
            revision=grant.revision,
            role=grant.role,
            by=person or grant.role,
            via="email link",
            now=utcnow(),
        )
        if done:
            record(
                actor=by_link,
                action="plan.statement.approve",
                target=f"{grant.incident_id}/{grant.lang}",
                now=utcnow(),
                after={"revision": grant.revision, "role": grant.role},
            )
        return _approval_page(token, grant, done="Approved: thank you." if done else "It was already approved.")
    except SharedwatchError as exc:
        return error_page(exc)
