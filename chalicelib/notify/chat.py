"""Chat posts and updates in the one delivery log, as SNS publishes are: claim (a conditional
put on a deterministic id) -> call the platform -> mark sent with what the platform answered
(Slack's channel and ts, Teams' activity id). A redelivered step finds the row sent and skips
it; a failure leaves it claimed and counted, retried by the minute's `retry_stale` (after the
platform's Retry-After on a 429), dead after MAX_ATTEMPTS. Nothing here raises into its caller:
a chat outage is logged and retried, and never holds up email or SMS.

An incident's card row keeps the card's *current* rendering; an update row only says "bring the
card up to date" (and what to thread under it), so a retried old update still shows the newest
state, and an update that finds its card not yet posted waits for it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.clock import utcnow
from chalicelib.notify import platforms
from chalicelib.notify.delivery import MAX_ATTEMPTS, PENDING, STALE_AFTER, _expiry, _record_failure
from chalicelib.notify.platforms import ChatFailed
from chalicelib.observability import logger
from chalicelib.policy.batch import Outcome
from chalicelib.store.models import DeliveryModel

CHAT = "chat:"  # topic_arn prefix of a chat delivery row: "chat:slack:T0123/C0123"


def is_chat(row: DeliveryModel) -> bool:
    return row.topic_arn.startswith(CHAT)


def _row(
    delivery_id: str, *, platform: str, where: str, doc: dict[str, Any], item_id: str, group: str, now: datetime
) -> DeliveryModel:
    return DeliveryModel(
        delivery_id=delivery_id,
        item_kind="chat",
        item_id=item_id,
        group=group or "-",
        topic_arn=f"{CHAT}{platform}:{where}"[:1000],
        subject=str(doc.get("op", "post")),
        message=json.dumps({"platform": platform, "where": where, **doc}),
        reasons=[],
        status=PENDING,
        attempts=0,
        claimed_at=now,
        audience=[],
        severity=str(doc.get("severity") or ""),
        incident_id=item_id if doc.get("op") in ("card", "update") else None,
        pending=PENDING,
        pending_at=now,
        expires_at=_expiry(now),
    )


def claim(
    delivery_id: str, *, platform: str, where: str, doc: dict[str, Any], item_id: str, group: str = ""
) -> DeliveryModel | None:
    """The row to carry out, or None when it was done (or is dead) already."""
    row = _row(delivery_id, platform=platform, where=where, doc=doc, item_id=item_id, group=group, now=utcnow())
    try:
        row.save(condition=DeliveryModel.delivery_id.does_not_exist())
        return row
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            logger.warning("chat delivery not claimed", extra={"delivery_id": delivery_id, "error": str(exc)[:200]})
            return None
    existing = DeliveryModel.get(delivery_id, consistent_read=True)
    return existing if existing.status == PENDING else None


def deliver(
    delivery_id: str, *, platform: str, where: str, doc: dict[str, Any], item_id: str, group: str = ""
) -> Outcome | None:
    """Claim and carry out once; "sent", "skipped", or None when it failed (and will be retried)."""
    row = claim(delivery_id, platform=platform, where=where, doc=doc, item_id=item_id, group=group)
    if row is None:
        return "skipped"
    return "sent" if publish(row) else None


def refresh_card(card_id: str, doc: dict[str, Any]) -> bool:
    """Keep the card row's current rendering (what any later update in place shows). False when
    the card was never claimed (no card to update)."""
    try:
        row = DeliveryModel.get(card_id, consistent_read=True)
    except DeliveryModel.DoesNotExist:
        return False
    current = json.loads(row.message)
    row.update(actions=[DeliveryModel.message.set(json.dumps({**current, **doc, "op": "card"}))])
    return True


def publish(row: DeliveryModel) -> bool:
    """Carry out a claimed chat row; True when it went. Failures are recorded on the row."""
    doc = json.loads(row.message)
    try:
        message_id = _carry_out(doc)
    except ChatFailed as exc:
        _failed(row, exc)
        return False
    row.update(
        actions=[
            DeliveryModel.status.set("sent"),
            DeliveryModel.sent_at.set(utcnow()),
            DeliveryModel.message_id.set(message_id or "-"),
            DeliveryModel.attempts.add(1),
            DeliveryModel.pending.remove(),
            DeliveryModel.pending_at.remove(),
        ]
    )
    return True


def _failed(row: DeliveryModel, exc: ChatFailed) -> None:
    if exc.permanent:
        row.attempts = MAX_ATTEMPTS - 1  # the next recorded failure is its last
    _record_failure(row, exc.reason)
    if exc.retry_after and row.status != "dead":
        # retry_stale takes rows claimed before now - STALE_AFTER: be one of them after Retry-After.
        when = utcnow() + timedelta(seconds=exc.retry_after) - STALE_AFTER
        row.update(actions=[DeliveryModel.pending_at.set(when)], condition=DeliveryModel.pending.exists())


def _card(card_id: str) -> tuple[dict[str, Any], str]:
    """The card's current rendering and where the platform put it; ChatFailed while unposted."""
    try:
        card = DeliveryModel.get(card_id, consistent_read=True)
    except DeliveryModel.DoesNotExist:
        raise ChatFailed("no card to update", permanent=True) from None
    if card.status != "sent" or not card.message_id:
        raise ChatFailed("the card is not posted yet")
    return json.loads(card.message), str(card.message_id)


