"""What `chalice local` lacks: a DynamoDB Stream pump. It reads the real stream records moto
keeps and invokes the app's stream handler with them, Lambda-shaped, retrying a failed batch
with backoff before setting it aside in a dead-letter file (as an on-failure destination)."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from infra.local.handlers import resolve, table_from_stream_arn
from infra.local.lambda_context import LocalContext
from infra.local.loop import PollingLoop

log = logging.getLogger("sharedwatch.local.streams")
MAX_ATTEMPTS = 5


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def lambda_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """GetRecords output as the event Lambda hands a stream function."""
    shaped = []
    for record in records:
        r = _plain(record)
        r.setdefault("eventSource", "aws:dynamodb")
        r.setdefault("eventVersion", "1.1")
        r.setdefault("awsRegion", region)
        r["eventSourceARN"] = stream_arn
        r["dynamodb"].setdefault("ApproximateCreationDateTime", time.time())
        shaped.append(r)
    return {"Records": shaped}


@dataclass
class _Binding:
    name: str
    handler: Any
    table: str
    batch_size: int
    stream_arn: str = ""
    iterators: dict[str, str | None] = field(default_factory=dict)


class StreamPump(PollingLoop):
    name = "stream-pump"

    def __init__(
        self,
        event_sources: list[Any],
        *,
        region: str,
        dead_letters: Path,
        interval: float = 0.1,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        super().__init__()
        self._region = region
        self._max_attempts = max_attempts
        self._dead_letters = dead_letters
        self._interval = interval
        self._ddb = boto3.client("dynamodb", region_name=region)
        # Account-id endpoints (NNN.streams-ddb...) are not routed by moto's in-process mock.
        self._streams = boto3.client(
            "dynamodbstreams", region_name=region, config=Config(account_id_endpoint_mode="disabled")
        )
        self._bindings = [
            _Binding(
                name=s.name,
                handler=resolve(s.handler_string),
                table=table_from_stream_arn(s.stream_arn),
                batch_size=int(s.batch_size or 100),
            )
            for s in event_sources
            if hasattr(s, "stream_arn") and ":dynamodb:" in s.stream_arn
        ]
        self.idle = interval
        self.invocations = 0

    def _refresh_shards(self, b: _Binding) -> None:
        if not b.stream_arn:
            b.stream_arn = self._ddb.describe_table(TableName=b.table)["Table"]["LatestStreamArn"]
        shards = self._streams.describe_stream(StreamArn=b.stream_arn)["StreamDescription"]["Shards"]
        for shard in shards:
            if shard["ShardId"] not in b.iterators:
                b.iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=b.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]

    def _invoke(self, b: _Binding, records: list[dict[str, Any]]) -> None:
        event = lambda_event(records, b.stream_arn, self._region)
        for attempt in range(self._max_attempts):
            try:
                answer = b.handler(event, LocalContext(b.name))
                self.invocations += 1
            except Exception as exc:  # the handler's failure is the batch's retry, as on Lambda
                log.warning("%s failed (attempt %d/%d): %s", b.name, attempt + 1, self._max_attempts, exc)
            else:
                # A partial batch response: only the records it names are tried again.
                failed = {f.get("itemIdentifier") for f in (answer or {}).get("batchItemFailures", [])}
                if not failed:
                    return
                records = [r for r in records if r["dynamodb"]["SequenceNumber"] in failed]
                event = lambda_event(records, b.stream_arn, self._region)
                log.warning(
                    "%s: %d records failed (attempt %d/%d)", b.name, len(records), attempt + 1, self._max_attempts
                )
            if attempt + 1 < self._max_attempts and self._stop.wait(min(2.0, 0.1 * 2**attempt)):
                return
        log.error("%s: %d records set aside in %s", b.name, len(records), self._dead_letters)
        with self._dead_letters.open("a", encoding="utf-8") as out:
            out.write(json.dumps({"function": b.name, "event": event}) + "\n")

    def pump_once(self) -> int:
        """Read every shard once and invoke handlers; returns the number of records handled."""
        handled = 0
        for b in self._bindings:
            self._refresh_shards(b)
            for shard_id, iterator in list(b.iterators.items()):
                if iterator is None:
                    continue
                answer = self._streams.get_records(ShardIterator=iterator, Limit=b.batch_size)
                b.iterators[shard_id] = answer.get("NextShardIterator")
                records = answer.get("Records", [])
                if records:
                    self._invoke(b, records)
                    handled += len(records)
        return handled

    def tick(self) -> bool:
        return self.pump_once() > 0
