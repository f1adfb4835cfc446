"""The router's batch plan (`BatchPlan`) for one stream batch, made purely from the batch and what was read for
it: the stories it joins, the incidents it opens and changes, every notification (bundled,
folded, once per story, group and level), the reporters' outcomes and receipts, and what the
wall shows. `flows/router.py` reads, calls `plan_batch`, carries the plan out, then calls
`settle` with what was delivered to learn what to remember.

Once per story per group per level: a story (a post, its reposts and copies) is told to a
group once ("story"), its first employee report once more ("report"), and an incident once
per escalation level. Several new stories for one group in one batch go out as one bundle.

Named "batch" to keep it apart from the crisis plan (`policy/crisis.py`, `flows/plans.py`),
the user-facing plan a scenario sets in motion."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any, Literal

from chalicelib.i18n import Reader
from chalicelib.policy import tokens
from chalicelib.policy.chat import ChatStep, chat_steps
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.drills import from_ended_drill
from chalicelib.policy.escalation import State, StoryNow, jumps, next_action_at
from chalicelib.policy.messages import (
    IncidentFacts,
    Translate,
    render,
    render_bundle,
    render_in,
    render_incident,
    story_lines,
)
from chalicelib.policy.noise import is_flapping
from chalicelib.policy.rules import Decision, Route, decide
from chalicelib.policy.stories import (
    IndexEntry,
    RaiseSeverity,
    StoriesPlan,
    Story,
    StoryRow,
    item_id,
    plan_stories,
    timeline_entry,
)
from chalicelib.records import Notification, Report, Signal
from chalicelib.triage.severity import LEVELS

BUNDLE_FROM = 2  # this many new stories for one group in one batch go out as one message
Outcome = Literal["sent", "skipped", "held"]


@dataclass(frozen=True, slots=True)
class Links:
    """How notices link back: the public base URL and the key that signs acknowledge links
    (a callable: the key is read only when an incident notice is made)."""

    base_url: str
    key: Callable[[], bytes]

    def ack(
        self, *, incident_id: str, group: str, action: tokens.Action, now: datetime, channel: tokens.Channel = ""
    ) -> str:
        token = tokens.mint(
            key=self.key(), incident_id=incident_id, action=action, group=group, now=now, channel=channel
        )
        return f"{self.base_url}/ack/{token}"


@dataclass(frozen=True, slots=True)
class IncidentView:
    """What the planner reads of an incident."""

    incident_id: str
    cluster_id: str
    opened_at: datetime
    title: str = ""
    severity: str = "high"
    status: str = "open"
    owner: str = ""
    policy: str = ""
    context: str = ""
    reach_notified: int = 0
    notified: tuple[str, ...] = ()
    jumps: tuple[str, ...] = ()
    reopened: tuple[str, ...] = ()


@dataclass(slots=True)
class IncidentChange:
    """Everything one batch changes on one incident, written as one UpdateItem."""

    incident: IncidentView
    fields: dict[str, Any] = field(default_factory=dict)
    entries: list[str] = field(default_factory=list)
    notified: set[str] = field(default_factory=set)
    jumps: list[str] = field(default_factory=list)
    next_action_at: datetime | None = None  # set when the schedule must look at it next


@dataclass(frozen=True, slots=True)
class Outgoing:
    notification: Notification
    grace_from: datetime | None = None  # an incident's first notice: the group's grace counts from here
    # How to render it for another reader (its group's members' languages); None: not translated yet.
    translate: Translate | None = None


@dataclass(frozen=True, slots=True)
class ReportOutcome:
    """What a reporter's status page shows: the story it joined, their place, who has it."""

    report_id: str
    routed_to: tuple[str, ...]
    cluster_id: str = ""
    position: int = 0
    lead_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    report: Report
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Shown:
    """A signal for the wall's stream (a story's first appearance or a new member of it)."""

    signal: Signal
    cluster_id: str = ""
    lead_minutes: float | None = None


@dataclass(frozen=True, slots=True)
class BatchRead:
    """What the router read for a batch before planning it."""

    index: Mapping[str, IndexEntry]  # what the story index holds for stories.wanted_keys(signals)
    rows: Mapping[str, StoryRow]  # the stories those keys point at
    incidents: Mapping[str, IncidentView]  # the incidents of those stories
    told: Mapping[str, frozenset[str]]  # cluster id -> "group|level" tags told before
    ended_drills: frozenset[str] = frozenset()  # drills of the batch that have ended: not routed


