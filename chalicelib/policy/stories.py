"""Stories, decided purely: which story each signal joins (the same post, a quote of it, a
near-copy of its text), how the story's counts and velocity move, the severity it takes once
its velocity is known, and whether it turns into an incident. The router reads the rows, this
module decides, and the router writes what it decided (`flows/router.py`)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.policy.drills import realm_key
from chalicelib.records import Mention, Report, Signal
from chalicelib.triage import triage_for
from chalicelib.triage.identity import SKETCH_SIZE, key_for, post_identity, resemblance, sketch, sketch_keys
from chalicelib.triage.severity import Thresholds, at_least, higher
from chalicelib.triage.taxonomy import Taxonomy

VELOCITY_WINDOW = timedelta(minutes=10)
VELOCITY_NOTABLE = 5  # similar signals in the window before severity takes the story into account
INCIDENT_VELOCITY = 10  # joins within the window that open an incident whatever the severity
INCIDENT_SEVERITY = "high"
# A text joins a story found through a sketch key only when their sketches estimate a Jaccard
# resemblance of at least one half (2 of the 4 smallest 3-gram hashes of the union shared): a
# repost or a copy-paste with a few words changed shares most of its 3-grams; an unrelated text
# that merely collides on one 32-bit hash shares one value at most (a tenth of a campaign's
# copies share 3 or 4).
JOIN_RESEMBLANCE = 0.5
# Only a sketch's smallest values are index keys: two sketches that resemble each other enough
# share at least 2 of the 4 smallest values of their union, and at most 2 values of that union lie
# below the smallest shared one, so it is among the 3 smallest of each. A fourth key would find no
# story more and would cost every new post one more write (and read) unit.
INDEXED_SKETCH_VALUES = SKETCH_SIZE - math.ceil(JOIN_RESEMBLANCE * SKETCH_SIZE) + 1
MAX_INFLUENCERS = 20
MAX_DEPARTMENTS = 10

# (mention, similar recent signals) -> the mention with severity as it stands with that velocity
RaiseSeverity = Callable[[Mention, int], Mention]


@dataclass(slots=True)
class StoryRow:
    """A story as stored (the clusters table); `version` -1 is a story not stored yet."""

    cluster_id: str
    title: str
    first_seen: datetime
    last_seen: datetime
    window_start: datetime
    window_count: int = 0
    size: int = 0
    reports: int = 0
    negative: int = 0
    reach: int = 0
    severity: str = "low"
    departments: list[str] = field(default_factory=list)
    influencers: list[str] = field(default_factory=list)
    incident_id: str = ""
    first_report_at: datetime | None = None
    first_mention_at: datetime | None = None
    version: int = -1
    # Its life in ten-minute buckets ("2026-11-30T10:40" -> [joined, negative, reports]), newest
    # kept, for the story's chart: written with the story, so it costs no request of its own.
    buckets: dict[str, list[int]] = field(default_factory=dict)
    # What its groups were told when it was started ("group|level"), put with the story itself by
    # the batch that started it (flows/router.py); kept as it is by every later write.
    told: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Story:
    """What the router knows of a signal's story once the signal has joined it."""

    cluster_id: str
    size: int
    recent: int  # joined in the current velocity window, this signal included
    reports: int
    incident_id: str = ""
    opened: bool = False  # this batch opened the incident
    position: int = 0  # for a report: the Nth employee report of this story
    lead_minutes: float | None = None  # employees saw it this long before any listening tool (<0: after)
    reach: int = 0
    negative: int = 0
    influencers: tuple[str, ...] = ()
    title: str = ""
    severity: str = "low"
    joined: bool = True  # False when a redelivered record finds itself already counted


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """Where an index key points: its story, and for a sketch key ("m:...") the sketch of the
    text that claimed it, so a text that only collides with it on one hash does not join.
    `member`: the key is its signal's membership key (`membership_key`): that signal is counted."""

    cluster_id: str
    sketch: tuple[int, ...] = ()
    member: bool = False


@dataclass(frozen=True, slots=True)
class Opening:
    """An incident this batch opens for a story."""

    incident_id: str
    cluster_id: str
    title: str
    severity: str
    reason: str
    drill: str = ""  # the drill whose storm opened it ("" for a real incident)


@dataclass(slots=True)
class StoriesPlan:
    stories: dict[str, Story] = field(default_factory=dict)  # item id -> its story
    signals: list[Signal] = field(default_factory=list)  # the batch, severity raised by velocity
    rows: list[StoryRow] = field(default_factory=list)  # to write: new (version 0) or conditional on version-1
    members: dict[str, list[str]] = field(default_factory=dict)  # cluster id -> item ids counted into it
    index: dict[str, IndexEntry] = field(default_factory=dict)  # new index keys ("member:<id>" included)
    openings: list[Opening] = field(default_factory=list)


