"""A drill's record: one configuration row (kind "drill") holding its scenario, pace, status,
the storm's steps and which were sent, and the incidents its storm opened. The schedule, the
router, the plan and a responder all change it, so every change is a read, a change and a write
conditional on what was read (`change`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib.errors import Conflict, NotFound
from chalicelib.i18n import N_
from chalicelib.policy.drills import following
from chalicelib.store.models import ConfigModel

KIND = "drill"
CHANGE_ATTEMPTS = 5
ID_LENGTH = 20


def _row(drill_id: str) -> ConfigModel:
    try:
        return ConfigModel.get(KIND, drill_id[:ID_LENGTH])
    except ConfigModel.DoesNotExist:
        raise NotFound(N_("no drill %(drill_id)s"), values={"drill_id": repr(drill_id[:ID_LENGTH])}) from None


def load(drill_id: str) -> dict[str, Any]:
    return dict(json.loads(_row(drill_id).body))


def save(doc: dict[str, Any], *, now: datetime, condition: Any = None) -> None:
    ConfigModel(kind=KIND, key=doc["id"], body=json.dumps(doc), updated_at=now).save(condition=condition)


def change(drill_id: str, mutate: Callable[[dict[str, Any]], bool], *, now: datetime) -> dict[str, Any]:
    """Read, change, write only if nobody wrote meanwhile (the schedule records the steps it sent
    while the router records the incident the storm opened and a responder ends the drill: a
    plain save of one lost the others', and a lost `sent` sends the storm again); again from a
    fresh read when somebody did. `mutate` says whether it changed anything."""
    for _ in range(CHANGE_ATTEMPTS):
        row = _row(drill_id)
        doc = dict(json.loads(row.body))
        if not mutate(doc):
            return doc
        try:
            save(doc, now=now, condition=ConfigModel.body == row.body)
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            continue
        return doc
    raise Conflict(
        N_("drill %(drill_id)s kept changing while being recorded; try again"),
        values={"drill_id": repr(drill_id[:ID_LENGTH])},
    )


def list_all() -> list[dict[str, Any]]:
    """Every drill, newest first."""
    return sorted((json.loads(r.body) for r in ConfigModel.query(KIND)), key=lambda d: d["started_at"], reverse=True)


def statuses(drill_ids: Iterable[str]) -> dict[str, str]:
    """Drill id -> its status, in one BatchGetItem ("" for a drill with no record)."""
    return {d: status for d, (status, _) in states(drill_ids).items()}


def states(drill_ids: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Drill id -> (its status, its kind: "" for a storm drill), in one BatchGetItem (("", "")
    for a drill with no record)."""
    wanted = sorted({d[:ID_LENGTH] for d in drill_ids if d})
    found = {}
    for r in ConfigModel.batch_get([(KIND, d) for d in wanted]):
        doc = json.loads(r.body)
        found[r.key] = (str(doc.get("status", "")), str(doc.get("kind", "")))
    return {d: found.get(d, ("", "")) for d in wanted}


def follow(drill_id: str, *, incident_id: str, at: datetime) -> dict[str, Any]:
    """The drill follows an incident its storm opened (its report measures it, its end resolves
    it); returns the record as it stands, so the caller sees whether the drill has ended."""
    return change(drill_id, lambda doc: following(doc, incident_id=incident_id, at=at), now=at)
