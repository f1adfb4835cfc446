"""Spike alarms on the schedule: read the counters, run the detector per brand and department,
and tell the crisis group once per series, kind and hour (the delivery log keeps it once)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.clock import isoformat, utcnow
from chalicelib.notify.delivery import deliver
from chalicelib.records import Notification
from chalicelib.settings import get_settings
from chalicelib.store.config import planned_events
from chalicelib.store.counters import read_series
from chalicelib.triage.identity import key_for
from chalicelib.triage.spikes import Alarm, Counts, detect

ALARM_GROUP = "crisis-team"


def _series_keys(dimensions: set[str]) -> list[tuple[str, str, str]]:
    """(label, total dimension, negative dimension) for everything worth watching."""
    keys = [("all mentions", "n", "n|sentiment|negative")]
    for dimension in sorted(dimensions):
        parts = dimension.split("|")
        if len(parts) == 3 and parts[1] in {"brand", "dept"}:
            keys.append(
                (f"{'brand' if parts[1] == 'brand' else 'department'} {parts[2]}", dimension, f"{dimension}|negative")
            )
    return keys


def check_spikes(*, now: datetime | None = None) -> list[Alarm]:
    moment = (now or utcnow()).replace(second=0, microsecond=0)
    series = read_series(moment)
    planned = planned_events()
    alarms: list[Alarm] = []
    for label, total_dim, negative_dim in _series_keys(set(series)):
        totals, negatives = series.get(total_dim, {}), series.get(negative_dim, {})
        counts = {m: Counts(c, negatives.get(m, 0)) for m, c in totals.items()}
        alarms.extend(detect(counts, key=label, now=moment, planned=planned))
    for alarm in alarms:
        if not alarm.planned:
            notify(alarm)
    return alarms


def notify(alarm: Alarm) -> str:
    hour = alarm.at.strftime("%Y-%m-%dT%H")
    what = "Volume spike" if alarm.kind == "volume" else "Negativity spike"
    email = "\n".join(
        [
            f"{what} for {alarm.key} at {isoformat(alarm.at)}.",
            "",
            alarm.explanation,
            "",
            "The wall shows the live picture; the mentions behind it are routed as they arrive.",
        ]
    )
    notification = Notification(
        delivery_id=key_for("delivery", f"alarm:{alarm.key}:{alarm.kind}:{hour}"),
        group=ALARM_GROUP,
        subject=f"[sharedwatch] {what}: {alarm.key}"[:99],
        email=email,
        sms=f"sharedwatch {what.lower()}: {alarm.key}: {alarm.explanation}"[:160],
        reasons=(f"spike detector: {alarm.explanation}",),
        item_kind="alarm",
        item_id=key_for("alarm", f"{alarm.key}:{alarm.kind}:{hour}"),
    )
    return deliver(notification, topic_arn=get_settings().group_topic_arn(ALARM_GROUP))
