"""Stakeholder groups are SNS topics; creating one is idempotent."""

from __future__ import annotations

from chalicelib import aws
from chalicelib.settings import get_settings


def ensure_group_topic(group: str) -> str:
    name = get_settings().topic_name(f"group-{group}")
    return aws.sns().create_topic(Name=name, Tags=[{"Key": "sharedwatch:group", "Value": group}])["TopicArn"]
