"""The wall's data, kept ready by the router so that a poll is one read: a snapshot document
(the live stream, volume by minute and hour, today's department ledger, kudos, who spotted
things first, active incidents, when each source last delivered) and a ledger per day for the
digests.

The router folds each stream batch in with one read and one write of each document, each write
conditional on the version read (a conflict reads again); a change that must move both at once
(a correction) writes them in one transaction. Folding is pure (`fold`). A document is stored
zlib-compressed: the snapshot's JSON is tens of KB, and each KB written is a write unit."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.clock import isoformat
from chalicelib.observability import logger
from chalicelib.records import Mention, Report, Signal
from chalicelib.store.batch import batch_get
from chalicelib.store.models import WallModel

SNAPSHOT = "wall"
STREAM_SIZE = 50
KUDOS_SIZE = 10
BEST_SIZE = 3
HOURS_KEPT = 24 * 8  # a week of history: "the usual for this hour"
DAY_KEPT = timedelta(days=400)
INCIDENT_KEPT = timedelta(hours=1)  # a resolved incident stays on the wall this long
CONFLICTS = ("TransactionCanceledException", "ConditionalCheckFailedException")  # another writer came first


@dataclass(frozen=True, slots=True)
class Seen:
    """One stored signal as the wall needs it, with what the router learned about its story."""

    signal: Signal
    cluster_id: str = ""
    lead_minutes: float | None = None  # a report that was first: minutes before any listening tool


def day_key(at: datetime) -> str:
    return f"day|{at:%Y-%m-%d}"


def _text(text: str, limit: int = 280) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def stream_entry(seen: Seen) -> dict[str, Any]:
    s = seen.signal
    if isinstance(s, Mention):
        return {
            "key": f"{isoformat(s.received_at)}|{s.mention_id}",
            "kind": "mention",
            "id": s.mention_id,
            "at": isoformat(s.published_at),
            "text": _text(s.text),
            "platform": s.platform or s.source,
            "brand": s.brand,
            "author": s.author.handle or s.author.name,
            "followers": s.author.followers,
            "url": s.url,
            "sentiment": s.sentiment_label or "neutral",
            "score": round(s.sentiment_score, 3),
            "departments": list(s.departments),
            "severity": s.severity or "low",
            "kudos": s.kudos,
            "complaint": s.complaint,
            "cluster": seen.cluster_id,
            **({"drill": True} if s.drill else {}),
        }
    fields = s.routing_fields()
    return {
        "key": f"{isoformat(s.received_at)}|{s.report_id}",
        "kind": "report",
        "id": s.report_id,
        "at": isoformat(s.received_at),
        "text": _text(s.text),
        "platform": s.platform or s.channel,
        "author": "",  # reporters never reach the wall
        "followers": 0,
        "url": s.urls[0] if s.urls else "",
        "sentiment": "",
        "score": 0.0,
        "departments": list(fields["departments"]),
        "severity": fields["severity"],
        "kudos": False,
        "cluster": seen.cluster_id,
        "urgency": fields["urgency"],  # as routed: an anonymous "urgent" is not shown as one
        **({"drill": True} if s.drill else {}),
    }


def _bump(table: dict[str, list[float]], key: str, sentiment: str, score: float, width: int) -> None:
    row = table.setdefault(key, [0.0] * width)
    row[0] += 1
    if sentiment == "positive":
        row[1] += 1
    elif sentiment == "negative":
        row[2] += 1
    if width > 3:
        row[3] = round(row[3] + score, 3)


def _praise_rank(m: Mention) -> float:
    return float(m.sentiment_score * (1 + min(m.author.followers, 1_000_000) ** 0.5))


def fold(snapshot: dict[str, Any], day: dict[str, Any], batch: Sequence[Seen], *, now: datetime) -> None:
    """Add a batch to the snapshot and to today's ledger (both mutated in place)."""
    stream = list(snapshot.get("stream", []))
    minutes: dict[str, list[float]] = snapshot.setdefault("minutes", {})
    hours: dict[str, list[float]] = snapshot.setdefault("hours", {})
    today = f"{now:%Y-%m-%d}"
    ledger = snapshot.get("ledger") or {}
    if ledger.get("day") != today:
        ledger = {"day": today, "departments": {}}
    departments: dict[str, list[int]] = ledger["departments"]
    kudos = list(snapshot.get("kudos", []))
    spotted = list(snapshot.get("spotted", []))
    day.setdefault("departments", {})
    day.setdefault("spotted", [])
    arrived: dict[str, str] = snapshot.setdefault("arrived", {})
    for seen in batch:
        s = seen.signal
        entry = stream_entry(seen)
        stream.append(entry)
        if s.drill:  # shown (as DRILL), never counted: not in the mood, the ledgers, kudos or spotted
            continue
        if isinstance(s, Mention):  # when its source last reached us, whatever the post's own date
            arrived[s.source] = max(arrived.get(s.source, ""), isoformat(s.received_at))
        sentiment = entry["sentiment"]
        minute = f"{now:%Y-%m-%dT%H:%M}"
        _bump(minutes, minute, sentiment, entry["score"], 3)
        _bump(hours, f"{now:%Y-%m-%dT%H}", sentiment, entry["score"], 4)
        for dept in entry["departments"]:  # praise no team earned is on the stream, not the ledger
            counts = departments.setdefault(dept, [0, 0])
            if sentiment == "positive":
                counts[0] += 1
            elif sentiment == "negative":
                counts[1] += 1
            _fold_day(day["departments"].setdefault(dept, {}), s, entry)
        if isinstance(s, Mention) and s.kudos:
            kudos.append(
                {
                    "at": entry["at"],
                    "text": entry["text"],
                    "departments": entry["departments"],
                    "author": entry["author"],
                    "platform": entry["platform"],
                    "url": entry["url"],
                }
            )
        if isinstance(s, Report) and seen.lead_minutes is not None and seen.lead_minutes >= 1:
            first = {
                "at": entry["at"],
                "department": s.department or "",
                "minutes": round(seen.lead_minutes),
                "text": _text(s.text, 140),
            }
            spotted.append(first)
            day["spotted"] = [*day["spotted"], first][-20:]
    stream.sort(key=lambda e: e["key"], reverse=True)
    snapshot["stream"] = stream[:STREAM_SIZE]
    cutoff_minute = f"{now - timedelta(minutes=60):%Y-%m-%dT%H:%M}"
    snapshot["minutes"] = {k: v for k, v in minutes.items() if k > cutoff_minute}
    cutoff_hour = f"{now - timedelta(hours=HOURS_KEPT):%Y-%m-%dT%H}"
    snapshot["hours"] = {k: v for k, v in hours.items() if k > cutoff_hour}
    snapshot["ledger"] = ledger
    snapshot["kudos"] = sorted(kudos, key=lambda k: k["at"], reverse=True)[:KUDOS_SIZE]
    snapshot["spotted"] = sorted(spotted, key=lambda k: k["at"], reverse=True)[:KUDOS_SIZE]
    snapshot["updated_at"] = isoformat(now)


