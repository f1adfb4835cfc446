"""Create the local stack's AWS resources inside moto from the app's own definitions."""

from __future__ import annotations

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
    s3.create_bucket(Bucket=settings.dark_site_bucket)  # the public dark site (CloudFront on AWS)
    # SES sends the reporters' receipts and outcomes from the reports address's domain.
    ses = boto3.client("ses", region_name=settings.region)
    for domain in settings.company_domains:
        ses.verify_domain_identity(Domain=domain)
    demo.seed()
