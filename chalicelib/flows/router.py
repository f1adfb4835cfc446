"""The router behind the DynamoDB Stream, as read → plan → act: one executor per batch. It
reads what a batch needs (the story index, the stories, their incidents, what their groups
were told), asks `policy/batch.py` for the batch plan (`BatchPlan`), writes the incidents the
batch opens, then the stories that existed before and their index keys (each counted signal's
membership key, so a redelivered record is not counted twice), and then runs STAGES in this
order. Each stage is safe to run again when the stream redelivers the batch:

1. reporters' pages: each report's outcome (plain sets: the same values again);
2. notices: claims and publishes through the noise gate (`notify/gate.py`); deterministic
   delivery ids and conditional claims send each once;
3. stories started: once the outcomes are known, the stories the batch starts are put with what
   their groups were told (no notices row of their own), then their index keys. A batch that
   dies before this is planned again when redelivered: its new stories are new again, their
   notices' delivery ids the same, and the delivery log skips what was sent;
4. counts: the per-minute counters, after the publishes (a person hears first; run even when a
   stage before failed), from the mentions counted into the stories written (a redelivered
   mention finds its membership key or its own story: not counted again);
5. spike alarms: a live burst runs the spike detector at once (`flows/alarms.check_spikes`);
   an alarm's delivery id is its series, kind, hour and group, and the delivery log's
   conditional claim sends it once;
6. told: what the stories that existed before told their groups (an ADD to a set);
7. incidents: the incidents' changes (a redelivered batch is planned from what was stored,
   so it plans no change twice);
8. wall: the wall, a view written whole;
9. drills: a drill follows the incidents its storm opened (a conditional append);
10. crisis plans: the crisis plan takes hold of each incident the batch plan names
   (`BatchPlan.crisis`: opened or made more severe) that has none (`flows/plans.start_for`: a
   put conditional on the incident having no plan);
11. chat cards: the cards, each a row of the delivery log (deterministic id);
12. receipts: the reporters' receipts by mail (deterministic delivery ids).

A story another worker changed between the read and the write is read and planned again
(before anything is published). Failed publishes do not stop the others; they are raised at
the end so the batch is redelivered and the delivery log skips what was sent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from pynamodb.expressions.update import Action

from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.flows import cards, drills, incidents, plans
from chalicelib.flows.alarms import check_spikes
from chalicelib.flows.translations import translate_notifications
from chalicelib.notify.gate import send
from chalicelib.notify.receipts import send_receipt
from chalicelib.observability import emit_counts, logger
from chalicelib.policy.batch import BatchPlan, BatchRead, Outcome, ReportOutcome, plan_batch, routable, settle
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.drills import drills_of
from chalicelib.policy.stories import alias_stories, item_id, memberships, velocity_raiser, wanted_keys
from chalicelib.records import Mention, Signal
from chalicelib.settings import get_settings
from chalicelib.store import stories, wall
from chalicelib.store.batch import batch_get, update_each
from chalicelib.store.config import current_taxonomy, load_routing
from chalicelib.store.counters import add_counts, bucket_for
from chalicelib.store.models import IncidentModel, NoticeModel, ReportModel
from chalicelib.triage import severity_thresholds

NOTICE_TTL = timedelta(days=30)
INLINE_SPIKE_CHECK = 20  # new, recent mentions in one batch that run the spike detector at once
# ... at most this often per process: during a burst every batch qualifies, and the detector
# reads and weighs every series (the schedule runs it each minute anyway).
INLINE_SPIKE_EVERY = 20.0
_last_inline_check = -INLINE_SPIKE_EVERY
ATTEMPTS = 4  # reads and plans of one batch when other workers keep moving its stories


def read_batch(signals: Sequence[Signal]) -> tuple[BatchRead, dict[str, IncidentModel]]:
    """Everything the planner needs, in five batched reads: index, the stories the batch's post
    aliases stand for, the other stories, incidents, notices (and a sixth for a batch that
    carries a drill's signals: whether the drill has ended)."""
    ended = drills.ended_among(drills_of(signals))
    signals = routable(signals, ended=ended)
    index = stories.read_index(wanted_keys(signals))
    looked_up = set(alias_stories(signals, index))  # the stories posts without an alias started
    rows = stories.read_rows(looked_up)
    joining, counted, _ = memberships(signals, index, rows)
    # A story looked up above and not found is one this batch starts (its post's own): not read twice.
    rows |= stories.read_rows({*joining.values(), *counted.values()} - rows.keys() - looked_up)
    incident_rows = incidents.read_many(r.incident_id for r in rows.values() if r.incident_id)
    clusters = {joining.get(item_id(s)) or counted.get(item_id(s)) or f"solo-{item_id(s)}" for s in signals}
    # What was told is read only for stories that exist: one this batch starts (not found by the
    # consistent reads above) was told nothing, since a story's notices are written after it and
    # stories are never deleted. Most posts start their own story: a read unit each saved.
    told = batch_get(
        NoticeModel.Meta.table_name,
        "cluster_id",
        sorted(c for c in clusters if c in rows or c.startswith("solo-")),
        consistent=True,
    )
    # What a story's groups were told: what the batch that started it put with it, and what
    # later batches added to its notices.
    told_now = {k: frozenset(v.get("told", {}).get("SS", [])) for k, v in told.items()}
    for c, row in rows.items():
        if row.told:
            told_now[c] = told_now.get(c, frozenset()) | frozenset(row.told)
    read = BatchRead(
        index=index,
        rows=rows,
        incidents={k: incidents.view_of(v) for k, v in incident_rows.items()},
        told=told_now,
        ended_drills=ended,
    )
    return read, incident_rows


def started(plan: BatchPlan) -> frozenset[str]:
    """The stories this batch starts (not stored before: version 0)."""
    return frozenset(r.cluster_id for r in plan.stories.rows if r.version == 0)


def write_stories(plan: BatchPlan, *, now: datetime) -> dict[str, IncidentModel]:
    """The incidents opened first (a story never points at a missing incident), then the
    stories that existed before (each conditional on its version), then their index keys. The
    stories the batch starts wait for the "stories started" stage, after the notices, to be put
    with what their groups were told. On a conflict the stories that were written get their
    members' keys (they are counted) and StoryConflict makes the batch be read and planned
    again (nothing was published yet)."""
    opened = incidents.open_many(plan.stories.openings, now=now)
    new = started(plan)
    conflicts = set(stories.write_rows([r for r in plan.stories.rows if r.cluster_id not in new]))
    written = {c for c in plan.stories.members if c not in conflicts and c not in new}
    counted = {k: e for k, e in plan.stories.index.items() if e.cluster_id in written}
    stories.write_index(counted, now=now)
    if conflicts:
        # Planned again, these members find their keys and are no longer new: count them now.
        add_counts(counted_mentions(plan, written))
        raise stories.StoryConflict(f"{len(conflicts)} stories changed meanwhile")
    return opened


def put_started(plan: BatchPlan, told: Mapping[str, frozenset[str]], *, now: datetime, written: set[str]) -> None:
    """Put the stories this batch starts, each with what its groups were told (no notices row
    of its own: one write unit less for most posts), then their index keys. No other worker
    knew them: their ids derive from their first post's own id, and their index keys are
    written only now. Each story stored joins `written` at once: a redelivery finds its post
    counted, so dispatch counts it even when the index write (or a later stage) fails."""
    new = started(plan)
    try:
        stories.write_rows(
            [replace(r, told=sorted(told.get(r.cluster_id, ()))) for r in plan.stories.rows if r.cluster_id in new]
        )
    except Exception:
        written.update(stories.read_rows(new))  # 25 a request: some may be stored
        raise
    written.update(new)
    stories.write_index({k: e for k, e in plan.stories.index.items() if e.cluster_id in new}, now=now)


def counted_mentions(plan: BatchPlan, clusters: Iterable[str]) -> list[Mention]:
    """The mentions this plan counts into the given stories for the first time."""
    ids = {i for c in clusters for i in plan.stories.members.get(c, ())}
    return [s for s in plan.stories.signals if isinstance(s, Mention) and s.mention_id in ids]


def record_outcomes(outcomes: Iterable[ReportOutcome]) -> None:
    for o in outcomes:
        # PynamoDB types a ListAttribute of strings as a list of attributes.
        actions: list[Action] = [ReportModel.routed_to.set(list(o.routed_to))]  # type: ignore[arg-type]
        if o.cluster_id:
            actions += [ReportModel.cluster_id.set(o.cluster_id), ReportModel.position.set(o.position)]
            if o.lead_minutes is not None:
                actions.append(ReportModel.lead_minutes.set(o.lead_minutes))
        ReportModel(report_id=o.report_id).update(actions=actions)


def save_told(
    told: Mapping[str, frozenset[str]],
    now: datetime,
    *,
    before: Mapping[str, frozenset[str]] | None = None,
) -> None:
    """Add what each story's groups were told to what is stored: another worker routing the same
    story at once (another shard's batch) may have told other groups meanwhile, and a blind put
    would erase them. A story whose groups were all told before (`before`, as read) is not
    written again. (A story the batch started carries what it was told in its own put:
    `put_started`.)"""
    expires = {"N": str(int((now + NOTICE_TTL).timestamp()))}
    new = {c: tags - (before or {}).get(c, frozenset()) for c, tags in told.items()}
    update_each(
        [
            {
                "TableName": NoticeModel.Meta.table_name,
                "Key": {"cluster_id": {"S": c}},
                "UpdateExpression": "ADD told :told SET expires_at = :expires",
                "ExpressionAttributeValues": {":told": {"SS": sorted(tags)}, ":expires": expires},
            }
            for c, tags in sorted(new.items())
            if tags
        ]
    )


def show_on_wall(plan: BatchPlan, changed: Sequence[IncidentModel], config: RoutingConfig, now: datetime) -> None:
    """New signals and changed incidents onto the wall. The wall is a view: when it cannot be
    written the batch is not failed for it (notifications matter more)."""
    seen = [wall.Seen(s.signal, cluster_id=s.cluster_id, lead_minutes=s.lead_minutes) for s in plan.shown]
    entries = [wall.incident_entry(row, owner_name=config.group_name(row.owner)) for row in changed]
    try:
        wall.update(batch=seen, incidents=entries, now=now)
    except Exception:  # logged with its traceback; the next batch writes the wall again
        logger.exception("wall not updated")


def plan_and_write(
    signals: Sequence[Signal], *, config: RoutingConfig, now: datetime
) -> tuple[BatchPlan, BatchRead, dict[str, IncidentModel]]:
    taxonomy, _ = current_taxonomy()
    raise_severity = velocity_raiser(taxonomy, severity_thresholds())
    for attempt in range(ATTEMPTS):
        read, rows = read_batch(signals)
        plan = plan_batch(
            signals, read=read, config=config, links=incidents.links(), now=now, raise_severity=raise_severity
        )
        try:
            rows.update(write_stories(plan, now=now))
        except stories.StoryConflict:
            if attempt == ATTEMPTS - 1:
                raise
            logger.info("stories moved meanwhile: planning again", extra={"attempt": attempt + 1})
            continue
        return plan, read, rows
    raise AssertionError("unreachable")


def count_new(plan: BatchPlan, written: Iterable[str]) -> int:
    """The per-minute counters, from the mentions this batch counted into the stories it wrote
    (`written`): each mention once, however many senders raced to store it or however often the
    stream redelivers it (a story not written yet is planned again then, and counted then).
    Returns how many of them are recent (in the live minute buckets)."""
    new = counted_mentions(plan, written)
    add_counts(new)
    return sum(1 for m in new if bucket_for(m.published_at, received_at=m.received_at).startswith("m|"))


@dataclass(slots=True)
class Batch:
    """One stream batch as its stages carry it: what was read, planned and written first, and
    what each stage leaves for the next (the publishes' outcomes, the incidents changed)."""

    signals: list[Signal]
    config: RoutingConfig
    now: datetime
    plan: BatchPlan
    read: BatchRead
    rows: dict[str, IncidentModel]
    recent: int = 0
    written: set[str] = field(default_factory=set)  # the stories stored: their members are counted
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    told: dict[str, frozenset[str]] = field(default_factory=dict)  # settled: what each story was told
    failures: list[str] = field(default_factory=list)
    changed: list[IncidentModel] = field(default_factory=list)


def _count(b: Batch) -> None:
    b.recent = count_new(b.plan, b.written)


def _spike_alarms(b: Batch) -> None:
    """A live burst runs the spike detector at once, not at the schedule's next minute; at most
    every INLINE_SPIKE_EVERY seconds per process (during a burst every batch qualifies)."""
    global _last_inline_check
    if b.recent >= INLINE_SPIKE_CHECK and time.monotonic() - _last_inline_check >= INLINE_SPIKE_EVERY:
        _last_inline_check = time.monotonic()
        try:
            check_spikes()
        except Exception:  # counted; the schedule runs the detector again in a minute
            logger.exception("inline spike check failed")


def _reporters(b: Batch) -> None:
    record_outcomes(b.plan.outcomes)


def _publish(b: Batch) -> None:
    # A foreign mention's notice carries its translation beside it (where translation is on).
    mentions = [s for s in b.signals if isinstance(s, Mention)]
    outgoing = translate_notifications(b.plan.outgoing, mentions, now=b.now)
    outcomes, b.failures = send(outgoing, config=b.config, now=b.now)
    b.outcomes = dict(outcomes)


def _started(b: Batch) -> None:
    """With the outcomes known, the stories the batch starts are put with what they were told."""
    b.told = settle(b.plan, b.outcomes, told=b.read.told, now=b.now).told
    put_started(b.plan, b.told, now=b.now, written=b.written)


def _told(b: Batch) -> None:
    new = started(b.plan)
    save_told({c: t for c, t in b.told.items() if c not in new}, b.now, before=b.read.told)


def _incidents(b: Batch) -> None:
    b.changed = incidents.apply_changes(b.plan.incidents, b.rows)


def _wall(b: Batch) -> None:
    show_on_wall(b.plan, b.changed, b.config, b.now)


def _drills(b: Batch) -> None:
    # A drill follows the incidents its storm opened; one that ended meanwhile stops them here.
    drills.follow_openings(b.plan.stories.openings, now=b.now)


def _crisis_plans(b: Batch) -> None:
    """The crisis plan takes hold of an incident this batch opened or made more severe."""
    rows = [b.rows[i] for i in b.plan.crisis if i in b.rows]  # as the incidents stage changed them
    plans.start_for(rows, b.plan.stories.signals, b.plan.stories.stories, now=b.now)


def _chat_cards(b: Batch) -> None:
    # After the crisis plan (the card names its next task). A chat outage is logged and retried
    # from the delivery log; it never fails the batch.
    if b.plan.chat:
        cards.post_cards(b.plan.chat, config=b.config)


def _receipts(b: Batch) -> None:
    for receipt in b.plan.receipts:
        send_receipt(receipt.report, list(receipt.lines))


# The act stages, in the order they run (the module's docstring and docs/architecture.md name
# them in this order; tests/unit/test_router_stages.py holds all three to it).
STAGES: tuple[tuple[str, Callable[[Batch], None]], ...] = (
    ("reporters' pages", _reporters),
    ("notices", _publish),
    ("stories started", _started),
    ("counts", _count),
    ("spike alarms", _spike_alarms),
    ("told", _told),
    ("incidents", _incidents),
    ("wall", _wall),
    ("drills", _drills),
    ("crisis plans", _crisis_plans),
    ("chat cards", _chat_cards),
    ("receipts", _receipts),
)


def dispatch(signals: Iterable[Signal]) -> dict[str, int]:
    """Notify every group each signal routes to, once per story and level: read, plan and write
    the stories, then each of STAGES in order."""
    batch = list(signals)
    config = load_routing()
    now = utcnow()
    plan, read, rows = plan_and_write(batch, config=config, now=now)
    b = Batch(signals=batch, config=config, now=now, plan=plan, read=read, rows=rows)
    b.written = {r.cluster_id for r in plan.stories.rows} - started(plan)  # write_stories wrote them
    ran: set[str] = set()
    try:
        for name, stage in STAGES:
            stage(b)
            ran.add(name)
    finally:
        # Counted once the stories are written, whatever failed after (a redelivered record is
        # not new, so a count skipped here would be lost): only the written stories' members (a
        # story not put yet is planned and counted again when the batch is redelivered); after
        # the publishes, so a person hears first and the counters and the spike check follow.
        if "counts" not in ran:
            _count(b)
    counts = {"sent": 0, "skipped": 0, "held": 0, **plan.counts}
    for outcome in b.outcomes.values():
        counts[outcome] += 1
    counts["failed"] = len(plan.outgoing) - len(b.outcomes)
    logger.info("dispatched", extra=counts)
    emit_counts(
        {
            "NotificationsSent": counts["sent"],
            "NotificationsSkipped": counts["skipped"],
            "NotificationsHeld": counts["held"],
            "NotificationsFolded": counts["folded"],
            "NotificationsFailed": counts["failed"],
        },
        dimensions={"stage": get_settings().stage},
    )
    if b.failures:
        raise DeliveryFailed(f"{len(b.failures)} deliveries failed: {'; '.join(b.failures[:5])}")
    return counts
