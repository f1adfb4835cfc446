"""An incident's cards in its groups' chat channels: posted when the router tells a group with a
chat channel about the incident, brought up to date in place (and a line threaded under them)
whenever the incident changes, however it changed: a button, the console, an SMS or email link,
the schedule. Reads the facts, renders purely (`policy/chat.py`), delivers through the log
(`notify/chat.py`). Never raises into its caller: chat is never why a notice or an
acknowledgement fails."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from chalicelib.notify import chat
from chalicelib.observability import logger
from chalicelib.policy.chat import CardFacts, ChatStep, slack_card, teams_card, thread_line, update_delivery_id
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.crisis import OPEN, PlanState
from chalicelib.settings import get_settings
from chalicelib.store.models import ClusterModel, DeliveryModel, IncidentModel, PlanModel

REMARKS = ("note",)


def facts_of(row: IncidentModel, config: RoutingConfig) -> CardFacts:
    """What the card says: the incident, its story's numbers, the plan's next open task."""
    size = reports = reach = negative = 0
    try:
        story = ClusterModel.get(row.cluster_id)
        size, reports, reach, negative = (
            int(story.size or 0),
            int(story.reports or 0),
            int(story.reach or 0),
            int(story.negative or 0),
        )
    except ClusterModel.DoesNotExist:
        pass
    next_task = ""
    try:
        plan = PlanModel.get(row.incident_id)
        tasks = PlanState.from_item(plan.doc, scenario_key=plan.scenario).tasks if plan.doc else ()
        open_tasks = sorted((t for t in tasks if t.status == OPEN), key=lambda t: t.due_at)
        next_task = open_tasks[0].task if open_tasks else ""
    except PlanModel.DoesNotExist:
        pass
    via = resolution = ""
    remarks: list[str] = []
    for raw in row.timeline or []:
        entry = json.loads(str(raw))
        if entry.get("event") == "acknowledged":
            via = str(entry.get("via") or "")
        elif entry.get("event") == "resolved":
            resolution = str(entry.get("note") or "")
        elif entry.get("event") in REMARKS:
            remarks.append(f"{entry.get('by', '')}: {entry.get('note', '')}")
    return CardFacts(
        incident_id=row.incident_id,
        title=row.title,
        severity=row.severity,
        status=row.status,
        owner=config.group_name(row.owner or ""),
        url=f"{get_settings().public_base_url}/incidents/{row.incident_id}",
        size=size,
        reports=reports,
        reach=reach,
        negative=negative,
        next_task=next_task,
        acknowledged_by=row.acknowledged_by or "",
        acknowledged_via=via,
        resolved_by=row.resolved_by or "",
        resolution=resolution or (row.resolution or ""),
        remarks=tuple(remarks),
    )


def rendered(platform: str, facts: CardFacts) -> dict[str, Any]:
    if platform == "slack":
        text, blocks = slack_card(facts)
        return {"text": text, "blocks": blocks, "severity": facts.severity}
    card = teams_card(facts, buttons=platform == "teams")
    return {"text": f"[{facts.severity}] {facts.title[:150]}", "card": card, "severity": facts.severity}


def post_cards(steps: Sequence[ChatStep], *, config: RoutingConfig) -> dict[str, int]:
    """The planned cards, once each (a redelivered batch finds them sent)."""
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    facts: dict[str, CardFacts] = {}
    for step in steps:
        try:
            if step.incident_id not in facts:
                facts[step.incident_id] = facts_of(IncidentModel.get(step.incident_id, consistent_read=True), config)
            doc = {"op": "card", **rendered(step.platform, facts[step.incident_id])}
            outcome = chat.deliver(
                step.card_id,
                platform=step.platform,
                where=step.where,
                doc=doc,
                item_id=step.incident_id,
                group=step.group,
            )
        except Exception:  # logged; the minute's retry_stale carries a claimed card out later
            logger.exception("chat card not posted", extra={"incident": step.incident_id, "platform": step.platform})
            outcome = None
        counts[outcome or "failed"] += 1
    return counts


def cards_of(incident_id: str) -> list[DeliveryModel]:
    return [
        row for row in DeliveryModel.item_index.query(incident_id) if row.item_kind == "chat" and row.subject == "card"
    ]


def _where(row: DeliveryModel) -> tuple[str, str]:
    doc = json.loads(row.message)
    return str(doc.get("platform")), str(doc.get("where"))


def update_cards(row: IncidentModel, *, event: str, config: RoutingConfig, now: datetime) -> int:
    """Every card of the incident shows its state now, and the change is threaded under it, once
    per card and event. Returns how many cards were brought up to date."""
    try:
        cards = cards_of(row.incident_id)
        if not cards:
            return 0
        current = IncidentModel.get(row.incident_id, consistent_read=True)
        facts = facts_of(current, config)
    except Exception:
        logger.exception("chat cards not updated", extra={"incident": row.incident_id})
        return 0
    done = 0
    for card in cards:
        platform, where = _where(card)
        try:
            chat.refresh_card(card.delivery_id, rendered(platform, facts))
            doc: dict[str, Any] = {"op": "update", "card": card.delivery_id, "line": thread_line(event, facts)}
            if platform == "teams-webhook":
                doc = {"op": "update", "line": thread_line(event, facts)}
            outcome = chat.deliver(
                update_delivery_id(row.incident_id, platform, where, event),
                platform=platform,
                where=where,
                doc=doc,
                item_id=row.incident_id,
                group=card.group,
            )
        except Exception:
            logger.exception("chat card not updated", extra={"incident": row.incident_id, "platform": platform})
            continue
        done += outcome == "sent"
    logger.info(
        "chat cards updated", extra={"incident": row.incident_id, "event": event, "cards": done, "at": now.isoformat()}
    )
    return done