def _fold_day(dept: dict[str, Any], s: Signal, entry: dict[str, Any]) -> None:
    """A department's day: counts, the best praise and the worst complaints (with links)."""
    for name in ("n", "positive", "negative", "reports"):
        dept.setdefault(name, 0)
    if isinstance(s, Report):
        dept["reports"] += 1
        return
    dept["n"] += 1
    if entry["sentiment"] in ("positive", "negative"):
        dept[entry["sentiment"]] += 1
    brief = {k: entry[k] for k in ("text", "author", "platform", "url", "followers", "score", "severity")}
    brief["rank"] = round(_praise_rank(s), 3)
    if entry["sentiment"] == "positive":
        dept["best"] = sorted([*dept.get("best", []), brief], key=lambda b: -b["rank"])[:BEST_SIZE]
    elif entry["sentiment"] == "negative":
        dept["worst"] = sorted([*dept.get("worst", []), brief], key=lambda b: b["rank"])[:BEST_SIZE]


def incident_entry(row: Any, *, owner_name: str) -> dict[str, Any]:
    return {
        "id": row.incident_id,
        "title": _text(row.title or "", 200),
        "severity": row.severity,
        "status": row.status,
        "owner": owner_name,
        "owner_slug": row.owner or "",
        "opened_at": isoformat(row.opened_at),
        "next_action_at": isoformat(row.next_action_at) if row.next_action_at else None,
        "acknowledged_by": row.acknowledged_by,
        "resolved_at": isoformat(row.resolved_at) if row.resolved_at else None,
        "cluster": row.cluster_id,
        "level": int(row.level or 0),
    }


def fold_incidents(snapshot: dict[str, Any], entries: Sequence[dict[str, Any]], *, now: datetime) -> None:
    incidents: dict[str, Any] = snapshot.setdefault("incidents", {})
    for entry in entries:
        incidents[entry["id"]] = entry
    horizon = isoformat(now - INCIDENT_KEPT)
    snapshot["incidents"] = {
        k: v for k, v in incidents.items() if v["status"] != "resolved" or (v.get("resolved_at") or "") > horizon
    }
    snapshot["updated_at"] = isoformat(now)


