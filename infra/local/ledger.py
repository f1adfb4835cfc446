"""What AWS would bill for each request moto answers: one JSON line per request, for the cost
benchmark (`bench/bench_cost.py`). `python -m infra.local --ledger FILE` has the local stack's
moto write one; `install(sink)` records in-process, under `mock_aws`.

moto's own `ConsumedCapacity` is a constant (1.0 for a write, 0.5 for a read, whatever the item's
size), so DynamoDB's request units are worked out here from the items themselves, as DynamoDB
bills a table in on-demand mode:

- a write: 1 write unit per KB (rounded up) of the larger of the item before and after it (a
  delete: the item deleted), at least 1: a write whose condition fails pays too;
- each global secondary index the write changes: 1 write unit per KB of the item as the index
  projects it, 2 writes when it moves between index keys (a delete and a put), none when nothing
  the index holds changed;
- a read: 1 read unit per 4 KB of each item (GetItem, BatchGetItem: each item rounded up, a
  missing one still 1) or of everything a Query or Scan read before its filter (summed, then
  rounded up); eventually consistent reads (the default, and every index read) pay half;
- in a transaction (TransactWriteItems, TransactGetItems) the table's units are doubled.

Item sizes are moto's (`Item.size()`): attribute names and strings in UTF-8 bytes, as DynamoDB
counts them; numbers by their digits and lists and maps without DynamoDB's few bytes of
overhead, which the app's items, nearly all strings, barely have.

Other services are recorded by what their bills count: SNS publishes in 64 KB chunks of payload
(PublishBatch's ten messages share them), SES recipients, Comprehend units (100 characters, at
least 3 a request), stream records read. Recording never changes an answer: a request the
ledger cannot read is written with the error, and moto answers it as before."""

from __future__ import annotations

import contextlib
import inspect
import json
import math
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

Sink = Callable[[dict[str, Any]], None]

LEDGER_ENV = "SHAREDWATCH_LEDGER"  # the file the local stack's moto writes, when set
WRITE_UNIT = 1024
READ_UNIT = 4096
SNS_CHUNK = 64 * 1024
COMPREHEND_UNIT = 100
COMPREHEND_MINIMUM = 3
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
_SKIPPED = frozenset({"Action", "Version", "TopicArn", "MessageStructure"})

_reading = threading.local()  # bytes a Query or Scan read before its filter; stream records read


