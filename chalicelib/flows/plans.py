"""The crisis plan at work, as read → decide → act. When an incident matches a scenario the
plan takes hold (`policy/crisis_run.start`): its tasks are created with owners and due times,
the stakeholders' updates are scheduled at their cadence, the holding statements are drafted
and their approvers asked. The schedule reads each plan that is due, asks
`policy/crisis_run.due_now` what is due (reminders to an overdue task's owner, then its
backup; each update at its cadence; closing when the incident is resolved), carries the steps
out and writes the next state. What becomes of the statements lives in flows/statements.py,
the review in flows/reviews.py; both change the plan through `change` here.

The plan is stored as one document (`PlanModel.doc`, read and written as a typed
`policy/crisis.PlanState`), changed only by writes conditional on its revision. Side effects
first, then the record: every mail and notification has a deterministic delivery id (the
delivery log sends it once), so a run that dies between the two repeats the send harmlessly
and writes the record the next time."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib import credentials
from chalicelib.errors import Conflict, DeliveryFailed, NotFound
from chalicelib.flows.incidents import DUE
from chalicelib.flows.reach import message_id, reach_people
from chalicelib.i18n import N_
from chalicelib.notify.gate import send
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.policy import approval_links, regions
from chalicelib.policy.batch import Outgoing
from chalicelib.policy.crisis import PlanState
from chalicelib.policy.crisis_run import (
    AskApproval,
    BriefRole,
    Close,
    IncidentNow,
    Remind,
    Run,
    Step,
    Update,
    after,
    approval_text,
    approvals_to_ask,
    brief_text,
    closing,
    completing,
    due_now,
    joining,
    next_at,
    reminder_text,
    start,
    update_text,
)
from chalicelib.policy.drills import ENDED_NOTE
from chalicelib.policy.drills import running as drill_running
from chalicelib.policy.messages import (
    plan_approval_subject,
    plan_overdue_subject,
    plan_role_subject,
    plan_update_subject,
)
from chalicelib.policy.reach import Message
from chalicelib.policy.scenarios import Facts, Scenario, match
from chalicelib.policy.stories import timeline_entry
from chalicelib.records import Mention, Notification, Signal, delivery_key
from chalicelib.settings import get_settings
from chalicelib.store import drills
from chalicelib.store.config import load_routing, load_scenarios
from chalicelib.store.models import IncidentModel, PlanModel

ALL_STAFF = "all-staff"  # the group every employee's address is in: all-staff briefs go to it
ATTEMPTS = 5


# -- reading and changing a plan -----------------------------------------------------------------


def load(incident_id: str) -> PlanModel:
    try:
        return PlanModel.get(incident_id[:40], consistent_read=True)
    except PlanModel.DoesNotExist:
        raise NotFound(
            N_("incident %(incident_id)s has no crisis plan"), values={"incident_id": repr(incident_id[:40])}
        ) from None


def state_of(row: PlanModel) -> PlanState:
    """The stored plan as its typed record (the scenario as it was when the incident started)."""
    return PlanState.from_item(row.doc, scenario_key=row.scenario)


def _write(row: PlanModel, state: PlanState) -> bool:
    """Store the changed plan if nobody changed it meanwhile; False when somebody did."""
    when = next_at(state)
    actions: list[Action] = [PlanModel.doc.set(state.to_item()), PlanModel.rev.set(int(row.rev) + 1)]
    actions += [PlanModel.due.set(DUE), PlanModel.next_at.set(when)] if when else [PlanModel.due.remove()]
    if not when:
        actions.append(PlanModel.next_at.remove())
    try:
        row.update(actions=actions, condition=PlanModel.rev == int(row.rev))
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def change[T](incident_id: str, decide: Callable[[PlanState], tuple[PlanState, T]]) -> tuple[PlanModel, T]:
    """Read, decide the next state, write it conditionally; again when someone else wrote meanwhile."""
    for _ in range(ATTEMPTS):
        row = load(incident_id)
        state = state_of(row)
        new, result = decide(state)
        if new == state or _write(row, new):
            return load(incident_id), result
    raise Conflict(N_("the plan kept changing while this was saved; try again"))


def note_on_timeline(incident_id: str, entries: Sequence[str]) -> None:
    if entries:
        IncidentModel(incident_id=incident_id).update(
            actions=[IncidentModel.timeline.set(IncidentModel.timeline.append(list(entries)))]
        )


# -- the plan takes hold -----------------------------------------------------------------------


def _drill_scenarios(drill: str, scenarios: Sequence[Scenario]) -> tuple[list[Scenario], float] | None:
    """A drill's incident takes the drill's own scenario at the drill's pace; None once it ended."""
    drill_doc = drills.load(drill)
    if not drill_running(drill_doc):
        return None
    return [s for s in scenarios if s.id == drill_doc["scenario"]], float(drill_doc.get("pace", 1))


