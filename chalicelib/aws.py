"""boto3 clients, created once per process on first use and reused by every invocation.

Endpoints come from the environment (AWS_ENDPOINT_URL), which is how the local stack points
boto3, PynamoDB and powertools at moto with the same code that runs on AWS."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from chalicelib import deadline
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_sns import SNSClient

# Standard mode retries throttles and 5xx with exponential backoff and jitter. Client-side
# parameter validation is off: the service validates anyway, and it costs CPU on every call
# (a quarter of a batch's client time, measured in bench/).
# Timeouts short enough that an attempt started within a request's budget ends inside API
# Gateway's 29 s (chalicelib/deadline.py stops new attempts past the budget).
RETRY_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 5},
    connect_timeout=2,
    read_timeout=5,
    parameter_validation=False,
)


def _client(service: str) -> Any:
    client = boto3.client(service, region_name=get_settings().region, config=RETRY_CONFIG)  # type: ignore[call-overload]
    client.meta.events.register("before-send", deadline.check)
    return client


@lru_cache(maxsize=1)
def dynamodb() -> DynamoDBClient:
    return _client("dynamodb")  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def sns() -> SNSClient:
    return _client("sns")  # type: ignore[no-any-return]


@lru_cache(maxsize=1)
def s3() -> Any:
    return _client("s3")


@lru_cache(maxsize=1)
def ses() -> Any:
    return _client("ses")


@lru_cache(maxsize=1)
def comprehend() -> Any:
    return _client("comprehend")


@lru_cache(maxsize=1)
def kms() -> Any:
    return _client("kms")


# The readiness checks' (flows/readiness.py): asked on the admin page and by `make doctor`.
@lru_cache(maxsize=1)
def sesv2() -> Any:
    return _client("sesv2")


@lru_cache(maxsize=1)
def cloudwatch() -> Any:
    return _client("cloudwatch")


@lru_cache(maxsize=1)
def ssm() -> Any:
    return _client("ssm")


def reset_clients() -> None:
    """For tests that swap the AWS backend under a process."""
    dynamodb.cache_clear()
    sns.cache_clear()
    comprehend.cache_clear()
    ses.cache_clear()
    kms.cache_clear()
    s3.cache_clear()
    sesv2.cache_clear()
    cloudwatch.cache_clear()
    ssm.cache_clear()
