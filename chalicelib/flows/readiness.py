"""Readiness: ask the account what would stop a message reaching a person, then let
`policy/readiness.py` judge. Read-only (Get, List and Describe calls) and safe to run any time:
the admin page (/admin/readiness), `GET /api/readiness` and `make doctor` all call `check`.

A call the account refuses or the service does not implement (moto implements neither SESv2's
GetAccount nor SNS's SMS sandbox calls) is kept as the reason it said nothing; the policy judges
it as a new account's default and says so."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from chalicelib import aws, oidc
from chalicelib.errors import ConfigurationMissing
from chalicelib.policy.readiness import Facts, Finding, Reading, assess
from chalicelib.settings import Settings, get_settings
from chalicelib.sources import PULL_REGISTRY, REGISTRY
from chalicelib.store.config import load_routing

SECRETS = ("signing_key", "display_token", "oidc_client_secret")
# A refusal, a failure on the way, an answer that is not the service's (moto server's 500 page for
# a call it does not implement), or moto in-process raising for one.
UNANSWERED = (ClientError, BotoCoreError, ResponseParserError, NotImplementedError)


def _why(exc: Exception) -> str:
    """One line: the service's error code and message, or what came back instead of an answer."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code") or "error"), str(error.get("Message") or "")
    else:
        code, message = type(exc).__name__, str(exc)
    first = message.strip().splitlines()[0] if message.strip() else ""
    if first.startswith("<") or "invalid XML" in first:
        first = "the endpoint's answer is not the service's (it may not implement this call)"
    return f"{code}: {first[:160]}" if first else code


def ask(call: Callable[..., Any], **kwargs: Any) -> Reading:
    """One call's answer, or why there is none."""
    try:
        answer = dict(call(**kwargs))
    except UNANSWERED as exc:
        return Reading(error=_why(exc))
    answer.pop("ResponseMetadata", None)
    return Reading(response=answer)


def ask_pages(client: Any, operation: str, key: str, **kwargs: Any) -> Reading:
    """Every page of a listing, merged under its key."""
    items: list[Any] = []
    try:
        for page in client.get_paginator(operation).paginate(**kwargs):
            items += page.get(key) or []
    except UNANSWERED as exc:
        return Reading(error=_why(exc))
    return Reading(response={key: items})


def _identities(senders: tuple[str, ...]) -> dict[str, Reading]:
    """Each sender's address and its domain as SES identities (either may make it a sender)."""
    found: dict[str, Reading] = {}
    for sender in senders:
        for name in (sender, sender.rpartition("@")[2]):
            if name not in found:
                found[name] = ask(aws.sesv2().get_email_identity, EmailIdentity=name)
    return found


def _parameters(settings: Settings, names: list[str]) -> Reading:
    """Which of the parameters exist (their values are not decrypted: only presence matters)."""
    present: list[dict[str, Any]] = []
    for start in range(0, len(names), 10):  # GetParameters takes at most 10 names
        batch = [settings.parameter_name(n) for n in names[start : start + 10]]
        reading = ask(aws.ssm().get_parameters, Names=batch, WithDecryption=False)
        if not reading.read:
            return reading
        present += [{"Name": p["Name"]} for p in (reading.response or {}).get("Parameters", [])]
    return Reading(response={"Parameters": present})


def _discovery(issuer: str) -> Reading:
    if not issuer:
        return Reading()
    try:
        return Reading(response=oidc.discovery_document(issuer))
    except ConfigurationMissing as exc:
        return Reading(error=exc.detail)


def gather(settings: Settings | None = None) -> Facts:
    settings = settings or get_settings()
    sns, ses = aws.sns(), aws.ses()
    senders = (settings.reports_address,)
    account = ask(aws.sesv2().get_account)
    push_sources = tuple(sorted(slug for slug in REGISTRY if slug not in PULL_REGISTRY))
    return Facts(
        stage=settings.stage,
        region=settings.region,
        local=settings.is_local,
        senders=senders,
        ses_account=account,
        ses_quota=Reading() if account.read else ask(ses.get_send_quota),
        identities=_identities(senders),
        receipt_rules=Reading() if settings.is_local else ask(ses.describe_active_receipt_rule_set),
        receipt_rule_set=f"{settings.resource_prefix}inbound",
        sms_sandbox=ask(sns.get_sms_sandbox_account_status),
        sandbox_numbers=ask_pages(sns, "list_sms_sandbox_phone_numbers", "PhoneNumbers"),
        sms_attributes=ask(sns.get_sms_attributes, attributes=["MonthlySpendLimit"]),
        origination_numbers=ask_pages(sns, "list_origination_numbers", "PhoneNumbers"),
        groups={
            slug: ask_pages(
                sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=settings.group_topic_arn(slug)
            )
            for slug in sorted(load_routing().groups)
        },
        parameters=_parameters(settings, [*SECRETS, *(f"sources/{s}" for s in push_sources)]),
        parameter_prefix=settings.parameter_prefix,
        source_slugs=push_sources,
        oidc_issuer=settings.oidc_issuer,
        discovery=_discovery(settings.oidc_issuer),
        alarm_topic=Reading()
        if settings.is_local
        else ask_pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=settings.topic_arn("alarms")),
        alarms=Reading()
        if settings.is_local
        else ask_pages(aws.cloudwatch(), "describe_alarms", "MetricAlarms", AlarmNamePrefix=settings.resource_prefix),
    )


def check(settings: Settings | None = None) -> tuple[Facts, list[Finding]]:
    facts = gather(settings)
    return facts, assess(facts)
