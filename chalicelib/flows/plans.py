"""The crisis plan at work. When an incident matches a scenario the plan takes hold: its tasks
are created with owners and due times, the stakeholders' updates are scheduled at their
cadence, the holding statements are drafted and their approvers asked. The schedule reminds an
overdue task's owner and then its backup, and sends each update when it is due. What becomes
of the statements lives in flows/statements.py, the review in flows/reviews.py; both change
the plan through `change` here.

Side effects first, then the record: every mail and notification has a deterministic delivery
id (the delivery log sends it once), so a run that dies between the two repeats the send
harmlessly and writes the record the next time."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import credentials
from chalicelib.errors import Conflict, DeliveryFailed, NotFound
from chalicelib.flows.incidents import DUE
from chalicelib.flows.reach import message_id, reach_people
from chalicelib.notify.gate import send
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.policy import approval_links, regions
from chalicelib.policy.drills import ENDED_NOTE, closing_plan
from chalicelib.policy.drills import running as drill_running
from chalicelib.policy.messages import (
    plan_approval_subject,
    plan_overdue_subject,
    plan_role_subject,
    plan_update_subject,
)
from chalicelib.policy.plan import Outgoing
from chalicelib.policy.reach import Message
from chalicelib.policy.scenarios import (
    Facts,
    Scenario,
    fill,
    language_for,
    local_time,
    match,
    next_reminder_at,
    parse_scenario,
    reminder_due,
    scenario_document,
    tasks_for,
    update_due,
)
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
        raise NotFound(f"incident {incident_id[:40]!r} has no crisis plan") from None


def scenario_of(row: PlanModel) -> Scenario:
    """The scenario as it was when the incident started (its version is kept on the plan)."""
    return parse_scenario(row.doc["scenario"], key=row.scenario)


def _parse(at: str | None) -> datetime | None:
    return datetime.fromisoformat(at) if at else None


def next_at(doc: Mapping[str, Any]) -> datetime | None:
    """When the schedule must next look at this plan: the first task reminder or update due."""
    if doc.get("closed_at"):
        return None
    pace = float(doc.get("pace", 1))
    times: list[datetime] = []
    for t in doc["tasks"]:
        if t["status"] == "open":
            when = next_reminder_at(
                due_at=datetime.fromisoformat(t["due_at"]),
                reminded=t["reminded"],
                has_backup=bool(t["backup"]),
                pace=pace,
            )
            if when:
                times.append(when)
    opened = datetime.fromisoformat(doc["opened_at"])
    for x in doc["scenario"].get("stakeholders", []):
        key = f"group:{x['group']}" if x.get("group") else f"person:{x['person']}"
        last = _parse(doc["updates"].get(key, {}).get("last"))
        times.append((last or opened) + timedelta(minutes=x["every_minutes"] / pace))
    return min(times) if times else None


def _write(row: PlanModel, doc: dict[str, Any]) -> bool:
    """Store the changed document if nobody changed it meanwhile; False when somebody did."""
    when = next_at(doc)
    actions: list[Any] = [PlanModel.doc.set(doc), PlanModel.rev.set(int(row.rev) + 1)]
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


def change[T](incident_id: str, mutate: Callable[[dict[str, Any], PlanModel], T]) -> tuple[PlanModel, T]:
    """Read, change a copy, write conditionally; again when someone else wrote meanwhile."""
    for _ in range(ATTEMPTS):
        row = load(incident_id)
        doc = copy.deepcopy(row.doc)
        result = mutate(doc, row)
        if doc == row.doc or _write(row, doc):
            return load(incident_id), result
    raise Conflict("the plan kept changing while this was saved; try again")


def note_on_timeline(incident_id: str, entries: Sequence[str]) -> None:
    if entries:
        IncidentModel(incident_id=incident_id).update(
            actions=[IncidentModel.timeline.set(IncidentModel.timeline.append(list(entries)))]
        )


# -- the plan takes hold -----------------------------------------------------------------------


def _statement(text: str, *, by: str, at: datetime) -> dict[str, Any]:
    return {
        "text": text,
        "revision": 1,
        "approvals": {},
        "state": "draft",
        "history": [{"revision": 1, "text": text, "by": by, "at": at.isoformat()}],
        "approved": [],
    }


def values_of(doc: Mapping[str, Any], incident: Mapping[str, Any] | None = None) -> dict[str, str]:
    """What a statement template may say: the incident's facts, nothing else."""
    opened = datetime.fromisoformat(doc["opened_at"])
    return {
        "title": str((incident or {}).get("title") or doc.get("title", ""))[:200],
        "company": get_settings().company_name,
        "opened": opened.strftime("%d %B %Y, %H:%M UTC"),
        "severity": str(doc.get("severity", "")),
        "scenario": str(doc["scenario"]["name"]),
        "incident": str(doc["incident_id"]),
    }


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
    pace = 1.0
    if drill:
        drill_doc = drills.load(drill)
        if not drill_running(drill_doc):
            return None
        pace = float(drill_doc.get("pace", 1))
        scenarios = [s for s in (load_scenarios() if scenarios is None else scenarios) if s.id == drill_doc["scenario"]]
    found = match(load_scenarios() if scenarios is None else scenarios, facts)
    if found is None:
        return None
    s, areas = regions.for_incident(found.scenario, facts.origins)  # a region's people lead it
    running = running_plan(s.id, drill=drill)
    if running is not None and running.incident_id != incident_id:
        return join_plan(running, incident_id=incident_id, now=now)
    tasks = [
        {
            "id": t.id,
            "task": t.task,
            "role": t.role,
            "owner": t.owner,
            "backup": t.backup,
            "due_at": t.due_at.isoformat(),
            "status": "open",
            "reminded": 0,
        }
        for t in tasks_for(s, opened_at=opened_at, pace=pace)
    ]
    doc: dict[str, Any] = {
        "incident_id": incident_id,
        "scenario": scenario_document(s),
        "reasons": list(found.reasons),
        "title": title[:200],
        "severity": severity,
        "opened_at": opened_at.isoformat(),
        "started_at": now.isoformat(),
        "lang": language_for(s, facts.lang or "en"),
        "tasks": tasks,
        "updates": {},
        "statements": {},
        "actions": [],
        "published": [],
        "pace": pace,
        "drill": drill,
        "regions": regions.plan_regions(areas),
    }
    values = values_of(doc)
    doc["statements"] = {lang: _statement(fill(t, values), by="the plan", at=now) for lang, t in s.statements.items()}
    row = PlanModel(incident_id=incident_id, scenario=s.id, doc=doc, rev=1, drill=drill or None)
    when = next_at(doc)
    if when:
        row.due, row.next_at = DUE, when
    try:
        row.save(condition=PlanModel.incident_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return load(incident_id)
        raise
    note_on_timeline(
        incident_id,
        [
            timeline_entry(
                "plan started", now, scenario=s.name, version=s.version, reason="; ".join(found.reasons)[:300]
            ),
            timeline_entry("statements drafted", now, note=", ".join(sorted(doc["statements"]))),
        ],
    )
    if drill:
        drills.follow(drill, incident_id=incident_id, at=now)
    try:
        brief_roles(doc, now=now)
        ask_approvers(doc, now=now)
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
    """The router's hook: every incident a batch opened or made more severe, and that has no plan
    yet, is matched against the scenarios. One BatchGet finds which already have one."""
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
        if row.scenario == scenario_id and (row.drill or "") == drill and not row.doc.get("closed_at"):
            return row
    return None


def close_for_drill(incident_id: str, *, now: datetime) -> bool:
    """The plan of a drill's incident closed because the drill ended: it leaves the schedule's
    queue at once (no reminder, no update), and its timeline says so, once. False when there is
    no plan (the incident joined another's, or none matched) or it was closed already."""
    try:
        _, closed = change(incident_id, lambda doc, _: closing_plan(doc, now=now))
    except NotFound:
        return False
    if closed:
        note_on_timeline(incident_id, [timeline_entry("plan closed", now, note=ENDED_NOTE)])
    return closed


def join_plan(row: PlanModel, *, incident_id: str, now: datetime) -> PlanModel:
    """Another incident about the same crisis: it is part of the running plan."""

    def mutate(doc: dict[str, Any], _: PlanModel) -> bool:
        if incident_id in doc.setdefault("joined", []):
            return False
        doc["joined"] = [*doc["joined"], incident_id][-50:]
        return True

    joined, added = change(row.incident_id, mutate)
    if added:
        note = f"part of the {row.doc['scenario']['name']} plan of incident {row.incident_id}"
        note_on_timeline(incident_id, [timeline_entry("plan joined", now, note=note)])
        note_on_timeline(row.incident_id, [timeline_entry("incident joined the plan", now, note=incident_id)])
    return joined


def _mail(doc: Mapping[str, Any], *, delivery_id: str, to: str, subject: str, body: str) -> bool:
    """A plan's mail to one person, once (the delivery log); a drill's says so first."""
    if doc.get("drill"):
        subject, body = f"[DRILL] {subject}", f"DRILL: this is an exercise.\n\n{body}"
    return send_mail(
        delivery_id=delivery_id, to=to, subject=subject[:99], body=body, item_id=str(doc["incident_id"]), kind="plan"
    )


def _page(incident_id: str) -> str:
    return f"{get_settings().public_base_url}/incidents/{incident_id}"


def brief_roles(doc: Mapping[str, Any], *, now: datetime) -> int:
    """Each role holder hears, once, what they hold and what is theirs to do by when."""
    told = 0
    incident_id = doc["incident_id"]
    for role, holder in doc["scenario"]["roles"].items():
        mine = [t for t in doc["tasks"] if t["role"] == role]
        lines = [
            f"The {doc['scenario']['name']} plan has started for incident {incident_id}: {doc['title']}",
            "",
            f"You are the {role} (backup: {holder.get('backup') or 'none'}).",
            *(
                [
                    "Your tasks:",
                    *[
                        f"  - {t['task']} (by {local_time(datetime.fromisoformat(t['due_at']), holder['zone'])})"
                        for t in mine
                    ],
                ]
                if mine
                else []
            ),
            "",
            f"The incident: {_page(incident_id)}",
        ]
        if _mail(
            doc,
            delivery_id=delivery_key(f"plan-role:{incident_id}:{role}"),
            to=holder["person"],
            subject=plan_role_subject(role, doc["scenario"]["name"]),
            body="\n".join(lines),
        ):
            told += 1
    return told


def ask_approvers(doc: Mapping[str, Any], *, now: datetime) -> int:
    """Every approver of every statement's current revision gets their own link, once."""
    asked = 0
    incident_id = doc["incident_id"]
    key = credentials.signing_key()
    roles = doc["scenario"]["roles"]
    for lang, st in doc["statements"].items():
        if st["state"] != "draft":
            continue
        for role in doc["scenario"]["approvals"]:
            if role in st["approvals"]:
                continue
            token = approval_links.mint(
                key=key, incident_id=incident_id, lang=lang, revision=st["revision"], role=role, now=now
            )
            body = "\n".join(
                [
                    f"A holding statement ({lang}, revision {st['revision']}) for incident {incident_id} needs your "
                    f"approval as {role}:",
                    "",
                    st["text"],
                    "",
                    f"Approve it: {get_settings().public_base_url}/approve/{token}",
                    f"Or open the incident: {_page(incident_id)}",
                    "Any edit voids earlier approvals and this link.",
                ]
            )
            if _mail(
                doc,
                delivery_id=delivery_key(f"approve:{incident_id}:{lang}:{st['revision']}:{role}"),
                to=roles[role]["person"],
                subject=plan_approval_subject(incident_id, lang),
                body=body,
            ):
                asked += 1
    return asked


# -- tasks ---------------------------------------------------------------------------------------


def complete_task(*, incident_id: str, task_id: str, by: str, via: str, now: datetime) -> PlanModel:
    def mutate(doc: dict[str, Any], row: PlanModel) -> bool:
        task = next((t for t in doc["tasks"] if t["id"] == task_id), None)
        if task is None:
            raise NotFound(f"no task {task_id[:40]!r} in this plan")
        if task["status"] == "done":
            return False
        task.update(status="done", done_by=by[:120], done_at=now.isoformat(), via=via)
        return True

    row, done = change(incident_id, mutate)
    if done:
        note_on_timeline(incident_id, [timeline_entry("task done", now, by=by, via=via, note=task_id)])
    return row


# -- the schedule: reminders and stakeholder updates -------------------------------------------


def _update_text(doc: Mapping[str, Any], incident: IncidentModel, *, zone: str, now: datetime) -> str:
    done = sum(1 for t in doc["tasks"] if t["status"] == "done")
    overdue = [t for t in doc["tasks"] if t["status"] == "open" and datetime.fromisoformat(t["due_at"]) <= now]
    latest = doc["published"][-1]["text"] if doc["published"] else ""
    return "\n".join(
        [
            f"Update as of {local_time(now, zone)} on incident {incident.incident_id}: {incident.title[:300]}",
            "",
            f"Status: {incident.status}, severity {incident.severity}; opened {local_time(incident.opened_at, zone)}.",
            f"Checklist: {done} of {len(doc['tasks'])} done"
            + (f"; overdue: {', '.join(t['task'][:60] for t in overdue)}" if overdue else "."),
            *(["", "Our published statement:", latest] if latest else ["", "No statement published yet."]),
            "",
            f"The incident: {_page(incident.incident_id)}",
        ]
    )


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
    incident = IncidentModel.get(row.incident_id, consistent_read=True)
    if incident.status == "resolved":
        _close(row, now=now)
        return 0
    reminders, reminded = _remind_overdue(row.doc, incident, now=now)
    updates, updated = _update_stakeholders(row, incident, now=now)

    def mutate(d: dict[str, Any], _: PlanModel) -> None:
        for task_id, who in reminders:
            task = next(t for t in d["tasks"] if t["id"] == task_id)
            task["reminded"] = max(task["reminded"], 1 if who == "owner" else 2)
        for key, at in updates.items():
            state = d["updates"].setdefault(key, {})
            state.update(last=at, count=int(state.get("count", 0)) + 1)

    change(row.incident_id, mutate)
    note_on_timeline(row.incident_id, reminded + updated)
    return len(reminders) + len(updates)


def _close(row: PlanModel, *, now: datetime) -> None:
    """A resolved incident's plan stops, noted once on its timeline."""

    def closing(d: dict[str, Any], _: PlanModel) -> bool:
        if d.get("closed_at"):  # closed meanwhile (a drill's end): its entry is there already
            return False
        d["closed_at"] = now.isoformat()
        return True

    _, closed = change(row.incident_id, closing)
    if closed:
        note_on_timeline(row.incident_id, [timeline_entry("plan closed", now, note="the incident is resolved")])


def _remind_overdue(
    doc: dict[str, Any], incident: IncidentModel, *, now: datetime
) -> tuple[list[tuple[str, str]], list[str]]:
    """Mail each overdue task's owner (then its backup): (task id, who) reminded, and the timeline's entries."""
    reminders: list[tuple[str, str]] = []
    entries: list[str] = []
    for t in doc["tasks"]:
        if t["status"] != "open":
            continue
        who = reminder_due(
            due_at=datetime.fromisoformat(t["due_at"]),
            reminded=t["reminded"],
            has_backup=bool(t["backup"]),
            now=now,
            pace=float(doc.get("pace", 1)),
        )
        if not who:
            continue
        to = t["owner"] if who == "owner" else t["backup"]
        zone = doc["scenario"]["roles"][t["role"]].get("zone", "UTC")
        body = "\n".join(
            [
                f"Overdue since {local_time(datetime.fromisoformat(t['due_at']), zone)}: {t['task']}",
                f"Incident {incident.incident_id}: {incident.title[:300]}",
                "" if who == "owner" else f"You are the {t['role']}'s backup: {t['owner']} has not marked it done.",
                f"Mark it done: {_page(incident.incident_id)}",
            ]
        )
        _mail(
            doc,
            delivery_id=delivery_key(f"task:{incident.incident_id}:{t['id']}:{who}"),
            to=to,
            subject=plan_overdue_subject(t["task"]),
            body=body,
        )
        reminders.append((t["id"], who))
        entries.append(timeline_entry("task overdue", now, note=t["id"], by=to, reason=f"reminded the {who}"))
    return reminders, entries


def _update_stakeholders(row: PlanModel, incident: IncidentModel, *, now: datetime) -> tuple[dict[str, str], list[str]]:
    """Send the stakeholder updates that are due: stakeholder key -> when, and the timeline's entries.
    Raises DeliveryFailed when a group's update did not go out (the plan stays due: sent again, once)."""
    doc = row.doc
    updates: dict[str, str] = {}
    entries: list[str] = []
    outgoing: list[Outgoing] = []
    opened = datetime.fromisoformat(doc["opened_at"])
    for x in parse_scenario(doc["scenario"], key=row.scenario).stakeholders:
        state = doc["updates"].get(x.key, {})
        last = _parse(state.get("last"))
        pace = float(doc.get("pace", 1))
        if not update_due(x, severity=incident.severity, last=last, opened_at=opened, now=now, pace=pace):
            continue
        n = int(state.get("count", 0)) + 1
        delivery = delivery_key(f"update:{incident.incident_id}:{x.key}:{n}")
        text = _update_text(doc, incident, zone=x.zone, now=now)
        subject = plan_update_subject(n, incident.title, drill=bool(row.drill))
        if x.person:
            send_mail(
                delivery_id=delivery, to=x.person, subject=subject, body=text, item_id=incident.incident_id, kind="plan"
            )
        else:
            outgoing.append(
                Outgoing(
                    Notification(
                        delivery_id=delivery,
                        group=x.group,
                        subject=subject,
                        email=text,
                        sms=f"sharedwatch update {n}: {incident.status}, {incident.severity}: {incident.title}"[:160],
                        reasons=(f"the crisis plan: every {x.every_minutes} minutes",),
                        item_kind="update",
                        item_id=incident.incident_id,
                        severity=incident.severity,
                        incident_id=incident.incident_id,
                    )
                )
            )
            update = Message(  # and to the people the group holds, each with a read link
                incident_id=incident.incident_id,
                message_id=message_id("update", f"{incident.incident_id}:{x.key}:{n}"),
                kind="update",
                title=f"{incident.title} ({n})",
                sections=(("", text),),
                sms=f"sharedwatch update {n}: {incident.status}, {incident.severity}: {incident.title}",
                drill=bool(row.drill),
            )
            reminder = doc["scenario"].get("read_reminder_minutes")
            reach_people(
                group=x.group, message=update, now=now, reminder_minutes=reminder, pace=float(doc.get("pace", 1))
            )
        updates[x.key] = now.isoformat()
        entries.append(timeline_entry("stakeholders updated", now, note=x.group or x.person, reason=f"update {n}"))
    if outgoing:
        _, failures = send(outgoing, config=load_routing(), now=now)
        if failures:
            raise DeliveryFailed(f"updates not delivered: {failures[0][:200]}")  # stays due: sent again, once
    return updates, entries
