"""The local stack's moto (`infra/local/moto_server.py`) against plain moto: the same answers,
byte for byte once parsed, for the data actions it writes faster; DynamoDB's atomic single-item
writes under concurrency, which plain moto's server does not give; the same item-size refusal."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.local.stack import ROOT, free_port

THREADS, ADDS = 16, 25


def _serve(module: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "-H", "127.0.0.1", "-p", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1).close()
            return proc, url
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{module} did not start")


def _clients(url: str) -> tuple[Any, Any]:
    kw: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
        "config": Config(max_pool_connections=THREADS, retries={"max_attempts": 1}),
    }
    return boto3.client("dynamodb", **kw), boto3.client("dynamodbstreams", **kw)


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    ours, ours_url = _serve("infra.local.moto_server")
    plain, plain_url = _serve("moto.server")
    try:
        yield {"ours": ours_url, "plain": plain_url}
    finally:
        for proc in (ours, plain):
            proc.terminate()
            proc.wait(timeout=10)


def _table(ddb: Any, name: str) -> None:
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "k", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )


ITEM = {
    "k": {"S": "a"},
    "g": {"S": "group"},
    "text": {"S": "héllo \u202e <b>"},
    "n": {"N": "12.50"},
    "blob": {"B": b"\x00\x01binary"},
    "tags": {"SS": ["x", "y"]},
    "nums": {"NS": ["1", "2"]},
    "map": {"M": {"nested": {"L": [{"S": "q"}, {"BOOL": True}, {"NULL": True}]}}},
}


def _exercise(url: str, table: str) -> dict[str, Any]:
    ddb, streams = _clients(url)
    _table(ddb, table)
    ddb.put_item(TableName=table, Item=ITEM)
    ddb.batch_write_item(
        RequestItems={table: [{"PutRequest": {"Item": {**ITEM, "k": {"S": f"b{i}"}}}} for i in range(3)]}
    )
    ddb.update_item(
        TableName=table,
        Key={"k": {"S": "a"}},
        UpdateExpression="ADD n :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    answers = {
        "get": ddb.get_item(TableName=table, Key={"k": {"S": "a"}}, ConsistentRead=True)["Item"],
        "batch_get": sorted(
            ddb.batch_get_item(RequestItems={table: {"Keys": [{"k": {"S": "a"}}, {"k": {"S": "b1"}}]}})["Responses"][
                table
            ],
            key=lambda i: i["k"]["S"],
        ),
        "query": ddb.query(
            TableName=table,
            IndexName="by-g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": "group"}},
        )["Count"],
        "scan": sorted(ddb.scan(TableName=table)["Items"], key=lambda i: i["k"]["S"]),
        "returned": ddb.update_item(
            TableName=table,
            Key={"k": {"S": "a"}},
            UpdateExpression="SET #t = :t",
            ExpressionAttributeNames={"#t": "text"},
            ExpressionAttributeValues={":t": {"S": "changed"}},
            ReturnValues="ALL_NEW",
        )["Attributes"],
    }
    arn = ddb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    answers["records"] = [(r["eventName"], r["dynamodb"]["Keys"], r["dynamodb"].get("NewImage")) for r in records]
    answers["record_times"] = [type(r["dynamodb"]["ApproximateCreationDateTime"]).__name__ for r in records]
    return answers


def test_data_answers_parse_the_same_as_plain_motos(servers: dict[str, str]) -> None:
    ours, plain = _exercise(servers["ours"], "same-answers"), _exercise(servers["plain"], "same-answers")
    assert ours == plain
    assert ours["get"]["blob"] == {"B": b"\x00\x01binary"}
    assert ours["record_times"] == ["datetime"] * 6


def test_errors_and_the_item_size_limit_are_motos_own(servers: dict[str, str]) -> None:
    for url in servers.values():
        ddb, _ = _clients(url)
        _table(ddb, "limits")
        with pytest.raises(ClientError) as too_big:
            ddb.put_item(TableName="limits", Item={"k": {"S": "big"}, "text": {"S": "x" * 410_000}})
        assert too_big.value.response["Error"]["Code"] == "ValidationException"
        assert "maximum allowed size" in too_big.value.response["Error"]["Message"]
        ddb.put_item(TableName="limits", Item={"k": {"S": "fits"}, "text": {"S": "x" * 390_000}})
        with pytest.raises(ClientError) as taken:
            ddb.put_item(TableName="limits", Item={"k": {"S": "fits"}}, ConditionExpression="attribute_not_exists(k)")
        assert taken.value.response["Error"]["Code"] == "ConditionalCheckFailedException"


def test_concurrent_adds_to_one_item_are_all_kept(servers: dict[str, str]) -> None:
    ddb, _ = _clients(servers["ours"])
    _table(ddb, "counters")
    # A wide item makes each of moto's read-change-store cycles long enough to be interleaved.
    wide = {f"d{i}": {"S": "x" * 20} for i in range(300)}
    ddb.put_item(TableName="counters", Item={"k": {"S": "minute"}, "n": {"N": "0"}, **wide})
    start = threading.Barrier(THREADS)

    def add() -> None:
        start.wait()
        for _ in range(ADDS):
            ddb.update_item(
                TableName="counters",
                Key={"k": {"S": "minute"}},
                UpdateExpression="ADD n :one",
                ExpressionAttributeValues={":one": {"N": "1"}},
            )

    threads = [threading.Thread(target=add) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    item = ddb.get_item(TableName="counters", Key={"k": {"S": "minute"}}, ConsistentRead=True)["Item"]
    assert item["n"] == {"N": str(THREADS * ADDS)}


def _transactions(url: str) -> dict[str, Any]:
    """A transaction that lands and one cancelled by a failed condition, on a streamed table."""
    ddb, streams = _clients(url)
    _table(ddb, "transactions")
    ddb.put_item(TableName="transactions", Item={"k": {"S": "a"}, "told": {"SS": ["x"]}})
    ddb.put_item(TableName="transactions", Item={"k": {"S": "taken"}})

    def add(key: str, tag: str) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": "transactions",
                "Key": {"k": {"S": key}},
                "UpdateExpression": "ADD told :t",
                "ExpressionAttributeValues": {":t": {"SS": [tag]}},
            }
        }

    ddb.transact_write_items(TransactItems=[add("a", "y"), add("b", "z")])
    with pytest.raises(ClientError) as cancelled:
        ddb.transact_write_items(
            TransactItems=[
                add("a", "lost"),
                {"Put": {"TableName": "transactions", "Item": {"k": {"S": "c"}}}},
                {
                    "Put": {
                        "TableName": "transactions",
                        "Item": {"k": {"S": "taken"}},
                        "ConditionExpression": "attribute_not_exists(k)",
                    }
                },
            ]
        )
    arn = ddb.describe_table(TableName="transactions")["Table"]["LatestStreamArn"]
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    records = streams.get_records(ShardIterator=iterator["ShardIterator"])["Records"]
    return {
        "items": sorted(ddb.scan(TableName="transactions", ConsistentRead=True)["Items"], key=lambda i: i["k"]["S"]),
        "error": cancelled.value.response["Error"]["Code"],
        "reasons": [r["Code"] for r in cancelled.value.response["CancellationReasons"]],
        "records": [(r["eventName"], r["dynamodb"]["Keys"]["k"]["S"]) for r in records],
    }


def test_a_cancelled_transaction_leaves_items_and_stream_as_plain_moto_does(servers: dict[str, str]) -> None:
    ours, plain = _transactions(servers["ours"]), _transactions(servers["plain"])
    assert ours == plain
    assert ours["error"] == "TransactionCanceledException" and "ConditionalCheckFailed" in ours["reasons"]
    told = {i["k"]["S"]: set(i.get("told", {}).get("SS", [])) for i in ours["items"]}
    assert told == {"a": {"x", "y"}, "b": {"z"}, "taken": set()}  # nothing of the cancelled one
