"""The post-incident review, read purely from the timeline, the plan, the story and the
delivery log (the page and the JSON say the same), and its action items, tracked on the plan
until done."""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.flows.plans import change, state_of
from chalicelib.i18n import N_
from chalicelib.policy.crisis import ActionItem
from chalicelib.policy.crisis_run import adding_action, finishing_action
from chalicelib.policy.scenarios import EMAIL
from chalicelib.store.models import IncidentModel, PlanModel


def add_action(*, incident_id: str, text: str, owner: str, due: str, by: str, now: datetime) -> PlanModel:
    """An action item from the review: tracked (on the plan and the review) until done."""
    problems = []
    text = " ".join(text.split())
    if not 0 < len(text) <= 300:
        problems.append("text: what is to be done, 1 to 300 characters")
    if not EMAIL.match(owner):
        problems.append("owner: the email address of who does it")
    try:
        due_on = date.fromisoformat(due).isoformat() if due else ""
    except ValueError:
        problems.append("due: a date, YYYY-MM-DD")
        due_on = ""
    if problems:
        raise InvalidPayload(
            N_("invalid action item: %(problems)s"),
            values={"problems": "; ".join(problems)},
            extra={"errors": problems},
        )

    item = ActionItem(id=secrets.token_hex(4), text=text, owner=owner.lower(), due=due_on, by=by, at=now)
    return change(incident_id, lambda s: adding_action(s, item))[0]


def finish_action(*, incident_id: str, action_id: str, by: str, now: datetime) -> PlanModel:
    return change(incident_id, lambda s: finishing_action(s, action_id, by=by, now=now))[0]


def _minutes(start: datetime | None, end: datetime | None) -> float | None:
    return round((end - start).total_seconds() / 60, 1) if start and end else None


def review(
    incident: IncidentModel,
    plan: PlanModel | None,
    *,
    story: Mapping[str, Any],
    told: Sequence[Mapping[str, Any]],
    reach: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The post-incident review, read from the timeline, the plan, the story, the delivery log
    and what people read (each message's minutes to 50% and 80% read): pure, so the page and the
    JSON say the same."""
    timeline = [json.loads(str(e)) for e in incident.timeline or []]
    opened = incident.opened_at
    state = state_of(plan) if plan else None
    approved = [a.at for st in state.statements.values() for a in st.approved] if state else []
    published = [p.at for p in state.published] if state else []
    tasks = [t.to_item() for t in state.tasks] if state else []
    done = [t for t in tasks if t["status"] == "done"]
    on_time = [t for t in done if t["done_at"] <= t["due_at"]]
    return {
        "incident": {
            "id": incident.incident_id,
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "opened_at": opened.isoformat(),
            "acknowledged_at": incident.acknowledged_at.isoformat() if incident.acknowledged_at else None,
            "acknowledged_by": incident.acknowledged_by,
            "resolved_at": incident.resolved_at.isoformat() if incident.resolved_at else None,
        },
        "drill": bool(plan and plan.drill),
        "scenario": {"id": plan.scenario, "name": state.scenario.name, "version": state.scenario.version}
        if plan and state
        else None,
        "minutes": {
            "to_acknowledge": _minutes(opened, incident.acknowledged_at),
            "to_approve": _minutes(opened, min(approved)) if approved else None,
            "to_publish": _minutes(opened, min(published)) if published else None,
            "to_resolve": _minutes(opened, incident.resolved_at),
        },
        "checklist": {
            "total": len(tasks),
            "done": len(done),
            "on_time": len(on_time),
            "tasks": [
                {
                    k: t.get(k)
                    for k in ("id", "task", "role", "owner", "due_at", "status", "done_by", "done_at", "reminded")
                }
                for t in tasks
            ],
        },
        "statements": [p.to_item() for p in state.published] if state else [],
        "told": list(told),
        "reach": list(reach),
        "story": dict(story),
        "actions": [a.to_item() for a in state.actions] if state else [],
        "timeline": timeline,
    }
