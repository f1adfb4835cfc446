"""The router under sustained load, on the local stack as `make run` starts it: 600 mentions a
second for 60 seconds (signed batches of 100 from three senders on loopback), then how long
until the router has counted every stored mention, and whether every one of them was told to
the group the default route sends everything to (a copy folded into a story counts as told
through its story).

- soak_catch_up_seconds: seconds after the last delivery until the router had caught up; the
  baseline is the load's own duration.
- soak_untold_mentions: stored mentions whose story's group was never told (must be 0).

SOAK_SECONDS and SOAK_RATE change the load (bounded: at most 120 s and 2,000 a second)."""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3

from bench.bench_airline_ingest import _post
from bench.harness import Figure
from infra.local.launcher import launch

BATCH = 100
SENDERS = 3
WORDS = ("flight", "gate", "bag", "crew", "seat", "delay", "refund", "lounge", "app", "boarding", "meal", "wifi")


def _mentions(count: int, started: float) -> list[dict[str, Any]]:
    rng = random.Random(20261130)
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started))
    return [
        {
            "id": f"soak-{n}",
            "platform": "x",
            "text": " ".join(rng.choice(WORDS) for _ in range(6)) + f" {rng.getrandbits(32):08x}",
            "author": {"handle": f"u{n % 5000}", "followers": 100},
            "published_at": now,
        }
        for n in range(count)
    ]


def _send(base: str, secret: str, batches: list[list[dict[str, Any]]], *, every: float, stored: list[int]) -> None:
    """One sender's share of the load, paced: a batch every `every` seconds."""
    start = time.monotonic()
    for n, batch in enumerate(batches):
        delay = start + n * every - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        stored.append(_post(base, secret, batch)["stored"])


def _counted(client: Any, table: str) -> int:
    total = 0
    for page in client.get_paginator("scan").paginate(TableName=table):
        total += sum(
            int(item["n"]["N"]) for item in page["Items"] if item["bucket"]["S"].startswith("m|") and "n" in item
        )
    return total


def _untold(client: Any, prefix: str, ids: list[str]) -> int:
    """Stored mentions whose story was never told to the social team."""
    from chalicelib.triage.identity import key_for

    keys = [f"member:{key_for('mention', f'x:{i}')}" for i in ids]
    clusters: dict[str, str] = {}
    for i in range(0, len(keys), 100):
        answer = client.batch_get_item(
            RequestItems={f"{prefix}cluster-index": {"Keys": [{"key": {"S": k}} for k in keys[i : i + 100]]}}
        )
        clusters.update({it["key"]["S"]: it["cluster_id"]["S"] for it in answer["Responses"][f"{prefix}cluster-index"]})
    told: dict[str, set[str]] = {}
    unique = sorted(set(clusters.values()))
    for i in range(0, len(unique), 100):
        answer = client.batch_get_item(
            RequestItems={f"{prefix}notices": {"Keys": [{"cluster_id": {"S": c}} for c in unique[i : i + 100]]}}
        )
        told.update({it["cluster_id"]["S"]: set(it["told"]["SS"]) for it in answer["Responses"][f"{prefix}notices"]})
    return sum(1 for k in keys if "social-team|story" not in told.get(clusters.get(k, ""), set()))


def run() -> list[Figure]:
    seconds = min(int(os.environ.get("SOAK_SECONDS", "60")), 120)
    rate = min(int(os.environ.get("SOAK_RATE", "600")), 2000)
    with tempfile.TemporaryDirectory() as tmp:
        running = launch(Path(tmp))
        try:
            creds = running.credentials
            client = boto3.client(
                "dynamodb",
                endpoint_url=creds["moto_endpoint"],
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
            )
            prefix = "sharedwatch-local-"
            mentions = _mentions(seconds * rate, time.time())
            batches = [mentions[i : i + BATCH] for i in range(0, len(mentions), BATCH)]
            every = SENDERS * BATCH / rate
            stored: list[int] = []
            threads = [
                threading.Thread(
                    target=_send,
                    args=(creds["base_url"], creds["sources"]["generic"], batches[s::SENDERS]),
                    kwargs={"every": every, "stored": stored},
                )
                for s in range(SENDERS)
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            sent = time.monotonic()
            total = sum(stored)
            while _counted(client, f"{prefix}counters") < total and time.monotonic() - sent < 900:
                time.sleep(0.5)
            caught_up = time.monotonic() - sent
            untold = _untold(client, prefix, [str(m["id"]) for m in mentions])
        finally:
            running.stop()
    load = sent - started
    return [
        Figure(
            "soak_catch_up_seconds",
            round(caught_up, 1),
            "s",
            round(load, 1),
            round(caught_up / load, 3),
            "<= 0.5",
            f"{total} mentions stored at {total / load:.0f}/s for {load:.0f} s; the router caught up "
            f"{caught_up:.1f} s after the last delivery",
        ),
        Figure(
            "soak_untold_mentions",
            float(untold),
            "mentions",
            float(total),
            round(untold / max(total, 1), 4),
            "value <= 0",
            "stored mentions whose story the default route's group never heard about",
        ),
    ]
