"""Stories in DynamoDB: the cluster index (sketch values "m:...", post aliases "p:...", a
mention's alias marked `member` once it is counted and a "member:<id>" key per counted report)
and the clusters table. What to write is decided in
`policy/stories.py`; this module reads and writes it in batches.

Requests per stream batch: one BatchGetItem per 100 index keys, one per 100 stories, one
BatchWriteItem per 25 new stories and per 25 new index keys, a conditional put per story that
existed before."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, fields
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.errors import SharedwatchError
from chalicelib.i18n import N_
from chalicelib.policy.stories import IndexEntry, StoryRow, aliased_story
from chalicelib.store.batch import batch_get, batch_put
from chalicelib.store.models import ClusterIndexModel, ClusterModel

INDEX_KEPT = timedelta(days=14)  # campaigns and reposts come within days; redeliveries within one


class StoryConflict(SharedwatchError):
    """Another worker changed a story between our read and our write: read again and replan."""

    status = 409
    title = N_("Story changed meanwhile")
    slug = "story-conflict"


_COUNTS = ("window_count", "size", "reports", "negative", "reach", "version")


def row_from_model(model: ClusterModel) -> StoryRow:
    values = {f.name: getattr(model, f.name) for f in fields(StoryRow)}
    values.update({name: int(values[name] or 0) for name in _COUNTS})
    values.update(
        departments=[str(d) for d in model.departments or []],
        influencers=[str(h) for h in model.influencers or []],
        incident_id=model.incident_id or "",
        buckets=dict(model.buckets or {}),
        told=sorted(model.told or ()),
    )
    return StoryRow(**values)


def model_from_row(row: StoryRow) -> ClusterModel:
    # Only a story told more than once (or reported, or an incident) is listed: a single post is
    # the inbox's, and the list's index then costs nothing for the many stories of one.
    listed = row.size > 1 or row.reports > 0 or bool(row.incident_id)
    active_day = row.last_seen.isoformat()[:10] if listed else None
    return ClusterModel(
        **{
            **asdict(row),
            "incident_id": row.incident_id or None,
            "active_day": active_day,
            "told": set(row.told) or None,
        }
    )


def _sketch(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(h, 16) for h in text.split(",") if h)
    except ValueError:
        return ()


def read_index(keys: Sequence[str]) -> dict[str, IndexEntry]:
    found = batch_get(ClusterIndexModel.Meta.table_name, "key", list(keys), consistent=True)
    return {
        k: IndexEntry(
            item["cluster_id"]["S"],
            _sketch(item.get("sketch", {}).get("S", "")),
            member=bool(item.get("member", {}).get("BOOL")) or k.startswith("member:"),
        )
        for k, item in found.items()
    }


def read_rows(cluster_ids: Iterable[str]) -> dict[str, StoryRow]:
    rows = batch_get(ClusterModel.Meta.table_name, "cluster_id", sorted(set(cluster_ids)), consistent=True)
    return {k: row_from_model(ClusterModel.from_raw_data(v)) for k, v in rows.items()}


def write_rows(rows: Sequence[StoryRow]) -> list[str]:
    """Write the stories a plan changed: new ones together (their ids derive from a member's own
    id and a shard's records arrive in order, so no other worker creates them meanwhile), the
    others each on the condition that nobody moved them since they were read. Returns the ids
    that another worker moved meanwhile (not written)."""
    batch_put(ClusterModel.Meta.table_name, [model_from_row(r).serialize() for r in rows if r.version == 0])
    conflicts = []
    for row in rows:
        if row.version == 0:
            continue
        try:
            model_from_row(row).save(condition=ClusterModel.version == row.version - 1)
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            conflicts.append(row.cluster_id)
    return conflicts


def write_index(entries: Mapping[str, IndexEntry], *, now: datetime) -> None:
    """The index keys a plan added, each forgotten INDEX_KEPT later (TTL): a story past that age
    is not joined by new posts, and the index does not grow without end."""
    expires = {"N": str(int((now + INDEX_KEPT).timestamp()))}
    items = []
    for key, entry in entries.items():
        item: dict[str, dict[str, Any]] = {
            "key": {"S": key},
            "cluster_id": {"S": entry.cluster_id},
            "expires_at": expires,
        }
        if entry.sketch:
            item["sketch"] = {"S": ",".join(f"{h:x}" for h in entry.sketch)}
        if entry.member:
            item["member"] = {"BOOL": True}
        items.append(item)
    batch_put(ClusterIndexModel.Meta.table_name, items)


def story_of_post(alias: str) -> str:
    """The story a post was counted in, from its alias ("p:<id>", `policy.stories.alias_key`):
    the index entry when it has one, else the story it would have started (a post that started
    one has no entry: the story is its mark), which may not exist."""
    try:
        return str(ClusterIndexModel.get(alias, consistent_read=True).cluster_id)
    except ClusterIndexModel.DoesNotExist:
        return aliased_story(alias)
