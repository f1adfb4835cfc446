"""Translations cached on their mention: a `translations` map on the mention's row, one entry per
language read ({"es": {"text", "source", "at"}}), each written once by a conditional UpdateItem
(two readers asking at once: the first one's is kept, the second's is shown but not stored). The
stream ignores the change: the router reads INSERTs only."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.store.models import MentionModel

_NAMES = {"#t": "translations"}


def cached(mention_id: str) -> dict[str, dict[str, str]] | None:
    """The mention's translations by language, {} when none, None when there is no such mention."""
    answer = aws.dynamodb().get_item(
        TableName=MentionModel.Meta.table_name,
        Key={"mention_id": {"S": mention_id}},
        ProjectionExpression="mention_id, #t",
        ExpressionAttributeNames=_NAMES,
    )
    item = answer.get("Item")
    if item is None:
        return None
    found: dict[str, dict[str, str]] = {}
    for language, entry in item.get("translations", {}).get("M", {}).items():
        fields = entry.get("M", {})
        found[language] = {k: str(v.get("S", "")) for k, v in fields.items()}
    return found


def keep(mention_id: str, language: str, entry: dict[str, str], *, map_exists: bool) -> bool:
    """Store one language's translation unless one is there already (False then)."""
    value: Any = {"M": {k: {"S": v} for k, v in entry.items()}}
    if map_exists:
        update, condition = "SET #t.#l = :v", "attribute_exists(mention_id) AND attribute_not_exists(#t.#l)"
        names, values = {**_NAMES, "#l": language}, {":v": value}
    else:
        update, condition = "SET #t = :v", "attribute_exists(mention_id) AND attribute_not_exists(#t)"
        names, values = _NAMES, {":v": {"M": {language: value}}}
    try:
        aws.dynamodb().update_item(
            TableName=MentionModel.Meta.table_name,
            Key={"mention_id": {"S": mention_id}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if exc.response["Error"].get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
