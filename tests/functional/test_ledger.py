"""The ledger (infra/local/ledger.py): what AWS would bill for each request moto answers, worked
out as DynamoDB bills on demand (moto's own ConsumedCapacity is a constant), and moto's answers
unchanged while it records. Also through the local stack's moto server, which writes it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from infra.local import ledger
from infra.local.stack import ROOT, free_port


@pytest.fixture
def aws() -> Iterator[tuple[Any, list[dict[str, Any]]]]:
    with mock_aws(), ledger.recording() as entries:
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "k", "AttributeType": "S"},
                {"AttributeName": "day", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-day",
                    "KeySchema": [{"AttributeName": "day", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["title"]},
                }
            ],
        )
        yield client, entries


def _units(entries: list[dict[str, Any]]) -> list[float]:
    """[read, write, index write] of the last request."""
    return list(entries[-1]["units"].get("t", [0.0, 0.0, 0.0]))


def _item(key: str, size: int, **more: str) -> dict[str, Any]:
    # "k" + key (2 bytes) and "body" + text: `size` bytes in all
    return {"k": {"S": key}, "body": {"S": "x" * (size - 6)}, **{k: {"S": v} for k, v in more.items()}}


def test_a_write_pays_a_unit_for_each_kilobyte_of_the_larger_of_before_and_after(aws: Any) -> None:
    client, entries = aws
    client.put_item(TableName="t", Item=_item("a", 1024))
    assert _units(entries) == [0.0, 1.0, 0.0]
    client.put_item(TableName="t", Item=_item("a", 1025))
    assert _units(entries) == [0.0, 2.0, 0.0]
    client.update_item(TableName="t", Key={"k": {"S": "a"}}, UpdateExpression="REMOVE body")
    assert _units(entries) == [0.0, 2.0, 0.0]  # the item before was the larger
    client.delete_item(TableName="t", Key={"k": {"S": "a"}})
    assert _units(entries) == [0.0, 1.0, 0.0]


def test_a_write_whose_condition_fails_still_pays(aws: Any) -> None:
    client, entries = aws
    client.put_item(TableName="t", Item=_item("a", 3000))
    with pytest.raises(ClientError):
        client.put_item(TableName="t", Item=_item("a", 10), ConditionExpression="attribute_not_exists(k)")
    assert _units(entries) == [0.0, 3.0, 0.0]


def test_a_transaction_pays_twice(aws: Any) -> None:
    client, entries = aws
    client.transact_write_items(TransactItems=[{"Put": {"TableName": "t", "Item": _item(k, 1500)}} for k in ("a", "b")])
    assert _units(entries) == [0.0, 8.0, 0.0]
    client.transact_get_items(TransactItems=[{"Get": {"TableName": "t", "Key": {"k": {"S": "a"}}}}])
    assert _units(entries) == [2.0, 0.0, 0.0]


def test_an_index_is_written_only_when_what_it_holds_changes(aws: Any) -> None:
    client, entries = aws
    client.put_item(TableName="t", Item=_item("a", 5000))
    assert _units(entries)[2] == 0.0  # no day: not in the sparse index
    client.put_item(TableName="t", Item=_item("a", 5000, day="2026-11-24", title="t1"))
    assert _units(entries) == [0.0, 5.0, 1.0]
    client.update_item(
        TableName="t",
        Key={"k": {"S": "a"}},
        UpdateExpression="SET body = :b",
        ExpressionAttributeValues={":b": {"S": "y"}},
    )
    assert _units(entries)[2] == 0.0  # the body is not projected
    client.update_item(
        TableName="t",
        Key={"k": {"S": "a"}},
        UpdateExpression="SET title = :t",
        ExpressionAttributeValues={":t": {"S": "t2"}},
    )
    assert _units(entries)[2] == 1.0
    client.update_item(
        TableName="t",
        Key={"k": {"S": "a"}},
        UpdateExpression="SET #d = :d",
        ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": {"S": "2026-11-25"}},
    )
    assert _units(entries)[2] == 2.0  # moved between index keys: a delete and a put


def test_reads_pay_per_four_kilobytes_half_when_eventually_consistent(aws: Any) -> None:
    client, entries = aws
    client.put_item(TableName="t", Item=_item("a", 5000))
    client.get_item(TableName="t", Key={"k": {"S": "a"}})
    assert _units(entries) == [1.0, 0.0, 0.0]
    client.get_item(TableName="t", Key={"k": {"S": "a"}}, ConsistentRead=True)
    assert _units(entries) == [2.0, 0.0, 0.0]
    client.get_item(TableName="t", Key={"k": {"S": "missing"}}, ConsistentRead=True)
    assert _units(entries) == [1.0, 0.0, 0.0]  # nothing found still pays
    client.put_item(TableName="t", Item=_item("b", 100))
    client.batch_get_item(RequestItems={"t": {"Keys": [{"k": {"S": "a"}}, {"k": {"S": "b"}}], "ConsistentRead": True}})
    assert _units(entries) == [3.0, 0.0, 0.0]  # each item rounded up on its own


def test_a_query_pays_for_what_it_read_before_its_filter_and_answers_as_moto_does(aws: Any) -> None:
    client, entries = aws
    for n in range(4):
        client.put_item(TableName="t", Item=_item(f"k{n}", 3000, day="d", title=f"t{n}"))
    answer = client.scan(
        TableName="t",
        FilterExpression="title = :t",
        ExpressionAttributeValues={":t": {"S": "t2"}},
        ProjectionExpression="k",
        ConsistentRead=True,
    )
    assert answer["Items"] == [{"k": {"S": "k2"}}] and answer["ScannedCount"] == 4
    assert _units(entries) == [3.0, 0.0, 0.0]  # 4 x ~3 KB read: 12 KB, 3 units
    answer = client.query(
        TableName="t",
        IndexName="by-day",
        KeyConditionExpression="#d = :d",
        FilterExpression="title = :t",
        ExpressionAttributeNames={"#d": "day"},
        ExpressionAttributeValues={":d": {"S": "d"}, ":t": {"S": "t1"}},
    )
    assert [i["k"]["S"] for i in answer["Items"]] == ["k1"] and "body" not in answer["Items"][0]
    assert _units(entries) == [0.5, 0.0, 0.0]  # the index's small copies, eventually consistent


def test_other_services_are_recorded_by_what_their_bills_count(aws: Any) -> None:
    _, entries = aws
    sns = boto3.client("sns", region_name="us-east-1")
    topic = sns.create_topic(Name="sharedwatch-test-group-care")["TopicArn"]
    sns.publish_batch(
        TopicArn=topic, PublishBatchRequestEntries=[{"Id": str(i), "Message": "m" * 100} for i in range(10)]
    )
    assert entries[-1] | {"t": 0} == {
        "t": 0,
        "key": entries[-1]["key"],
        "service": "sns",
        "action": "PublishBatch",
        "topic": "sharedwatch-test-group-care",
        "messages": 10,
        "chunks": 1,
        "bytes": 1000,
        "status": 200,
    }
    sns.publish(TopicArn=topic, Message="m" * 70_000)
    assert entries[-1]["chunks"] == 2  # 64 KB chunks
    ses = boto3.client("ses", region_name="us-east-1")
    ses.verify_email_identity(EmailAddress="a@example.com")
    ses.send_email(
        Source="a@example.com",
        Destination={"ToAddresses": ["b@example.com"], "CcAddresses": ["c@example.com"]},
        Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "b"}}},
    )
    assert entries[-1]["messages"] == 2
    comprehend = boto3.client("comprehend", region_name="us-east-1")
    comprehend.detect_sentiment(Text="hola", LanguageCode="es")
    comprehend.detect_sentiment(Text="hola " * 100, LanguageCode="es")
    assert [e["units"] for e in entries[-2:]] == [3, 5]  # 3 units at least


def test_the_local_stacks_moto_writes_a_ledger_when_told(tmp_path: Path) -> None:
    path, port = tmp_path / "ledger.jsonl", free_port()
    env = {**os.environ, ledger.LEDGER_ENV: str(path)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "infra.local.moto_server", "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        client = boto3.client(
            "dynamodb",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="someone",
            aws_secret_access_key="x",
        )
        client.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(TableName="t", Item=_item("a", 2500))
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["key"], e["action"]) for e in entries] == [("someone", "CreateTable"), ("someone", "PutItem")]
    assert entries[-1]["units"] == {"t": [0.0, 3.0, 0.0]}
