"""Readiness against an account: moto where moto answers (SES's quota and identities, SNS
subscriptions, SSM parameters, CloudWatch alarms), and recorded AWS responses where it does not
(SESv2 GetAccount, SNS's SMS sandbox, origination numbers, and subscriptions pending
confirmation, which moto confirms at once). Recorded responses are played through botocore's
Stubber, which refuses any that does not fit the service's model; the source of each is named
beside it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.flows import readiness
from chalicelib.policy.readiness import BLOCKER, OK, WARNING, ready
from chalicelib.settings import get_settings
from chalicelib.store.config import load_routing
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in, token_for

ACCOUNT = "123456789012"


def _by_check(findings: list[Any]) -> dict[str, Any]:
    return {f.check: f for f in findings}


# -- where moto answers --------------------------------------------------------------------------


def test_on_moto_the_sandbox_quota_and_an_unverified_sender_are_found(harness: Harness) -> None:
    """moto lacks SESv2 GetAccount: the flow falls back to SES GetSendQuota, whose 200 a day is the
    sandbox's. The sender's domain is an SES identity (the stack verified it through SES v1), and
    SESv2 GetEmailIdentity says it is not verified for sending (moto's answer to an identity
    whose DNS records were never checked)."""
    facts, findings = readiness.check()
    by = _by_check(findings)
    assert "NotImplementedError" in facts.ses_account.error
    assert facts.ses_quota.response and facts.ses_quota.response["Max24HourSend"] == 200
    assert by["ses-sandbox"].level == BLOCKER and "the sandbox's quota" in by["ses-sandbox"].seen
    sender = by[f"sender:{get_settings().reports_address}"]
    assert sender.level == BLOCKER and "GetEmailIdentity example.com" in sender.seen
    assert by["sms-sandbox"].level == WARNING and "a new account is in the sandbox" in by["sms-sandbox"].seen
    # the demo groups have the test's queue and no person: nobody hears them
    assert by["groups"].level == BLOCKER and len(load_routing().groups) == len(facts.groups)
    assert by["secrets"].level == OK
    assert not ready(findings)


def test_on_moto_a_missing_secret_and_alarms_nobody_hears_are_found(harness: Harness) -> None:
    settings = get_settings()
    boto3.client("ssm", region_name=settings.region).delete_parameter(Name=settings.parameter_name("signing_key"))
    sns = boto3.client("sns", region_name=settings.region)
    alarms = sns.create_topic(Name=settings.topic_name("alarms"))["TopicArn"]
    boto3.client("cloudwatch", region_name=settings.region).put_metric_alarm(
        AlarmName=f"{settings.resource_prefix}APIHandler-Errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    by = _by_check(readiness.check()[1])
    assert by["secret:signing_key"].level == BLOCKER
    assert by["alarm-subscribers"].level == BLOCKER and "none confirmed" in by["alarm-subscribers"].seen
    assert by["alarms"].level == WARNING and "APIHandler-Errors" in by["alarms"].title
    sns.subscribe(TopicArn=alarms, Protocol="email", Endpoint="ops@example.com")  # moto confirms at once
    assert "alarm-subscribers" not in _by_check(readiness.check()[1])


def test_the_api_and_the_admin_page_show_each_finding_with_its_fix(harness: Harness) -> None:
    token = token_for(harness, "lead@example.com", "lead")
    answer = harness.client.http.get("/api/readiness", headers={"authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    doc = json.loads(answer.body)
    assert doc["ready"] is False and doc["blockers"] >= 2
    assert all(f["fix"] for f in doc["findings"] if f["level"] != OK)
    page = sign_in(harness, "admin@example.com", "admin").get("/admin/readiness")
    assert page.status_code == 200
    text = page.body.decode()
    assert "SES is in its sandbox" in text and "Request production access" in text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]


# -- recorded AWS responses, where moto does not answer -----------------------------------------
#
# Shapes from the AWS API reference's "Response Syntax" (values chosen for the case):
#   SESv2 GetAccount           https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetAccount.html
#   SESv2 GetEmailIdentity     https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_GetEmailIdentity.html
#   SES DescribeActiveReceiptRuleSet
#                              https://docs.aws.amazon.com/ses/latest/APIReference/API_DescribeActiveReceiptRuleSet.html
#   SNS GetSMSSandboxAccountStatus https://docs.aws.amazon.com/sns/latest/api/API_GetSMSSandboxAccountStatus.html
#   SNS ListSMSSandboxPhoneNumbers https://docs.aws.amazon.com/sns/latest/api/API_ListSMSSandboxPhoneNumbers.html
#   SNS GetSMSAttributes       https://docs.aws.amazon.com/sns/latest/api/API_GetSMSAttributes.html
#   SNS ListOriginationNumbers https://docs.aws.amazon.com/sns/latest/api/API_ListOriginationNumbers.html
#                              (PhoneNumberInformation: .../API_PhoneNumberInformation.html)
#   SNS ListSubscriptionsByTopic https://docs.aws.amazon.com/sns/latest/api/API_ListSubscriptionsByTopic.html
#                              ("PendingConfirmation" in place of the ARN until the endpoint confirms:
#                              .../API_Subscribe.html, ReturnSubscriptionArn)

NEW_ACCOUNT = {
    "GetAccount": {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": False,
        "SendingEnabled": True,
        "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0},
    },
    "GetSMSSandboxAccountStatus": {"IsInSandbox": True},
    "ListSMSSandboxPhoneNumbers": {"PhoneNumbers": [{"PhoneNumber": "+447700900123", "Status": "Verified"}]},
    "GetSMSAttributes": {"attributes": {}},
    "ListOriginationNumbers": {"PhoneNumbers": []},
}
READY_ACCOUNT = {
    "GetAccount": {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": True,
        "SendingEnabled": True,
        "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 31.0},
        "Details": {"MailType": "TRANSACTIONAL", "ReviewDetails": {"Status": "GRANTED", "CaseId": "1234567890"}},
    },
    "GetSMSSandboxAccountStatus": {"IsInSandbox": False},
    "ListSMSSandboxPhoneNumbers": {"PhoneNumbers": []},
    "GetSMSAttributes": {"attributes": {"MonthlySpendLimit": "250"}},
    "ListOriginationNumbers": {
        "PhoneNumbers": [
            {
                "CreatedAt": "2026-01-05T10:00:00Z",
                "PhoneNumber": "+18445550100",
                "Status": "ACTIVE",
                "Iso2CountryCode": "US",
                "RouteType": "Transactional",
                "NumberCapabilities": ["SMS", "VOICE"],
            }
        ]
    },
}
VERIFIED_DOMAIN = {
    "IdentityType": "DOMAIN",
    "FeedbackForwardingStatus": True,
    "VerifiedForSendingStatus": True,
    "VerificationStatus": "SUCCESS",
    "DkimAttributes": {
        "SigningEnabled": True,
        "Status": "SUCCESS",
        "Tokens": [
            "vvjuipp74whm76gqoni7qmwwn4w4qusj",
            "3frqe7jn4obpuxjpwpolz6ipb3k5nvt2",
            "wrqplteh7oodxnad7hsl4mixg2uavzne",
        ],
        "SigningAttributesOrigin": "AWS_SES",
    },
}


def _subscriptions(topic: str, *members: tuple[str, str, bool]) -> dict[str, Any]:
    return {
        "Subscriptions": [
            {
                "SubscriptionArn": f"{topic}:0b0c2f3a-1d2e-4f5a-8b9c-{i:012d}" if confirmed else "PendingConfirmation",
                "Owner": ACCOUNT,
                "Protocol": protocol,
                "Endpoint": endpoint,
                "TopicArn": topic,
            }
            for i, (protocol, endpoint, confirmed) in enumerate(members)
        ]
    }


@pytest.fixture
def recorded(harness: Harness) -> Iterator[dict[str, Stubber]]:
    """Stubbers on the very clients the flow uses (aws.py creates each once); SSM, CloudWatch
    and DynamoDB stay moto's."""
    stubs = {"sesv2": Stubber(aws.sesv2()), "ses": Stubber(aws.ses()), "sns": Stubber(aws.sns())}
    for stub in stubs.values():
        stub.activate()
    yield stubs
    for stub in stubs.values():
        stub.assert_no_pending_responses()
        stub.deactivate()


