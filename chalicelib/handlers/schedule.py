"""Scheduled work, each minute: publish deliveries claimed but never sent and those held until
now, escalate incidents nobody acknowledged, poll the pull sources that are due, and look for
spikes; each quarter of an hour, the department digests due at 08:00 somewhere."""

from __future__ import annotations

from chalice.app import Blueprint, CloudWatchEvent, Cron, Rate

from chalicelib.clock import utcnow
from chalicelib.flows import drills, onboarding, recognition
from chalicelib.flows.alarms import check_spikes
from chalicelib.flows.digests import send_digests
from chalicelib.flows.incidents import escalate_due
from chalicelib.flows.plans import run_due
from chalicelib.flows.polling import poll_due
from chalicelib.notify.delivery import flush_held, retry_stale
from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def retry_stale_deliveries(event: CloudWatchEvent) -> None:
    sent, failed = retry_stale()
    if sent or failed:
        logger.info("stale deliveries retried", extra={"sent": sent, "failed": failed})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def send_held_deliveries(event: CloudWatchEvent) -> None:
    sent, superseded = flush_held()
    if sent or superseded:
        logger.info("held deliveries sent", extra={"sent": sent, "superseded": superseded})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def escalate_incidents(event: CloudWatchEvent) -> None:
    steps = escalate_due(now=utcnow())
    if steps:
        logger.info("escalations", extra={"steps": steps})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def run_crisis_plans(event: CloudWatchEvent) -> None:
    # Overdue tasks remind their owner, then the backup; stakeholders' updates go at their cadence.
    sent = run_due(now=utcnow())
    if sent:
        logger.info("crisis plans", extra={"sent": sent})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def run_drills(event: CloudWatchEvent) -> None:
    # A running drill's storm, step by step, through the real webhooks.
    sent = drills.run_due(now=utcnow())
    if sent:
        logger.info("drill steps sent", extra={"sent": sent})


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def poll_sources(event: CloudWatchEvent) -> None:
    # Each target keeps its own interval and backoff in its cursor; this only looks for due ones.
    poll_due()


@bp.schedule(Rate(1, unit=Rate.MINUTES))
def detect_spikes(event: CloudWatchEvent) -> None:
    alarms = check_spikes()
    if alarms:
        logger.info("spikes", extra={"alarms": [a.explanation for a in alarms]})


# Digests go at 08:00 in each recipient's zone: every quarter of an hour (zones are whole, half
# or three-quarter hours off UTC), each call sends to the zones where it is that hour now.
@bp.schedule(Cron("0/15", "*", "*", "*", "?", "*"))
def daily_digests(event: CloudWatchEvent) -> None:
    sent = send_digests("daily", now=utcnow())
    if sent:
        logger.info("daily digests", extra={"sent": sent})


@bp.schedule(Cron("0/15", "*", "*", "*", "?", "*"))
def weekly_digests(event: CloudWatchEvent) -> None:
    sent = send_digests("weekly", now=utcnow())
    if sent:
        logger.info("weekly digests", extra={"sent": sent})


@bp.schedule(Cron(0, 9, "*", "*", "?", "*"))
def policy_reminders(event: CloudWatchEvent) -> None:
    # Daily; each person owing the current policy an acknowledgement hears once a week (the
    # delivery id names the week), so a rerun or a retried invocation sends nothing twice.
    logger.info("policy reminders", extra={"sent": onboarding.remind(now=utcnow())})


@bp.schedule(Cron(0, 8, 1, "*", "?", "*"))
def monthly_team_notes(event: CloudWatchEvent) -> None:
    # The month before: each department's reports, good catches and minutes ahead of the tools.
    logger.info("monthly team notes", extra={"sent": recognition.send_team_notes(now=utcnow())})
