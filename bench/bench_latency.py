"""How soon a person hears: a mention accepted (the 202) to the SNS publish that carries it, on
the local stack as `make run` starts it, at RATE mentions a second sustained for SECONDS.

One sender posts signed deliveries of DELIVERY mentions on a fixed pace (it falls behind only if
the stack answers slower than the pace; the rate achieved is reported). Every mention is a new
story to the social team (the demo's rules: every mention reaches it; the texts are random
words of the airline set, so none joins another's story), so every one is published: alone, or
in the bundle of its stream batch. The publish time is what SNS stamped on it (`Timestamp`), as
the queue subscribed to the group topics received it (the outbox). A bundle names its first 25
mentions (their authors' handles carry each mention's number); the rest of a bundle are the
mentions that follow them in the stream, which one sender writes in order, and the count in the
bundle's first line must match.

- latency_p99_seconds, latency_p50_seconds: accepted to published, every mention of the run.
  Baseline, same run, same moto: moto alone's round trip through the same pipe (an item written
  to a table with a stream, read by polling it every 0.1 s as the local stream pump does,
  published to a topic), twice a second during the load.

On AWS the pipe is the DynamoDB Streams event source mapping of infra/cdk/stack.py and
chalicelib/handlers/stream.py: batch size 100, no batching window (MaximumBatchingWindowInSeconds
is not set: 0, Lambda invokes as soon as it reads records, polling each shard about four times a
second), ParallelizationFactor 1 (one batch at a time per shard), starting at TRIM_HORIZON, 8
retries with bisection and partial batch responses, 512 MB and 60 s per function. Locally the
stream pump polls every 0.1 s and hands the router up to 100 records."""

from __future__ import annotations

import json
import os
import random
import re
import statistics
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from bench import airline
from bench.bench_airline_ingest import _post
from bench.harness import Figure, clean_env, scaled
from infra.local.launcher import launch

RATE = 100  # mentions a second
SECONDS = scaled(30, 3)  # sustained for
DELIVERY = 20  # mentions a request: a request every DELIVERY / RATE seconds
PATIENCE = 180.0  # seconds after the load for the last mention to be published
PROBES_A_SECOND = 2
OBSERVER = "latency-observer"
HANDLE = re.compile(r"@lat(\d{6})\b")
BUNDLE = re.compile(r"^(\d+) new for ")
WORDS = ("flight", "gate", "bag", "crew", "seat", "delay", "refund", "lounge", "app", "boarding", "meal", "wifi")


def vocabulary() -> list[str]:
    """Words of the airline tweets that triage finds no risk in (or a short list without them):
    texts of random words from thousands share too little to join one story, and a risk term
    in one of twelve random words would open incidents far more often than posts do."""
    if not airline.available():
        return [f"{w}{i}" for w in WORDS for i in range(300)]
    os.environ.update(clean_env(SHAREDWATCH_STAGE="bench"))
    from chalicelib.clock import utcnow
    from chalicelib.sources.base import mention_from_fields
    from chalicelib.triage import triage_mention

    words: set[str] = set()
    for row in airline.rows():
        m = mention_from_fields(
            airline.as_mention(row), path="", source="generic", received_at=utcnow(), delivery_id="", errors=[]
        )
        if m is not None and not triage_mention(m).risk_terms:
            words.update(re.findall(r"[a-z]{3,12}", row["text"].lower()))
    return sorted(words)


def mentions(count: int, words: list[str], *, first: int = 0) -> list[dict[str, Any]]:
    rng = random.Random(20261207 + first)
    return [
        {
            "id": f"lat-{n}",
            "platform": "x",
            "text": " ".join(rng.choice(words) for _ in range(12)),
            "author": {"handle": f"lat{n:06d}", "followers": 100},
        }
        for n in range(first, first + count)
    ]


