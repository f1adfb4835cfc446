"""The router behind the DynamoDB Stream: rules decide, notify delivers, the log keeps it once."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.errors import DeliveryFailed
from chalicelib.notify.delivery import deliver
from chalicelib.notify.messages import render
from chalicelib.observability import emit_counts, logger
from chalicelib.records import Report, Signal
from chalicelib.routing.rules import route
from chalicelib.settings import get_settings
from chalicelib.store.config import load_routing


def dispatch(signals: Iterable[Signal]) -> dict[str, int]:
    """Notify every group each signal routes to. Failures do not stop the others; they are
    raised at the end so the whole batch is redelivered and the log skips what was sent."""
    settings = get_settings()
    config = load_routing()
    counts = {"sent": 0, "skipped": 0, "failed": 0, "quarantined": 0}
    failures: list[str] = []
    for signal in signals:
        if isinstance(signal, Report) and signal.status == "quarantined":
            counts["quarantined"] += 1  # never routed: admins review quarantine
            continue
        for r in route(signal.routing_fields(), config.rules, config.default_groups):
            notification = render(signal, r)
            try:
                counts[deliver(notification, topic_arn=settings.group_topic_arn(r.group))] += 1
            except DeliveryFailed as exc:
                counts["failed"] += 1
                failures.append(exc.detail)
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
