"""Spike alarms on the schedule: read the counters, run the detector per brand and department,
route each alarm by the rules (the `spike` condition; no rule: the default route), tell each
group once per series, kind and hour (the delivery log keeps it once), and show it on the wall."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.clock import isoformat, utcnow
from chalicelib.notify.delivery import deliver
from chalicelib.observability import logger
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.rules import decide
from chalicelib.records import Notification
from chalicelib.settings import get_settings
from chalicelib.store import wall
from chalicelib.store.config import load_routing, planned_events
from chalicelib.store.counters import read_history
from chalicelib.triage.identity import key_for
from chalicelib.triage.spikes import WINDOW, Alarm, Counts, PlannedEvent, Series, detect, warming_up


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


def find_alarms(*, now: datetime, planned: Sequence[PlannedEvent] | None = None) -> list[Alarm]:
    """Read the counters as stored and run the detector on every series worth watching. A brand
    newly watched is not a spike: while brands still learning their daily cycle make half of the
    last window, the aggregate series (all mentions, departments) hold their volume alarms."""
    moment = now.replace(second=0, microsecond=0)
    history = read_history(moment)
    planned = planned_events() if planned is None else planned
    alarms: list[Alarm] = []
    series: dict[str, Series] = {}
    for label, total_dim, negative_dim in _series_keys(set(history)):
        negatives = {(at, width): c for at, width, c in history.get(negative_dim, [])}
        series[label] = Series(
            (at, width, Counts(c, negatives.get((at, width), 0))) for at, width, c in history.get(total_dim, [])
        )
        # A brand newly watched has everyone else to go by (its share of their volume, their
        # negative share), and what a source replayed of its past is named when it is the usual;
        # a department is a slice by topic, negative by nature (complaints without a topic are
        # customer care's): its own only.
        brand = label.startswith("brand ")
        population = series.get("all mentions") if brand else None
        replayed = Series((at, width, Counts(c)) for at, width, c in history.get(f"{total_dim}|replayed", []))
        alarms.extend(
            detect(
                series[label],
                key=label,
                now=moment,
                planned=planned,
                population=population,
                replayed=replayed if brand else None,
            )
        )
    window = (moment - WINDOW, moment)
    new = sum(s.sum(*window).total for k, s in series.items() if k.startswith("brand ") and warming_up(s, now=moment))
    everything = series["all mentions"].sum(*window).total if "all mentions" in series else 0.0
    if new and new >= 0.5 * everything:
        held = [a for a in alarms if a.kind == "volume" and not a.key.startswith("brand ")]
        if held:
            logger.info("aggregate alarms held: new brands", extra={"held": [a.key for a in held]})
        alarms = [a for a in alarms if a not in held]
    return alarms


def check_spikes(*, now: datetime | None = None) -> list[Alarm]:
    alarms = find_alarms(now=now or utcnow())
    config = load_routing()
    for alarm in alarms:
        if not alarm.planned:
            notify(alarm, config=config)
    return alarms


def alarm_fields(alarm: Alarm) -> dict[str, Any]:
    """An alarm as the rules read a signal."""
    what, _, name = alarm.key.partition(" ")
    return {
        "kind": "spike",
        "spike": alarm.kind,
        "series": alarm.key,
        "text": alarm.explanation,
        "severity": "high",
        "departments": (name,) if what == "department" else (),
        "department": name if what == "department" else "",
        "brand": name if what == "brand" else "",
    }


def notify(alarm: Alarm, *, config: RoutingConfig | None = None) -> dict[str, str]:
    """Each group the rules send this alarm to, told once; the outcome by group."""
    config = config or load_routing()
    hour = alarm.at.strftime("%Y-%m-%dT%H")
    what = "Volume spike" if alarm.kind == "volume" else "Negativity spike"
    decision = decide(alarm_fields(alarm), config.rules, config.default_groups)
    outcomes: dict[str, str] = {}
    for route in decision.routes:
        email = "\n".join(
            [
                f"{what} for {alarm.key} at {isoformat(alarm.at)}.",
                "",
                alarm.explanation,
                "",
                "Why you are getting this:",
                *[f"  - {r}" for r in route.reasons],
                "",
                "The wall shows the live picture; the mentions behind it are routed as they arrive.",
            ]
        )
        notification = Notification(
            delivery_id=key_for("delivery", f"alarm:{alarm.key}:{alarm.kind}:{hour}:{route.group}"),
            group=route.group,
            subject=f"[sharedwatch] {what}: {alarm.key}"[:99],
            email=email,
            sms=f"sharedwatch {what.lower()}: {alarm.key}: {alarm.explanation}"[:160],
            reasons=(f"spike detector: {alarm.explanation}", *route.reasons),
            item_kind="alarm",
            item_id=key_for("alarm", f"{alarm.key}:{alarm.kind}:{hour}"),
            severity="high",
        )
        outcomes[route.group] = deliver(notification, topic_arn=get_settings().group_topic_arn(route.group))
    try:
        wall.add_alarm(
            {
                "key": alarm.key,
                "kind": alarm.kind,
                "at": isoformat(alarm.at),
                "explanation": alarm.explanation,
                "groups": sorted(outcomes),
            },
            now=alarm.at,
        )
    except Exception:  # the wall is a view: the alarm was told whatever happens here
        logger.exception("alarm not shown on the wall")
    return outcomes
