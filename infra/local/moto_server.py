"""moto's server for the local stack: one DynamoDB guarantee moto lacks put in, and three of its
per-request costs taken out.

moto's server answers each request on its own thread, and its DynamoDB reads an item, changes
it and stores it back without a lock: two concurrent `ADD`s to one counter can lose one, two
conditional puts of one key can both succeed. DynamoDB makes every single-item write (and a
transaction) atomic, so here each DynamoDB action runs under one lock: the app's concurrent
requests (a platform's retries racing the first attempt) meet DynamoDB's semantics, not moto's.

Profiled under the soak (`bench/bench_soak.py`), moto was the local router's ceiling: a third
of its time went into encoding DynamoDB answers field by field against botocore's shapes, and a
tenth into listing its own package directory on every request to find the service. Neither is
DynamoDB's behaviour: the items, conditions, streams and errors are moto's own, unchanged.

- The service lookup lists moto's modules once, not per request.
- A new item's size is summed once against DynamoDB's limit, not again for every attribute
  added (quadratic in the attributes; the same refusal, `ItemSizeTooLarge`, at the same size).
- A transaction keeps the items it touches to put back if it fails, where moto deep-copies
  every table it touches, once per item (a hundred copies of a growing table per call).
- DynamoDB's and its stream's data answers (the items, as moto already shaped them for the
  wire) are written with `json.dumps`; errors and every other action keep moto's serializer.

`python -m infra.local.moto_server -H 127.0.0.1 -p PORT` runs it as `python -m moto.server` would;
with SHAREDWATCH_LEDGER=FILE it also writes what AWS would bill for each request it answers
(`infra/local/ledger.py`, for `make cost`).
The functional tests use plain moto; the e2e tests run through this one."""

from __future__ import annotations

import base64
import copy
import json
import os
import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

from infra.local import ledger

DATA_ACTIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "GetRecords",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)
CONTENT_TYPE = "application/x-amz-json-1.0"
ITEM_LIMIT = 405000  # moto's own figure: DynamoDB refuses between 409 and 410 KB


def wire(value: Any) -> Any:
    """What json.dumps cannot write, as the JSON protocol writes it: blobs in base64,
    timestamps in epoch seconds, string and number sets as lists."""
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def install() -> None:
    """Patch moto in this process: the lock, the three costs and the transactions above."""
    from moto import backends
    from moto.core.responses import ActionResult, BaseResponse
    from moto.dynamodb.responses import DynamoHandler

    act = DynamoHandler.call_action
    one_at_a_time = threading.Lock()

    def atomic(self: DynamoHandler) -> Any:
        with one_at_a_time:
            return act(self)

    DynamoHandler.call_action = atomic  # type: ignore[method-assign]

    modules = tuple(backends.list_of_moto_modules())
    backends.list_of_moto_modules = lambda: modules

    _size_items_once()
    transactions_keep_only_their_items()
    serialized = BaseResponse.serialized

    def fast(self: BaseResponse, action_result: ActionResult) -> Any:
        result = action_result.result
        if (
            self.service_name in ("dynamodb", "dynamodbstreams")
            and isinstance(result, dict)
            and self._get_action() in DATA_ACTIONS
        ):
            headers = {"Content-Type": CONTENT_TYPE, **self.response_headers}
            return 200, headers, json.dumps(result, default=wire, separators=(",", ":"))
        return serialized(self, action_result)

    BaseResponse.serialized = fast  # type: ignore[method-assign]


def _size_items_once() -> None:
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    def create(self: Item, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
        self.hash_key = hash_key
        self.range_key = range_key
        typed = {key: DynamoType(value) for key, value in attrs.items()}
        # moto's check adds one attribute at a time and refuses when the running sum passes the
        # limit; sizes are never negative, so that is exactly "the whole item passes it".
        if sum(bytesize(key) + value.size() for key, value in typed.items()) > ITEM_LIMIT:
            raise ItemSizeTooLarge
        self.attrs = LimitedSizeDict(typed)  # its constructor adds without checking again

    Item.__init__ = create  # type: ignore[method-assign]


class _CopyUnlessTransacting:
    """moto's `copy` module, but a table is not copied while a transaction runs."""

    def __init__(self, state: threading.local) -> None:
        self._state = state

    def deepcopy(self, value: Any, memo: Any = None) -> Any:
        from moto.dynamodb.models.table import Table

        if getattr(self._state, "transacting", False) and isinstance(value, Table):
            return value  # the transaction keeps its own items instead (below)
        return copy.deepcopy(value, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def transactions_keep_only_their_items() -> None:
    """A transaction keeps copies of the items it touches and puts them back (and truncates the
    stream) if it fails, instead of moto's deep copy of every touched table, once per item."""
    import moto.dynamodb.models as backend_module
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.dynamo_type import DynamoType

    state = threading.local()
    backend_module.copy = _CopyUnlessTransacting(state)  # type: ignore[assignment,attr-defined]
    transact = DynamoDBBackend.transact_write_items

    def kept(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
        """(table, hash, range, a copy of the item or None) for each item the transaction names."""
        out = []
        for entry in transact_items:
            _, op = next(iter(entry.items()))
            table = backend.tables.get(op.get("TableName", ""))
            key = op.get("Key") or op.get("Item") or {}
            if table is None or table.hash_key_attr not in key:
                continue  # moto refuses it before anything is written
            hash_value = DynamoType(key[table.hash_key_attr])
            range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr in key else None
            if table.range_key_attr and range_value is None:
                continue  # moto refuses a key without its range part before anything is written
            current = table.get_item(hash_value, range_value)
            out.append((table, hash_value, range_value, copy.deepcopy(current)))
        return out

    def put_back(table: Any, hash_value: Any, range_value: Any, item: Any) -> None:
        if range_value is None:
            if item is None:
                table.items.pop(hash_value, None)
            else:
                table.items[hash_value] = item
        elif item is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = item

    def atomic(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved = kept(backend, transact_items)
        shards = {id(t): (t.stream_shard, len(t.stream_shard.items)) for t, *_ in saved if t.stream_shard}
        state.transacting = True
        try:
            transact(backend, transact_items)
        except Exception:
            for table, hash_value, range_value, item in reversed(saved):
                put_back(table, hash_value, range_value, item)
            for shard, length in shards.values():
                del shard.items[length:]  # the stream records of writes that did not happen
            raise
        finally:
            state.transacting = False

    DynamoDBBackend.transact_write_items = atomic  # type: ignore[method-assign,assignment]


def main() -> None:
    # The cost benchmark's ledger (infra/local/ledger.py), installed first so that each DynamoDB
    # request is recorded inside the lock, where the items it reads stand still.
    if ledger_path := os.environ.get(ledger.LEDGER_ENV):
        ledger.install(ledger.file_sink(Path(ledger_path)))
    install()
    from moto.server import main as serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