@dataclass(slots=True)
class BatchPlan:
    stories: StoriesPlan
    outgoing: list[Outgoing] = field(default_factory=list)
    tags: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # delivery id -> (cluster, tag)
    timeline: dict[str, tuple[str, str, tuple[str, ...]]] = field(default_factory=dict)  # id -> incident, group, why
    incidents: dict[str, IncidentChange] = field(default_factory=dict)
    outcomes: list[ReportOutcome] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    shown: list[Shown] = field(default_factory=list)
    chat: list[ChatStep] = field(default_factory=list)  # incident cards for groups' chat channels
    crisis: list[str] = field(default_factory=list)  # incidents opened or raised: a crisis plan may take hold
    counts: dict[str, int] = field(default_factory=lambda: {"folded": 0, "quarantined": 0, "drill_ended": 0})

    def add(
        self,
        n: Notification,
        tags: list[tuple[str, str]],
        *,
        grace_from: datetime | None = None,
        translate: Translate | None = None,
    ) -> None:
        self.outgoing.append(Outgoing(n, grace_from, translate))
        self.tags[n.delivery_id] = tags


def routing_fields(signal: Signal, story: Story | None = None, incident_status: str = "none") -> dict[str, Any]:
    """What rules read: the signal's own fields and what the router knows of its story."""
    return {
        **signal.routing_fields(),
        "story_size": story.size if story else 1,
        "incident": bool(story and story.incident_id),
        "incident_state": incident_status,
    }


@dataclass(frozen=True, slots=True)
class Frame:
    """What every decision in one plan shares: the configuration, the links, the time."""

    config: RoutingConfig
    links: Links
    now: datetime


def notice(
    facts: IncidentFacts, *, group: str, tag: str, headline: str, reasons: tuple[str, ...], links: Links, now: datetime
) -> Notification:
    """An incident notice or follow-up for one group, with an acknowledge link minted for it."""
    ack_urls = {
        channel: links.ack(incident_id=facts.incident_id, group=group, action="acknowledge", now=now, channel=channel)
        for channel in ("email", "sms")
    }
    return render_incident(
        facts,
        group=group,
        tag=tag,
        headline=headline,
        reasons=reasons,
        ack_url=ack_urls["email"],
        sms_ack_url=ack_urls["sms"],
    )


def opened_view(opening_id: str, cluster_id: str, title: str, severity: str, now: datetime) -> IncidentView:
    return IncidentView(incident_id=opening_id, cluster_id=cluster_id, opened_at=now, title=title, severity=severity)


def _reopen_tag(change: IncidentChange, *, signal: Signal, story: Story, now: datetime) -> str | None:
    """The level this batch notifies an incident at, reopening a resolved one unless it flaps."""
    incident = change.incident
    status = change.fields.get("status", incident.status)
    if status == "resolved" and story.joined:
        reopened = [datetime.fromisoformat(t) for t in incident.reopened]
        if is_flapping(reopened, now):
            change.entries.append(timeline_entry("came back", now, note="flapping: not notified again"))
            return None
        change.fields.update(status="open", reopened=[*incident.reopened, now.isoformat()], level=0)
        change.entries.append(timeline_entry("reopened", now, item=item_id(signal)))
        return f"reopen-{len(reopened) + 1}"
    if status == "resolved":
        return None
    return f"reopen-{len(incident.reopened)}" if incident.reopened else "incident"


def _raise_severity(change: IncidentChange, *, story: Story, now: datetime) -> None:
    """An incident takes its story's severity when the story grows more severe, never lower: a
    story opened "high" that turns "critical" makes its incident critical, and a crisis plan that
    waits for critical can take hold (the batch plan's `crisis` names it)."""
    current = str(change.fields.get("severity", change.incident.severity))
    if current not in LEVELS or story.severity not in LEVELS:
        return  # an incident written by hand with another word: leave it as it is
    if LEVELS.index(story.severity) > LEVELS.index(current):
        change.fields["severity"] = story.severity
        change.entries.append(timeline_entry("severity raised", now, severity=story.severity, was=current))


