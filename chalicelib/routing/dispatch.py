"""The router behind the DynamoDB Stream: stories are clustered, severity learns the story's
velocity, rules decide, the noise gate delivers, the log keeps it once, the incident timeline
says so.

Once per story per group per level: a story (a post, its reposts and copies) is told to a
group once ("story"), its first employee report once more ("report"), and an incident once
per escalation level. The notices table remembers what each story's groups were told; it is
read and written in batches. Several new stories for one group in one batch go out as one
bundle, so a burst costs a handful of SNS calls, not one per mention."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from pynamodb.expressions.update import Action

from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.notify.messages import render, render_bundle
from chalicelib.notify.receipts import send_receipt, story_lines
from chalicelib.observability import emit_counts, logger
from chalicelib.records import Mention, Notification, Report, Signal
from chalicelib.routing.escalation import State, StoryNow, jumps, next_action_at
from chalicelib.routing.gate import Outgoing, send
from chalicelib.routing.incidents import DUE, group_name, notice
from chalicelib.routing.noise import is_flapping
from chalicelib.routing.rules import Decision, Route, decide
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.batch import batch_get, batch_put
from chalicelib.store.clusters import Story, assign, item_id, timeline_entry
from chalicelib.store.config import RoutingConfig, current_taxonomy, load_routing
from chalicelib.store.models import IncidentModel, NoticeModel, ReportModel
from chalicelib.triage import severity_thresholds, triage_for

NOTICE_TTL = timedelta(days=30)
BUNDLE_FROM = 2  # this many new stories for one group in one batch go out as one message


def record_outcome(report: Report, story: Story | None, groups: list[str]) -> None:
    """What the reporter's status page shows: the story it joined, their place, who has it."""
    # PynamoDB types a ListAttribute of strings as a list of attributes.
    actions: list[Action] = [ReportModel.routed_to.set(groups)]  # type: ignore[arg-type]
    if story is not None:
        actions += [ReportModel.cluster_id.set(story.cluster_id), ReportModel.position.set(story.position or 1)]
        if story.lead_minutes is not None:
            actions.append(ReportModel.lead_minutes.set(story.lead_minutes))
    ReportModel(report_id=report.report_id).update(actions=actions)


VELOCITY_NOTABLE = 5  # similar signals in the window before severity takes the story into account


def with_velocity(mention: Mention, story: Story | None) -> Mention:
    """Severity as it stands now that the story's velocity is known ("12 similar in 10 min")."""
    if story is None or story.recent < VELOCITY_NOTABLE or not mention.text:
        return mention
    taxonomy, _ = current_taxonomy()
    t = triage_for(mention, taxonomy=taxonomy, thresholds=severity_thresholds(), similar_recent=story.recent - 1)
    return replace(mention, severity=t.severity.level, severity_reasons=t.severity.reasons)


@dataclass
class IncidentChange:
    """Everything one batch changes on one incident, written as one UpdateItem."""

    row: IncidentModel
    fields: dict[str, Any] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    notified: set[str] = field(default_factory=set)
    jumps: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The batch's outgoing notifications, and what each one tells which story's groups."""

    outgoing: list[Outgoing] = field(default_factory=list)
    tags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # delivery id -> (cluster, tag)
    timeline: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # id -> incident, group, why

    def add(self, n: Notification, tags: list[tuple[str, str]], *, grace_from: datetime | None = None) -> None:
        self.outgoing.append(Outgoing(n, grace_from))
        self.tags[n.delivery_id] = tags


def routing_fields(signal: Signal, story: Story | None = None, incident: IncidentModel | None = None) -> dict[str, Any]:
    """What rules read: the signal's own fields and what the router knows of its story."""
    return {
        **signal.routing_fields(),
        "story_size": story.size if story else 1,
        "incident": bool(story and story.incident_id),
        "incident_state": incident.status if incident is not None else "none",
    }


def _load_incidents(stories: Iterable[Story]) -> dict[str, IncidentModel]:
    ids = sorted({s.incident_id for s in stories if s.incident_id})
    rows = batch_get(IncidentModel.Meta.table_name, "incident_id", ids, consistent=True)
    return {k: IncidentModel.from_raw_data(v) for k, v in rows.items()}


def _load_told(clusters: Iterable[str]) -> dict[str, set[str]]:
    rows = batch_get(NoticeModel.Meta.table_name, "cluster_id", sorted(set(clusters)), consistent=True)
    return {k: set(v.get("told", {}).get("SS", [])) for k, v in rows.items()}


def _save_told(told: dict[str, set[str]], changed: set[str], now: datetime) -> None:
    expires = str(int((now + NOTICE_TTL).timestamp()))
    batch_put(
        NoticeModel.Meta.table_name,
        [
            {"cluster_id": {"S": c}, "told": {"SS": sorted(told[c])}, "expires_at": {"N": expires}}
            for c in sorted(changed)
            if told.get(c)
        ],
    )