def take_hold(
    *,
    incident_id: str,
    title: str,
    severity: str,
    opened_at: datetime,
    facts: Facts,
    now: datetime,
    scenarios: Sequence[Scenario] | None = None,
    drill: str = "",
) -> PlanModel | None:
    """Start the matching scenario's plan for an incident, once (None when none matches). A
    drill's incident takes the drill's own scenario, at the drill's pace; a drill that has
    ended starts nothing."""
    pace, candidates = 1.0, list(load_scenarios() if scenarios is None else scenarios)
    if drill:
        found_drill = _drill_scenarios(drill, candidates)
        if found_drill is None:
            return None
        candidates, pace = found_drill
    found = match(candidates, facts)
    if found is None:
        return None
    s, areas = regions.for_incident(found.scenario, facts.origins)  # a region's people lead it
    found = replace(found, scenario=s)
    running = running_plan(s.id, drill=drill)
    if running is not None and running.incident_id != incident_id:
        return join_plan(running, incident_id=incident_id, now=now)
    run = start(
        found,
        incident=IncidentNow(incident_id, title, "open", severity, opened_at),
        lang=facts.lang,
        company=get_settings().company_name,
        now=now,
        pace=pace,
        drill=drill,
    )
    run = replace(run, state=replace(run.state, regions=tuple(regions.plan_regions(areas))))
    row = PlanModel(
        incident_id=incident_id, scenario=found.scenario.id, doc=run.state.to_item(), rev=1, drill=drill or None
    )
    when = next_at(run.state)
    if when:
        row.due, row.next_at = DUE, when
    try:
        row.save(condition=PlanModel.incident_id.does_not_exist())  # once, however many batches race
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return load(incident_id)
        raise
    s = found.scenario
    reason = "; ".join(found.reasons)[:300]
    note_on_timeline(
        incident_id,
        [
            timeline_entry("plan started", now, scenario=s.name, version=s.version, reason=reason),
            timeline_entry("statements drafted", now, note=", ".join(sorted(run.state.statements))),
        ],
    )
    if drill:
        drills.follow(drill, incident_id=incident_id, at=now)
    try:
        carry_out(run.state, run.steps, now=now)
    except Exception:  # the plan stands; the schedule's reminders and the page carry it
        logger.exception("plan's people not told", extra={"incident": incident_id})
    return row


def facts_for(signals: Sequence[Signal], *, severity: str, reach: int) -> Facts:
    """A story's facts from the signals of it a batch carried: the most severe one speaks for it."""
    from chalicelib.triage.severity import LEVELS

    def rank(s: Signal) -> int:
        level = s.severity if isinstance(s, Mention) else s.routing_fields()["severity"]
        return LEVELS.index(level) if level in LEVELS else 0

    lead = max(signals, key=rank)
    fields = lead.routing_fields()
    return Facts(
        text=" ".join(s.text for s in signals)[:5000],
        departments=tuple(sorted({d for s in signals for d in s.routing_fields()["departments"]})),
        complaint=bool(fields.get("complaint")),
        severity=severity,
        reach=max([reach, *(s.author.followers for s in signals if isinstance(s, Mention))]),
        author=lead.author.handle if isinstance(lead, Mention) else "",
        region=str(fields.get("region", "")),
        brand=str(fields.get("brand", "")),
        lang=str(fields.get("lang", "")),
        origins=tuple((s.region, s.lang) for s in signals if isinstance(s, Mention)),  # policy/regions.py
    )


def start_for(
    changed: Sequence[IncidentModel], signals: Sequence[Signal], stories: Mapping[str, Any], *, now: datetime
) -> int:
    """The router's crisis-plan stage: every incident a batch opened or made more severe, and
    that has no plan yet, is matched against the scenarios. One BatchGet finds which already
    have one; the conditional put in `take_hold` starts each plan once however often the batch
    is redelivered."""
    from chalicelib.policy.stories import item_id
    from chalicelib.store.batch import batch_get

    if not changed:
        return 0
    have = batch_get(PlanModel.Meta.table_name, "incident_id", sorted({r.incident_id for r in changed}))
    scenarios = load_scenarios()
    if not scenarios:
        return 0
    started = 0
    for row in changed:
        if row.incident_id in have or row.status == "resolved":
            continue
        mine = [s for s in signals if getattr(stories.get(item_id(s)), "cluster_id", "") == row.cluster_id]
        if not mine:
            continue
        story = stories[item_id(mine[0])]
        facts = facts_for(mine, severity=row.severity, reach=int(getattr(story, "reach", 0)))
        drill = next((s.drill for s in mine if s.drill), "")
        try:
            if take_hold(
                incident_id=row.incident_id,
                title=row.title,
                severity=row.severity,
                opened_at=row.opened_at,
                facts=facts,
                now=now,
                scenarios=scenarios,
                drill=drill,
            ):
                started += 1
        except Exception:  # the incident and its notices stand; the plan is tried with the next change
            logger.exception("plan not started", extra={"incident": row.incident_id})
    return started


