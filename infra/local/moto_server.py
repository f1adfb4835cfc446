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
- DynamoDB's and its stream's data answers (the items, as moto already shaped them for the
  wire) are written with `json.dumps`; errors and every other action keep moto's serializer.

`python -m infra.local.moto_server -H 127.0.0.1 -p PORT` runs it as `python -m moto.server` would.
The functional tests use plain moto; the e2e tests run through this one."""

from __future__ import annotations

import base64
import json
import sys
import threading
from datetime import datetime
from typing import Any

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


def main() -> None:
    install()
    from moto.server import main as serve

    serve(sys.argv[1:])


if __name__ == "__main__":
    main()
