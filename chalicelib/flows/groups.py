"""A stakeholder group's languages: the languages its SNS subscribers read, kept on the group
(as its members' zones are), so each message is published once per language they read
(policy/noise.message_languages) and each subscription's filter takes its own."""

from __future__ import annotations

import json
from dataclasses import replace

from chalicelib import aws
from chalicelib.i18n import DEFAULT, supported
from chalicelib.observability import logger
from chalicelib.policy.config import Group
from chalicelib.policy.noise import ANY_LANGUAGE, language_filter, message_languages
from chalicelib.settings import get_settings
from chalicelib.store.config import save_group


def member_language(filter_policy: str) -> str:
    """The language a subscription's filter policy reads (the default for one without)."""
    try:
        values = json.loads(filter_policy or "{}").get("lang") or []
    except (ValueError, AttributeError):
        return DEFAULT
    return next((supported(str(v)) for v in values if v != ANY_LANGUAGE), DEFAULT)


def add_language(group: Group, language: str) -> Group:
    """Keep `language` among the group's. The first other than the default turns the group to one
    message per language: subscriptions from before languages existed (no `lang` in their filter,
    so they would get every version) are given the default's, once."""
    language = supported(language)
    if language in group.languages:
        return group
    before = message_languages(group.languages)
    group = replace(group, languages=tuple(sorted({*group.languages, DEFAULT, language})))
    save_group(group)
    if not before and message_languages(group.languages):
        settle_old_subscriptions(group.slug)
    return group


def settle_old_subscriptions(slug: str) -> int:
    """Give each subscription of the group's topic without a `lang` key the default's (its
    audience kept); how many were changed. Queue and Lambda plumbing is left alone."""
    sns = aws.sns()
    arn = get_settings().group_topic_arn(slug)
    changed = 0
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        for sub in page["Subscriptions"]:
            if sub["Protocol"] not in ("email", "email-json", "sms") or not sub["SubscriptionArn"].startswith("arn:"):
                continue
            attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            policy = json.loads(attributes.get("FilterPolicy") or "{}")
            if "lang" in policy:
                continue
            policy["lang"] = language_filter(DEFAULT)
            sns.set_subscription_attributes(
                SubscriptionArn=sub["SubscriptionArn"], AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
            )
            changed += 1
    if changed:
        logger.info("subscriptions given the default language", extra={"group": slug, "changed": changed})
    return changed
