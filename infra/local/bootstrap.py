"""Create the local stack's AWS resources inside moto from the app's own definitions."""

from __future__ import annotations

import json
from typing import Any

import boto3

from chalicelib.settings import Settings
from chalicelib.store.models import TOPIC_SUFFIXES
from chalicelib.store.tables import ensure_tables
from infra.local import demo


def put_parameters(settings: Settings, values: dict[str, str]) -> None:
    ssm = boto3.client("ssm", region_name=settings.region)
    for suffix, value in values.items():
        ssm.put_parameter(Name=settings.parameter_name(suffix), Value=value, Type="SecureString", Overwrite=True)


def create_resources(settings: Settings, *, parameters: dict[str, str]) -> None:
    ensure_tables()
    sns = boto3.client("sns", region_name=settings.region)
    for suffix in TOPIC_SUFFIXES:
        sns.create_topic(Name=settings.topic_name(suffix))
    put_parameters(settings, parameters)
    s3 = boto3.client("s3", region_name=settings.region)
    s3.create_bucket(Bucket=settings.uploads_bucket)
    # The public dark site: on AWS a private bucket behind CloudFront; here local S3 serves it to
    # anyone (a read-only policy on its objects), as CloudFront would.
    s3.create_bucket(Bucket=settings.dark_site_bucket)
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{settings.dark_site_bucket}/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=settings.dark_site_bucket, Policy=json.dumps(public_read))
    # SES sends the reporters' receipts and outcomes from the reports address's domain.
    ses = boto3.client("ses", region_name=settings.region)
    for domain in settings.company_domains:
        ses.verify_domain_identity(Domain=domain)
    configuration_set(ses, settings)
    demo.seed()


def configuration_set(ses: object, settings: Settings) -> None:
    """Mail to people goes through a configuration set whose bounces and complaints reach the
    `ses-events` topic (flows/reach.suppress), as infra/cdk makes it on AWS."""
    client: Any = ses
    try:
        client.create_configuration_set(ConfigurationSet={"Name": settings.ses_configuration_set})
    except client.exceptions.ConfigurationSetAlreadyExistsException:
        return
    client.create_configuration_set_event_destination(
        ConfigurationSetName=settings.ses_configuration_set,
        EventDestination={
            "Name": "bounces-and-complaints",
            "Enabled": True,
            "MatchingEventTypes": ["bounce", "complaint"],
            "SNSDestination": {"TopicARN": settings.topic_arn("ses-events")},
        },
    )
