"""The noise gate between deciding and delivering: each notification goes out now (to the
members who are awake), waits (an incident's grace period), or joins a digest (a maintenance
window, the group's hourly limit, members' quiet hours). Critical always goes out now."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from chalicelib.notify.delivery import deliver_many, hold_in_digest, hold_one
from chalicelib.policy.batch import Outcome, Outgoing
from chalicelib.policy.config import Group, RoutingConfig
from chalicelib.policy.messages import language_versions
from chalicelib.policy.noise import ALL, active_window, audience, message_languages
from chalicelib.records import Notification
from chalicelib.settings import get_settings
from chalicelib.store.counters import take_allowance


def _next_hour(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def send(outgoing: Sequence[Outgoing], *, config: RoutingConfig, now: datetime) -> tuple[dict[str, Outcome], list[str]]:
    """Deliver or hold each notification, once per language its group's members read (each
    version on its own delivery row; the default's keeps the notification's id, so its outcome
    is the notification's); returns delivery id -> outcome and the failures."""
    outcomes: dict[str, Outcome] = {}
    now_batch: list[tuple[Notification, str, Sequence[str]]] = []
    for item in outgoing:
        group = config.groups.get(item.notification.group) or Group(slug=item.notification.group, name="")
        for n in language_versions(item.notification, message_languages(group.languages), item.translate):
            _gate(n, item, config=config, now=now, outcomes=outcomes, now_batch=now_batch)
    sent, failures = deliver_many(now_batch)
    outcomes.update(sent)
    return outcomes, failures


def _gate(
    n: Notification,
    item: Outgoing,
    *,
    config: RoutingConfig,
    now: datetime,
    outcomes: dict[str, Outcome],
    now_batch: list[tuple[Notification, str, Sequence[str]]],
) -> None:
    group = config.groups.get(n.group) or Group(slug=n.group, name=n.group)
    topic = get_settings().group_topic_arn(n.group)
    critical = n.severity == "critical"
    if not critical:
        window = active_window(config.windows, n.group, now)
        if window is not None:
            why = f"maintenance window until {window.end:%H:%M} UTC{f': {window.reason}' if window.reason else ''}"
            hold_in_digest(n, group_name=group.name, topic_arn=topic, until=window.end, audience=(ALL,), why=why)
            outcomes[n.delivery_id] = "held"
            return
        if item.grace_from is not None and group.grace_minutes:
            until = item.grace_from + timedelta(minutes=group.grace_minutes)
            if until > now:
                outcomes[n.delivery_id] = hold_one(n, topic_arn=topic, until=until)
                return
        if group.max_per_hour and not take_allowance(
            f"group:{n.group}" + (f":{n.lang}" if n.lang else ""),
            limit=group.max_per_hour,
            window_minutes=60,
            now=now,
        ):
            why = f"more than {group.max_per_hour} an hour"
            hold_in_digest(n, group_name=group.name, topic_arn=topic, until=_next_hour(now), audience=(ALL,), why=why)
            outcomes[n.delivery_id] = "held"
            return
    awake, holds = audience(group.zones, group.quiet, now=now, critical=critical)
    for hold in holds:
        hold_in_digest(
            n, group_name=group.name, topic_arn=topic, until=hold.until, audience=hold.audience, why=hold.why
        )
    if awake:
        now_batch.append((n, topic, awake))
    else:
        outcomes[n.delivery_id] = "held"  # everyone is in quiet hours: the digests carry it