def _incident_notices(
    plan: Plan,
    change: IncidentChange,
    *,
    signal: Signal,
    story: Story,
    decision: Decision,
    told: set[str],
    config: RoutingConfig,
    now: datetime,
) -> None:
    """The incident's first notice to each routed group (once per level), reopening after a
    resolve unless it flaps, and reach-driven jumps as the story grows."""
    row = change.row
    status = change.fields.get("status", row.status)
    if status == "resolved" and story.joined:
        reopened = [datetime.fromisoformat(str(t)) for t in row.reopened or []]
        if is_flapping(reopened, now):
            change.entries.append(timeline_entry("came back", now, note="flapping: not notified again"))
            return
        count = len(reopened) + 1
        change.fields.update(status="open", reopened=[*(str(t) for t in row.reopened or []), now.isoformat()], level=0)
        change.entries.append(timeline_entry("reopened", now, item=item_id(signal)))
        level_tag = f"reopen-{count}"
    elif status == "resolved":
        return
    else:
        level_tag = f"reopen-{len(row.reopened or [])}" if row.reopened else "incident"
    if not row.owner and "owner" not in change.fields:
        change.fields.update(
            owner=decision.owner,
            policy=decision.escalation or "",
            reach_notified=max(story.reach, 1),
            context=render(signal, decision.routes[0], story=story).email[:4000] if decision.routes else "",
        )
    context = change.fields.get("context") or row.context or signal.text
    owner = change.fields.get("owner") or row.owner
    for r in decision.routes:
        tag = f"{r.group}|{level_tag}"
        if tag in told:
            continue
        told.add(tag)
        headline = (
            f"{'Incident reopened' if level_tag.startswith('reopen') else 'Incident'}: {story.title or signal.text}"
        )
        n = notice(
            incident_id=row.incident_id,
            title=row.title or story.title,
            severity=story.severity,
            group=r.group,
            tag=level_tag,
            headline=headline[:300],
            context=context,
            reasons=r.reasons,
            owner=owner,
            config=config,
            now=now,
        )
        plan.add(n, [(story.cluster_id, tag)], grace_from=row.opened_at if story.severity != "critical" else None)
        plan.timeline[n.delivery_id] = (row.incident_id, r.group, r.reasons)
    policy = config.policy_for(change.fields.get("policy", row.policy))
    if policy is None:
        return
    grown = StoryNow(
        reach=story.reach,
        reach_notified=int(change.fields.get("reach_notified", row.reach_notified or 0)),
        influencers=story.influencers,
        negative=story.negative,
        size=story.size,
    )
    for step in jumps(policy, grown, done=[*(str(j) for j in row.jumps or []), *change.jumps]):
        change.jumps.append(step.tag)
        if step.tag.startswith("jump-reach"):
            change.fields["reach_notified"] = story.reach
        change.entries.append(timeline_entry("jumped", now, groups=list(step.groups), reason=step.reason))
        for group in step.groups:
            n = notice(
                incident_id=row.incident_id,
                title=row.title or story.title,
                severity=story.severity,
                group=group,
                tag=step.tag,
                headline=f"Escalation: {step.reason}",
                context=context,
                reasons=(step.reason,),
                owner=owner,
                config=config,
                now=now,
            )
            plan.add(n, [(story.cluster_id, f"{group}|{step.tag}")])
            plan.timeline[n.delivery_id] = (row.incident_id, group, (step.reason,))


def _write_incident(change: IncidentChange, config: RoutingConfig, now: datetime) -> None:
    row = change.row
    actions: list[Any] = []
    for name, value in change.fields.items():
        actions.append(getattr(IncidentModel, name).set(value))
    if change.notified:
        actions.append(IncidentModel.notified.set(sorted({*(str(g) for g in row.notified or []), *change.notified})))  # type: ignore[arg-type]
    if change.jumps:
        actions.append(IncidentModel.jumps.set([*(str(j) for j in row.jumps or []), *change.jumps]))  # type: ignore[list-item]
    if change.entries:
        actions.append(IncidentModel.timeline.set(IncidentModel.timeline.append(change.entries)))
    if "owner" in change.fields or change.fields.get("status") == "open":
        policy = config.policy_for(change.fields.get("policy", row.policy))
        state = State(
            row.opened_at if "owner" in change.fields else now, "open", 0, change.fields.get("owner", row.owner)
        )
        when = next_action_at(policy, state) if policy else None
        if when is not None:
            actions += [IncidentModel.due.set(DUE), IncidentModel.next_action_at.set(when)]
    if actions:
        row.update(actions=actions)


def _show_on_wall(
    signals: list[Signal],
    stories: dict[str, Story],
    changes: dict[str, IncidentChange],
    config: RoutingConfig,
    now: datetime,
) -> None:
    """New signals and changed incidents onto the wall. The wall is a view: when it cannot be
    written the batch is not failed for it (notifications matter more)."""
    seen = []
    for signal in signals:
        story = stories.get(item_id(signal))
        if story is None or story.joined:
            seen.append(
                wall.Seen(
                    signal,
                    cluster_id=story.cluster_id if story else "",
                    lead_minutes=story.lead_minutes if story and isinstance(signal, Report) else None,
                )
            )
    entries = [wall.incident_entry(c.row, owner_name=group_name(config, c.row.owner)) for c in changes.values()]
    try:
        wall.update(batch=seen, incidents=entries, now=now)
    except Exception:  # logged with its traceback; the next batch writes the wall again
        logger.exception("wall not updated")


