"""Spot it's storage: the pool of items (one configuration row, kind "spotit", key "pool") and the
results, as counters (a person's own row keyed by a keyed digest of their address, and one row
per department and month that holds counts and the digests of who played, never answers). A
round's page reads both in one BatchGetItem; sending a round is one GetItem of the pool and one
transaction adding to the two counters."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from chalicelib import aws
from chalicelib.store.models import ConfigModel, CounterModel

KIND = "spotit"
POOL = "pool"


def _person_key(person: str) -> str:
    return f"spotit|person|{person}"


def _department_key(department: str, month: str) -> str:
    return f"spotit|dept|{department}|{month}"


def save_pool(pool: dict[str, Any], *, now: datetime) -> None:
    ConfigModel(kind=KIND, key=POOL, body=json.dumps(pool), updated_at=now).save()


def _pool_of(item: dict[str, Any] | None) -> dict[str, Any]:
    return dict(json.loads(item["body"]["S"])) if item else {"items": [], "departments": []}


def _counts(item: dict[str, Any] | None) -> dict[str, int]:
    if not item:
        return {}
    out: dict[str, int] = {k: int(item[k]["N"]) for k in ("rounds", "items", "correct") if k in item}
    if "people" in item:
        out["people"] = len(item["people"].get("SS", []))
    return out


def load_pool() -> dict[str, Any]:
    answer = aws.dynamodb().get_item(
        TableName=ConfigModel.Meta.table_name, Key={"kind": {"S": KIND}, "key": {"S": POOL}}
    )
    return _pool_of(answer.get("Item"))


def pool_and_results(person: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The pool and one person's own results, in one BatchGetItem."""
    config, counters = ConfigModel.Meta.table_name, CounterModel.Meta.table_name
    answer = aws.dynamodb().batch_get_item(
        RequestItems={
            config: {"Keys": [{"kind": {"S": KIND}, "key": {"S": POOL}}]},
            counters: {"Keys": [{"bucket": {"S": _person_key(person)}}]},
        }
    )
    found = answer.get("Responses", {})
    pool = next(iter(found.get(config, [])), None)
    mine = next(iter(found.get(counters, [])), None)
    return _pool_of(pool), _counts(mine)


def record(*, person: str, department: str, month: str, items: int, correct: int) -> None:
    """A round's result added to the person's own counts and their department's month, at once."""
    table = CounterModel.Meta.table_name
    values = {":one": {"N": "1"}, ":items": {"N": str(items)}, ":right": {"N": str(correct)}}
    updates: list[dict[str, Any]] = [
        {
            "Update": {
                "TableName": table,
                "Key": {"bucket": {"S": _person_key(person)}},
                "UpdateExpression": "ADD rounds :one, #items :items, correct :right",
                "ExpressionAttributeNames": {"#items": "items"},
                "ExpressionAttributeValues": values,
            }
        }
    ]
    if department:
        updates.append(
            {
                "Update": {
                    "TableName": table,
                    "Key": {"bucket": {"S": _department_key(department, month)}},
                    "UpdateExpression": "ADD rounds :one, #items :items, correct :right, people :who",
                    "ExpressionAttributeNames": {"#items": "items"},
                    "ExpressionAttributeValues": {**values, ":who": {"SS": [person]}},
                }
            }
        )
    aws.dynamodb().transact_write_items(TransactItems=updates)  # type: ignore[arg-type]


def department_counts(department: str, month: str) -> dict[str, int]:
    answer = aws.dynamodb().get_item(
        TableName=CounterModel.Meta.table_name, Key={"bucket": {"S": _department_key(department, month)}}
    )
    return _counts(answer.get("Item"))
