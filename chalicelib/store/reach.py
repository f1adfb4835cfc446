"""What reaching people keeps, in the identity table, each read a Query or a GetItem:

  reach|<incident id> / <message id>  one aggregate item per message sent to people: `doc` (what
                                      it was, when sent), and numbers ADDed to as it goes:
                                      `s|<dept>` sent, `r|<dept>` read, `m|<minute>` reads in that
                                      minute after sending, `reminded`. An incident's read rate by
                                      department is one Query, whatever the company's size.
  read|<message id> / <person id>     a read: a conditional put (a second click finds it), written
                                      in one transaction with the aggregate's ADDs.
  suppressed / <address>              an address SES reported bouncing or complaining: never mailed.

The people themselves are the `people` partition the directory keeps (one Query, paged)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from chalicelib import aws
from chalicelib.clock import isoformat
from chalicelib.errors import NotFound
from chalicelib.policy.reach import read_minute
from chalicelib.policy.read_links import INVALID, Read
from chalicelib.store.identity import PEOPLE
from chalicelib.store.models import IdentityModel

SUPPRESSED = "suppressed"


def _table() -> str:
    return IdentityModel.Meta.table_name


def _reach_key(incident_id: str, message_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"reach|{incident_id}"}, "sk": {"S": message_id}}


def people() -> Iterator[dict[str, Any]]:
    """Every person's record (active or not: the caller decides), a page at a time."""
    client = aws.dynamodb()
    start: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "TableName": _table(),
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": {"S": PEOPLE}},
            "ProjectionExpression": "doc",
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = client.query(**kwargs)
        for item in page.get("Items", []):
            if "doc" in item:
                yield json.loads(item["doc"]["S"])
        start = page.get("LastEvaluatedKey")
        if not start:
            return


def suppressed() -> frozenset[str]:
    return frozenset(row.sk for row in IdentityModel.query(SUPPRESSED, attributes_to_get=["pk", "sk"]))


def suppress(address: str, *, why: str, at: datetime) -> None:
    IdentityModel(SUPPRESSED, address.lower()[:254], doc={"why": why[:200], "at": isoformat(at)}).save()


def open_message(
    *, incident_id: str, message_id: str, doc: Mapping[str, Any], sent_by_department: Mapping[str, int]
) -> bool:
    """The message's aggregate, once (a send repeated after a failure counts its people once)."""
    item: dict[str, Any] = {**_reach_key(incident_id, message_id), "doc": {"S": json.dumps(dict(doc))}}
    for dept, n in sent_by_department.items():
        item[f"s|{dept}"] = {"N": str(n)}
    try:
        aws.dynamodb().put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(pk)")
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
        return False
    return True


def record_read(read: Read, *, now: datetime) -> bool:
    """One click: the read (conditional on there being none) and the aggregate's counts, in one
    TransactWriteItems. False when this person had read it already (counted once)."""
    minute = read_minute(sent_at=read.sent_at, now=now)
    try:
        aws.dynamodb().transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": _table(),
                        "Item": {
                            "pk": {"S": f"read|{read.message_id}"},
                            "sk": {"S": read.person_id},
                            "doc": {"S": json.dumps({"at": isoformat(now), "dept": read.department})},
                        },
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
                {
                    "Update": {
                        "TableName": _table(),
                        "Key": _reach_key(read.incident_id, read.message_id),
                        "UpdateExpression": "ADD #dept :one, #minute :one",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeNames": {"#dept": f"r|{read.department}", "#minute": f"m|{minute}"},
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "TransactionCanceledException":
            raise
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        if reasons and reasons[0] == "ConditionalCheckFailed":
            return False
        if len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed":
            raise NotFound(INVALID) from None  # a signed link for a message never sent here
        raise
    return True


def _doc(item: Mapping[str, Any]) -> dict[str, Any]:
    return json.loads(item["doc"]["S"]) if "doc" in item else {}


def _numbers(item: Mapping[str, Any]) -> dict[str, int]:
    return {k: int(v["N"]) for k, v in item.items() if "N" in v}


def message(incident_id: str, message_id: str) -> tuple[dict[str, int], dict[str, Any]] | None:
    """(its numbers, its doc), or None when no such message was sent."""
    item = aws.dynamodb().get_item(TableName=_table(), Key=_reach_key(incident_id, message_id)).get("Item")
    return None if item is None else (_numbers(item), _doc(item))


def messages(incident_id: str) -> list[tuple[dict[str, int], dict[str, Any]]]:
    """Every message an incident sent to people, with its counts: one Query."""
    client = aws.dynamodb()
    found: list[tuple[dict[str, int], dict[str, Any]]] = []
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": f"reach|{incident_id}"}},
    }
    while True:
        page = client.query(**kwargs)
        found += [(_numbers(i), _doc(i)) for i in page.get("Items", [])]
        if not page.get("LastEvaluatedKey"):
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def readers(message_id: str) -> frozenset[str]:
    """Who read a message (person ids): one Query, paged."""
    return frozenset(row.sk for row in IdentityModel.query(f"read|{message_id}", attributes_to_get=["pk", "sk"]))


def set_reminded(incident_id: str, message_id: str, count: int) -> None:
    """How many the one reminder reached (the reminder's rows make it once; this only says so)."""
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=_reach_key(incident_id, message_id),
        UpdateExpression="SET reminded = :n",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":n": {"N": str(count)}},
    )
