"""Routing as data (admin token): ordered rules, the default route, escalation policies and
maintenance windows, each validated when saved (a bad one is a 4xx naming what is wrong), and
`POST /api/rules/test`: which rules match a mention or report, and why."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import require
from chalicelib.api.problems import configuration_view, json_response, read_json
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.policy.access import Permission
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.escalation import parse_policy, policy_document
from chalicelib.policy.plan import routing_fields
from chalicelib.policy.rules import decide, parse_rule, rule_document
from chalicelib.records import Report
from chalicelib.sources.base import as_object, mention_from_fields
from chalicelib.store.config import (
    current_taxonomy,
    delete_config,
    load_routing,
    save_default_route,
    save_policy,
    save_rule,
    save_window,
)
from chalicelib.triage import severity_thresholds, triage_mention

bp = Blueprint(__name__)


def _admin_json(permission: Permission = "config.write") -> Any:
    require(bp.current_request, permission)
    return read_json(bp.current_request)


def _unknown_groups(config: RoutingConfig, groups: list[str] | tuple[str, ...], where: str) -> None:
    missing = [g for g in groups if g not in config.groups]
    if missing:
        raise InvalidPayload(
            f"{where}: no group {', '.join(repr(g) for g in missing)}; create it with PUT /api/groups/{{slug}}",
            extra={"errors": [f"{where}: unknown group {g}" for g in missing]},
        )


def _routing_document(config: RoutingConfig) -> dict[str, Any]:
    return {
        "rules": [rule_document(r) for r in sorted(config.rules, key=lambda r: (r.order, r.id))],
        "default_route": list(config.default_groups),
        "policies": [policy_document(p) for p in config.policies.values()],
        "maintenance": [
            {
                "id": w.id,
                "start": w.start.isoformat(),
                "end": w.end.isoformat(),
                "groups": list(w.groups),
                "reason": w.reason,
            }
            for w in config.windows
        ],
    }


@bp.route("/api/rules", methods=["GET"])
def list_rules() -> Response:
    require(bp.current_request, "config.read")
    return json_response(_routing_document(load_routing()))


@bp.route("/api/rules/{rule_id}", methods=["PUT"], content_types=["*/*"])
@configuration_view
def put_rule(rule_id: str) -> Response:
    doc = _admin_json()
    if not isinstance(doc, dict):
        raise InvalidPayload("a rule is a JSON object")
    doc = {**doc, "id": rule_id}
    config = load_routing()
    rule = save_rule_checked(doc, config)
    return json_response(rule_document(rule))


def save_rule_checked(doc: dict[str, Any], config: RoutingConfig) -> Any:
    rule = parse_rule(doc)  # the condition-by-condition errors first
    _unknown_groups(config, rule.notify, "notify")
    if rule.owner:
        _unknown_groups(config, (rule.owner,), "owner")
    if rule.escalation and rule.escalation not in config.policies:
        raise InvalidPayload(f"escalation: no policy {rule.escalation!r}; create it with PUT /api/policies/{{id}}")
    return save_rule(doc)


@bp.route("/api/rules/{rule_id}", methods=["DELETE"])
def delete_rule(rule_id: str) -> Response:
    require(bp.current_request, "config.write")
    if not delete_config("rule", rule_id):
        raise NotFound(f"no rule {rule_id[:63]!r}")
    return Response(body="", status_code=204)


@bp.route("/api/default-route", methods=["PUT"], content_types=["*/*"])
@configuration_view
def put_default_route() -> Response:
    doc = _admin_json()
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) for g in groups):
        raise InvalidPayload("groups: a non-empty list of group slugs (where mentions go when no rule matches)")
    _unknown_groups(load_routing(), groups, "groups")
    save_default_route(groups)
    return json_response({"groups": groups})


@bp.route("/api/policies/{policy_id}", methods=["PUT"], content_types=["*/*"])
@configuration_view
def put_policy(policy_id: str) -> Response:
    doc = _admin_json()
    if not isinstance(doc, dict):
        raise InvalidPayload("an escalation policy is a JSON object")
    policy = parse_policy({**doc, "id": policy_id})
    _unknown_groups(load_routing(), sorted(policy.groups()), "policy")
    return json_response(policy_document(save_policy({**doc, "id": policy_id})))


@bp.route("/api/maintenance/{window_id}", methods=["PUT"], content_types=["*/*"])
@configuration_view
def put_window(window_id: str) -> Response:
    doc = _admin_json()
    if not isinstance(doc, dict):
        raise InvalidPayload("a maintenance window is a JSON object")
    window = save_window({**doc, "id": window_id})
    return json_response({"id": window.id, "start": window.start.isoformat(), "end": window.end.isoformat()})


@bp.route("/api/maintenance/{window_id}", methods=["DELETE"])
def delete_window(window_id: str) -> Response:
    require(bp.current_request, "config.write")
    if not delete_config("maintenance", window_id):
        raise NotFound(f"no maintenance window {window_id[:63]!r}")
    return Response(body="", status_code=204)


@bp.route("/api/rules/test", methods=["POST"], content_types=["*/*"])
def test_rules() -> Response:
    """{"mention": {...generic data shape...}} or {"report": {text, urgency, department, ...}}:
    the triage it gets, every rule's verdict with reasons, and where it would go."""
    doc = _admin_json("config.read")
    if not isinstance(doc, dict):
        raise InvalidPayload('send {"mention": {...}} or {"report": {...}}')
    config = load_routing()
    if "report" in doc:
        item = as_object(doc["report"])
        urgency = item.get("urgency", "normal")
        if urgency not in ("low", "normal", "urgent"):
            raise InvalidPayload("report.urgency: low, normal or urgent")
        signal: Any = Report(
            report_id="test",
            channel="web",
            text=str(item.get("text", "")),
            received_at=utcnow(),
            department=str(item.get("department", "")),
            urgency=urgency,
            platform=str(item.get("platform", "")),
        )
        triage: dict[str, Any] = {}
    elif "mention" in doc:
        errors: list[str] = []
        mention = mention_from_fields(
            doc["mention"], path="mention", source="generic", received_at=utcnow(), delivery_id="", errors=errors
        )
        if errors or mention is None:
            raise InvalidPayload("; ".join(errors) or "mention: not a mention", extra={"errors": errors})
        taxonomy, _ = current_taxonomy()
        signal = triage_mention(mention, taxonomy=taxonomy, thresholds=severity_thresholds())
        triage = {
            "sentiment": signal.sentiment_label,
            "sentiment_score": signal.sentiment_score,
            "departments": list(signal.departments),
            "severity": signal.severity,
            "severity_reasons": list(signal.severity_reasons),
            "kudos": signal.kudos,
        }
    else:
        raise InvalidPayload('send {"mention": {...}} or {"report": {...}}')
    decision = decide(routing_fields(signal), config.rules, config.default_groups)
    return json_response(
        {
            "triage": triage,
            "rules": [
                {"rule": v.rule, "matched": v.matched, "evaluated": v.evaluated, "reasons": list(v.reasons)}
                for v in decision.verdicts
            ],
            "default_route": decision.default_route,
            "notify": [{"group": r.group, "reasons": list(r.reasons)} for r in decision.routes],
            "owner": decision.owner,
            "escalation": decision.escalation or ("default" if "default" in config.policies else ""),
        }
    )
