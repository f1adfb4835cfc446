"""What a person does to an incident's crisis plan, from the API or the incident's page alike:
as themselves on the timeline (`Doer.label`, `Doer.via`) and on the audit trail
(`Doer.actor`). The entry points only read the request and call these; `plan_document` is the
plan as both show it."""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.clock import utcnow
from chalicelib.errors import Forbidden
from chalicelib.flows import plans, statements
from chalicelib.i18n import N_
from chalicelib.policy.crisis import Doc
from chalicelib.store.audit import Actor, record
from chalicelib.store.models import PlanModel


@dataclass(frozen=True, slots=True)
class Doer:
    """Who acts: their label on the timeline, how they came in, their audit actor (its id is
    their email, which the plan's roles name)."""

    label: str
    via: str
    actor: Actor


def plan_document(row: PlanModel) -> Doc:
    """The plan as the API returns it and the incident's page shows it."""
    state = plans.state_of(row)
    item = state.to_item()
    return {
        "incident_id": row.incident_id,
        "scenario": {"id": row.scenario, "name": state.scenario.name, "version": state.scenario.version},
        "drill": row.drill,
        "reasons": item["reasons"],
        "roles": item["scenario"]["roles"],
        "tasks": item["tasks"],
        "stakeholders": item["scenario"]["stakeholders"],
        "updates": item["updates"],
        "statements": item["statements"],
        "approvals": item["scenario"]["approvals"],
        "published": item["published"],
        "actions": item["actions"],
        "next_at": row.next_at.isoformat() if row.next_at else None,
        "closed_at": item.get("closed_at"),
        "regions": item.get("regions", []),  # the regions it was assigned, the leading first (policy/regions.py)
    }


def _audit(by: Doer, *, action: str, target: str, after: object = None) -> None:
    record(actor=by.actor, action=action, target=target, now=utcnow(), after=after)


def complete_as(by: Doer, *, incident_id: str, task_id: str) -> PlanModel:
    row = plans.complete_task(incident_id=incident_id, task_id=task_id[:63], by=by.label, via=by.via, now=utcnow())
    _audit(by, action="plan.task.done", target=f"{incident_id}/{task_id[:63]}")
    return row


def edit_as(by: Doer, *, incident_id: str, lang: str, text: str, revision: int) -> PlanModel:
    row = statements.edit_statement(
        incident_id=incident_id, lang=lang[:20], text=text, revision=revision, by=by.label, via=by.via, now=utcnow()
    )
    _audit(by, action="plan.statement.edit", target=f"{incident_id}/{lang[:20]}", after={"text": text[:4000]})
    return row


def approve_as(by: Doer, *, incident_id: str, lang: str, revision: int, role: str) -> bool:
    """A signed-in approver approves for a role they hold in this plan (or its backup)."""
    held = plans.state_of(plans.load(incident_id)).roles_of(by.actor.id)
    if not held:
        raise Forbidden(N_("only the people the scenario names as approvers (or their backups) approve its statements"))
    role = role or held[0]
    if role not in held:
        raise Forbidden(
            N_("you hold %(held)s in this plan, not %(role)s"), values={"held": ", ".join(held), "role": role[:40]}
        )
    _, done = statements.approve(
        incident_id=incident_id, lang=lang[:20], revision=revision, role=role, by=by.label, via=by.via, now=utcnow()
    )
    if done:
        target = f"{incident_id}/{lang[:20]}"
        _audit(by, action="plan.statement.approve", target=target, after={"revision": revision, "role": role})
    return done


def publish_as(by: Doer, *, incident_id: str, lang: str) -> bool:
    _, done = statements.publish(incident_id=incident_id, lang=lang[:20], by=by.label, via=by.via, now=utcnow())
    if done:
        _audit(by, action="plan.statement.publish", target=f"{incident_id}/{lang[:20]}")
    return done