def fold_day_incidents(day: dict[str, Any], entries: Sequence[dict[str, Any]]) -> None:
    known = {i["id"]: i for i in day.get("incidents", [])}
    for entry in entries:
        known[entry["id"]] = entry
    day["incidents"] = list(known.values())[-50:]


# -- persistence -------------------------------------------------------------------------------


def _doc(item: dict[str, Any]) -> dict[str, Any]:
    """A stored document: compressed ("docz"), or as JSON text (written before it was compressed)."""
    if "docz" in item:
        return dict(json.loads(zlib.decompress(item["docz"]["B"])))
    return dict(json.loads(item.get("doc", {}).get("S", "{}")))


def _load(keys: Sequence[str]) -> dict[str, tuple[int, dict[str, Any]]]:
    rows = batch_get(WallModel.Meta.table_name, "id", list(keys), consistent=True)
    return {k: (int(v.get("version", {}).get("N", "0")), _doc(v)) for k, v in rows.items()}


def _put(key: str, version: int, doc: dict[str, Any], *, expires: datetime | None) -> dict[str, Any]:
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    item: dict[str, Any] = {
        "id": {"S": key},
        "version": {"N": str(version + 1)},
        "docz": {"B": zlib.compress(text.encode(), 6)},
    }
    if expires is not None:
        item["expires_at"] = {"N": str(int(expires.timestamp()))}
    condition = "attribute_not_exists(id)" if version == 0 else "version = :v"
    put: dict[str, Any] = {"TableName": WallModel.Meta.table_name, "Item": item, "ConditionExpression": condition}
    if version:
        put["ExpressionAttributeValues"] = {":v": {"N": str(version)}}
    return {"Put": put}


def _change(
    keys: Sequence[str],
    mutate: Callable[[list[dict[str, Any]]], None],
    *,
    expires: Sequence[datetime | None],
    attempts: int,
) -> bool:
    """Read the documents, change them, write them back conditional on the versions read (one
    document: a conditional put; several: one transaction, which bills twice); again when another
    writer came first. False when it kept conflicting."""
    for _ in range(attempts):
        found = _load(keys)
        read = [found.get(k, (0, {})) for k in keys]
        docs = [doc for _, doc in read]
        mutate(docs)
        items = [
            _put(k, version, doc, expires=e) for k, (version, _), doc, e in zip(keys, read, docs, expires, strict=True)
        ]
        try:
            if len(items) == 1:
                aws.dynamodb().put_item(**items[0]["Put"])
            else:
                aws.dynamodb().transact_write_items(TransactItems=items)  # type: ignore[arg-type]
            return True
        except ClientError as exc:
            if exc.response["Error"].get("Code") not in CONFLICTS:
                raise
    return False


def update(
    *, batch: Sequence[Seen] = (), incidents: Sequence[dict[str, Any]] = (), now: datetime, attempts: int = 4
) -> bool:
    """Fold signals and incident changes into the snapshot, then into today's ledger: each one
    read and one write conditional on the version read (a day's ledger folds from the batch
    alone, never from the snapshot, so each document takes the batch once whichever write
    conflicts; a transaction of both would bill twice). False when one kept conflicting; the
    wall misses a beat rather than the router failing its batch."""
    if not batch and not incidents:
        return True

    def mutate_snapshot(docs: list[dict[str, Any]]) -> None:
        if batch:
            fold(docs[0], {}, batch, now=now)
        if incidents:
            fold_incidents(docs[0], incidents, now=now)

    def mutate_day(docs: list[dict[str, Any]]) -> None:
        if batch:
            fold({}, docs[0], batch, now=now)
        if incidents:
            fold_day_incidents(docs[0], incidents)

    done = _change([SNAPSHOT], mutate_snapshot, expires=(None,), attempts=attempts)
    done = _change([day_key(now)], mutate_day, expires=(now + DAY_KEPT,), attempts=attempts) and done
    if not done:
        logger.warning("wall update kept conflicting", extra={"signals": len(batch), "incidents": len(incidents)})
    return done


ALARMS_KEPT = 5


