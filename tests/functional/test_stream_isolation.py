"""A record that cannot be routed is set aside alone: the rest of its stream batch is told
(partial batch response), and only it is retried and finally dead-lettered."""

from __future__ import annotations

import json
import random

import pytest

from chalicelib import aws
from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION, batch_envelope, signed_headers


def test_one_poisoned_record_does_not_silence_its_batch(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(harness.pump, "_stop", type("Never", (), {"wait": staticmethod(lambda _: False)})())
    rng = random.Random(7)
    texts = [" ".join(f"w{rng.getrandbits(20):05x}" for _ in range(6)) for _ in range(20)]  # twenty unrelated posts
    items = [{**MENTION, "id": str(n), "url": f"https://x.com/u{n}/status/{n}", "text": t} for n, t in enumerate(texts)]
    body = batch_envelope(items)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    # An item written by hand (or by an older version) that no reader understands.
    aws.dynamodb().put_item(
        TableName=MentionModel.Meta.table_name,
        Item={"mention_id": {"S": "m-poison"}, "identity": {"S": "x:0"}, "published_at": {"S": "not a time"}},
    )
    assert harness.pump.pump_once() == 21
    told = [d for d in harness.deliveries() if d["group"] == "social-team"]  # every mention's group
    mentioned = "".join(d["email"] for d in told)
    assert all(t in mentioned for t in texts)  # all twenty
    [set_aside] = [json.loads(line) for line in harness.pump._dead_letters.read_text().splitlines()]
    assert [r["dynamodb"]["Keys"]["mention_id"]["S"] for r in set_aside["event"]["Records"]] == ["m-poison"]
