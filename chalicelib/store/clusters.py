"""Clustering in the router: each stored mention or report joins the story it belongs to (the
same post, a quote of it, a near-copy of its text), clusters count their velocity, and a cluster
that turns severe or fast becomes an incident with a timeline.

Requests per stream batch: one BatchGetItem per 100 index keys, one per 100 clusters, one
BatchWriteItem per 25 new index keys, and a conditional write per touched cluster."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.records import Mention, Report, Signal
from chalicelib.store.batch import batch_get, batch_put
from chalicelib.store.models import ClusterIndexModel, ClusterModel, IncidentModel
from chalicelib.triage.identity import key_for, post_identity, sketch, sketch_keys
from chalicelib.triage.severity import LEVELS

VELOCITY_WINDOW = timedelta(minutes=10)
INCIDENT_VELOCITY = 10  # joins within the window that open an incident whatever the severity
INCIDENT_SEVERITY = "high"


@dataclass(frozen=True, slots=True)
class Story:
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


def item_id(signal: Signal) -> str:
    return signal.mention_id if isinstance(signal, Mention) else signal.report_id


def lookup_keys(signal: Signal) -> list[str]:
    """Where a signal's story may already be indexed; its own alias comes first."""
    if isinstance(signal, Mention):
        keys = ["p:" + signal.mention_id]
        if signal.cluster_key.startswith("p:"):
            keys.append(signal.cluster_key)  # it quotes or links a post: that post's story
        keys.extend(sketch_keys(sketch(signal.text)) if signal.text else ())
        return keys
    keys = []
    for url in signal.urls:
        try:
            keys.append("p:" + key_for("mention", post_identity(platform="", external_id="", url=url)))
        except ValueError:
            continue
    return keys


def timeline_entry(event: str, at: datetime, **details: Any) -> str:
    return json.dumps({"at": at.isoformat(), "event": event, **details}, sort_keys=True)


def _open_incident(cluster: ClusterModel, *, now: datetime, reason: str) -> tuple[str, bool]:
    incident_id = "i" + key_for("incident", cluster.cluster_id)[:15]
    incident = IncidentModel(
        incident_id=incident_id,
        cluster_id=cluster.cluster_id,
        title=cluster.title,
        opened_at=now,
        severity=cluster.severity,
        timeline=[timeline_entry("opened", now, reason=reason)],
    )
    try:
        incident.save(condition=IncidentModel.incident_id.does_not_exist())
        return incident_id, True
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return incident_id, False


def note_on_timeline(incident_id: str, event: str, at: datetime, **details: Any) -> None:
    IncidentModel(incident_id=incident_id).update(
        actions=[IncidentModel.timeline.set(IncidentModel.timeline.append([timeline_entry(event, at, **details)]))]
    )


def assign(signals: Sequence[Signal], *, now: datetime, severities: dict[str, str] | None = None) -> dict[str, Story]:
    """Put each signal in its story; returns item id -> Story. Idempotent per signal: a
    "member:<id>" key records that it was counted, so a redelivered stream record is not."""
    if not signals:
        return {}
    keys = {item_id(s): lookup_keys(s) for s in signals}
    wanted = sorted({k for ks in keys.values() for k in ks} | {f"member:{sid}" for sid in keys})
    found = batch_get(ClusterIndexModel.Meta.table_name, "key", wanted, consistent=True)
    index = {k: item["cluster_id"]["S"] for k, item in found.items()}
    membership: dict[str, str] = {}
    counted: dict[str, str] = {}
    new_entries: dict[str, str] = {}
    for signal in signals:
        sid = item_id(signal)
        if f"member:{sid}" in index:
            counted[sid] = index[f"member:{sid}"]
            continue
        cluster_id = next((index[k] for k in keys[sid] if k in index), "") or "c" + key_for("cluster", sid)[:15]
        membership[sid] = cluster_id
        new_entries[f"member:{sid}"] = cluster_id
        for k in keys[sid]:
            if k not in index:  # never re-point a key another story already owns
                index[k] = cluster_id
                new_entries[k] = cluster_id
    by_cluster: dict[str, list[Signal]] = {}
    for signal in signals:
        if item_id(signal) in membership:
            by_cluster.setdefault(membership[item_id(signal)], []).append(signal)
    stories: dict[str, Story] = {}
    # One BatchGetItem for every story the batch touches; a conflicting write reads its row again.
    rows = batch_get(ClusterModel.Meta.table_name, "cluster_id", sorted(by_cluster), consistent=True)
    # Stories first seen in this batch are written together: their ids derive from a member's
    # own id and a shard's records arrive in order, so no other worker creates them meanwhile.
    created: list[ClusterModel] = []
    for cluster_id, members in by_cluster.items():
        stories.update(
            _update_cluster(
                cluster_id, members, now=now, severities=severities or {}, known=rows.get(cluster_id), created=created
            )
        )
    batch_put(ClusterModel.Meta.table_name, [c.serialize() for c in created])
    # The index goes last: a failure in between counts a signal again rather than losing it.
    batch_put(
        ClusterIndexModel.Meta.table_name, [{"key": {"S": k}, "cluster_id": {"S": c}} for k, c in new_entries.items()]
    )
    if counted:
        rows = batch_get(ClusterModel.Meta.table_name, "cluster_id", sorted(set(counted.values())), consistent=True)
        for sid, cluster_id in counted.items():
            if cluster_id in rows:
                row = ClusterModel.from_raw_data(rows[cluster_id])
                stories[sid] = Story(
                    cluster_id,
                    int(row.size),
                    int(row.window_count),
                    int(row.reports),
                    row.incident_id or "",
                    reach=int(row.reach or 0),
                    negative=int(row.negative),
                    influencers=tuple(str(h) for h in row.influencers or ()),
                    title=row.title,
                    severity=row.severity,
                    joined=False,
                )
    return stories