def _incident_notices(
    plan: BatchPlan,
    change: IncidentChange,
    *,
    signal: Signal,
    story: Story,
    decision: Decision,
    told: set[str],
    frame: Frame,
) -> None:
    """The incident's first notice to each routed group (once per level), reopening after a
    resolve unless it flaps, and reach-driven jumps as the story grows."""
    config, now = frame.config, frame.now
    level_tag = _reopen_tag(change, signal=signal, story=story, now=now)
    if level_tag is None:
        return
    incident = change.incident
    if not incident.owner and "owner" not in change.fields:
        change.fields.update(
            owner=decision.owner,
            policy=decision.escalation or "",
            reach_notified=max(story.reach, 1),
            context=render(signal, decision.routes[0], story=story).email[:4000] if decision.routes else "",
        )
    context = change.fields.get("context") or incident.context or signal.text
    owner = change.fields.get("owner") or incident.owner
    facts = IncidentFacts(
        incident.incident_id, incident.title or story.title, story.severity, context, config.group_name(owner)
    )
    for r in decision.routes:
        tag = f"{r.group}|{level_tag}"
        if tag in told:
            continue
        told.add(tag)
        headline = (
            f"{'Incident reopened' if level_tag.startswith('reopen') else 'Incident'}: {story.title or signal.text}"
        )
        n = notice(
            facts, group=r.group, tag=level_tag, headline=headline[:300], reasons=r.reasons, links=frame.links, now=now
        )
        plan.add(n, [(story.cluster_id, tag)], grace_from=incident.opened_at if story.severity != "critical" else None)
        plan.timeline[n.delivery_id] = (incident.incident_id, r.group, r.reasons)
    policy = config.policy_for(change.fields.get("policy", incident.policy))
    if policy is None:
        return
    grown = StoryNow(
        reach=story.reach,
        reach_notified=int(change.fields.get("reach_notified", incident.reach_notified)),
        influencers=story.influencers,
        negative=story.negative,
        size=story.size,
    )
    for step in jumps(policy, grown, done=[*incident.jumps, *change.jumps]):
        change.jumps.append(step.tag)
        if step.tag.startswith("jump-reach"):
            change.fields["reach_notified"] = story.reach
        change.entries.append(timeline_entry("jumped", now, groups=list(step.groups), reason=step.reason))
        for group in step.groups:
            n = notice(
                facts,
                group=group,
                tag=step.tag,
                headline=f"Escalation: {step.reason}",
                reasons=(step.reason,),
                links=frame.links,
                now=now,
            )
            plan.add(n, [(story.cluster_id, f"{group}|{step.tag}")])
            plan.timeline[n.delivery_id] = (incident.incident_id, group, (step.reason,))


def _schedule(change: IncidentChange, config: RoutingConfig, now: datetime) -> None:
    """When the schedule looks at an incident next, once it has an owner or opens again."""
    incident = change.incident
    if "owner" not in change.fields and change.fields.get("status") != "open":
        return
    policy = config.policy_for(change.fields.get("policy", incident.policy))
    started = incident.opened_at if "owner" in change.fields else now
    state = State(started, "open", 0, change.fields.get("owner", incident.owner))
    change.next_action_at = next_action_at(policy, state) if policy else None


def _report(plan: BatchPlan, report: Report, story: Story | None, decision: Decision, config: RoutingConfig) -> None:
    names = tuple(config.group_name(r.group) for r in decision.routes)
    plan.outcomes.append(
        ReportOutcome(
            report.report_id,
            names,
            story.cluster_id if story else "",
            (story.position or 1) if story else 0,
            story.lead_minutes if story else None,
        )
    )
    if report.reporter_email and (story is None or story.joined):
        lines = story_lines(
            outcome="",
            routed_to=list(names),
            position=story.position if story else 0,
            lead_minutes=story.lead_minutes if story else None,
            reader=Reader.of(report.language),
        )
        plan.receipts.append(Receipt(report, tuple(lines)))


def routable(signals: Sequence[Signal], *, ended: frozenset[str] = frozenset()) -> list[Signal]:
    """Each signal once (racing writers can leave two INSERT records of one item), never a
    quarantined report (admins review quarantine), and nothing of a drill that has ended (its
    storm's last steps can still be in flight: routed, they would reopen its incident)."""
    seen: set[str] = set()
    kept = []
    for s in signals:
        if from_ended_drill(s, ended):
            continue
        if item_id(s) not in seen and not (isinstance(s, Report) and s.status == "quarantined"):
            seen.add(item_id(s))
            kept.append(s)
    return kept