def _play(stubs: dict[str, Stubber], account: dict[str, Any], members: dict[str, list[tuple[str, str, bool]]]) -> None:
    """The answers, in the order the flow asks each client."""
    settings = get_settings()
    sender = settings.reports_address
    stubs["sesv2"].add_response("get_account", account["GetAccount"], {})
    stubs["sesv2"].add_client_error(
        "get_email_identity",
        service_error_code="NotFoundException",
        service_message=f"Email identity {sender} does not exist.",
        http_status_code=404,
        expected_params={"EmailIdentity": sender},
    )
    stubs["sesv2"].add_response("get_email_identity", VERIFIED_DOMAIN, {"EmailIdentity": sender.rpartition("@")[2]})
    stubs["ses"].add_response(
        "describe_active_receipt_rule_set",
        {
            "Metadata": {"Name": f"{settings.resource_prefix}inbound", "CreatedTimestamp": "2026-01-05T10:00:00Z"},
            "Rules": [],
        },
        {},
    )
    sns = stubs["sns"]
    sns.add_response("get_sms_sandbox_account_status", account["GetSMSSandboxAccountStatus"], {})
    sns.add_response("list_sms_sandbox_phone_numbers", account["ListSMSSandboxPhoneNumbers"], {})
    sns.add_response("get_sms_attributes", account["GetSMSAttributes"], {"attributes": ["MonthlySpendLimit"]})
    sns.add_response("list_origination_numbers", account["ListOriginationNumbers"], {})
    for slug in sorted(load_routing().groups):
        topic = settings.group_topic_arn(slug)
        sns.add_response(
            "list_subscriptions_by_topic", _subscriptions(topic, *members.get(slug, [])), {"TopicArn": topic}
        )
    alarms = settings.topic_arn("alarms")
    sns.add_response(
        "list_subscriptions_by_topic",
        _subscriptions(alarms, *members.get("alarms", [])),
        {"TopicArn": alarms},
    )


