"""Reaching people: a brief, a stakeholder update or a statement to the people of a group (the
all-staff group: every active person), each on their channels, with a one-tap read link; the
reads counted by department; the one reminder; addresses SES reports bouncing or complaining
suppressed."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from chalicelib import credentials
from chalicelib.errors import DeliveryFailed, NotFound
from chalicelib.notify import reach as send
from chalicelib.observability import logger
from chalicelib.policy import read_links
from chalicelib.policy.reach import (
    Message,
    Reach,
    batches,
    fold,
    recipients,
    reminder_at,
    sent_by_department,
    suppressions,
)
from chalicelib.settings import get_settings
from chalicelib.store import reach as store
from chalicelib.store.config import load_routing
from chalicelib.triage.identity import key_for

ALL_STAFF = "all-staff"


def message_id(kind: str, identity: str) -> str:
    return key_for("message", f"{kind}:{identity}")


def reach_people(
    *, group: str, message: Message, now: datetime, reminder_minutes: int | None = None, pace: float = 1.0
) -> dict[str, int]:
    """Send a message to the group's people: batches claimed and sent through the delivery log,
    the message's read counts opened, its reminder held. Idempotent by message id: a repeat
    after a failure sends what was not sent. DeliveryFailed when a batch failed (it is retried
    by the schedule; a repeat of the whole publish sends nothing twice)."""
    config = load_routing()
    only: frozenset[str] | None = None
    if group != ALL_STAFF:
        chosen = config.groups.get(group)
        if chosen is None:
            return {"people": 0, "batches": 0}
        only = frozenset(chosen.people)
    wanted = only is None or bool(only)  # a group that names no people reads none
    people = recipients(store.people(), suppressed=store.suppressed(), only=only) if wanted else []
    chats = config.groups[group].chats if group in config.groups else ()
    if not people and not chats:
        return {"people": 0, "batches": 0}
    m: dict[str, Any] = {
        "incident_id": message.incident_id,
        "message_id": message.message_id,
        "kind": message.kind,
        "title": message.title[:300],
        "sections": [list(s) for s in message.sections],
        "sms": message.sms[:300],
        "drill": message.drill,
        "sent_at": now.isoformat(),
        "group": group,
    }
    if chats:  # and the group's announcements channel: a chat outage never holds up the mail
        send.announce(m, chats=chats, group=group)
    if not people:
        return {"people": 0, "batches": 0}
    store.open_message(
        incident_id=message.incident_id,
        message_id=message.message_id,
        doc={k: m[k] for k in ("message_id", "kind", "title", "drill", "sent_at", "group")},
        sent_by_department=sent_by_department(people),
    )
    failed = 0
    cut = batches(people)
    for batch in cut:
        row = send.claim_batch(m, batch, group=group, now=now)
        if row is not None and not send.publish(row):
            failed += 1
    if reminder_minutes is None:
        reminder_minutes = get_settings().reach_reminder_minutes
    due = reminder_at(sent_at=now, minutes=reminder_minutes, pace=pace)
    if due is not None:
        send.hold_reminder(m, until=due, group=group)
    logger.info("people reached", extra={"message": message.message_id, "people": len(people), "batches": len(cut)})
    if failed:
        raise DeliveryFailed(f"{failed} of {len(cut)} batches to people failed; they are retried")
    return {"people": len(people), "batches": len(cut)}


# Read confirmation ------------------------------------------------------------------------------


def pending(token: str, *, now: datetime) -> tuple[read_links.Read, dict[str, Any]]:
    """What a read link is for (a GET: nothing recorded). NotFound, LinkExpired when it is not good."""
    read = read_links.verify(token, key=credentials.signing_key(), now=now)
    found = store.message(read.incident_id, read.message_id)
    if found is None:
        raise NotFound(read_links.INVALID)
    return read, found[1]


def confirm(token: str, *, now: datetime) -> tuple[dict[str, Any], bool]:
    """A read, once: (what was read, whether this click counted). One TransactWriteItems."""
    read = read_links.verify(token, key=credentials.signing_key(), now=now)
    counted = store.record_read(read, now=now)
    return {"incident_id": read.incident_id, "message_id": read.message_id}, counted


def incident_reach(incident_id: str) -> list[Reach]:
    """Every message the incident sent to people, its read rate by department (one Query)."""
    found = [fold(numbers, doc) for numbers, doc in store.messages(incident_id) if doc.get("sent_at")]
    return sorted(found, key=lambda r: r.sent_at)


def reach_summary(incident_id: str) -> list[dict[str, Any]]:
    """The review's and the drill report's: each message's minutes to 50% and 80% read."""
    return [
        {
            "message_id": r.message_id,
            "kind": r.kind,
            "title": r.title,
            "drill": r.drill,
            "sent_at": r.sent_at.isoformat(),
            "sent": r.sent,
            "read": r.read,
            "percent": r.percent,
            "reminded": r.reminded,
            "minutes_to_50": r.minutes_to(0.5),
            "minutes_to_80": r.minutes_to(0.8),
            "departments": [
                {"department": d.department, "sent": d.sent, "read": d.read, "percent": d.percent}
                for d in r.departments
            ],
        }
        for r in incident_reach(incident_id)
    ]


# Suppression -------------------------------------------------------------------------------------


def suppress(notification: Mapping[str, Any], *, now: datetime) -> list[str]:
    """The addresses an SES bounce or complaint event names, suppressed: never mailed again."""
    done = []
    for address, why in suppressions(notification):
        store.suppress(address, why=why, at=now)
        done.append(address)
    if done:
        logger.warning("addresses suppressed", extra={"count": len(done), "why": suppressions(notification)[0][1]})
    return done
