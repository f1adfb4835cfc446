"""The counters table in memory, answering exactly the two requests the production code makes
of it (`store.counters.add_counts`: UpdateItem with ADD and SET if_not_exists; `read_history`:
BatchGetItem), for replays of a week of data in seconds (moto answers each request in ~40 ms).
Anything else is refused, so a change in the production requests cannot pass unnoticed; a
functional test holds a replay through this store equal to the same replay through moto."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

_ADD = re.compile(r"^ADD (.+) SET expires_at = if_not_exists\(expires_at, :ttl\)$")


class UnexpectedRequest(Exception):
    """The production code asked the counters something this store does not answer: the
    replay stops rather than answer it wrongly."""


class CounterStore:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.requests = 0

    def update_item(
        self,
        *,
        TableName: str,  # noqa: N803 (botocore's names)
        Key: dict[str, Any],  # noqa: N803
        UpdateExpression: str,  # noqa: N803
        ExpressionAttributeNames: dict[str, str],  # noqa: N803
        ExpressionAttributeValues: dict[str, Any],  # noqa: N803
        **extra: Any,
    ) -> dict[str, Any]:
        found = _ADD.match(UpdateExpression)
        if extra or not found:
            raise UnexpectedRequest(f"the counter store answers add_counts' UpdateItem only: {UpdateExpression!r}")
        self.requests += 1
        key = Key["bucket"]["S"]
        item = self.items.setdefault(key, {"bucket": {"S": key}})
        for clause in found.group(1).split(", "):
            name_ref, value_ref = clause.split(" ")
            name = ExpressionAttributeNames[name_ref]
            before = Decimal(item.get(name, {}).get("N", "0"))
            item[name] = {"N": str(before + Decimal(ExpressionAttributeValues[value_ref]["N"]))}
        item.setdefault("expires_at", ExpressionAttributeValues[":ttl"])
        return {}

    def batch_get_item(self, *, RequestItems: dict[str, Any]) -> dict[str, Any]:  # noqa: N803
        self.requests += 1
        responses = {
            table: [self.items[k["bucket"]["S"]] for k in spec["Keys"] if k["bucket"]["S"] in self.items]
            for table, spec in RequestItems.items()
        }
        return {"Responses": responses, "UnprocessedKeys": {}}