def file_sink(path: Path) -> Sink:
    """Append each entry to `path` as a JSON line (moto's server answers on many threads)."""
    lock = threading.Lock()
    out = path.open("a", encoding="utf-8", buffering=1)

    def write(entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        with lock:
            out.write(line)

    return write


def write_units(size: int, *, transaction: bool = False) -> float:
    return max(1, math.ceil(size / WRITE_UNIT)) * (2 if transaction else 1)


def read_units(size: int, *, consistent: bool, transaction: bool = False) -> float:
    units = max(1, math.ceil(size / READ_UNIT))
    if transaction:
        return units * 2.0
    return float(units) if consistent else units / 2


def sns_chunks(payload: int) -> int:
    return max(1, math.ceil(payload / SNS_CHUNK))


def comprehend_units(text: str) -> int:
    return max(COMPREHEND_MINIMUM, math.ceil(len(text) / COMPREHEND_UNIT))


# -- DynamoDB ---------------------------------------------------------------------------------


class _Snapshot:
    """An item as it stood (its size and what each global index holds of it), taken before a
    write changes it in place."""

    def __init__(self, table: Any, item: Any) -> None:
        self.size = item.size() if item is not None else 0
        self.indexes: dict[str, tuple[tuple[Any, ...], str, int] | None] = {}
        for index in getattr(table, "global_indexes", None) or []:
            self.indexes[index.name] = _in_index(index, item)


def _in_index(index: Any, item: Any) -> tuple[tuple[Any, ...], str, int] | None:
    """(the index key, what it projects as text, its size), or None when the item is not in it."""
    if item is None:
        return None
    names = [k["AttributeName"] for k in index.schema]
    if any(name not in item.attrs for name in names):
        return None  # a sparse index: items without its keys are not in it
    projected = index.project(item)
    key = tuple(json.dumps(item.attrs[name].to_json(), sort_keys=True, default=str) for name in names)
    body = json.dumps(projected.to_json(), sort_keys=True, default=str)
    return key, body, projected.size()


def _index_writes(before: _Snapshot, after: _Snapshot) -> float:
    units = 0.0
    for name, old in before.indexes.items():
        new = after.indexes.get(name)
        if old is None and new is None:
            continue
        if old is not None and new is not None and old[0] == new[0]:
            units += 0 if old[1] == new[1] else write_units(new[2])
            continue
        units += (write_units(old[2]) if old else 0) + (write_units(new[2]) if new else 0)
    return units


def _table(backend: Any, name: str) -> Any:
    return backend.tables.get(name) if name else None


def _item(table: Any, key: dict[str, Any]) -> Any:
    from moto.dynamodb.models.dynamo_type import DynamoType

    if table is None or table.hash_key_attr not in key:
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
    if table.range_key_attr and range_value is None:
        return None
    try:
        return table.get_item(hash_value, range_value)
    except Exception:  # moto refuses the key: the request fails and is billed as the minimum
        return None


def _written(action: str, body: dict[str, Any]) -> list[tuple[str, dict[str, Any], bool]]:
    """(table, key or item, deleted) for each item a write request touches."""
    if action in ("PutItem",):
        return [(body.get("TableName", ""), body.get("Item", {}), False)]
    if action in ("UpdateItem", "DeleteItem"):
        return [(body.get("TableName", ""), body.get("Key", {}), action == "DeleteItem")]
    if action == "BatchWriteItem":
        out = []
        for table, requests in (body.get("RequestItems") or {}).items():
            for r in requests:
                if "PutRequest" in r:
                    out.append((table, r["PutRequest"].get("Item", {}), False))
                elif "DeleteRequest" in r:
                    out.append((table, r["DeleteRequest"].get("Key", {}), True))
        return out
    if action == "TransactWriteItems":
        out = []
        for entry in body.get("TransactItems") or []:
            for kind, op in entry.items():
                out.append((op.get("TableName", ""), op.get("Item") or op.get("Key") or {}, kind == "Delete"))
        return out
    return []


def _add(units: dict[str, list[float]], table: str, *, read: float = 0, write: float = 0, index: float = 0) -> None:
    row = units.setdefault(table, [0.0, 0.0, 0.0])
    row[0] += read
    row[1] += write
    row[2] += index


def _dynamodb(handler: Any, action: str, body: dict[str, Any], answer: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """Answer the request and work out its units: {table: [read, write, index write]}."""
    backend = handler.dynamodb_backend
    units: dict[str, list[float]] = {}
    touched = []
    if action in _WRITES:
        for name, key, deleted in _written(action, body):
            table = _table(backend, name)
            touched.append((name, table, key, deleted, _Snapshot(table, _item(table, key))))
    _reading.size = 0
    response = answer()
    transaction = action.startswith("Transact")
    for name, table, key, deleted, before in touched:
        after = _Snapshot(table, None if deleted else _item(table, key))
        _add(
            units,
            name,
            write=write_units(max(before.size, after.size), transaction=transaction),
            index=_index_writes(before, after),
        )
    consistent = bool(body.get("ConsistentRead"))
    if action == "GetItem":
        item = _item(_table(backend, body.get("TableName", "")), body.get("Key", {}))
        _add(units, body.get("TableName", ""), read=read_units(item.size() if item else 0, consistent=consistent))
    elif action == "BatchGetItem":
        for name, spec in (body.get("RequestItems") or {}).items():
            table = _table(backend, name)
            for key in spec.get("Keys", []):
                item = _item(table, key)
                size = item.size() if item else 0
                _add(units, name, read=read_units(size, consistent=bool(spec.get("ConsistentRead"))))
    elif action == "TransactGetItems":
        for entry in body.get("TransactItems") or []:
            op = entry.get("Get", {})
            item = _item(_table(backend, op.get("TableName", "")), op.get("Key", {}))
            size = item.size() if item else 0
            _add(units, op.get("TableName", ""), read=read_units(size, consistent=True, transaction=True))
    elif action in ("Query", "Scan"):
        consistent = consistent and not body.get("IndexName")
        _add(units, body.get("TableName", ""), read=read_units(_reading.size, consistent=consistent))
    return response, {"units": units}


def _read_before_filter(original: Callable[..., Any], filter_name: str, projection_name: str) -> Callable[..., Any]:
    """Table.query or Table.scan, answering exactly as moto does, with the bytes it read before
    its filter kept for the request's units: the filter and projection are applied here, after
    the read, in moto's own order."""
    signature = inspect.signature(original)

    def read(*args: Any, **kwargs: Any) -> Any:
        bound = signature.bind(*args, **kwargs)
        condition = bound.arguments.get(filter_name)
        projection = bound.arguments.get(projection_name)
        bound.arguments[filter_name] = None
        bound.arguments[projection_name] = None
        results, scanned, last_key = original(*bound.args, **bound.kwargs)
        _reading.size = getattr(_reading, "size", 0) + sum(r.size() for r in results)
        if condition is not None:
            results = [item for item in results if condition.expr(item)]
        if projection:
            results = [r.project(projection) for r in results]
        return results, scanned, last_key

    return read


# -- everything else --------------------------------------------------------------------------


def _query_params(handler: Any) -> dict[str, list[str]]:
    qs = getattr(handler, "querystring", None) or {}
    return {k: v if isinstance(v, list) else [v] for k, v in qs.items()}


def _json_params(handler: Any) -> dict[str, Any]:
    params = getattr(handler, "params", None)
    if isinstance(params, dict) and params:
        return params
    body = getattr(handler, "body", None)
    if isinstance(body, dict):
        return body
    if isinstance(body, bytes | str) and body[:1] in ("{", b"{"):
        doc = json.loads(body)
        return doc if isinstance(doc, dict) else {}
    return {}


def _sns(handler: Any, action: str) -> dict[str, Any]:
    qs = _query_params(handler)
    params = _json_params(handler) if not qs else {}
    topic = (qs.get("TopicArn") or [params.get("TopicArn", "")])[0]
    if action == "Publish":
        payload = sum(len(str(v).encode()) for k, vs in qs.items() if k not in _SKIPPED for v in vs) or len(
            str(params.get("Message", "")).encode()
        )
        return {"topic": topic.rsplit(":", 1)[-1], "messages": 1, "chunks": sns_chunks(payload), "bytes": payload}
    if action == "PublishBatch":
        entries = {k.split(".")[2] for k in qs if k.startswith("PublishBatchRequestEntries.member.")}
        count = len(entries) or len(params.get("PublishBatchRequestEntries") or [])
        payload = sum(
            len(str(v).encode())
            for k, vs in qs.items()
            if k.startswith("PublishBatchRequestEntries.") and not k.endswith(".Id")
            for v in vs
        )
        return {"topic": topic.rsplit(":", 1)[-1], "messages": count, "chunks": sns_chunks(payload), "bytes": payload}
    return {}


def _ses(handler: Any, action: str) -> dict[str, Any]:
    if action not in ("SendEmail", "SendRawEmail", "SendTemplatedEmail"):
        return {}
    qs = _query_params(handler)
    recipients = sum(1 for k in qs if k.startswith(("Destination.", "Destinations.member.")))
    return {"messages": max(1, recipients)}


def _other(handler: Any, service: str, action: str) -> dict[str, Any]:
    if service == "sns":
        return _sns(handler, action)
    if service == "ses":
        return _ses(handler, action)
    if service == "comprehend" and action == "DetectSentiment":
        return {"units": comprehend_units(str(_json_params(handler).get("Text", "")))}
    if service == "ssm" and action == "GetParameters":
        return {"names": len(_json_params(handler).get("Names") or [])}
    if service == "dynamodbstreams" and action == "GetRecords":
        return dict(getattr(_reading, "records", {}))
    return {}


def _records_read(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_records(backend: Any, iterator_arn: str, limit: int) -> Any:
        iterator = backend.shard_iterators.get(iterator_arn)
        answer = original(backend, iterator_arn, limit)
        records = answer.get("Records", [])
        _reading.records = {
            "table": iterator.stream_shard.table.name if iterator is not None else "",
            "records": len(records),
            "inserts": sum(1 for r in records if r.get("eventName") == "INSERT"),
        }
        return answer

    return get_records


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def _caller(handler: Any) -> str:
    """The access key the request was signed with (moto's own reading wants a 20-character AWS
    key id): the benchmark tells its own observing requests apart by it."""
    found = _CREDENTIAL.search(str((getattr(handler, "headers", None) or {}).get("Authorization", "")))
    return found.group(1) if found else ""


def install(sink: Sink) -> Callable[[], None]:
    """Record every request moto answers from now on; returns what undoes it."""
    from moto.core.responses import BaseResponse
    from moto.dynamodb.models.table import Table
    from moto.dynamodbstreams.models import DynamoDBStreamsBackend

    call_action = BaseResponse.call_action
    query, scan = Table.query, Table.scan
    get_records = DynamoDBStreamsBackend.get_records

    def recorded(self: Any) -> Any:
        started = time.time()
        try:
            service = str(self.service_name or "")
            action = str(self._get_action() or "")
        except Exception:
            service, action = "", ""
        entry: dict[str, Any] = {"t": round(started, 4), "key": _caller(self), "service": service}
        entry["action"] = action
        _reading.records = {}
        try:
            if service == "dynamodb":
                body = getattr(self, "body", None)
                body = body if isinstance(body, dict) else {}
                response, extra = _dynamodb(self, action, body, lambda: call_action(self))
            else:
                response = call_action(self)
                extra = _other(self, service, action)
        except Exception as exc:
            entry["error"] = type(exc).__name__
            sink(entry)
            raise
        entry.update(extra)
        status = response[0] if isinstance(response, tuple) and response else 200
        entry["status"] = status if isinstance(status, int) else 200
        with contextlib.suppress(Exception):  # a ledger that cannot write must not fail the request
            sink(entry)
        return response

    BaseResponse.call_action = recorded  # type: ignore[method-assign]
    Table.query = _read_before_filter(query, "filter_expression", "projection_expressions")  # type: ignore[method-assign]
    Table.scan = _read_before_filter(scan, "filter_expression", "projection_expression")  # type: ignore[method-assign]
    DynamoDBStreamsBackend.get_records = _records_read(get_records)  # type: ignore[method-assign]

    def uninstall() -> None:
        BaseResponse.call_action = call_action  # type: ignore[method-assign]
        Table.query, Table.scan = query, scan  # type: ignore[method-assign]
        DynamoDBStreamsBackend.get_records = get_records  # type: ignore[method-assign]

    return uninstall


@contextmanager
def recording() -> Iterator[list[dict[str, Any]]]:
    """In-process: the entries of every request moto answers inside the block."""
    entries: list[dict[str, Any]] = []
    uninstall = install(entries.append)
    try:
        yield entries
    finally:
        uninstall()