def item_id(signal: Signal) -> str:
    return signal.mention_id if isinstance(signal, Mention) else signal.report_id


def member_key(sid: str) -> str:
    return f"member:{sid}"


def alias_key(mention_id: str, drill: str = "") -> str:
    """A post's own alias in the index ("p:<mention id>", in its drill's space)."""
    return realm_key("p:" + mention_id, drill)


def membership_key(signal: Signal) -> str:
    """The key that says a signal was counted into a story it joined, so a redelivered record is
    not counted twice: a mention's own alias, marked `member` (an alias a quote claimed before
    the post arrived is not marked, and the post marks it when it joins that story, as it must);
    a report's "member:<id>". A post that starts a story of its own writes no alias: its story's
    id is derived from the alias (`own_story`), and the story existing is the mark."""
    return alias_key(signal.mention_id, signal.drill) if isinstance(signal, Mention) else member_key(signal.report_id)


def own_story(signal: Signal) -> str:
    """The id of the story a signal starts when it joins none: derived from its alias (in its
    drill's space), so `aliased_story` finds it from the alias without an index entry."""
    if isinstance(signal, Mention):
        return aliased_story(alias_key(signal.mention_id, signal.drill))
    return "c" + key_for("cluster", signal.report_id)[:15]


def aliased_story(alias: str) -> str:
    """The story a post started, from its alias ("p:<id>", in its drill's space): a post's alias
    that is not in the index points there when that story exists. A real post's story id is what
    it was before aliases were left out ("c" + the key of its id)."""
    return "c" + key_for("cluster", alias.removeprefix("p:"))[:15]


def alias_stories(signals: Sequence[Signal], index: Mapping[str, IndexEntry]) -> list[str]:
    """The stories the batch's post aliases may stand for (`aliased_story`): each alias a signal
    looks up (its own, a quoted post's, a reported link's) that the index does not hold. The
    router reads them with the index; those that exist are passed to `memberships`."""
    wanted = {k for s in signals for k in lookup_keys(s) if k.startswith("p:") and k not in index}
    return sorted({aliased_story(k) for k in wanted})


def text_sketch(signal: Signal) -> tuple[int, ...]:
    return sketch(signal.text) if isinstance(signal, Mention) and signal.text else ()


def lookup_keys(signal: Signal, own: tuple[int, ...] | None = None) -> list[str]:
    """Where a signal's story may already be indexed; its own alias comes first. A drill's
    signal looks only in its drill's own space: it never joins a real story or another drill's."""
    keys: list[str] = []
    if isinstance(signal, Mention):
        keys.append(alias_key(signal.mention_id))
        if signal.cluster_key.startswith("p:"):
            keys.append(signal.cluster_key)  # it quotes or links a post: that post's story
        keys.extend(sketch_keys((text_sketch(signal) if own is None else own)[:INDEXED_SKETCH_VALUES]))
    else:
        for url in signal.urls:
            try:
                keys.append("p:" + key_for("mention", post_identity(platform="", external_id="", url=url)))
            except ValueError:
                continue
    return [realm_key(k, signal.drill) for k in keys]


def timeline_entry(event: str, at: datetime, **details: Any) -> str:
    return json.dumps({"at": at.isoformat(), "event": event, **details}, sort_keys=True)


def incident_id_for(cluster_id: str) -> str:
    return "i" + key_for("incident", cluster_id)[:15]


def wanted_keys(signals: Sequence[Signal]) -> list[str]:
    """Every index key the batch needs read: each signal's lookup keys and its membership key."""
    return sorted({k for s in signals for k in lookup_keys(s)} | {membership_key(s) for s in signals})


def joins(key: str, entry: IndexEntry, own: tuple[int, ...]) -> bool:
    """Whether a signal with sketch `own` joins the story `key` points at: a post alias or a
    link always; a sketch key only when the texts are similar enough."""
    return not key.startswith("m:") or resemblance(own, entry.sketch) >= JOIN_RESEMBLANCE


