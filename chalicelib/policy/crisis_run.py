"""The crisis plan's decisions, pure: a plan taking hold of an incident, what is due at a time
(task reminders to the owner then the backup, stakeholder updates at their cadence, the plan
closing when its incident is resolved) and every change a person makes (a task done, a
statement edited, approved, published; a review's action item). Each returns the next
`PlanState` and, where something is to be sent, the steps; `flows/plans.py` reads, decides
here, carries the steps out and writes the state conditionally.

Re-running a decision on the state it returned does nothing: reminders and updates are
counted on the state, and every step's mail has a deterministic delivery id."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from chalicelib.errors import Conflict, InvalidPayload, NotFound
from chalicelib.i18n import N_
from chalicelib.policy.crisis import (
    APPROVED,
    DONE,
    DRAFT,
    JOINED_KEPT,
    KEPT,
    OPEN,
    PUBLISHED,
    ActionItem,
    Approval,
    ApprovedVersion,
    PlanState,
    PlanTask,
    Published,
    Revision,
    Statement,
    UpdateState,
)
from chalicelib.policy.scenarios import Match, Scenario, Stakeholder, fill, language_for

BACKUP_AFTER = timedelta(minutes=15)  # an overdue task's backup hears this long after its owner
ACTIONS_KEPT = 50
RESOLVED_NOTE = "the incident is resolved"


# -- the plan's clock ------------------------------------------------------------------------------


def tasks_for(s: Scenario, *, opened_at: datetime, pace: float = 1.0) -> list[PlanTask]:
    """The checklist as tasks; a drill may run at a faster pace (60: a minute of the plan passes
    in a second), real incidents at 1."""
    return [
        PlanTask(
            id=step.id,
            task=step.task,
            role=step.role,
            owner=s.roles[step.role].person,
            backup=s.roles[step.role].backup,
            due_at=opened_at + timedelta(minutes=step.within_minutes / pace),
        )
        for step in s.checklist
    ]


def reminder_due(*, due_at: datetime, reminded: int, has_backup: bool, now: datetime, pace: float = 1.0) -> str:
    """Whom an open task's reminder goes to now: "owner" at its due time, "backup" a quarter
    hour later; "" when nothing is due."""
    if reminded == 0 and now >= due_at:
        return "owner"
    if reminded == 1 and has_backup and now >= due_at + BACKUP_AFTER / pace:
        return "backup"
    return ""


def next_reminder_at(*, due_at: datetime, reminded: int, has_backup: bool, pace: float = 1.0) -> datetime | None:
    if reminded == 0:
        return due_at
    if reminded == 1 and has_backup:
        return due_at + BACKUP_AFTER / pace
    return None


def cadence(x: Stakeholder, *, pace: float = 1.0) -> timedelta:
    return timedelta(minutes=x.every_minutes / pace)


def update_due(
    x: Stakeholder, *, severity: str, last: datetime | None, opened_at: datetime, now: datetime, pace: float = 1.0
) -> bool:
    """A stakeholder's update is due: at its cadence from the incident's start, while the
    incident is at a severity it covers."""
    if x.during and severity not in x.during:
        return False
    if x.hours and severity != "critical" and not within_hours(x.hours, x.zone, now):
        return False
    return now >= (last or opened_at) + cadence(x, pace=pace)


def within_hours(hours: str, zone: str, now: datetime) -> bool:
    """Whether it is within these local hours where the person is ("22:00-06:00" spans midnight)."""
    start, _, end = hours.partition("-")
    local = now.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return start <= local < end if start <= end else (local >= start or local < end)


def local_time(at: datetime, zone: str) -> str:
    """A time as a person reads it: in their own zone, with the zone named."""
    return at.astimezone(ZoneInfo(zone)).strftime("%H:%M %Z, %d %b").replace(" 0", " ")


def next_at(state: PlanState) -> datetime | None:
    """When the schedule must next look at this plan: the first task reminder or update due."""
    if state.closed_at:
        return None
    times: list[datetime] = []
    for t in state.tasks:
        if t.status == OPEN:
            when = next_reminder_at(due_at=t.due_at, reminded=t.reminded, has_backup=bool(t.backup), pace=state.pace)
            if when:
                times.append(when)
    for x in state.scenario.stakeholders:
        last = state.updates.get(x.key, UpdateState()).last
        times.append((last or state.opened_at) + cadence(x, pace=state.pace))
    return min(times) if times else None


# -- steps -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BriefRole:
    """Tell a role's holder, once, what they hold and which tasks are theirs by when."""

    role: str
    to: str
    backup: str
    zone: str
    tasks: tuple[PlanTask, ...]