def dispatch(signals: Iterable[Signal]) -> dict[str, int]:
    """Notify every group each signal routes to, once per story and level. Failures do not
    stop the others; they are raised at the end so the whole batch is redelivered and the log
    skips what was sent."""
    settings = get_settings()
    config = load_routing()
    counts = {"sent": 0, "skipped": 0, "held": 0, "failed": 0, "folded": 0, "quarantined": 0}
    routable: list[Signal] = []
    for signal in signals:
        if isinstance(signal, Report) and signal.status == "quarantined":
            counts["quarantined"] += 1  # never routed: admins review quarantine
        else:
            routable.append(signal)
    now = utcnow()
    stories = assign(routable, now=now)
    incidents = _load_incidents(stories.values())
    changes: dict[str, IncidentChange] = {}
    clusters = {
        item_id(s): stories[item_id(s)].cluster_id if item_id(s) in stories else f"solo-{item_id(s)}" for s in routable
    }
    told = _load_told(clusters.values())  # as stored; written back with what was delivered
    planned: dict[str, set[str]] = {}
    plan = Plan()
    bundles: dict[str, list[tuple[Signal, Route, str, str]]] = {}
    for original in routable:
        story = stories.get(item_id(original))
        signal = with_velocity(original, story) if isinstance(original, Mention) else original
        incident = incidents.get(story.incident_id) if story and story.incident_id else None
        decision = decide(routing_fields(signal, story, incident), config.rules, config.default_groups)
        if isinstance(signal, Report):
            names = [group_name(config, r.group) for r in decision.routes]
            record_outcome(signal, story, names)
            if story is None or story.joined:
                send_receipt(
                    signal,
                    story_lines(
                        outcome="",
                        routed_to=names,
                        position=story.position if story else 0,
                        lead_minutes=story.lead_minutes if story else None,
                    ),
                )
        cluster = clusters[item_id(signal)]
        # What the story's groups were told before, plus what this batch already plans for them.
        seen = planned.setdefault(cluster, set(told.get(cluster, ())))
        if story is not None and incident is not None:
            change = changes.setdefault(incident.incident_id, IncidentChange(incident))
            _incident_notices(
                plan, change, signal=signal, story=story, decision=decision, told=seen, config=config, now=now
            )
            continue
        level = "report" if isinstance(signal, Report) else "story"
        for r in decision.routes:
            tag = f"{r.group}|{level}"
            if tag in seen:
                counts["folded"] += 1  # a repost or copy of a story this group already has
                continue
            seen.add(tag)
            bundles.setdefault(r.group, []).append((signal, r, cluster, tag))
    for group, items in bundles.items():
        if len(items) >= BUNDLE_FROM:
            n = render_bundle(group, group_name(config, group), [(s, r) for s, r, _, _ in items])
            plan.add(n, [(c, t) for _, _, c, t in items])
        else:
            for signal, r, cluster, tag in items:
                story = stories.get(item_id(signal))
                plan.add(render(signal, r, story=story), [(cluster, tag)])
    outcomes, failures = send(plan.outgoing, config=config, now=now)
    changed: set[str] = set()
    for item in plan.outgoing:
        n = item.notification
        outcome = outcomes.get(n.delivery_id)
        if outcome is None:
            counts["failed"] += 1
            continue
        counts[outcome] += 1
        for c, tag in plan.tags[n.delivery_id]:
            told.setdefault(c, set()).add(tag)
            changed.add(c)
        if n.delivery_id in plan.timeline and outcome in ("sent", "held"):
            incident_id, group, reasons = plan.timeline[n.delivery_id]
            noted = changes.get(incident_id)
            if noted is not None:
                noted.notified.add(group)
                noted.entries.append(
                    timeline_entry(
                        "notified" if outcome == "sent" else "held",
                        now,
                        group=group,
                        reasons=list(reasons),
                        channel="sns",
                    )
                )
    _save_told(told, changed, now)
    for change in changes.values():
        _write_incident(change, config, now)
    _show_on_wall(routable, stories, changes, config, now)
    logger.info("dispatched", extra=counts)
    emit_counts(
        {
            "NotificationsSent": counts["sent"],
            "NotificationsSkipped": counts["skipped"],
            "NotificationsHeld": counts["held"],
            "NotificationsFolded": counts["folded"],
            "NotificationsFailed": counts["failed"],
        },
        dimensions={"stage": settings.stage},
    )
    if failures:
        raise DeliveryFailed(f"{len(failures)} deliveries failed: {'; '.join(failures[:5])}")
    return counts
