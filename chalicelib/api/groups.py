"""Stakeholder groups and their members (admin token). Each group is an SNS topic; members
subscribe by email or SMS with their time zone and language, which become their subscription's
filter policy (quiet hours are theirs; of a message published once per language, they get
theirs). A group nobody can be reached in is flagged, not silent."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import aws
from chalicelib.api import schemas
from chalicelib.api.auth import audit
from chalicelib.api.problems import configuration_view, json_response, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.flows import configuration, groups
from chalicelib.i18n import DEFAULT, LANGUAGES, N_
from chalicelib.policy.config import Group
from chalicelib.policy.noise import check_zone, member_filter, recipient_zone
from chalicelib.settings import get_settings
from chalicelib.store.config import load_routing, save_group

bp = Blueprint(__name__)
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164, as SNS SMS wants it


def _group(slug: str) -> Group:
    group = load_routing().groups.get(slug)
    if group is None:
        raise NotFound(N_("no group %(slug)s"), values={"slug": repr(slug[:63])})
    return group


def _members(slug: str) -> list[dict[str, Any]]:
    """The group's people (queue and Lambda subscriptions are plumbing, not members)."""
    sns = aws.sns()
    arn = get_settings().group_topic_arn(slug)
    members = []
    for page in sns.get_paginator("list_subscriptions_by_topic").paginate(TopicArn=arn):
        for sub in page["Subscriptions"]:
            if sub["Protocol"] not in ("email", "email-json", "sms"):
                continue
            pending = sub["SubscriptionArn"] in ("PendingConfirmation", "pending confirmation")
            zone, language = "UTC", DEFAULT
            if not pending:
                attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
                pending = attributes.get("PendingConfirmation") == "true"
                audience = json.loads(attributes.get("FilterPolicy") or "{}").get("audience", [])
                if audience and all(str(a).startswith("follow:") for a in audience):
                    continue  # a department's follower: its digests only, not a member of the group
                zone = next((a[3:] for a in audience if isinstance(a, str) and a.startswith("tz:")), "UTC")
                language = groups.member_language(attributes.get("FilterPolicy") or "")
            members.append(
                {
                    "id": sub["SubscriptionArn"].rsplit(":", 1)[-1] if not pending else "",
                    "protocol": sub["Protocol"],
                    "endpoint": sub["Endpoint"],
                    "timezone": zone,
                    "language": language,
                    "state": "pending confirmation" if pending else "confirmed",
                }
            )
    return members


def _summary(group: Group, members: list[dict[str, Any]]) -> dict[str, Any]:
    confirmed = sum(1 for m in members if m["state"] == "confirmed")
    warnings = []
    if not confirmed:
        warnings.append(
            "nobody can be reached in this group: notifications to it reach no one"
            + (" until a member confirms their subscription" if members else "")
        )
    return {**group.document(), "members": len(members), "confirmed": confirmed, "warnings": warnings}


@bp.route("/api/groups", methods=["GET"])
@needs("config.read")
def list_groups() -> Response:
    groups = load_routing().groups
    return json_response(
        {"groups": [_summary(g, _members(g.slug)) for g in sorted(groups.values(), key=lambda g: g.slug)]}
    )


@bp.route("/api/groups/{slug}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.GROUP)
@configuration_view
def put_group(slug: str) -> Response:
    existed = slug in load_routing().groups
    configuration.put_group(slug, read_json(bp.current_request))
    return json_response(_summary(_group(slug), _members(slug)), status=200 if existed else 201)


@bp.route("/api/groups/{slug}/members", methods=["GET"])
@needs("config.read")
def list_members(slug: str) -> Response:
    group = _group(slug)
    members = _members(slug)
    return json_response({**_summary(group, members), "member_list": members})


@bp.route("/api/groups/{slug}/members", methods=["POST"], content_types=["*/*"])
@needs("config.write", body=schemas.MEMBER)
def add_member(slug: str) -> Response:
    who = caller()
    group = _group(slug)
    doc = read_json(bp.current_request)  # an object with protocol (email or sms) and endpoint: api/schemas.MEMBER
    protocol, endpoint = doc["protocol"], str(doc["endpoint"]).strip()
    problems = []
    if protocol == "email" and not _EMAIL.match(endpoint):
        problems.append("endpoint: an email address")
    elif protocol == "sms" and not _PHONE.match(endpoint):
        problems.append("endpoint: a phone number in E.164 form, e.g. +447700900123")
    # Without one, the group's zone, else the company's: their digests and quiet hours follow it.
    zone = str(doc.get("timezone") or recipient_zone(group.zone, get_settings().zone))
    try:
        check_zone(zone)
    except InvalidPayload as exc:
        problems.append(exc.detail)
    language = str(doc.get("language") or DEFAULT)
    if language not in LANGUAGES:
        problems.append(f"language: one of {', '.join(LANGUAGES)}")
    if problems:
        raise InvalidPayload(
            N_("invalid member: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    answer = aws.sns().subscribe(
        TopicArn=get_settings().group_topic_arn(slug),
        Protocol=str(protocol),
        Endpoint=endpoint,
        Attributes={"FilterPolicy": json.dumps(member_filter(zone, language))},
        ReturnSubscriptionArn=True,
    )
    zones = tuple(sorted({*group.zones, zone}))
    if zones != group.zones:
        group = replace(group, zones=zones)
        save_group(group)
    groups.add_language(group, language)
    arn = answer["SubscriptionArn"]
    attributes = aws.sns().get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    state = "pending confirmation" if attributes.get("PendingConfirmation") == "true" else "confirmed"
    audit(
        bp.current_request,
        who,
        action="member.add",
        target=f"{slug}/{arn.rsplit(':', 1)[-1]}",
        after={"protocol": protocol, "endpoint": endpoint, "timezone": zone, "language": language},
    )
    member = {"id": arn.rsplit(":", 1)[-1], "protocol": protocol, "endpoint": endpoint, "timezone": zone}
    return json_response({**member, "language": language, "state": state}, status=201)


@bp.route("/api/groups/{slug}/members/{member_id}", methods=["DELETE"])
@needs("config.write")
def remove_member(slug: str, member_id: str) -> Response:
    who = caller()
    group = _group(slug)
    arn = f"{get_settings().group_topic_arn(slug)}:{member_id}"
    member = next((m for m in _members(slug) if m["id"] == member_id), None)
    if member is None:
        raise NotFound(
            N_("no member %(member_id)s in group %(slug)s"),
            values={"member_id": repr(member_id[:60]), "slug": repr(slug)},
        )
    aws.sns().unsubscribe(SubscriptionArn=arn)
    audit(bp.current_request, who, action="member.remove", target=f"{slug}/{member_id}", before=member)
    left = _members(slug)
    zones = tuple(sorted({m["timezone"] for m in left}))
    languages = tuple(sorted({m["language"] for m in left}))
    save_group(replace(group, zones=zones, languages=languages))
    return Response(body="", status_code=204)


@bp.route("/api/departments", methods=["GET"])
@needs("config.read")
def list_departments() -> Response:
    """Departments and the group that hears about them (and gets their digests)."""
    config = load_routing()
    return json_response(
        {
            "departments": [
                {"slug": d.slug, "name": d.name, "group": d.group, "group_exists": d.group in config.groups}
                for d in sorted(config.departments.values(), key=lambda d: d.slug)
            ]
        }
    )


@bp.route("/api/departments/{slug}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.DEPARTMENT)
@configuration_view
def put_department(slug: str) -> Response:
    return json_response(configuration.put_department(slug, read_json(bp.current_request)))
