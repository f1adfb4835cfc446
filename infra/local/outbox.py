"""What the local stack shows instead of sending email and SMS: every SNS delivery to a
stakeholder topic. A real SQS queue is subscribed to each group topic (real SNS fan-out inside
moto); this collector drains it into a JSON-lines file that GET /local/outbox serves."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from infra.local.loop import PollingLoop


class OutboxCollector(PollingLoop):
    name = "outbox"

    def __init__(self, *, region: str, queue_name: str, topic_prefix: str, path: Path) -> None:
        super().__init__()
        self._sqs = boto3.client("sqs", region_name=region)
        self._sns = boto3.client("sns", region_name=region)
        self._queue_name = queue_name
        self._topic_prefix = topic_prefix
        self.path = path
        self._queue_url = ""
        self._queue_arn = ""
        self._subscribed: set[str] = set()
        self._ticks = 0

    def setup(self) -> None:
        self._queue_url = self._sqs.create_queue(QueueName=self._queue_name)["QueueUrl"]
        self._queue_arn = self._sqs.get_queue_attributes(QueueUrl=self._queue_url, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.path.touch()
        self.subscribe_new_topics()

    def subscribe_new_topics(self) -> None:
        """Group topics created later (through the admin API) are picked up too."""
        for page in self._sns.get_paginator("list_topics").paginate():
            for topic in page["Topics"]:
                arn = topic["TopicArn"]
                if arn.rsplit(":", 1)[-1].startswith(self._topic_prefix) and arn not in self._subscribed:
                    self._sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=self._queue_arn)
                    self._subscribed.add(arn)

    @staticmethod
    def entry(envelope: dict[str, Any]) -> dict[str, Any]:
        try:
            body = json.loads(envelope.get("Message", ""))
        except json.JSONDecodeError:
            body = {"email": envelope.get("Message", "")}
        return {
            "message_id": envelope.get("MessageId"),
            "topic_arn": envelope.get("TopicArn"),
            "timestamp": envelope.get("Timestamp"),
            "subject": envelope.get("Subject") or body.get("subject"),
            **body,
        }

    def drain_once(self, wait_seconds: int = 0) -> int:
        answer = self._sqs.receive_message(
            QueueUrl=self._queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait_seconds
        )
        messages = answer.get("Messages", [])
        if messages:
            with self.path.open("a", encoding="utf-8") as out:
                for m in messages:
                    out.write(json.dumps(self.entry(json.loads(m["Body"])), ensure_ascii=False) + "\n")
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )
        return len(messages)

    def tick(self) -> bool:
        self._ticks += 1
        if self._ticks % 100 == 0:  # group topics created later (admin API) are picked up too
            self.subscribe_new_topics()
        return self.drain_once() > 0