@dataclass(frozen=True, slots=True)
class AskApproval:
    """Send an approver their own link for one revision of one statement, once."""

    lang: str
    revision: int
    role: str
    to: str
    text: str


@dataclass(frozen=True, slots=True)
class Remind:
    """An overdue task's reminder to its owner (`who` "owner") or then its backup."""

    task: PlanTask
    who: str
    to: str
    zone: str


@dataclass(frozen=True, slots=True)
class Update:
    """A stakeholder's `n`th update (a group's goes by SNS and to its people; a person's by mail)."""

    stakeholder: Stakeholder
    n: int


@dataclass(frozen=True, slots=True)
class Close:
    note: str


Step = BriefRole | AskApproval | Remind | Update | Close


@dataclass(frozen=True, slots=True)
class Run:
    """What is due: the steps to carry out and the state once they are."""

    steps: tuple[Step, ...]
    state: PlanState


@dataclass(frozen=True, slots=True)
class IncidentNow:
    """The incident a plan is for, as it is now (a plan takes hold of it; an update tells of it)."""

    incident_id: str
    title: str
    status: str
    severity: str
    opened_at: datetime


# -- taking hold -----------------------------------------------------------------------------------


def values_of(state: PlanState, *, company: str, title: str = "") -> dict[str, str]:
    """What a statement template may say: the incident's facts, nothing else."""
    return {
        "title": (title or state.title)[:200],
        "company": company,
        "opened": state.opened_at.strftime("%d %B %Y, %H:%M UTC"),
        "severity": state.severity,
        "scenario": state.scenario.name,
        "incident": state.incident_id,
    }


def start(
    found: Match,
    *,
    incident: IncidentNow,
    lang: str,
    company: str,
    now: datetime,
    pace: float = 1.0,
    drill: str = "",
) -> Run:
    """The plan a matching scenario sets in motion for an incident: its tasks with owners and
    due times, its statements drafted from the incident's facts, and the first steps (each role
    briefed, each approver asked). The dry run (`POST /api/plans/test`) shows the same."""
    s = found.scenario
    bare = PlanState(
        incident_id=incident.incident_id,
        scenario=s,
        title=incident.title[:200],
        severity=incident.severity,
        opened_at=incident.opened_at,
        started_at=now,
        lang=language_for(s, lang or "en"),
        reasons=found.reasons,
        tasks=tuple(tasks_for(s, opened_at=incident.opened_at, pace=pace)),
        pace=pace,
        drill=drill,
    )
    values = values_of(bare, company=company)
    drafted = {
        lang: Statement(text=fill(t, values), history=(Revision(1, fill(t, values), "the plan", now),))
        for lang, t in s.statements.items()
    }
    state = replace(bare, statements=drafted)
    briefs = [
        BriefRole(role, h.person, h.backup, h.zone, tuple(t for t in state.tasks if t.role == role))
        for role, h in s.roles.items()
    ]
    return Run((*briefs, *approvals_to_ask(state)), state)


def approvals_to_ask(state: PlanState) -> list[AskApproval]:
    """Every approver of every draft statement's current revision who has not approved it."""
    roles = state.scenario.roles
    return [
        AskApproval(lang, st.revision, role, roles[role].person, st.text)
        for lang, st in state.statements.items()
        if st.state == DRAFT
        for role in state.scenario.approvals
        if role not in st.approvals
    ]


# -- what is due now -------------------------------------------------------------------------------


def due_now(state: PlanState, *, status: str, severity: str, now: datetime) -> Run:
    """What the schedule does for a plan at `now`: close it when its incident is resolved,
    else remind each overdue task's owner (then its backup) and send each update due."""
    if state.closed_at:
        return Run((), state)
    if status == "resolved":
        return Run((Close(RESOLVED_NOTE),), closing(state, now=now, because="")[0])
    steps: list[Step] = []
    for t in state.tasks:
        if t.status != OPEN:
            continue
        who = reminder_due(due_at=t.due_at, reminded=t.reminded, has_backup=bool(t.backup), now=now, pace=state.pace)
        if who:
            zone = state.scenario.roles[t.role].zone if t.role in state.scenario.roles else "UTC"
            steps.append(Remind(t, who, t.owner if who == "owner" else t.backup, zone))
    for x in state.scenario.stakeholders:
        done = state.updates.get(x.key, UpdateState())
        if update_due(x, severity=severity, last=done.last, opened_at=state.opened_at, now=now, pace=state.pace):
            steps.append(Update(x, done.count + 1))
    return Run(tuple(steps), after(state, steps, now=now))