def _carry_out(doc: dict[str, Any]) -> str:
    """One step on its platform; what the platform calls the message (for later updates)."""
    platform, where, op = str(doc["platform"]), str(doc["where"]), str(doc["op"])
    if op == "close":
        return _close(platform, where, doc)
    if op == "announce" and platform != "teams-webhook":
        return _announce(platform, where, doc)
    done: str | None = None
    if platform == "slack":
        done = _carry_out_slack(where, op, doc)
    elif platform == "teams":
        done = _carry_out_teams(where, op, doc)
    elif platform == "teams-webhook":  # broadcast only: each change is a new post
        card = doc.get("card") or {
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": doc.get("line", "")}],
        }
        platforms.teams_webhook(where, platforms.card_activity(card, text=doc.get("text", "")))
        done = ""
    if done is None:
        raise ChatFailed(f"unknown chat step {platform}/{op}", permanent=True)
    return done


def _carry_out_slack(where: str, op: str, doc: dict[str, Any]) -> str | None:
    team, _, channel = where.partition("/")
    if op == "card":
        answer = platforms.slack_call(team, "chat_postMessage", channel=channel, text=doc["text"], blocks=doc["blocks"])
        return f"{answer.get('channel') or channel}|{answer.get('ts')}"
    if op == "update":
        card, posted = _card(str(doc["card"]))
        channel_id, _, ts = posted.partition("|")
        platforms.slack_call(team, "chat_update", channel=channel_id, ts=ts, text=card["text"], blocks=card["blocks"])
        if doc.get("line"):
            platforms.slack_call(team, "chat_postMessage", channel=channel_id, thread_ts=ts, text=doc["line"])
        return posted
    if op == "ephemeral":
        platforms.slack_call(team, "chat_postEphemeral", channel=channel, user=doc["user"], text=doc["text"])
        return ""
    if op == "dm":  # a user id as the channel: the app's direct messages with them
        answer = platforms.slack_call(team, "chat_postMessage", channel=doc["user"], text=doc["text"])
        return f"{answer.get('channel')}|{answer.get('ts')}"
    return None


def _carry_out_teams(where: str, op: str, doc: dict[str, Any]) -> str | None:
    if op == "card":
        return platforms.teams_post(where, platforms.card_activity(doc["card"], text=doc.get("text", "")))
    if op == "update":
        card, activity_id = _card(str(doc["card"]))
        platforms.teams_update(where, activity_id, platforms.card_activity(card["card"], text=card.get("text", "")))
        if doc.get("line"):
            platforms.teams_reply(where, activity_id, doc["line"])
        return activity_id
    return None


def _announce(platform: str, where: str, doc: dict[str, Any]) -> str:
    """A brief or stakeholder update posted to a channel as a message of its own (no buttons)."""
    if platform == "slack":
        team, _, channel = where.partition("/")
        answer = platforms.slack_call(team, "chat_postMessage", channel=channel, text=doc["text"])
        return f"{answer.get('channel') or channel}|{answer.get('ts')}"
    return platforms.teams_post(where, platforms.card_activity(doc["card"], text=doc.get("text", "")))


def _close(platform: str, where: str, doc: dict[str, Any]) -> str:
    """A message of ours closed (a watchfulness exercise's post when the drill ends): edited in
    place where the platform can (Slack, a Teams bot), a message of its own where it cannot (a
    Workflows webhook only posts). Waits, like an update, until the post itself is out."""
    if platform == "teams-webhook":
        platforms.teams_webhook(where, platforms.card_activity(doc["card"], text=doc.get("text", "")))
        return ""
    _, posted = _card(str(doc["post"]))
    if platform == "slack":
        team, _, _ = where.partition("/")
        channel_id, _, ts = posted.partition("|")
        platforms.slack_call(team, "chat_update", channel=channel_id, ts=ts, text=doc["text"])
        return posted
    if platform == "teams":
        platforms.teams_update(where, posted, platforms.card_activity(doc["card"], text=doc.get("text", "")))
        return posted
    raise ChatFailed(f"unknown chat platform {platform}", permanent=True)
