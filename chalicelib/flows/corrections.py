"""A person corrects a mention's triage ("not us: that is baggage"): the mention carries the
corrected value and the correction (who, when, why, before, after); the rules are asked again,
and every group the corrected mention now reaches that the original did not is told once; the
audit trail has it, and the wall's line and ledger follow it. `GET /api/corrections` exports
them with the texts they were made on, and `make eval` reads such an export back as labels
(bench/eval_corrections.py: people's corrections are the labels that matter most)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from chalicelib.clock import isoformat
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.i18n import N_
from chalicelib.notify.gate import send
from chalicelib.observability import logger
from chalicelib.policy.batch import Outgoing
from chalicelib.policy.messages import render
from chalicelib.policy.rules import Route, decide
from chalicelib.policy.search import SENTIMENTS
from chalicelib.records import Mention, delivery_key
from chalicelib.store import wall
from chalicelib.store.audit import Actor, record
from chalicelib.store.config import load_routing
from chalicelib.store.mapping import mention_from_model, mention_to_model
from chalicelib.store.models import MentionModel

FIELDS = ("sentiment", "departments", "kudos")


def _validate(doc: Any, departments: set[str]) -> tuple[str, Any, str]:
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object: field, value, why"))
    problems: list[str] = []
    name, value, why = doc.get("field"), doc.get("value"), doc.get("why", "")
    if name not in FIELDS:
        problems.append(f"field: one of {', '.join(FIELDS)}")
    elif name == "sentiment" and value not in SENTIMENTS[:3]:
        problems.append("value: positive, neutral or negative")
    elif name == "kudos" and not isinstance(value, bool):
        problems.append("value: true or false")
    elif name == "departments" and (
        not isinstance(value, list) or not all(isinstance(d, str) and d in departments for d in value)
    ):
        problems.append(f"value: a list of departments from the taxonomy ({', '.join(sorted(departments))})")
    if not isinstance(why, str) or not why.strip() or len(why) > 300:
        problems.append("why: what was wrong, 1-300 characters (it is shown with the correction)")
    unknown = sorted(set(doc) - {"field", "value", "why"})
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    if problems:
        raise InvalidPayload(
            N_("invalid correction: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    return str(name), value, " ".join(str(why).split())


def _corrected(m: Mention, name: str, value: Any) -> Mention:
    if name == "sentiment":
        return replace(m, sentiment_label=str(value))
    if name == "kudos":
        return replace(m, kudos=bool(value))
    return replace(m, departments=tuple(value))


def _current(m: Mention, name: str) -> Any:
    return {"sentiment": m.sentiment_label, "kudos": m.kudos, "departments": list(m.departments)}[name]


def correct(*, mention_id: str, doc: Any, actor: Actor, departments: set[str], now: datetime) -> dict[str, Any]:
    """Apply one correction; returns it with the groups told because of it."""
    name, value, why = _validate(doc, departments)
    try:
        row = MentionModel.get(mention_id, consistent_read=True)
    except MentionModel.DoesNotExist:
        raise NotFound(N_("no mention %(mention_id)s"), values={"mention_id": repr(mention_id[:40])}) from None
    before = mention_from_model(row)
    after = _corrected(before, name, value)
    config = load_routing()
    was = {r.group for r in decide(before.routing_fields(), config.rules, config.default_groups).routes}
    now_routes = decide(after.routing_fields(), config.rules, config.default_groups).routes
    correction = {
        "at": isoformat(now),
        "by": actor.id,
        "via": actor.via,
        "field": name,
        "before": _current(before, name),
        "after": value,
        "why": why,
    }
    n = len(row.corrections or [])
    outgoing = []
    for route in now_routes:
        if route.group in was:
            continue
        reasons = (f"corrected by {actor.id}: {name} is {value} ({why})", *route.reasons)
        notification = render(after, Route(group=route.group, reasons=reasons))
        delivery_id = delivery_key(f"correction:{mention_id}:{route.group}:{n}")
        outgoing.append(Outgoing(replace(notification, delivery_id=delivery_id)))
    outcomes, _ = send(outgoing, config=config, now=now) if outgoing else ({}, [])
    correction["told"] = sorted(o.notification.group for o in outgoing if outcomes.get(o.notification.delivery_id))
    model = mention_to_model(after)
    row.update(
        actions=[
            MentionModel.sentiment_label.set(after.sentiment_label),
            MentionModel.kudos.set(after.kudos),
            MentionModel.departments.set(list(after.departments)),  # type: ignore[arg-type]
            MentionModel.terms.set(model.terms),
            MentionModel.corrections.set([*(row.corrections or []), correction]),
        ]
    )
    record(
        actor=actor, action="mention.correct", target=mention_id, now=now, before=correction["before"], after=correction
    )
    try:
        wall.correct(before, after, now=now)
    except Exception:  # the wall is a view: the correction stands whatever happens here
        logger.exception("wall not corrected", extra={"mention": mention_id})
    return correction


def export(*, since: datetime, until: datetime, limit: int = 5000) -> list[dict[str, Any]]:
    """Every correction in the time span with the text it was made on, oldest first: the audit
    trail finds them by month, one BatchGetItem per hundred reads the texts."""
    from chalicelib.store import audit
    from chalicelib.store.batch import batch_get

    entries, _ = audit.search(since=since, until=until, action="mention.correct", limit=limit)
    rows = batch_get(MentionModel.Meta.table_name, "mention_id", sorted({e["target"] for e in entries}))
    out = []
    for e in reversed(entries):
        item = rows.get(e["target"])
        after = e.get("after") or {}
        if item is None or not isinstance(after, dict):
            continue
        out.append(
            {
                "mention_id": e["target"],
                "text": item.get("text", {}).get("S", ""),
                "at": after.get("at"),
                "by": after.get("by"),
                "field": after.get("field"),
                "before": after.get("before"),
                "after": after.get("after"),
                "why": after.get("why"),
            }
        )
    return out