def running_plan(scenario_id: str, *, drill: str = "") -> PlanModel | None:
    """The plan of this scenario already under way (one crisis, one plan: a second story about
    it joins the first plan rather than starting another, with its tasks and its mail). A
    drill's plans and the real ones never meet: a real incident joins only a real plan, a
    drill's incident only its own drill's."""
    for row in PlanModel.due_index.query(DUE):
        if row.scenario == scenario_id and (row.drill or "") == drill and state_of(row).closed_at is None:
            return row
    return None


def close_for_drill(incident_id: str, *, now: datetime) -> bool:
    """The plan of a drill's incident closed because the drill ended: it leaves the schedule's
    queue at once (no reminder, no update), and its timeline says so, once. False when there is
    no plan (the incident joined another's, or none matched) or it was closed already."""
    try:
        _, closed = change(incident_id, lambda s: closing(s, now=now, because=ENDED_NOTE))
    except NotFound:
        return False
    if closed:
        note_on_timeline(incident_id, [timeline_entry("plan closed", now, note=ENDED_NOTE)])
    return closed


def join_plan(row: PlanModel, *, incident_id: str, now: datetime) -> PlanModel:
    """Another incident about the same crisis: it is part of the running plan."""
    joined, added = change(row.incident_id, lambda s: joining(s, incident_id))
    if added:
        note = f"part of the {state_of(joined).scenario.name} plan of incident {row.incident_id}"
        note_on_timeline(incident_id, [timeline_entry("plan joined", now, note=note)])
        note_on_timeline(row.incident_id, [timeline_entry("incident joined the plan", now, note=incident_id)])
    return joined


# -- acting: the steps a decision returned -----------------------------------------------------


def _mail(state: PlanState, *, delivery_id: str, to: str, subject: str, body: str) -> bool:
    """A plan's mail to one person, once (the delivery log); a drill's says so first."""
    if state.drill:
        subject, body = f"[DRILL] {subject}", f"DRILL: this is an exercise.\n\n{body}"
    return send_mail(
        delivery_id=delivery_id, to=to, subject=subject[:99], body=body, item_id=state.incident_id, kind="plan"
    )


def _page(incident_id: str) -> str:
    return f"{get_settings().public_base_url}/incidents/{incident_id}"


def _brief(state: PlanState, step: BriefRole) -> bool:
    return _mail(
        state,
        delivery_id=delivery_key(f"plan-role:{state.incident_id}:{step.role}"),
        to=step.to,
        subject=plan_role_subject(step.role, state.scenario.name),
        body=brief_text(state, step, page=_page(state.incident_id)),
    )


def _ask(state: PlanState, step: AskApproval, *, now: datetime) -> bool:
    incident_id = state.incident_id
    token = approval_links.mint(
        key=credentials.signing_key(),
        incident_id=incident_id,
        lang=step.lang,
        revision=step.revision,
        role=step.role,
        now=now,
    )
    link = f"{get_settings().public_base_url}/approve/{token}"
    return _mail(
        state,
        delivery_id=delivery_key(f"approve:{incident_id}:{step.lang}:{step.revision}:{step.role}"),
        to=step.to,
        subject=plan_approval_subject(incident_id, step.lang),
        body=approval_text(state, step, link=link, page=_page(incident_id)),
    )


def _remind(state: PlanState, step: Remind, incident: IncidentModel, *, now: datetime) -> str:
    page = _page(incident.incident_id)
    _mail(
        state,
        delivery_id=delivery_key(f"task:{incident.incident_id}:{step.task.id}:{step.who}"),
        to=step.to,
        subject=plan_overdue_subject(step.task.task),
        body=reminder_text(step, incident_id=incident.incident_id, title=incident.title, page=page),
    )
    return timeline_entry("task overdue", now, note=step.task.id, by=step.to, reason=f"reminded the {step.who}")