def plan_batch(  # noqa: C901 (the batch's stages in order, read top to bottom; issue 32 item 2 reshapes them)
    signals: Sequence[Signal],
    *,
    read: BatchRead,
    config: RoutingConfig,
    links: Links,
    now: datetime,
    raise_severity: RaiseSeverity,
) -> BatchPlan:
    """Decide everything a stream batch sets in motion; nothing is read or written here."""
    frame = Frame(config, links, now)
    routed = routable(signals, ended=read.ended_drills)
    stories = plan_stories(routed, index=read.index, rows=read.rows, now=now, raise_severity=raise_severity)
    plan = BatchPlan(stories)
    plan.counts["quarantined"] = sum(1 for s in signals if isinstance(s, Report) and s.status == "quarantined")
    plan.counts["drill_ended"] = sum(1 for s in signals if from_ended_drill(s, read.ended_drills))
    incidents = dict(read.incidents)
    for opening in stories.openings:
        incidents.setdefault(
            opening.incident_id,
            opened_view(opening.incident_id, opening.cluster_id, opening.title, opening.severity, now),
        )
    planned: dict[str, set[str]] = {}  # what each story's groups were told, plus what this batch plans
    bundles: dict[str, list[tuple[Signal, Route, str, str]]] = {}
    for signal in stories.signals:
        sid = item_id(signal)
        story = stories.stories.get(sid)
        incident = incidents.get(story.incident_id) if story and story.incident_id else None
        status = incident.status if incident else "none"  # as read: this batch's changes come after
        decision = decide(routing_fields(signal, story, status), config.rules, config.default_groups)
        if isinstance(signal, Report):
            _report(plan, signal, story, decision, config)
        if story is None or story.joined:
            plan.shown.append(
                Shown(
                    signal,
                    story.cluster_id if story else "",
                    story.lead_minutes if story and isinstance(signal, Report) else None,
                )
            )
        cluster = story.cluster_id if story else f"solo-{sid}"
        seen = planned.setdefault(cluster, set(read.told.get(cluster, ())))
        if story is not None and incident is not None:
            change = plan.incidents.setdefault(incident.incident_id, IncidentChange(incident))
            _raise_severity(change, story=story, now=frame.now)
            _incident_notices(plan, change, signal=signal, story=story, decision=decision, told=seen, frame=frame)
            continue
        level = "report" if isinstance(signal, Report) else "story"
        for r in decision.routes:
            tag = f"{r.group}|{level}"
            if tag in seen:
                plan.counts["folded"] += 1  # a repost or copy of a story this group already has
                continue
            seen.add(tag)
            bundles.setdefault(r.group, []).append((signal, r, cluster, tag))
    for group, items in bundles.items():
        if len(items) >= BUNDLE_FROM:
            n = render_bundle(group, config.group_name(group), [(s, r) for s, r, _, _ in items])
            plan.add(n, [(c, t) for _, _, c, t in items])
        else:
            for signal, r, cluster, tag in items:
                story = stories.stories.get(item_id(signal))
                translate = partial(render_in, signal, r, story)  # each member's language (gate.send)
                plan.add(render(signal, r, story=story), [(cluster, tag)], translate=translate)
    for change in plan.incidents.values():
        _schedule(change, config, now)
    told: dict[str, set[str]] = {}
    for incident_id, group, _ in plan.timeline.values():
        told.setdefault(incident_id, set()).add(group)
    plan.chat = chat_steps(told, config)
    # The crisis plan's step: the incidents this batch opens, then those it makes more severe
    # (the router's "crisis plans" stage starts the plan of each that has none yet).
    raised = [i for i, c in plan.incidents.items() if "severity" in c.fields]
    plan.crisis = list(dict.fromkeys([*(o.incident_id for o in stories.openings), *raised]))
    return plan


@dataclass(frozen=True, slots=True)
class Settled:
    told: dict[str, frozenset[str]]  # cluster id -> every tag told, for the clusters that changed


def settle(
    plan: BatchPlan, outcomes: Mapping[str, Outcome], *, told: Mapping[str, frozenset[str]], now: datetime
) -> Settled:
    """What to remember once the plan's notifications went out: the tags told for each story,
    and on each incident's timeline which groups were notified or held (failed ones are not:
    the batch is redelivered and they go then)."""
    remembered: dict[str, set[str]] = {}
    for item in plan.outgoing:
        n = item.notification
        outcome = outcomes.get(n.delivery_id)
        if outcome is None:
            continue
        for cluster, tag in plan.tags[n.delivery_id]:
            remembered.setdefault(cluster, set(told.get(cluster, ()))).add(tag)
        if n.delivery_id in plan.timeline and outcome in ("sent", "held"):
            incident_id, group, reasons = plan.timeline[n.delivery_id]
            change = plan.incidents.get(incident_id)
            if change is not None:
                change.notified.add(group)
                change.entries.append(
                    timeline_entry(
                        "notified" if outcome == "sent" else "held",
                        now,
                        group=group,
                        reasons=list(reasons),
                        channel="sns",
                    )
                )
    return Settled({c: frozenset(tags) for c, tags in remembered.items() if tags})