def _stamp(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def published(outbox: list[dict[str, Any]], accepted: dict[int, float], topic_suffix: str) -> dict[int, float]:
    """Mention number -> when SNS published the first message that carried it."""
    at: dict[int, float] = {}
    bundles: list[tuple[int, int, float]] = []  # (first named, how many, when) on the topic every mention reaches
    incident: set[int] = set()  # told in an incident's notice, not in their batch's bundle
    for entry in outbox:
        when = _stamp(str(entry.get("timestamp", "")))
        text = "\n".join(str(entry.get(k, "")) for k in ("subject", "email", "sms"))
        named = sorted({int(n) for n in HANDLE.findall(text)} & accepted.keys())
        for n in named:
            at[n] = min(at.get(n, when), when)
        if entry.get("item_kind") == "incident":
            incident.update(named)
        head = BUNDLE.match(str(entry.get("email", "")))
        if named and head and str(entry.get("topic_arn", "")).endswith(topic_suffix):
            bundles.append((named[0], int(head.group(1)), when))
    # A bundle holds its stream batch's mentions but those that went to an incident, in the
    # order one sender wrote them: the unnamed rest follow its first named.
    for first, count, when in sorted(bundles):
        n, members = first, 0
        while members < count and n in accepted:
            if n not in incident:
                members += 1
                at[n] = min(at.get(n, when), when)
            n += 1
    return at


class Probe:
    """moto alone: write an item to a table with a stream, read it by polling the stream every
    0.1 s, publish it; the seconds from the write to the publish."""

    def __init__(self, endpoint: str) -> None:
        kw: dict[str, Any] = {
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "aws_access_key_id": OBSERVER,
            "aws_secret_access_key": OBSERVER,
        }
        self.ddb = boto3.client("dynamodb", **kw)
        self.streams = boto3.client("dynamodbstreams", **kw)
        self.sns = boto3.client("sns", **kw)
        self.stop = threading.Event()
        self.seconds: list[float] = []
        table = self.ddb.create_table(
            TableName="latency-probe",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
        )
        self.arn = table["TableDescription"]["LatestStreamArn"]
        self.topic = self.sns.create_topic(Name="latency-probe")["TopicArn"]

    def _write(self) -> None:
        n = 0
        while not self.stop.wait(1 / PROBES_A_SECOND):
            self.ddb.put_item(TableName="latency-probe", Item={"k": {"S": str(n)}, "t": {"N": repr(time.time())}})
            n += 1

    def _read(self) -> None:
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        while not self.stop.wait(0.1):
            answer = self.streams.get_records(ShardIterator=iterator, Limit=100)
            iterator = answer["NextShardIterator"]
            for record in answer.get("Records", []):
                self.sns.publish(TopicArn=self.topic, Message=record["dynamodb"]["NewImage"]["k"]["S"])
                self.seconds.append(time.time() - float(record["dynamodb"]["NewImage"]["t"]["N"]))

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=f, daemon=True) for f in (self._write, self._read)]
        for t in threads:
            t.start()
        return threads


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def measure(*, rate: int = RATE, seconds: int = SECONDS, delivery: int = DELIVERY) -> dict[str, Any]:
    words = vocabulary()
    with tempfile.TemporaryDirectory() as tmp:
        running = launch(Path(tmp))
        try:
            creds = running.credentials
            base, secret = creds["base_url"], creds["sources"]["generic"]
            outbox_path = Path(tmp) / "outbox.jsonl"
            # Warm the app (its first request imports and reads its secrets) and the router.
            warm = mentions(delivery, words, first=900_000)
            _post(
                base, secret, [{**m, "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())} for m in warm]
            )
            deadline = time.monotonic() + 120
            while "@lat9" not in outbox_path.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
            probe = Probe(creds["moto_endpoint"])
            probe_threads = probe.start()
            load = mentions(rate * seconds, words)
            accepted: dict[int, float] = {}
            every = delivery / rate
            started = time.monotonic()
            for k in range(0, len(load), delivery):
                delay = started + (k // delivery) * every - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                answer = _post(base, secret, [{**m, "published_at": now} for m in load[k : k + delivery]])
                assert answer["stored"] == len(load[k : k + delivery]), answer
                done = time.time()
                accepted.update({n: done for n in range(k, k + delivery)})
            load_seconds = time.monotonic() - started
            deadline = time.monotonic() + PATIENCE
            at: dict[int, float] = {}
            while time.monotonic() < deadline:
                outbox = [json.loads(line) for line in outbox_path.read_text().splitlines() if line.strip()]
                at = published(outbox, accepted, "group-social-team")
                if len(at) == len(accepted):
                    break
                time.sleep(1.0)
            probe.stop.set()
            for t in probe_threads:
                t.join(timeout=5)
        finally:
            running.stop()
    latencies = [at[n] - accepted[n] for n in sorted(at)]
    span = max(at.values(), default=0.0) - min(accepted.values(), default=0.0)
    return {
        "latencies": latencies,
        "routed_per_second": len(at) / span if span > 0 else 0.0,
        "mentions": len(accepted),
        "published": len(at),
        "load_seconds": load_seconds,
        "probe": probe.seconds,
    }


def run() -> list[Figure]:
    result = measure()
    latencies, probe = result["latencies"], result["probe"]
    if not latencies or not probe:
        raise RuntimeError(f"nothing measured: {len(latencies)} mentions published, {len(probe)} probes")
    unpublished = result["mentions"] - result["published"]
    # A mention never published within PATIENCE counts as that late (a lower bound).
    counted = latencies + [PATIENCE] * unpublished
    p50, p99 = statistics.median(counted), _quantile(counted, 0.99)
    base50, base99 = statistics.median(probe), _quantile(probe, 0.99)
    achieved = result["mentions"] / result["load_seconds"]
    late = f", {unpublished} not published within {PATIENCE:.0f} s (counted as that)" if unpublished else ""
    note = (
        f"{result['mentions']} mentions at {achieved:.0f}/s for {result['load_seconds']:.0f} s in signed requests "
        f"of {DELIVERY}; p50 {p50:.2f} s, p99 {p99:.2f} s, max {max(counted):.2f} s"
        f"{late}; the router told {result['routed_per_second']:.0f} mentions a second; moto alone (write, "
        f"stream polled every 0.1 s, publish) p50 {base50:.3f} s, p99 {base99:.3f} s. On AWS: stream batch size 100, "
        "no batching window (0 s), ParallelizationFactor 1, 512 MB"
    )
    return [
        Figure("latency_p99_seconds", round(p99, 3), "s", round(base99, 3), round(p99 / base99, 2), "value <= 1", note),
        Figure(
            "latency_p50_seconds",
            round(p50, 3),
            "s",
            round(base50, 3),
            round(p50 / base50, 2),
            "value <= 1",
            "see latency_p99_seconds",
        ),
    ]