def claim(
    signal: Signal, cluster_id: str, own: tuple[int, ...], claimed: dict[str, IndexEntry], stories: set[str]
) -> dict[str, IndexEntry]:
    """The index entries a signal adds for its story: its membership key (none for a post that
    started its story: the story is the mark), and each of its keys no story owns yet (a key
    another story owns is never re-pointed; a post alias that already stands for the story it
    started is not written; a mention's alias that a quote claimed points at the story the
    mention joins, so marking it re-points nothing)."""
    added: dict[str, IndexEntry] = {}
    started = isinstance(signal, Mention) and cluster_id == own_story(signal)
    if not started:
        added[membership_key(signal)] = IndexEntry(cluster_id, member=True)
    for k in lookup_keys(signal, own):
        if k in claimed or k in added or (k.startswith("p:") and aliased_story(k) in stories):
            continue
        if started and k == membership_key(signal):
            continue
        added[k] = IndexEntry(cluster_id, own if k.startswith("m:") else ())
    claimed.update(added)
    return added


def memberships(
    signals: Sequence[Signal], index: Mapping[str, IndexEntry], stories: Iterable[str] = ()
) -> tuple[dict[str, str], dict[str, str], dict[str, IndexEntry]]:
    """(item id -> story it joins now, item id -> story it was already counted in, the index
    entries to add). `stories`: which of `alias_stories` exist. A signal joins the first story
    one of its keys points at (similar enough, for a sketch key; a post alias not in the index
    points at the story that post started, when it exists), else a story of its own."""
    joining: dict[str, str] = {}
    counted: dict[str, str] = {}
    claimed = dict(index)
    present = set(stories)
    added: dict[str, IndexEntry] = {}
    for signal in signals:
        sid = item_id(signal)
        marked = index.get(membership_key(signal))
        if marked is not None and marked.member:
            counted[sid] = marked.cluster_id
            continue
        if isinstance(signal, Mention) and own_story(signal) in present:
            counted[sid] = own_story(signal)  # only it starts that story: a redelivered record
            continue
        own = text_sketch(signal)
        joining[sid] = _first_story(lookup_keys(signal, own), claimed, present, own) or own_story(signal)
        added.update(claim(signal, joining[sid], own, claimed, present))
        present.add(joining[sid])
    return joining, counted, added


def _first_story(
    keys: Sequence[str], claimed: Mapping[str, IndexEntry], present: set[str], own: tuple[int, ...]
) -> str:
    for k in keys:
        if k in claimed:
            if joins(k, claimed[k], own):
                return claimed[k].cluster_id
        elif k.startswith("p:") and aliased_story(k) in present:
            return aliased_story(k)
    return ""


def _new_row(cluster_id: str, first: Signal, now: datetime) -> StoryRow:
    return StoryRow(
        cluster_id=cluster_id, title=(first.text or "")[:200], first_seen=now, last_seen=now, window_start=now
    )


def _lead(row: StoryRow) -> float | None:
    if row.first_report_at is None or row.first_mention_at is None:
        return None
    return round((row.first_mention_at - row.first_report_at).total_seconds() / 60, 1)


def _story(row: StoryRow, *, opened: bool = False, position: int = 0, joined: bool = True) -> Story:
    return Story(
        row.cluster_id,
        row.size,
        row.window_count,
        row.reports,
        row.incident_id,
        opened,
        position,
        _lead(row),
        row.reach,
        row.negative,
        tuple(row.influencers),
        row.title,
        row.severity,
        joined,
    )


MAX_BUCKETS = 288  # two days of ten-minute buckets


def bucket_key(at: datetime) -> str:
    return f"{at:%Y-%m-%dT%H}:{at.minute // 10}0"


def _count(row: StoryRow, signal: Signal) -> int:
    """Count one signal into the story; returns a report's position among the story's reports."""
    row.size += 1
    row.window_count += 1
    if isinstance(signal, Report):
        row.reports += 1
        if row.first_report_at is None or signal.received_at < row.first_report_at:
            row.first_report_at = signal.received_at
        return row.reports
    if signal.sentiment_label == "negative":
        row.negative += 1
    row.reach += signal.author.followers
    handle = signal.author.handle.lower()
    if "watched author" in signal.severity_reasons and handle and handle not in row.influencers:
        row.influencers = [*row.influencers, handle][:MAX_INFLUENCERS]
    if row.first_mention_at is None or signal.published_at < row.first_mention_at:
        row.first_mention_at = signal.published_at
    return 0


def velocity_raiser(taxonomy: Taxonomy, thresholds: Thresholds) -> RaiseSeverity:
    """Severity with the story's velocity counted, by the taxonomy and thresholds in force."""

    def raise_severity(mention: Mention, similar_recent: int) -> Mention:
        t = triage_for(mention, taxonomy=taxonomy, thresholds=thresholds, similar_recent=similar_recent)
        return replace(mention, severity=t.severity.level, severity_reasons=t.severity.reasons)

    return raise_severity


