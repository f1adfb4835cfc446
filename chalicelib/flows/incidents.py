"""An incident's life after it opens: acknowledged from a link or the API, resolved, escalated
on the schedule when nobody acknowledges, reminded when it stays unresolved, and the employees
who reported it told what became of it. Everything lands on the incident's timeline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib import credentials
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.flows.cards import post_cards, update_cards
from chalicelib.i18n import N_, Reader
from chalicelib.notify.gate import send
from chalicelib.notify.receipts import tell_reporter
from chalicelib.observability import logger
from chalicelib.policy.batch import IncidentChange, IncidentView, Links, Outgoing, notice
from chalicelib.policy.chat import chat_steps
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.drills import DRILL_ENDED, ENDED_NOTE
from chalicelib.policy.escalation import State, due_steps, next_action_at
from chalicelib.policy.messages import IncidentFacts, render_in_hand
from chalicelib.policy.stories import Opening, timeline_entry
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.batch import batch_get
from chalicelib.store.config import load_routing
from chalicelib.store.models import IncidentModel, ReportModel

# The one partition of the sparse due indexes (store/models.py: incidents' and crisis plans'): a row
# holding it is due for the schedule's next look at its time. (Beside those indexes once store/ is free.)
DUE = "open"


def links() -> Links:
    """Acknowledge links for notices: signed with the app's key, read only when one is made."""
    return Links(base_url=get_settings().public_base_url, key=credentials.signing_key)


def view_of(row: IncidentModel) -> IncidentView:
    return IncidentView(
        incident_id=row.incident_id,
        cluster_id=row.cluster_id,
        opened_at=row.opened_at,
        title=row.title,
        severity=row.severity,
        status=row.status,
        owner=row.owner or "",
        policy=row.policy or "",
        context=row.context or "",
        reach_notified=int(row.reach_notified or 0),
        notified=tuple(str(g) for g in row.notified or []),
        jumps=tuple(str(j) for j in row.jumps or []),
        reopened=tuple(str(t) for t in row.reopened or []),
    )


def read_many(incident_ids: Iterable[str]) -> dict[str, IncidentModel]:
    rows = batch_get(IncidentModel.Meta.table_name, "incident_id", sorted(set(incident_ids)), consistent=True)
    return {k: IncidentModel.from_raw_data(v) for k, v in rows.items()}