def _update_cluster(
    cluster_id: str,
    members: list[Signal],
    *,
    now: datetime,
    severities: dict[str, str],
    known: dict[str, Any] | None = None,
    created: list[ClusterModel] | None = None,
) -> dict[str, Story]:
    for attempt in range(4):
        try:
            if attempt == 0 and known is not None:
                cluster = ClusterModel.from_raw_data(known)
            elif attempt == 0:
                raise ClusterModel.DoesNotExist()
            else:
                cluster = ClusterModel.get(cluster_id, consistent_read=True)
            version = int(cluster.version)
        except ClusterModel.DoesNotExist:
            first = members[0]
            cluster = ClusterModel(
                cluster_id=cluster_id,
                title=(first.text or "")[:200],
                first_seen=now,
                last_seen=now,
                window_start=now,
                version=0,
            )
            version = -1
        if now - cluster.window_start > VELOCITY_WINDOW:
            cluster.window_start, cluster.window_count = now, 0
        stories: dict[str, Story] = {}
        positions: dict[str, int] = {}
        departments = list(cluster.departments or [])
        for signal in members:
            cluster.size = int(cluster.size) + 1
            cluster.window_count = int(cluster.window_count) + 1
            if isinstance(signal, Report):
                cluster.reports = int(cluster.reports) + 1
                positions[item_id(signal)] = int(cluster.reports)
                if cluster.first_report_at is None or signal.received_at < cluster.first_report_at:
                    cluster.first_report_at = signal.received_at
            else:
                if signal.sentiment_label == "negative":
                    cluster.negative = int(cluster.negative) + 1
                cluster.reach = int(cluster.reach or 0) + signal.author.followers
                handle = signal.author.handle.lower()
                influencers = [str(h) for h in cluster.influencers or []]
                if "watched author" in signal.severity_reasons and handle and handle not in influencers:
                    cluster.influencers = [*influencers, handle][:20]  # type: ignore[assignment]
                if cluster.first_mention_at is None or signal.published_at < cluster.first_mention_at:
                    cluster.first_mention_at = signal.published_at
            level = severities.get(item_id(signal)) or (signal.severity if isinstance(signal, Mention) else "") or "low"
            if LEVELS.index(level) > LEVELS.index(cluster.severity):
                cluster.severity = level
            departments += [d for d in getattr(signal, "departments", ()) if d not in departments]
        cluster.departments = departments[:10]
        cluster.last_seen = now
        opened = False
        if not cluster.incident_id and (
            LEVELS.index(cluster.severity) >= LEVELS.index(INCIDENT_SEVERITY)
            or int(cluster.window_count) >= INCIDENT_VELOCITY
        ):
            reason = (
                f"severity {cluster.severity}"
                if cluster.severity in ("high", "critical")
                else f"{cluster.window_count} joined in {int(VELOCITY_WINDOW.total_seconds() // 60)} min"
            )
            cluster.incident_id, opened = _open_incident(cluster, now=now, reason=reason)
        cluster.version = version + 1
        try:
            if version < 0 and attempt == 0 and created is not None:
                created.append(cluster)
            else:
                condition = ClusterModel.cluster_id.does_not_exist() if version < 0 else ClusterModel.version == version
                cluster.save(condition=condition)
        except PutError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException" and attempt < 3:
                continue  # another worker moved it: read again and redo
            raise
        lead = None
        if cluster.first_report_at is not None and cluster.first_mention_at is not None:
            lead = round((cluster.first_mention_at - cluster.first_report_at).total_seconds() / 60, 1)
        for signal in members:
            stories[item_id(signal)] = Story(
                cluster_id,
                int(cluster.size),
                int(cluster.window_count),
                int(cluster.reports),
                cluster.incident_id or "",
                opened,
                positions.get(item_id(signal), 0),
                lead,
                int(cluster.reach or 0),
                int(cluster.negative),
                tuple(str(h) for h in cluster.influencers or ()),
                cluster.title,
                cluster.severity,
            )
        return stories
    return {}