def with_velocity(signal: Signal, recent: int, raise_severity: RaiseSeverity) -> Signal:
    """Severity as it stands once the story's velocity is known ("12 similar recently")."""
    if not isinstance(signal, Mention) or recent < VELOCITY_NOTABLE or not signal.text:
        return signal
    return raise_severity(signal, recent - 1)


def fold(
    row: StoryRow, members: Sequence[Signal], *, now: datetime, raise_severity: RaiseSeverity
) -> tuple[StoryRow, list[Signal], dict[str, int], Opening | None]:
    """The story after its new members joined: counts, velocity, severity (velocity included)
    and departments; an incident opened when it turns severe or fast. Returns the new row, the
    members as routed (severity raised), reports' positions and the incident it opens."""
    row = replace(row, departments=list(row.departments), influencers=list(row.influencers))
    if now - row.window_start > VELOCITY_WINDOW:
        row.window_start, row.window_count = now, 0
    positions: dict[str, int] = {}
    row.buckets = dict(row.buckets)
    bucket = bucket_key(now)
    for signal in members:
        position = _count(row, signal)
        if position:
            positions[item_id(signal)] = position
        cell = list(row.buckets.get(bucket, [0, 0, 0]))
        cell[0] += 1
        cell[1] += int(isinstance(signal, Mention) and signal.sentiment_label == "negative")
        cell[2] += int(isinstance(signal, Report))
        row.buckets[bucket] = cell
    row.buckets = dict(sorted(row.buckets.items())[-MAX_BUCKETS:])
    routed = [with_velocity(s, row.window_count, raise_severity) for s in members]
    for signal in routed:
        level = signal.severity if isinstance(signal, Mention) else ""
        row.severity = higher(row.severity, level or "low")
        row.departments += [d for d in getattr(signal, "departments", ()) if d not in row.departments]
    row.departments = row.departments[:MAX_DEPARTMENTS]
    row.last_seen = now
    opening = None
    if not row.incident_id and (at_least(row.severity, INCIDENT_SEVERITY) or row.window_count >= INCIDENT_VELOCITY):
        reason = (
            f"severity {row.severity}"
            if at_least(row.severity, INCIDENT_SEVERITY)
            else f"{row.window_count} joined in {int(VELOCITY_WINDOW.total_seconds() // 60)} min"
        )
        row.incident_id = incident_id_for(row.cluster_id)
        drill = next((s.drill for s in members if s.drill), "")  # a drill's story holds only its signals
        opening = Opening(row.incident_id, row.cluster_id, row.title, row.severity, reason, drill)
    row.version += 1
    return row, routed, positions, opening


def plan_stories(
    signals: Sequence[Signal],
    *,
    index: Mapping[str, IndexEntry],
    rows: Mapping[str, StoryRow],
    now: datetime,
    raise_severity: RaiseSeverity,
) -> StoriesPlan:
    """Every signal in its story. `index` is what the index held for `wanted_keys(signals)`;
    `rows` the stories it points at (and those of `alias_stories` that exist). Idempotent per
    signal: a signal whose membership key is indexed, or whose own story exists, was counted
    before (a redelivered record) and is not counted again."""
    plan = StoriesPlan()
    joining, counted, plan.index = memberships(signals, index, rows)
    by_cluster: dict[str, list[Signal]] = {}
    for signal in signals:
        sid = item_id(signal)
        if sid in joining:
            by_cluster.setdefault(joining[sid], []).append(signal)
    routed: dict[str, Signal] = {}
    for cluster_id, members in by_cluster.items():
        before = rows.get(cluster_id) or _new_row(cluster_id, members[0], now)
        row, raised, positions, opening = fold(before, members, now=now, raise_severity=raise_severity)
        plan.rows.append(row)
        plan.members[cluster_id] = [item_id(s) for s in members]
        if opening is not None:
            plan.openings.append(opening)
        for signal in raised:
            sid = item_id(signal)
            routed[sid] = signal
            plan.stories[sid] = _story(row, opened=opening is not None, position=positions.get(sid, 0))
    for sid, cluster_id in counted.items():
        if cluster_id in rows:
            plan.stories[sid] = _story(rows[cluster_id], joined=False)
    for signal in signals:
        sid = item_id(signal)
        if sid in routed:
            plan.signals.append(routed[sid])
        elif sid in plan.stories:
            plan.signals.append(with_velocity(signal, plan.stories[sid].recent, raise_severity))
        else:
            plan.signals.append(signal)
    return plan
