"""Scheduled work: each minute, publish deliveries that were claimed but never sent, and poll
the pull sources that are due."""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Rate

from chalicelib.notify.delivery import retry_stale
from chalicelib.observability import logger
from chalicelib.polling import poll_due
from chalicelib.routing.alarms import check_spikes

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def retry_stale_deliveries(event: CloudWatchEvent) -> None:
    sent, failed = retry_stale()
    if sent or failed:
        logger.info("stale deliveries retried", extra={"sent": sent, "failed": failed})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def poll_sources(event: CloudWatchEvent) -> None:
    # Each target keeps its own interval and backoff in its cursor; this only looks for due ones.
    poll_due()


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def detect_spikes(event: CloudWatchEvent) -> None:
    alarms = check_spikes()
    if alarms:
        logger.info("spikes", extra={"alarms": [a.explanation for a in alarms]})