def test_a_new_account_recorded_lists_the_sandboxes_the_us_number_and_unconfirmed_people(
    recorded: dict[str, Stubber],
) -> None:
    everyone = {slug: [("email", f"{slug}@example.com", True)] for slug in load_routing().groups}
    members = {
        **everyone,
        "crisis-team": [("email", "dana@example.com", False), ("sms", "+12065550123", True)],
        "legal": [("email", "lee@example.com", False)],
        "alarms": [("email", "ops@example.com", False)],
    }
    _play(recorded, NEW_ACCOUNT, members)
    findings = readiness.check()[1]
    by = _by_check(findings)
    assert by["ses-sandbox"].level == BLOCKER and "ProductionAccessEnabled false" in by["ses-sandbox"].seen
    assert by["sms-sandbox"].level == BLOCKER and "1 member number(s)" in by["sms-sandbox"].title
    assert by["sms-origination"].level == BLOCKER
    assert by["sms-spend-limit"].level == WARNING
    assert by["groups"].level == BLOCKER and by["groups"].title.endswith("legal (1 waiting)")
    assert by["subscriptions"].level == WARNING and "crisis-team: 1, legal: 1" in by["subscriptions"].title
    assert by["alarm-subscribers"].level == BLOCKER
    assert by[f"sender:{get_settings().reports_address}"].level == OK  # its domain is verified and signing
    assert by["inbound-mail"].level == OK


def test_an_account_out_of_every_sandbox_recorded_is_ready(recorded: dict[str, Stubber], harness: Harness) -> None:
    settings = get_settings()
    members = {slug: [("email", f"{slug}@example.com", True)] for slug in load_routing().groups}
    members["crisis-team"].append(("sms", "+12065550123", True))
    members["alarms"] = [("email", "ops@example.com", True)]
    boto3.client("cloudwatch", region_name=settings.region).put_metric_alarm(
        AlarmName=f"{settings.resource_prefix}APIHandler-Errors",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=[settings.topic_arn("alarms")],
    )
    _play(recorded, READY_ACCOUNT, members)
    findings = readiness.check()[1]
    assert ready(findings), [f for f in findings if f.level != OK]
    assert [f.level for f in findings] == [OK] * len(findings)
