"""The inbox's reads: newest first through the `inbox` index (one partition per day of arrival),
the search's terms filtered server-side. A page costs one Query per day it looks into (more
only past 1 MB of index rows in a day); every answer says how many requests it took."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.policy.search import Search
from chalicelib.store.models import MentionModel, ReportModel

MAX_REQUESTS = 40  # per page: a rare term over a month stops here and hands back a cursor


@dataclass
class Page:
    items: list[dict[str, Any]]
    cursor: str  # "" when the range is exhausted
    requests: int = 0
    scanned: int = 0
    complete: bool = True  # False: stopped at MAX_REQUESTS before filling the page
    days: list[str] = field(default_factory=list)


def _days(since: datetime, until: datetime) -> list[str]:
    out, at = [], until.replace(hour=0, minute=0, second=0, microsecond=0)
    while at >= since.replace(hour=0, minute=0, second=0, microsecond=0):
        out.append(at.isoformat()[:10])
        at -= timedelta(days=1)
    return out


def encode_cursor(day: str, key: dict[str, Any] | None) -> str:
    return base64.urlsafe_b64encode(json.dumps({"d": day, "k": key}).encode()).decode()


def decode_cursor(cursor: str) -> tuple[str, dict[str, Any] | None]:
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        day, key = doc["d"], doc["k"]
        assert isinstance(day, str) and len(day) == 10 and (key is None or isinstance(key, dict))
        if key is not None:
            assert set(key) - {"mention_id", "report_id"} == {"inbox_day", "inbox_key"} and len(key) == 3
            assert all(isinstance(v, dict) and isinstance(v.get("S"), str) for v in key.values())
    except (ValueError, KeyError, AssertionError, TypeError):
        raise InvalidPayload(N_("cursor: the `cursor` of a previous page, as it was given")) from None
    return day, key


def _row(item: dict[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return {
        "id": text("mention_id"),
        "received_at": text("inbox_key").split("|", 1)[0],
        "published_at": text("published_at"),
        "text": text("text"),
        "source": text("source"),
        "platform": text("platform"),
        "url": text("url"),
        "author": text("author_handle"),
        "followers": int(item.get("author_followers", {}).get("N", "0")),
        "sentiment": text("sentiment_label") or "unscored",
        "departments": [d.get("S", "") for d in item.get("departments", {}).get("L", [])],
        "severity": text("severity") or "low",
        "kudos": bool(item.get("kudos", {}).get("BOOL", False)),
        "lang": text("lang"),
        "brand": text("brand"),
    }


def _report_row(item: dict[str, Any]) -> dict[str, Any]:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    return {
        "id": text("report_id"),
        "received_at": text("inbox_key").split("|", 1)[0],
        "text": text("text"),
        "channel": text("channel"),
        "platform": text("platform"),
        "department": text("department"),
        "urgency": text("urgency"),
        "status": text("status"),
    }


def search_mentions(search: Search, *, cursor: str = "") -> Page:
    return _search(search, cursor=cursor, table=MentionModel.Meta.table_name, id_name="mention_id", row=_row)


def search_reports(search: Search, *, cursor: str = "") -> Page:
    return _search(search, cursor=cursor, table=ReportModel.Meta.table_name, id_name="report_id", row=_report_row)


def _search(
    search: Search, *, cursor: str, table: str, id_name: str, row: Callable[[dict[str, Any]], dict[str, Any]]
) -> Page:
    item_key = id_name
    days = _days(search.since, search.until)
    start_key: dict[str, Any] | None = None
    if cursor:
        resume, start_key = decode_cursor(cursor)
        days = [d for d in days if d <= resume]
        if not days or days[0] != resume:
            start_key = None
    names = {"#h": "inbox_day", "#k": "inbox_key", **({"#t": "terms"} if search.terms else {})}
    values: dict[str, Any] = {
        ":low": {"S": search.since.isoformat(timespec="microseconds")},
        ":high": {"S": search.until.isoformat(timespec="microseconds") + "~"},
    }
    conditions = []
    for n, term in enumerate(search.terms):
        values[f":t{n}"] = {"S": f" {term} "}
        conditions.append(f"contains(#t, :t{n})")
    page = Page(items=[], cursor="")
    client = aws.dynamodb()
    for i, day in enumerate(days):
        page.days.append(day)
        key = start_key if i == 0 else None
        while True:
            if page.requests >= MAX_REQUESTS:
                page.cursor, page.complete = encode_cursor(day, key), False
                return page
            request: dict[str, Any] = {
                "TableName": table,
                "IndexName": "inbox",
                "KeyConditionExpression": "#h = :h AND #k BETWEEN :low AND :high",
                "ExpressionAttributeNames": names,
                "ExpressionAttributeValues": {**values, ":h": {"S": day}},
                "ScanIndexForward": False,
                # Unfiltered, a page reads just the page; filtered, as much as one request may.
                "Limit": search.limit - len(page.items) if not conditions else 1000,
            }
            if conditions:
                request["FilterExpression"] = " AND ".join(conditions)
            if key:
                request["ExclusiveStartKey"] = key
            answer = client.query(**request)
            page.requests += 1
            page.scanned += int(answer.get("ScannedCount", 0))
            for item in answer.get("Items", []):
                page.items.append(row(item))
                if len(page.items) == search.limit:
                    last = {k: item[k] for k in ("inbox_day", "inbox_key", item_key)}
                    page.cursor = encode_cursor(day, last)
                    return page
            key = answer.get("LastEvaluatedKey")
            if not key:
                break
    return page
