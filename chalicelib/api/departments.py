"""Every department's page, for every employee: how their work landed this week and the trend,
praise and complaints with examples, incidents it owned and how they ended, who spotted things
first; who is in it (the directory) and who follows it; and following a department (its digest
by email)."""

from __future__ import annotations

import json
from datetime import timedelta

from chalice.app import Blueprint, Response

from chalicelib import aws
from chalicelib.api import forms
from chalicelib.api.auth import actor, check_csrf, csrf_token, reader_for, say
from chalicelib.api.problems import json_response, read_form
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidQuery, NotFound, SharedwatchError
from chalicelib.flows import groups, measures
from chalicelib.flows.digests import department_week
from chalicelib.flows.drills import exercises_for
from chalicelib.flows.statements import briefs
from chalicelib.i18n import N_, supported
from chalicelib.policy import cases as case_policy
from chalicelib.policy import measures as measure_policy
from chalicelib.policy import spotit as spotit_policy
from chalicelib.policy.config import Department
from chalicelib.policy.noise import follower_filter, is_follower_of, recipient_zone
from chalicelib.settings import get_settings
from chalicelib.store import cases, directory, spotit
from chalicelib.store.audit import record
from chalicelib.store.config import load_routing
from chalicelib.web import error_page, page

bp = Blueprint(__name__)
BRIEF_SHOWN = timedelta(days=3)  # how long an all-staff brief heads every department's page


def _department(slug: str) -> Department:
    department = load_routing().departments.get(slug)
    if department is None:
        raise NotFound(N_("no department %(slug)s"), values={"slug": repr(slug[:40])})
    return department


@bp.route("/api/departments/{slug}/week", methods=["GET"])
@needs("self")
def department_json(slug: str) -> Response:
    """The department's page as data: this week against the one before."""
    return json_response(department_week(_department(slug), now=utcnow()))


@bp.route("/api/measures", methods=["GET"])
@needs("config.read")
def watchfulness_measures() -> Response:
    """How watchful each department is in a month (`month=YYYY-MM`, default this month so far;
    `department=` one): reports per 100 staff, the median minutes from a story's first post to
    its first employee report, and stories spotted before the listening tools. Drill reports
    never count; no person is named."""
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    wanted = [_department(query["department"][:63]).slug] if query.get("department") else []
    try:
        return json_response(measures.measure(query.get("month", "")[:20], now=utcnow(), departments=wanted))
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from None


@bp.route("/api/departments/{slug}/people", methods=["GET"])
@needs("self")
def department_people(slug: str) -> Response:
    """Who is in the department (the directory's active people) and who follows it."""
    return json_response(_people(_department(slug)))


def _people(department: Department) -> dict[str, list[dict[str, str]]]:
    members = sorted(directory.in_department(department.slug), key=lambda p: str(p.get("name") or p["email"]).lower())
    return {
        "people": [{"name": str(p.get("name") or ""), "email": str(p.get("email") or "")} for p in members],
        "followers": [{"email": e} for e in directory.followers(department.slug)],
    }


def _following(slug: str, email: str) -> str:
    """The follower subscription of this address to this department's digests, or ""."""
    department = _department(slug)
    sns = aws.sns()
    arn = get_settings().group_topic_arn(department.group)
    if department.group not in load_routing().groups:
        return ""  # its group is gone: nobody can follow it (saying so is the page's job)
    for page_ in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        for sub in page_["Subscriptions"]:
            if sub["Protocol"] == "email" and sub["Endpoint"] == email and sub["SubscriptionArn"].startswith("arn:"):
                attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
                audience = json.loads(attributes.get("FilterPolicy") or "{}").get("audience")
                # Theirs in whichever zone (or none: a follow from before follows had zones).
                if isinstance(audience, list) and len(audience) == 1 and is_follower_of(slug, audience[0]):
                    return str(sub["SubscriptionArn"])
    return ""


