"""The router behind the DynamoDB Stream: stories are clustered, severity learns the story's
velocity, rules decide, notify delivers, the log keeps it once, the incident timeline says so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from pynamodb.expressions.update import Action

from chalicelib.clock import utcnow
from chalicelib.errors import DeliveryFailed
from chalicelib.notify.delivery import deliver_many
from chalicelib.notify.messages import render
from chalicelib.observability import emit_counts, logger
from chalicelib.records import Mention, Notification, Report, Signal
from chalicelib.routing.rules import route
from chalicelib.settings import get_settings
from chalicelib.store.clusters import Story, assign, item_id, note_on_timeline
from chalicelib.store.config import current_taxonomy, load_routing
from chalicelib.store.models import ReportModel
from chalicelib.triage import severity_thresholds, triage_for


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


def dispatch(signals: Iterable[Signal]) -> dict[str, int]:
    """Notify every group each signal routes to. Failures do not stop the others; they are
    raised at the end so the whole batch is redelivered and the log skips what was sent."""
    settings = get_settings()
    config = load_routing()
    counts = {"sent": 0, "skipped": 0, "failed": 0, "quarantined": 0}
    routable: list[Signal] = []
    for signal in signals:
        if isinstance(signal, Report) and signal.status == "quarantined":
            counts["quarantined"] += 1  # never routed: admins review quarantine
        else:
            routable.append(signal)
    now = utcnow()
    stories = assign(routable, now=now)
    planned: list[tuple[Notification, str]] = []
    incident_of: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for original in routable:
        story = stories.get(item_id(original))
        signal = with_velocity(original, story) if isinstance(original, Mention) else original
        fields = {
            **signal.routing_fields(),
            "story_size": story.size if story else 1,
            "incident": bool(story and story.incident_id),
        }
        routes = route(fields, config.rules, config.default_groups)
        if isinstance(signal, Report):
            names = [config.groups[r.group].name if r.group in config.groups else r.group for r in routes]
            record_outcome(signal, story, names)
        for r in routes:
            notification = render(signal, r, story=story)
            planned.append((notification, settings.group_topic_arn(r.group)))
            if story and story.incident_id:
                incident_of[notification.delivery_id] = (story.incident_id, r.group, r.reasons)
    outcomes, failures = deliver_many(planned)
    for notification, _ in planned:
        outcome = outcomes.get(notification.delivery_id)
        if outcome is None:
            counts["failed"] += 1
            continue
        counts[outcome] += 1
        if outcome == "sent" and notification.delivery_id in incident_of:
            incident_id, group, reasons = incident_of[notification.delivery_id]
            note_on_timeline(
                incident_id, "notified", now, group=group, item=notification.item_id, reasons=list(reasons)
            )
    logger.info("dispatched", extra=counts)
    emit_counts(
        {
            "NotificationsSent": counts["sent"],
            "NotificationsSkipped": counts["skipped"],
            "NotificationsFailed": counts["failed"],
        },
        dimensions={"stage": settings.stage},
    )
    if failures:
        raise DeliveryFailed(f"{len(failures)} deliveries failed: {'; '.join(failures[:5])}")
    return counts
