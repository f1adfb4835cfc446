"""Readiness, decided purely: the findings a set of answers from an account makes, without AWS.
The answers have the shapes of the AWS API reference (tests/functional/test_readiness.py plays
the same shapes through botocore's Stubber, which checks them against the service models)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chalicelib.policy.readiness import (
    BLOCKER,
    OK,
    WARNING,
    Facts,
    Finding,
    Reading,
    assess,
    masked,
    ready,
)

PREFIX = "/sharedwatch/prod/"
SOURCES = ("generic", "meta")


def _subs(*subs: tuple[str, str, bool]) -> Reading:
    """ListSubscriptionsByTopic's Subscriptions: (protocol, endpoint, confirmed)."""
    return Reading(
        response={
            "Subscriptions": [
                {
                    "SubscriptionArn": f"arn:aws:sns:us-east-1:123456789012:t:{i}"
                    if confirmed
                    else "PendingConfirmation",
                    "Owner": "123456789012",
                    "Protocol": protocol,
                    "Endpoint": endpoint,
                    "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                }
                for i, (protocol, endpoint, confirmed) in enumerate(subs)
            ]
        }
    )


def _parameters(*names: str) -> Reading:
    return Reading(response={"Parameters": [{"Name": PREFIX + n} for n in names]})


def ready_account() -> Facts:
    """An account that has been through every wall: production SES, SMS out of its sandbox with a
    raised spend limit and a US toll-free number, confirmed members, secrets, alarms heard."""
    return Facts(
        stage="prod",
        region="us-east-1",
        local=False,
        senders=("reports@example.com",),
        ses_account=Reading(
            response={
                "ProductionAccessEnabled": True,
                "SendingEnabled": True,
                "EnforcementStatus": "HEALTHY",
                "SendQuota": {"Max24HourSend": 50000.0, "MaxSendRate": 14.0, "SentLast24Hours": 12.0},
            }
        ),
        identities={
            "reports@example.com": Reading(
                error="NotFoundException: Email identity reports@example.com does not exist."
            ),
            "example.com": Reading(
                response={
                    "IdentityType": "DOMAIN",
                    "VerifiedForSendingStatus": True,
                    "DkimAttributes": {"SigningEnabled": True, "Status": "SUCCESS"},
                }
            ),
        },
        receipt_rules=Reading(response={"Metadata": {"Name": "sharedwatch-prod-inbound"}, "Rules": []}),
        receipt_rule_set="sharedwatch-prod-inbound",
        sms_sandbox=Reading(response={"IsInSandbox": False}),
        sandbox_numbers=Reading(response={"PhoneNumbers": []}),
        sms_attributes=Reading(response={"attributes": {"MonthlySpendLimit": "200"}}),
        origination_numbers=Reading(
            response={
                "PhoneNumbers": [
                    {
                        "PhoneNumber": "+18445550100",
                        "Status": "ACTIVE",
                        "Iso2CountryCode": "US",
                        "RouteType": "Transactional",
                        "NumberCapabilities": ["SMS"],
                    }
                ]
            }
        ),
        groups={
            "crisis-team": _subs(("email", "dana@example.com", True), ("sms", "+12065550123", True)),
            "social-team": _subs(("email", "sam@example.com", True), ("sqs", "arn:aws:sqs:…", True)),
        },
        parameters=_parameters("signing_key", "display_token", "oidc_client_secret", "sources/generic"),
        parameter_prefix=PREFIX,
        source_slugs=SOURCES,
        oidc_issuer="https://idp.example.com",
        discovery=Reading(response={"issuer": "https://idp.example.com"}),
        alarm_topic=_subs(("email", "ops@example.com", True)),
        alarms=Reading(
            response={"MetricAlarms": [{"AlarmName": "sharedwatch-prod-APIHandler-Errors", "AlarmActions": ["arn"]}]}
        ),
    )


def new_account() -> Facts:
    """The same stage the day it was deployed into a new account."""
    return replace(
        ready_account(),
        ses_account=Reading(
            response={
                "ProductionAccessEnabled": False,
                "SendingEnabled": True,
                "EnforcementStatus": "HEALTHY",
                "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0},
            }
        ),
        identities={
            "reports@example.com": Reading(error="NotFoundException: not found"),
            "example.com": Reading(
                response={
                    "IdentityType": "DOMAIN",
                    "VerifiedForSendingStatus": False,
                    "DkimAttributes": {"SigningEnabled": True, "Status": "PENDING"},
                }
            ),
        },
        receipt_rules=Reading(response={}),
        sms_sandbox=Reading(response={"IsInSandbox": True}),
        sandbox_numbers=Reading(response={"PhoneNumbers": [{"PhoneNumber": "+447700900123", "Status": "Verified"}]}),
        sms_attributes=Reading(response={"attributes": {}}),
        origination_numbers=Reading(response={"PhoneNumbers": []}),
        groups={
            "crisis-team": _subs(("email", "dana@example.com", False), ("sms", "+12065550123", True)),
            "social-team": _subs(("email", "sam@example.com", False)),
            "legal": _subs(("sms", "+447700900123", True)),
        },
        alarm_topic=_subs(("email", "ops@example.com", False)),
    )


def _by_check(findings: list[Finding]) -> dict[str, Finding]:
    return {f.check: f for f in findings}


def test_an_account_through_every_wall_is_ready_and_says_what_it_checked() -> None:
    findings = assess(ready_account())
    assert ready(findings)
    assert [f for f in findings if f.level != OK] == []
    checks = set(_by_check(findings))
    assert {"ses-sandbox", "sender:reports@example.com", "inbound-mail", "sms-sandbox", "sms-spend-limit"} <= checks
    assert {"sms-origination", "groups", "secrets", "identity-provider", "alarm-subscribers", "alarms"} - checks == {
        "alarm-subscribers"  # heard: only a problem is a finding of its own
    }


def test_a_new_account_lists_each_wall_with_its_fix_blockers_first() -> None:
    findings = assess(new_account())
    by = _by_check(findings)
    assert not ready(findings)
    assert [f.level for f in findings] == sorted((f.level for f in findings), key=[BLOCKER, WARNING, OK].index)
    assert by["ses-sandbox"].level == BLOCKER and "200 a day" in by["ses-sandbox"].title
    assert "Request production access" in by["ses-sandbox"].fix
    assert (
        by["sender:reports@example.com"].level == BLOCKER and "not verified" in by["sender:reports@example.com"].title
    )
    assert by["inbound-mail"].level == BLOCKER and "set-active-receipt-rule-set" in by["inbound-mail"].fix
    # one member's number is verified in the sandbox, the US one is not
    sms = by["sms-sandbox"]
    assert sms.level == BLOCKER and "1 member number(s)" in sms.title and masked("+12065550123") in sms.title
    assert "+447700900123" not in sms.title  # numbers are never shown whole
    assert by["sms-origination"].level == BLOCKER and "10DLC" in by["sms-origination"].fix
    assert by["sms-spend-limit"].level == WARNING and "USD 1.00" in by["sms-spend-limit"].seen
    assert by["groups"].level == BLOCKER and "social-team" in by["groups"].title
    assert "crisis-team" not in by["groups"].title  # its SMS member needs no confirmation
    assert by["subscriptions"].level == WARNING and "crisis-team: 1" in by["subscriptions"].title
    assert by["alarm-subscribers"].level == BLOCKER
    assert all(f.fix for f in findings if f.level != OK)


def test_an_answer_that_could_not_be_read_is_said_and_judged_as_a_new_accounts() -> None:
    refused = "AuthorizationError: not authorized to perform SNS:GetSMSSandboxAccountStatus"
    facts = replace(
        new_account(),
        ses_account=Reading(error="NotImplementedError: The get_account action has not been implemented"),
        ses_quota=Reading(response={"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0}),
        sms_sandbox=Reading(error=refused),
        sandbox_numbers=Reading(error=refused),
        sms_attributes=Reading(error=refused),
    )
    by = _by_check(assess(facts))
    assert by["ses-sandbox"].level == BLOCKER and "the sandbox's quota" in by["ses-sandbox"].seen
    assert by["sms-sandbox"].level == BLOCKER and refused in by["sms-sandbox"].seen
    assert "a new account is in the sandbox" in by["sms-sandbox"].seen
    assert by["sms-spend-limit"].level == WARNING and refused in by["sms-spend-limit"].seen
    production_quota = replace(facts, ses_quota=Reading(response={"Max24HourSend": 50000.0, "MaxSendRate": 14.0}))
    assert _by_check(assess(production_quota))["ses-sandbox"].level == OK


def test_the_sms_sandbox_warns_before_anyone_has_a_number_and_blocks_once_someone_does() -> None:
    nobody = replace(new_account(), groups={"crisis-team": _subs(("email", "dana@example.com", True))})
    by = _by_check(assess(nobody))
    assert by["sms-sandbox"].level == WARNING
    assert by["sms-origination"].level == OK  # no +1 number yet


def test_a_sender_verified_without_dkim_is_a_warning_and_paused_sending_a_blocker() -> None:
    facts = ready_account()
    unsigned = {"VerifiedForSendingStatus": True, "DkimAttributes": {"SigningEnabled": False, "Status": "NOT_STARTED"}}
    by = _by_check(assess(replace(facts, identities={"reports@example.com": Reading(response=unsigned)})))
    assert by["sender:reports@example.com"].level == WARNING and "spam" in by["sender:reports@example.com"].title
    paused: dict[str, Any] = {**(facts.ses_account.response or {}), "EnforcementStatus": "SHUTDOWN"}
    by = _by_check(assess(replace(facts, ses_account=Reading(response=paused))))
    assert by["ses-sandbox"].level == BLOCKER and "paused" in by["ses-sandbox"].title


def test_missing_secrets_and_a_provider_that_names_another_issuer_are_found() -> None:
    facts = replace(
        ready_account(),
        parameters=_parameters("display_token"),
        discovery=Reading(response={"issuer": "https://idp.example.com/"}),
    )
    by = _by_check(assess(facts))
    assert by["secret:signing_key"].level == BLOCKER and PREFIX + "signing_key" in by["secret:signing_key"].fix
    assert by["secret:oidc_client_secret"].level == BLOCKER
    assert by["secret:sources"].level == WARNING
    assert by["identity-provider"].level == BLOCKER and "another issuer" in by["identity-provider"].title
    gone = replace(facts, discovery=Reading(error="the identity provider did not answer: URLError"))
    assert "does not answer" in _by_check(assess(gone))["identity-provider"].title


def test_the_local_stack_is_not_asked_for_alarms_or_a_receipt_rule() -> None:
    by = _by_check(assess(replace(new_account(), local=True, alarm_topic=Reading(), receipt_rules=Reading())))
    assert by["alarms"].level == OK and "alarm-subscribers" not in by
    assert by["inbound-mail"].level == OK


def test_alarms_without_an_action_are_found() -> None:
    facts = replace(
        ready_account(),
        alarms=Reading(
            response={
                "MetricAlarms": [{"AlarmName": "a", "AlarmActions": []}, {"AlarmName": "b", "AlarmActions": ["x"]}]
            }
        ),
    )
    alarm = _by_check(assess(facts))["alarms"]
    assert alarm.level == WARNING and "1 alarm(s) have no action: a" in alarm.title


def test_a_sender_is_verified_by_its_address_or_by_its_domain() -> None:
    pending_address = {"IdentityType": "EMAIL_ADDRESS", "VerifiedForSendingStatus": False, "DkimAttributes": {}}
    facts = ready_account()
    domain_verified = {**facts.identities, "reports@example.com": Reading(response=pending_address)}
    by = _by_check(assess(replace(facts, identities=domain_verified)))
    assert by["sender:reports@example.com"].level == OK  # SES sends from any address of a verified domain
    neither = {"reports@example.com": Reading(error="NotFoundException: no"), "example.com": Reading(error="x")}
    sender = _by_check(assess(replace(facts, identities=neither)))["sender:reports@example.com"]
    assert sender.level == BLOCKER and "neither the address nor example.com" in sender.title