def open_many(openings: Sequence[Opening], *, now: datetime) -> dict[str, IncidentModel]:
    """Create the incidents a batch opens, once each (a redelivered batch finds them there)."""
    opened = {}
    for o in openings:
        row = IncidentModel(
            incident_id=o.incident_id,
            cluster_id=o.cluster_id,
            title=o.title,
            opened_at=now,
            severity=o.severity,
            timeline=[timeline_entry("opened", now, reason=o.reason)],
            drill=o.drill or None,
        )
        try:
            row.save(condition=IncidentModel.incident_id.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            row = load(o.incident_id)
        opened[o.incident_id] = row
    return opened


def apply_changes(changes: Mapping[str, IncidentChange], rows: Mapping[str, IncidentModel]) -> list[IncidentModel]:
    """Write what a batch changed on each incident, one UpdateItem each; returns the rows as
    changed (for the wall)."""
    changed = []
    for incident_id, change in changes.items():
        row = rows.get(incident_id)
        if row is None:
            continue
        actions: list[Any] = [getattr(IncidentModel, name).set(value) for name, value in change.fields.items()]
        if change.notified:
            notified = sorted({*change.incident.notified, *change.notified})
            actions.append(IncidentModel.notified.set(notified))  # type: ignore[arg-type]
        if change.jumps:
            actions.append(IncidentModel.jumps.set([*change.incident.jumps, *change.jumps]))  # type: ignore[list-item]
        if change.entries:
            actions.append(IncidentModel.timeline.set(IncidentModel.timeline.append(change.entries)))
        if change.next_action_at is not None:
            actions += [IncidentModel.due.set(DUE), IncidentModel.next_action_at.set(change.next_action_at)]
        if actions:
            row.update(actions=actions)
        changed.append(row)
    return changed


def state_of(row: IncidentModel) -> State:
    return State(
        opened_at=row.opened_at,
        status=row.status,
        level=int(row.level or 0),
        owner=row.owner or "",
        acknowledged_at=row.acknowledged_at,
        reminders=int(row.reminders or 0),
    )


def load(incident_id: str) -> IncidentModel:
    try:
        return IncidentModel.get(incident_id, consistent_read=True)
    except IncidentModel.DoesNotExist:
        raise NotFound(N_("No incident %(id)s."), values={"id": incident_id[:40]}) from None


def _schedule(row: IncidentModel, config: RoutingConfig, state: State) -> list[Any]:
    """The actions that set when the schedule looks at the incident next (or never again)."""
    policy = config.policy_for(row.policy)
    when = next_action_at(policy, state) if policy else None
    if when is None:
        return [IncidentModel.due.remove(), IncidentModel.next_action_at.remove()]
    return [IncidentModel.due.set(DUE), IncidentModel.next_action_at.set(when)]


def acknowledge(*, incident_id: str, group: str, by: str, via: str, now: datetime) -> tuple[IncidentModel, bool]:
    """Acknowledge once: (the incident, whether this call acknowledged it). `by` is who (a
    person, or the group a link was sent to), `via` how (signed in, a token, an email or SMS link);
    every group that was told about it then hears it is in hand."""
    row = load(incident_id)
    if row.status != "open":
        return row, False
    config = load_routing()
    who = (by or config.group_name(group))[:120]
    state = State(row.opened_at, "acknowledged", int(row.level or 0), row.owner or group, now, int(row.reminders or 0))
    try:
        row.update(
            actions=[
                IncidentModel.status.set("acknowledged"),
                IncidentModel.acknowledged_at.set(now),
                IncidentModel.acknowledged_by.set(who),
                IncidentModel.timeline.set(
                    IncidentModel.timeline.append([timeline_entry("acknowledged", now, group=group, by=who, via=via)])
                ),
                *_schedule(row, config, state),
            ],
            condition=IncidentModel.status == "open",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return load(incident_id), False
        raise
    tell_groups(row, event="acknowledged", who=who, config=config, now=now)
    tell_reporters(row, event="acknowledged", who=config.group_name(group), at=now)
    show_on_wall(row, config, now)
    update_cards(row, event=f"acknowledged:round-{len(row.reopened or [])}", config=config, now=now)
    return row, True


def resolve(
    *, incident_id: str, group: str, by: str, via: str, now: datetime, note: str = ""
) -> tuple[IncidentModel, bool]:
    row = load(incident_id)
    if row.status == "resolved":
        return row, False
    config = load_routing()
    who = (by or config.group_name(group))[:120]
    actions: list[Any] = [
        IncidentModel.status.set("resolved"),
        IncidentModel.resolved_at.set(now),
        IncidentModel.resolved_by.set(who),
        IncidentModel.due.remove(),
        IncidentModel.next_action_at.remove(),
        IncidentModel.timeline.set(
            IncidentModel.timeline.append(
                [timeline_entry("resolved", now, group=group, by=who, via=via, note=note[:500])]
            )
        ),
    ]
    if row.acknowledged_at is None:
        actions += [IncidentModel.acknowledged_at.set(now), IncidentModel.acknowledged_by.set(who)]
    try:
        row.update(actions=actions, condition=IncidentModel.status != "resolved")
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return load(incident_id), False
        raise
    tell_groups(row, event="resolved", who=who, config=config, now=now)
    tell_reporters(row, event="resolved", who=config.group_name(group), at=now, note=note)
    show_on_wall(row, config, now)
    update_cards(row, event=f"resolved:round-{len(row.reopened or [])}", config=config, now=now)
    return row, True


def end_with_drill(*, incident_id: str, by: str, now: datetime) -> bool:
    """A drill's incident resolved because its drill ended: its escalation clock stops with it
    (`due` removed), the timeline says so, and nobody is told (the groups and reporters would
    only hear about an exercise that is over; held notices about it are then superseded).
    Unlike a responder's resolve it records no acknowledgement, so the drill's report still
    says nobody acknowledged. Once: False when it was resolved already (or is not there)."""
    try:
        row = load(incident_id)
    except NotFound:
        return False
    if row.status == "resolved":
        return False
    entry = timeline_entry("resolved", now, by=by[:120], via=DRILL_ENDED, note=ENDED_NOTE)
    try:
        row.update(
            actions=[
                IncidentModel.status.set("resolved"),
                IncidentModel.resolved_at.set(now),
                IncidentModel.resolved_by.set(by[:120]),
                IncidentModel.resolution.set(DRILL_ENDED),
                IncidentModel.due.remove(),
                IncidentModel.next_action_at.remove(),
                IncidentModel.timeline.set(IncidentModel.timeline.append([entry])),
            ],
            condition=IncidentModel.status != "resolved",
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    show_on_wall(row, load_routing(), now)
    return True


def tell_groups(row: IncidentModel, *, event: str, who: str, config: RoutingConfig, now: datetime) -> list[str]:
    """Every group told about the incident hears it is in hand (or resolved), once each (the
    delivery log); the timeline says who was told. A failure is logged, never undoes the act."""
    groups = sorted({*(str(g) for g in row.notified or []), *([row.owner] if row.owner else [])})
    if not groups:
        return []
    facts = IncidentFacts(row.incident_id, row.title, row.severity, row.context or "", config.group_name(row.owner))
    tag = f"round-{len(row.reopened or [])}"  # a reopened incident's next acknowledgement is news again
    outgoing = [
        Outgoing(
            render_in_hand(facts, group=g, who=who, event=event, tag=tag),
            translate=partial(render_in_hand, facts, group=g, who=who, event=event, tag=tag),  # members' languages
        )
        for g in groups
    ]
    try:
        outcomes, failures = send(outgoing, config=config, now=now)
    except Exception:
        logger.exception("groups not told", extra={"incident": row.incident_id, "event": event})
        return []
    if failures:
        logger.warning("groups not told", extra={"incident": row.incident_id, "failures": failures[:3]})
    told = [o.notification.group for o in outgoing if outcomes.get(o.notification.delivery_id) in ("sent", "held")]
    if told:
        entry = timeline_entry("groups told", now, outcome=event, groups=told)
        IncidentModel(incident_id=row.incident_id).update(
            actions=[IncidentModel.timeline.set(IncidentModel.timeline.append([entry]))]
        )
    return told


def add_note(*, incident_id: str, by: str, via: str, note: str, now: datetime) -> IncidentModel:
    """A responder's note on the timeline (what was done, what was said)."""
    text = " ".join(note.split())[:1000]
    if not text:
        raise InvalidPayload(N_("note: what to put on the timeline, 1-1000 characters"))
    row = load(incident_id)
    row.update(
        actions=[
            IncidentModel.timeline.set(
                IncidentModel.timeline.append([timeline_entry("note", now, by=by, via=via, note=text)])
            )
        ]
    )
    update_cards(row, event=f"remark:{len(row.timeline or [])}", config=load_routing(), now=now)
    return load(incident_id)


def assign(*, incident_id: str, owner: str, by: str, via: str, now: datetime) -> tuple[IncidentModel, str]:
    """Give the incident to another group: it owns it (escalation reminds it); (row, previous owner)."""
    config = load_routing()
    if owner not in config.groups:
        raise InvalidPayload(
            N_("owner: an existing group (%(groups)s)"), values={"groups": ", ".join(sorted(config.groups))}
        )
    row = load(incident_id)
    before = row.owner or ""
    if before != owner:
        entry = timeline_entry("assigned", now, group=owner, by=by, via=via, before=before)
        row.update(
            actions=[IncidentModel.owner.set(owner), IncidentModel.timeline.set(IncidentModel.timeline.append([entry]))]
        )
        show_on_wall(load(incident_id), config, now)
    return load(incident_id), before


def link_report(*, incident_id: str, report_id: str, by: str, via: str, now: datetime) -> IncidentModel:
    """An employee's report joins the incident's story: its reporter hears what becomes of it."""
    row = load(incident_id)
    try:
        report = ReportModel.get(report_id[:40])
    except ReportModel.DoesNotExist:
        raise NotFound(N_("No report %(id)s."), values={"id": report_id[:40]}) from None
    if report.cluster_id != row.cluster_id:
        report.update(actions=[ReportModel.cluster_id.set(row.cluster_id)])
        entry = timeline_entry("report linked", now, by=by, via=via, item=report.report_id)
        row.update(actions=[IncidentModel.timeline.set(IncidentModel.timeline.append([entry]))])
    return load(incident_id)


def show_on_wall(row: IncidentModel, config: RoutingConfig, now: datetime) -> None:
    try:
        wall.update(incidents=[wall.incident_entry(row, owner_name=config.group_name(row.owner))], now=now)
    except Exception:  # the wall is a view: an incident's state is never held up by it
        logger.exception("wall not updated", extra={"incident": row.incident_id})


def reporter_outcome(*, event: str, who: str, at: datetime, note: str, reader: Reader) -> str:
    """What became of a reported story, as one sentence in the reporter's language."""
    when = reader.when(at)
    if event == "acknowledged":
        return reader.gettext("%(who)s acknowledged it on %(when)s and is on it.", who=who, when=when)
    if note:
        return reader.gettext(
            "%(who)s resolved it on %(when)s. %(note)s Thank you for reporting it.", who=who, when=when, note=note
        )
    return reader.gettext("%(who)s resolved it on %(when)s. Thank you for reporting it.", who=who, when=when)


def tell_reporters(row: IncidentModel, *, event: str, who: str, at: datetime, note: str = "") -> int:
    """Each employee who reported the story hears the outcome on their status page, and by
    email unless they stayed anonymous. Once per report and event (the delivery log), each in
    the language its reporter filed it in (times in UTC: an anonymous filer's zone is unknown)."""
    told = 0
    for report in ReportModel.cluster_index.query(row.cluster_id):
        reader = Reader.of(report.language or "")
        outcome = reporter_outcome(event=event, who=who, at=at, note=note, reader=reader)
        report.update(actions=[ReportModel.outcome.set(outcome[:600]), ReportModel.outcome_at.set(at)])
        if not report.reporter_email:
            continue
        subject = (
            reader.gettext("Your report %(id)s was acknowledged", id=report.report_id)
            if event == "acknowledged"
            else reader.gettext("Your report %(id)s was resolved", id=report.report_id)
        )
        if tell_reporter(
            report_id=report.report_id,
            email=report.reporter_email,
            text=report.text,
            event=event,
            subject=subject,
            lines=[reader.gettext("Thank you for your report. Here is what became of it:"), "", outcome],
            reader=reader,
        ):
            told += 1
    if told:
        IncidentModel(incident_id=row.incident_id).update(
            actions=[
                IncidentModel.timeline.set(
                    IncidentModel.timeline.append([timeline_entry("reporters told", at, outcome=event, count=told)])
                )
            ]
        )
    return told


def escalate_due(*, now: datetime, limit: int = 100) -> int:
    """Escalations and reminders that are due: notify, then move the incident's clock on."""
    config = load_routing()
    done = 0
    for row in IncidentModel.due_index.query(DUE, IncidentModel.next_action_at <= now, limit=limit):
        policy = config.policy_for(row.policy)
        state = state_of(row)
        steps = due_steps(policy, state, now=now) if policy else []
        outgoing = []
        for step in steps:
            headline = ("Reminder: " if step.kind == "remind" else "Escalation: ") + step.reason
            for group in step.groups:
                facts = IncidentFacts(
                    row.incident_id, row.title, row.severity, row.context, config.group_name(row.owner)
                )
                n = notice(
                    facts, group=group, tag=step.tag, headline=headline, reasons=(step.reason,), links=links(), now=now
                )
                outgoing.append(Outgoing(n))
        outcomes, failures = send(outgoing, config=config, now=now)
        if failures:
            logger.warning("escalation not delivered", extra={"incident": row.incident_id, "failures": failures[:3]})
            continue  # the clock stays: the next run tries again (the log keeps what was sent)
        level = max([state.level, *(s.level for s in steps if s.kind == "escalate")])
        reminders = state.reminders + sum(1 for s in steps if s.kind == "remind")
        after = State(state.opened_at, state.status, level, state.owner, state.acknowledged_at, reminders)
        entries = [
            timeline_entry(
                "escalated" if s.kind == "escalate" else "reminded",
                now,
                groups=list(s.groups),
                reason=s.reason,
                level=s.level,
            )
            for s in steps
        ]
        notified = sorted({*(str(g) for g in row.notified or []), *(g for s in steps for g in s.groups)})
        actions: list[Any] = [
            IncidentModel.level.set(level),
            IncidentModel.reminders.set(reminders),
            IncidentModel.notified.set(notified),  # type: ignore[arg-type]
            *_schedule(row, config, after),
        ]
        if entries:
            actions.append(IncidentModel.timeline.set(IncidentModel.timeline.append(entries)))
        row.update(actions=actions)
        show_on_wall(row, config, now)
        # A group the incident escalated to gets its card in its chat channels (once per channel).
        escalated = [g for s in steps if s.kind == "escalate" for g in s.groups]
        if escalated:
            post_cards(chat_steps({row.incident_id: escalated}, config), config=config)
        done += len(steps)
        logger.info("escalated", extra={"incident": row.incident_id, "steps": len(steps), "outcomes": len(outcomes)})
    return done


def incident_document(row: IncidentModel) -> dict[str, Any]:
    return {
        "id": row.incident_id,
        "cluster_id": row.cluster_id,
        "title": row.title,
        "severity": row.severity,
        "status": row.status,
        "owner": row.owner,
        "policy": row.policy,
        "level": int(row.level or 0),
        "notified": list(row.notified or []),
        "opened_at": row.opened_at.isoformat(),
        "acknowledged_at": row.acknowledged_at.isoformat() if row.acknowledged_at else None,
        "acknowledged_by": row.acknowledged_by,
        "resolved_at": row.resolved_at.isoformat() if row.resolved_at else None,
        "resolution": row.resolution,
        "drill": row.drill,
        "next_action_at": row.next_action_at.isoformat() if row.next_action_at else None,
        "timeline": [json.loads(str(entry)) for entry in row.timeline or []],
    }
