"""Functional layer: the Chalice app in-process (chalice.test.Client) on moto's mock_aws, with
the stream pump reading moto's real stream records into the app's own handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.support import SECRET

SOURCE_SECRETS = {
    "generic": SECRET,
    "meta": {"app_secret": "meta-app-secret", "verify_token": "meatyhamhock"},
    "x": "x-consumer-secret",
    "websub": "hub-secret",
    "meltwater": "e2d264b524240b9572ebc2fc7eebd980",
    "mentioncom": "mention-token",
    "slack": "slack-signing-secret",
    # A Teams bot, so its door verifies (and refuses) what comes in rather than answer 503.
    "teams": {"app_id": "00000000-0000-4000-8000-00000000b07a", "app_password": "teams-app-password"},
}
SOURCE_PARAMETERS = {
    f"sources/{slug}": value if isinstance(value, str) else json.dumps(value) for slug, value in SOURCE_SECRETS.items()
}


@dataclass
class Harness:
    client: Any
    pump: Any
    queue_url: str
    sqs: Any

    def mention_stream_event(self) -> dict[str, Any]:
        """Every record on the mentions table's stream, as one Lambda event (to hand a handler the
        same batch more than once, or while a fault is injected)."""
        from chalicelib.store.models import MentionModel
        from infra.local.stream_pump import lambda_event

        streams, ddb = self.pump._streams, self.pump._ddb
        arn = ddb.describe_table(TableName=MentionModel.Meta.table_name)["Table"]["LatestStreamArn"]
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
        return dict(lambda_event(records, arn, "us-east-1"))

    def deliveries(self) -> list[dict[str, Any]]:
        """Every SNS delivery that reached the stakeholder topics so far (drains the queue)."""
        out: list[dict[str, Any]] = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages", [])
            if not messages:
                return out
            for m in messages:
                envelope = json.loads(m["Body"])
                out.append({"topic": envelope["TopicArn"].rsplit(":", 1)[-1], **json.loads(envelope["Message"])})
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=m["ReceiptHandle"])


def allow_outbound(monkeypatch: pytest.MonkeyPatch, *entries: str) -> None:
    """The exception the local stack makes for its own feed servers, made for one test the same
    way: SHAREDWATCH_OUTBOUND_ALLOW, read by Settings (the fetcher reads it afresh)."""
    from chalicelib import http
    from chalicelib.settings import load_settings

    monkeypatch.setenv("SHAREDWATCH_OUTBOUND_ALLOW", ",".join(entries))
    monkeypatch.setattr(http, "get_settings", load_settings)


def served_at(url: str) -> str:
    """A local server's address and port, as an allowance: "127.0.0.1:8080"."""
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


@pytest.fixture
def harness() -> Iterator[Harness]:
    with mock_aws():
        from chalice.test import Client

        import app
        from chalicelib import aws, credentials
        from chalicelib.settings import get_settings
        from chalicelib.store import config
        from infra.local.bootstrap import create_resources
        from infra.local.handlers import app_event_sources
        from infra.local.stream_pump import StreamPump

        aws.reset_clients()
        credentials.clear_cache()
        config.clear_cache()
        settings = get_settings()
        create_resources(
            settings,
            parameters={
                "signing_key": "test-signing-key",
                "admin_token": "admin-test-token",
                "display_token": "display-test-token",
                **SOURCE_PARAMETERS,
            },
        )
        sqs = boto3.client("sqs", region_name=settings.region)
        sns = boto3.client("sns", region_name=settings.region)
        queue_url = sqs.create_queue(QueueName="test-outbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        for topic in sns.list_topics()["Topics"]:
            if ":" + settings.topic_name("group-") in topic["TopicArn"]:
                sns.subscribe(TopicArn=topic["TopicArn"], Protocol="sqs", Endpoint=queue_arn)
        pump = StreamPump(app_event_sources(), region=settings.region, dead_letters=_null_path())
        with Client(app.app) as client:
            yield Harness(client=client, pump=pump, queue_url=queue_url, sqs=sqs)
        aws.reset_clients()


def _null_path() -> Any:
    import tempfile
    from pathlib import Path

    return Path(tempfile.mkdtemp()) / "dead-letters.jsonl"