@bp.route("/departments", methods=["GET"])
@needs("self", page=True)
def departments_page() -> Response:
    who = caller()
    departments = sorted(load_routing().departments.values(), key=lambda d: d.name)
    return page("departments.html", reader=reader_for(bp.current_request), person=who.label, departments=departments)


@bp.route("/departments/{slug}", methods=["GET"])
@needs("self", page=True)
def department_page(slug: str) -> Response:
    who = caller()
    return _render(who.label, who.id, who.session_id, slug)


def _render(person: str, email: str, session_id: str, slug: str, *, done: str = "") -> Response:
    try:
        department = _department(slug)
        week = department_week(department, now=utcnow())
    except NotFound as exc:
        return page("error.html", status=404, title=exc.title, detail=exc.detail, back="")
    peak = max([d["mentions"] for d in week["days"]] + [1])
    people = _people(department)
    practice = spotit_policy.aggregate(spotit.department_counts(slug, f"{utcnow():%Y-%m}"), staff=len(people["people"]))
    return page(
        "department.html",
        reader=reader_for(bp.current_request),
        people=people,
        practice=practice,
        briefs=[b for b in briefs() if b["at"] >= (utcnow() - BRIEF_SHOWN).isoformat()],
        person=person,
        w=week,
        peak=peak,
        following=bool(_following(slug, email)) if "@" in email else False,
        csrf=csrf_token(session_id),
        done=done,
        cases=case_policy.for_department(cases.approved(), slug),  # one Query
        case_peak=case_policy.peak,
        exercises=exercises_for(department.slug),
        # Last month's measures, kept by the monthly note's run (one GetItem; None before it ran).
        measured=measures.kept(measure_policy.month_before(utcnow()), department.slug),
        measured_month=measure_policy.month_before(utcnow()),
    )


@bp.route("/departments/{slug}/follow", methods=["POST"], content_types=["*/*"])
@needs("self", form=forms.FOLLOW_FORM, back="/departments/{slug}")
def follow(slug: str) -> Response:
    """Follow (or, with `stop`, stop following) a department: its digests by email."""
    request = bp.current_request
    who = caller()
    form = read_form(request, fields=4)
    try:
        check_csrf(str(form.get("csrf", "")), who.session_id)
        department = _department(slug)
        if department.group not in load_routing().groups:
            raise NotFound(
                N_("%(name)s's group does not exist any more: nobody can follow it now"),
                values={"name": department.name},
            )
        existing = _following(slug, who.id)
        zone = recipient_zone(who.zone, get_settings().zone)
        if form.get("stop"):
            if existing:
                aws.sns().unsubscribe(SubscriptionArn=existing)
            done = say(request, N_("You no longer follow %(name)s."), name=department.name)
        else:
            language = supported(who.language)
            policy = json.dumps(follower_filter(slug, zone, language))
            groups.add_language(load_routing().groups[department.group], language)  # its digests in theirs
            if existing:  # following again moves their digests to their zone now (no new confirmation)
                aws.sns().set_subscription_attributes(
                    SubscriptionArn=existing, AttributeName="FilterPolicy", AttributeValue=policy
                )
            else:
                aws.sns().subscribe(
                    TopicArn=get_settings().group_topic_arn(department.group),
                    Protocol="email",
                    Endpoint=who.id,
                    Attributes={"FilterPolicy": policy},
                    ReturnSubscriptionArn=True,
                )
            done = N_("You follow %(name)s: its digests come to %(address)s (confirm the first email).")
            done = say(request, done, name=department.name, address=who.id)
        if form.get("stop"):
            directory.unfollow(slug, who.id)
        else:
            directory.follow(slug, who.id, at=utcnow().isoformat(), zone=zone)
        record(
            actor=actor(request, who),
            action="department.unfollow" if form.get("stop") else "department.follow",
            target=slug,
            now=utcnow(),
        )
    except SharedwatchError as exc:
        return error_page(exc)
    return _render(who.label, who.id, who.session_id, slug, done=done)