def add_alarm(alarm: dict[str, Any], *, now: datetime, attempts: int = 4) -> bool:
    """A spike alarm onto the wall (the newest five, for six hours)."""
    horizon = isoformat(now - timedelta(hours=6))

    def mutate(docs: list[dict[str, Any]]) -> None:
        snapshot = docs[0]
        kept = [
            a
            for a in snapshot.get("alarms", [])
            if a["at"] > horizon and (a["key"], a["kind"]) != (alarm["key"], alarm["kind"])
        ]
        snapshot["alarms"] = sorted([alarm, *kept], key=lambda a: a["at"], reverse=True)[:ALARMS_KEPT]

    return _change([SNAPSHOT], mutate, expires=(None,), attempts=attempts)


def read_snapshot() -> tuple[int, dict[str, Any]]:
    """The one read a wall poll makes."""
    answer = aws.dynamodb().get_item(TableName=WallModel.Meta.table_name, Key={"id": {"S": SNAPSHOT}})
    item = answer.get("Item")
    if not item:
        return 0, {}
    return int(item["version"]["N"]), _doc(item)


def read_days(days: Sequence[datetime]) -> dict[str, dict[str, Any]]:
    return {k: doc for k, (_, doc) in _load([day_key(d) for d in days]).items()}


def set_statement(incident_ids: Sequence[str], statement: dict[str, Any], *, now: datetime, attempts: int = 4) -> bool:
    """A plan's approved holding statement onto the wall, for each incident of the crisis (the
    plan's and those that joined it): crisis mode shows the line."""

    def mutate(docs: list[dict[str, Any]]) -> None:
        snapshot = docs[0]
        kept = {k: v for k, v in snapshot.get("statements", {}).items() if k in snapshot.get("incidents", {})}
        line = {**statement, "text": _text(str(statement["text"]), 600)}
        snapshot["statements"] = {**kept, **{incident_id: line for incident_id in incident_ids}}

    return _change([SNAPSHOT], mutate, expires=(None,), attempts=attempts)


def set_cases(cards: Sequence[dict[str, Any]], *, attempts: int = 4) -> bool:
    """The approved case cards a calm wall rotates (policy/cases.wall_cards): kept in the snapshot,
    so a poll still reads one item."""

    def mutate(docs: list[dict[str, Any]]) -> None:
        docs[0]["cases"] = list(cards)

    return _change([SNAPSHOT], mutate, expires=(None,), attempts=attempts)


def set_exercises(posts: Sequence[dict[str, Any]], *, attempts: int = 4) -> bool:
    """The running watchfulness exercises' posts (marked DRILL) the walls of their departments
    show; ending an exercise sets them again without it."""

    def mutate(docs: list[dict[str, Any]]) -> None:
        docs[0]["exercises"] = [{**p, "text": _text(str(p["text"]), 600)} for p in posts]

    return _change([SNAPSHOT], mutate, expires=(None,), attempts=attempts)


def correct(before: Mention, after: Mention, *, now: datetime, attempts: int = 4) -> bool:
    """A person corrected a mention's triage: its line on the wall says so, and the ledger of the
    day it arrived counts it where it now belongs (its old department and feeling uncounted)."""
    day = before.received_at.astimezone(UTC)
    today = f"{day:%Y-%m-%d}"

    def shift(counts: dict[str, Any], m: Mention, step: int) -> None:
        for dept in m.departments:
            if m.sentiment_label in ("positive", "negative"):
                pair = counts.setdefault(dept, [0, 0])
                pair[0 if m.sentiment_label == "positive" else 1] = max(
                    0, pair[0 if m.sentiment_label == "positive" else 1] + step
                )

    def shift_day(departments: dict[str, Any], m: Mention, step: int) -> None:
        for dept in m.departments:
            entry = departments.setdefault(dept, {"n": 0, "positive": 0, "negative": 0, "reports": 0})
            entry["n"] = max(0, entry.get("n", 0) + step)
            if m.sentiment_label in ("positive", "negative"):
                entry[m.sentiment_label] = max(0, entry.get(m.sentiment_label, 0) + step)

    def mutate(docs: list[dict[str, Any]]) -> None:
        snapshot, ledger_day = docs
        for entry in snapshot.get("stream", []):
            if entry.get("id") == after.mention_id:
                entry.update(
                    sentiment=after.sentiment_label or "neutral",
                    departments=list(after.departments),
                    kudos=after.kudos,
                    corrected=True,
                )
        ledger = snapshot.get("ledger") or {}
        if ledger.get("day") == today:
            shift(ledger.setdefault("departments", {}), before, -1)
            shift(ledger["departments"], after, +1)
        if ledger_day:
            shift_day(ledger_day.setdefault("departments", {}), before, -1)
            shift_day(ledger_day["departments"], after, +1)

    return _change([SNAPSHOT, day_key(day)], mutate, expires=(None, day + DAY_KEPT), attempts=attempts)
