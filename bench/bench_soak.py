"""The router under sustained load, on the local stack as `make run` starts it: 600 mentions a
second for 60 seconds (signed batches of 100 from three senders on loopback), then how long
until the router has counted every stored mention, and whether every one of them was told to
every group the rules send it to (a copy folded into a story counts as told through its story;
an incident's groups are told at the incident's level). tests/e2e/test_soak.py runs 10 s of it.

- soak_catch_up_seconds: seconds after the last delivery until the router had caught up; the
  baseline is the load's own duration.
- soak_untold_mentions: stored mentions a group their rules name never heard about (must be 0).

SOAK_SECONDS and SOAK_RATE change the load (bounded: at most 120 s and 2,000 a second)."""

from __future__ import annotations

import os
import random
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from bench.bench_airline_ingest import _post
from bench.harness import Figure, scaled
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


def _expected_groups(base: str, admin: str, mentions: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Mention key -> the groups the stack's rules send it to, decided as the router decides."""
    import json
    import urllib.request

    from chalicelib.clock import utcnow
    from chalicelib.policy.batch import routing_fields
    from chalicelib.policy.rules import decide, parse_rule
    from chalicelib.sources.base import mention_from_fields
    from chalicelib.triage import triage_mention

    request = urllib.request.Request(base + "/api/rules", headers={"Authorization": f"Bearer {admin}"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        doc = json.loads(answer.read())
    rules = [parse_rule(r) for r in doc["rules"]]
    expected = {}
    for item in mentions:
        m = mention_from_fields(item, path="", source="generic", received_at=utcnow(), delivery_id="", errors=[])
        assert m is not None
        decision = decide(routing_fields(triage_mention(m)), rules, doc["default_route"])
        expected[m.mention_id] = {r.group for r in decision.routes}
    return expected


def _untold(client: Any, prefix: str, expected: dict[str, set[str]]) -> int:
    """Stored mentions a group their rules name never heard about (through their story)."""
    from chalicelib.policy.stories import alias_key, aliased_story

    keys = {alias_key(mention_id): groups for mention_id, groups in expected.items()}  # marked once counted
    clusters = {k: aliased_story(k) for k in keys}  # a post that started its story has no alias
    ordered = sorted(keys)
    for i in range(0, len(ordered), 100):
        answer = client.batch_get_item(
            RequestItems={f"{prefix}cluster-index": {"Keys": [{"key": {"S": k}} for k in ordered[i : i + 100]]}}
        )
        found = answer["Responses"][f"{prefix}cluster-index"]
        clusters.update({it["key"]["S"]: it["cluster_id"]["S"] for it in found if it.get("member", {}).get("BOOL")})
    told: dict[str, set[str]] = {}
    unique = sorted(set(clusters.values()))
    for i in range(0, len(unique), 100):
        answer = client.batch_get_item(
            RequestItems={f"{prefix}notices": {"Keys": [{"cluster_id": {"S": c}} for c in unique[i : i + 100]]}}
        )
        told.update({it["cluster_id"]["S"]: set(it["told"]["SS"]) for it in answer["Responses"][f"{prefix}notices"]})
        # A story its batch started holds what it was told in its own row (flows/router.put_started).
        answer = client.batch_get_item(
            RequestItems={
                f"{prefix}clusters": {
                    "Keys": [{"cluster_id": {"S": c}} for c in unique[i : i + 100]],
                    "ProjectionExpression": "cluster_id, told",
                }
            }
        )
        for it in answer["Responses"][f"{prefix}clusters"]:
            told.setdefault(it["cluster_id"]["S"], set()).update(it.get("told", {}).get("SS", []))
    untold = 0
    for key, groups in keys.items():
        heard = {tag.split("|", 1)[0] for tag in told.get(clusters.get(key, ""), set())}
        untold += bool(groups - heard)
    return untold


@dataclass(frozen=True)
class Soak:
    stored: int
    load_seconds: float
    catch_up_seconds: float
    untold: int


def soak(*, seconds: int, rate: int, patience: float = 900) -> Soak:
    """Run the load against a fresh local stack and wait for the router (at most `patience`)."""
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
            base, secret = creds["base_url"], creds["sources"]["generic"]
            threads = [
                threading.Thread(
                    target=_send, args=(base, secret, batches[s::SENDERS]), kwargs={"every": every, "stored": stored}
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
            while _counted(client, f"{prefix}counters") < total and time.monotonic() - sent < patience:
                time.sleep(0.5)
            caught_up = time.monotonic() - sent
            expected = _expected_groups(base, creds["admin_token"], mentions)
            untold = _untold(client, prefix, expected)
        finally:
            running.stop()
    return Soak(total, sent - started, caught_up, untold)


def run() -> list[Figure]:
    seconds = min(int(os.environ.get("SOAK_SECONDS") or scaled(60, 5)), 120)
    rate = min(int(os.environ.get("SOAK_RATE") or scaled(600, 200)), 2000)
    # A router that never catches up fails the short run in a minute, not fifteen.
    result = soak(seconds=seconds, rate=rate, patience=scaled(900, 60))
    total, load, caught_up = result.stored, result.load_seconds, result.catch_up_seconds
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
            float(result.untold),
            "mentions",
            float(total),
            round(result.untold / max(total, 1), 4),
            "value <= 0",
            "stored mentions that a group their rules name never heard about (through their story)",
        ),
    ]