def _update(state: PlanState, step: Update, incident: IncidentModel, *, now: datetime) -> Outgoing | None:
    """A stakeholder's update: a person's by mail now; a group's to its people (each with a read
    link) now, and its SNS notification returned to go out with the others."""
    x, n, iid = step.stakeholder, step.n, incident.incident_id
    delivery = delivery_key(f"update:{iid}:{x.key}:{n}")
    facts = IncidentNow(iid, incident.title, incident.status, incident.severity, incident.opened_at)
    text = update_text(state, facts, zone=x.zone, now=now, page=_page(iid))
    subject = plan_update_subject(n, incident.title, drill=bool(state.drill))
    sms = f"sharedwatch update {n}: {incident.status}, {incident.severity}: {incident.title}"
    if x.person:
        send_mail(delivery_id=delivery, to=x.person, subject=subject, body=text, item_id=iid, kind="plan")
        return None
    update = Message(
        incident_id=iid,
        message_id=message_id("update", f"{iid}:{x.key}:{n}"),
        kind="update",
        title=f"{incident.title} ({n})",
        sections=(("", text),),
        sms=sms,
        drill=bool(state.drill),
    )
    reminder = state.scenario.read_reminder_minutes
    reach_people(group=x.group, message=update, now=now, reminder_minutes=reminder, pace=state.pace)
    return Outgoing(
        Notification(
            delivery_id=delivery,
            group=x.group,
            subject=subject,
            email=text,
            sms=sms[:160],
            reasons=(f"the crisis plan: every {x.every_minutes} minutes",),
            item_kind="update",
            item_id=iid,
            severity=incident.severity,
            incident_id=iid,
        )
    )


def carry_out(
    state: PlanState, steps: Sequence[Step], *, now: datetime, incident: IncidentModel | None = None
) -> list[str]:
    """Send what the steps say, in order; the timeline's entries for them. Raises DeliveryFailed
    when a group's update did not go out (the plan stays due: it is sent again, once)."""
    entries: list[str] = []
    outgoing: list[Outgoing] = []
    for step in steps:
        if isinstance(step, BriefRole):
            _brief(state, step)
        elif isinstance(step, AskApproval):
            _ask(state, step, now=now)
        elif isinstance(step, Remind) and incident is not None:
            entries.append(_remind(state, step, incident, now=now))
        elif isinstance(step, Update) and incident is not None:
            notice = _update(state, step, incident, now=now)
            outgoing += [notice] if notice else []
            who = step.stakeholder.group or step.stakeholder.person
            entries.append(timeline_entry("stakeholders updated", now, note=who, reason=f"update {step.n}"))
    if outgoing:
        _, failures = send(outgoing, config=load_routing(), now=now)
        if failures:
            raise DeliveryFailed(
                N_("updates not delivered: %(failures)s"), values={"failures": failures[0][:200]}
            )  # stays due: sent again, once
    return entries


def ask_approvers(state: PlanState, *, now: datetime) -> int:
    """Every approver of every draft statement's current revision gets their own link, once."""
    asks = approvals_to_ask(state)
    return sum(1 for step in asks if _ask(state, step, now=now))


# -- tasks ---------------------------------------------------------------------------------------


def complete_task(*, incident_id: str, task_id: str, by: str, via: str, now: datetime) -> PlanModel:
    row, done = change(incident_id, lambda s: completing(s, task_id, by=by, via=via, now=now))
    if done:
        note_on_timeline(incident_id, [timeline_entry("task done", now, by=by, via=via, note=task_id)])
    return row


# -- the schedule: reminders and stakeholder updates -------------------------------------------


def run_due(*, now: datetime, limit: int = 100) -> int:
    """Task reminders (owner at the due time, then backup) and stakeholder updates that are
    due; a resolved incident's plan stops. Returns how many went out."""
    sent = 0
    for row in PlanModel.due_index.query(DUE, PlanModel.next_at <= now, limit=limit):
        try:
            sent += _run_one(row, now=now)
        except Exception:  # one plan's failure never holds up the others; it stays due
            logger.exception("plan step failed", extra={"incident": row.incident_id})
    return sent


def _run_one(row: PlanModel, *, now: datetime) -> int:
    """Read the plan and its incident, decide what is due, carry it out, write the next state."""
    incident = IncidentModel.get(row.incident_id, consistent_read=True)
    run: Run = due_now(state_of(row), status=incident.status, severity=incident.severity, now=now)
    if any(isinstance(s, Close) for s in run.steps):
        _, closed = change(row.incident_id, lambda s: closing(s, now=now, because=""))
        if closed:  # closed meanwhile (a drill's end): its entry is there already
            note_on_timeline(row.incident_id, [timeline_entry("plan closed", now, note="the incident is resolved")])
        return 0
    entries = carry_out(state_of(row), run.steps, now=now, incident=incident)
    # Applied to the plan as it is when written: a responder may have changed it meanwhile.
    change(row.incident_id, lambda s: (after(s, run.steps, now=now), None))
    note_on_timeline(row.incident_id, entries)
    return len(run.steps)