def after(state: PlanState, steps: Sequence[Step], *, now: datetime) -> PlanState:
    """The state once these reminders and updates went out (applied to whatever state is
    current when it is written: another responder may have changed the plan meanwhile)."""
    reminded = {s.task.id: 1 if s.who == "owner" else 2 for s in steps if isinstance(s, Remind)}
    tasks = tuple(replace(t, reminded=max(t.reminded, reminded[t.id])) if t.id in reminded else t for t in state.tasks)
    updates = dict(state.updates)
    for s in steps:
        if isinstance(s, Update):
            before = updates.get(s.stakeholder.key, UpdateState())
            updates[s.stakeholder.key] = UpdateState(last=now, count=before.count + 1)
    return replace(state, tasks=tasks, updates=updates)


def closing(state: PlanState, *, now: datetime, because: str) -> tuple[PlanState, bool]:
    """The plan closed (no reminder, no update is due any more); False when it was already.
    The tasks not done stay not done: the review and a drill's report count them."""
    if state.closed_at:
        return state, False
    return replace(state, closed_at=now, closed_because=because), True


def joining(state: PlanState, incident_id: str) -> tuple[PlanState, bool]:
    """Another incident about the same crisis becomes part of this plan (once)."""
    if incident_id in state.joined:
        return state, False
    return replace(state, joined=(*state.joined, incident_id)[-JOINED_KEPT:]), True


# -- what people do --------------------------------------------------------------------------------


def completing(state: PlanState, task_id: str, *, by: str, via: str, now: datetime) -> tuple[PlanState, bool]:
    task = state.task(task_id)
    if task is None:
        raise NotFound(N_("no task %(task_id)s in this plan"), values={"task_id": repr(task_id[:40])})
    if task.status == DONE:
        return state, False
    done = replace(task, status=DONE, done_by=by[:120], done_at=now, via=via)
    return replace(state, tasks=tuple(done if t.id == task_id else t for t in state.tasks)), True


def statement_of(state: PlanState, lang: str) -> Statement:
    st = state.statements.get(lang)
    if st is None:
        raise NotFound(
            N_("No holding statement in %(lang)s: this plan has %(languages)s."),
            values={"lang": lang[:20], "languages": ", ".join(sorted(state.statements))},
        )
    return st


def _with(state: PlanState, lang: str, st: Statement) -> PlanState:
    return replace(state, statements={**state.statements, lang: st})


def editing(state: PlanState, lang: str, *, text: str, revision: int, by: str, now: datetime) -> tuple[PlanState, int]:
    """A new revision (its number; 0 when the text is unchanged): earlier approvals no longer
    count. `revision` is the one the editor saw: an edit over someone else's is a Conflict."""
    st = statement_of(state, lang)
    if revision != st.revision:
        raise Conflict(
            N_("Revision %(current)s is current (you edited %(revision)s): read it and edit again."),
            values={"current": st.revision, "revision": revision},
        )
    if text == st.text:
        return state, 0
    n = st.revision + 1
    edited = replace(
        st, text=text, revision=n, approvals={}, state=DRAFT, history=(*st.history, Revision(n, text, by, now))[-KEPT:]
    )
    return _with(state, lang, edited), n


def approving(
    state: PlanState, lang: str, *, revision: int, role: str, by: str, via: str, now: datetime
) -> tuple[PlanState, bool]:
    """One role's approval of one revision; when every approving role has approved it, the
    statement is approved and its text frozen as an approved version."""
    st = statement_of(state, lang)
    approvals = state.scenario.approvals
    if role not in approvals:
        raise InvalidPayload(N_("role: one of the approving roles (%(roles)s)"), values={"roles": ", ".join(approvals)})
    if revision != st.revision:
        raise Conflict(
            N_("Revision %(revision)s was edited since (revision %(current)s is current): read it again."),
            values={"revision": revision, "current": st.revision},
        )
    if role in st.approvals:
        return state, False
    st = replace(st, approvals={**st.approvals, role: Approval(by[:120], via, now)})
    if all(r in st.approvals for r in approvals):
        frozen = ApprovedVersion(st.revision, st.text, now, st.approvals)
        st = replace(st, state=APPROVED, approved=(*st.approved, frozen)[-KEPT:])
    return _with(state, lang, st), True


def publishable(state: PlanState, lang: str) -> Statement | None:
    """The statement ready to publish; None when it was published already; a Conflict naming
    whom it waits for while it is not approved."""
    st = statement_of(state, lang)
    if st.state == PUBLISHED:
        return None
    if st.state != APPROVED:
        missing = [r for r in state.scenario.approvals if r not in st.approvals]
        raise Conflict(N_("Not approved yet: waiting for %(roles)s."), values={"roles": ", ".join(missing)})
    return st


