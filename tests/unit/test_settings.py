from __future__ import annotations

from chalicelib.settings import load_settings


def test_names_follow_the_stage_prefix() -> None:
    s = load_settings({"SHAREDWATCH_STAGE": "prod", "AWS_REGION": "eu-west-1", "SHAREDWATCH_ACCOUNT_ID": "111"})
    assert s.table_name("mentions") == "sharedwatch-prod-mentions"
    assert s.group_topic_arn("legal") == "arn:aws:sns:eu-west-1:111:sharedwatch-prod-group-legal"
    assert s.parameter_name("sources/generic") == "/sharedwatch/prod/sources/generic"
    assert s.mentions_stream_arn.startswith("arn:aws:dynamodb:eu-west-1:111:table/sharedwatch-prod-mentions/stream/")
    assert not s.is_local


def test_company_domains_are_lowercased_and_give_the_reports_address() -> None:
    s = load_settings({"SHAREDWATCH_COMPANY_DOMAINS": " Corp.Example , other.example"})
    assert s.company_domains == ("corp.example", "other.example")
    assert s.reports_address == "reports@corp.example"