def publishing(state: PlanState, lang: str, *, revision: int, text: str, now: datetime) -> tuple[PlanState, bool]:
    """The approved revision recorded as published (once; not when it was edited meanwhile)."""
    st = state.statements.get(lang)
    if st is None or st.revision != revision or st.state != APPROVED:
        return state, False
    state = _with(state, lang, replace(st, state=PUBLISHED))
    return replace(state, published=(*state.published, Published(lang, revision, text, now))), True


def adding_action(state: PlanState, item: ActionItem) -> tuple[PlanState, bool]:
    if len(state.actions) >= ACTIONS_KEPT:
        raise InvalidPayload(N_("A review holds at most 50 action items."))  # ACTIONS_KEPT
    return replace(state, actions=(*state.actions, item)), True


def finishing_action(state: PlanState, action_id: str, *, by: str, now: datetime) -> tuple[PlanState, bool]:
    item = next((a for a in state.actions if a.id == action_id), None)
    if item is None:
        raise NotFound(N_("No action item %(id)s."), values={"id": action_id[:20]})
    if item.status == DONE:
        return state, False
    done = replace(item, status=DONE, done_by=by[:120], done_at=now)
    return replace(state, actions=tuple(done if a.id == action_id else a for a in state.actions)), True


# -- what the plan's mail says -------------------------------------------------------------------


def brief_text(state: PlanState, step: BriefRole, *, page: str) -> str:
    lines = [
        f"The {state.scenario.name} plan has started for incident {state.incident_id}: {state.title}",
        "",
        f"You are the {step.role} (backup: {step.backup or 'none'}).",
    ]
    if step.tasks:
        lines += ["Your tasks:", *[f"  - {t.task} (by {local_time(t.due_at, step.zone)})" for t in step.tasks]]
    return "\n".join([*lines, "", f"The incident: {page}"])


def approval_text(state: PlanState, step: AskApproval, *, link: str, page: str) -> str:
    return "\n".join(
        [
            f"A holding statement ({step.lang}, revision {step.revision}) for incident {state.incident_id} needs "
            f"your approval as {step.role}:",
            "",
            step.text,
            "",
            f"Approve it: {link}",
            f"Or open the incident: {page}",
            "Any edit voids earlier approvals and this link.",
        ]
    )


def reminder_text(step: Remind, *, incident_id: str, title: str, page: str) -> str:
    t = step.task
    return "\n".join(
        [
            f"Overdue since {local_time(t.due_at, step.zone)}: {t.task}",
            f"Incident {incident_id}: {title[:300]}",
            "" if step.who == "owner" else f"You are the {t.role}'s backup: {t.owner} has not marked it done.",
            f"Mark it done: {page}",
        ]
    )


def update_text(state: PlanState, incident: IncidentNow, *, zone: str, now: datetime, page: str) -> str:
    done = sum(1 for t in state.tasks if t.status == DONE)
    overdue = [t for t in state.tasks if t.status == OPEN and t.due_at <= now]
    latest = state.published[-1].text if state.published else ""
    return "\n".join(
        [
            f"Update as of {local_time(now, zone)} on incident {incident.incident_id}: {incident.title[:300]}",
            "",
            f"Status: {incident.status}, severity {incident.severity}; opened {local_time(incident.opened_at, zone)}.",
            f"Checklist: {done} of {len(state.tasks)} done"
            + (f"; overdue: {', '.join(t.task[:60] for t in overdue)}" if overdue else "."),
            *(["", "Our published statement:", latest] if latest else ["", "No statement published yet."]),
            "",
            f"The incident: {page}",
        ]
    )


def describe(run: Run, *, now: datetime) -> Mapping[str, object]:
    """What a plan that takes hold now sets in motion, as the dry run shows it."""
    s = run.state.scenario
    return {
        "scenario": s.id,
        "version": s.version,
        "tasks": [
            {
                "id": t.id,
                "task": t.task,
                "role": t.role,
                "owner": t.owner,
                "backup": t.backup,
                "due_in_minutes": int((t.due_at - now).total_seconds() // 60),
            }
            for t in run.state.tasks
        ],
        "stakeholders": [
            {
                "who": x.group or x.person,
                "channel": "group (email and SMS)" if x.group else "email",
                "every_minutes": x.every_minutes,
                "while": list(x.during) or "any severity",
            }
            for x in s.stakeholders
        ],
        "statements": {lang: st.text for lang, st in run.state.statements.items()},
        "approvals": list(s.approvals),
    }
