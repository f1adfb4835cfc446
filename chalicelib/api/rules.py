"""Routing as data (admin token): ordered rules, the default route, escalation policies and
maintenance windows, each validated when saved (a bad one is a 4xx naming what is wrong), and
`POST /api/rules/test`: which rules match a mention or report, and why."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import schemas
from chalicelib.api.problems import configuration_view, json_response, read_json, unaudited
from chalicelib.api.routes import needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.flows import configuration
from chalicelib.i18n import N_
from chalicelib.policy.batch import routing_fields
from chalicelib.policy.config import RoutingConfig
from chalicelib.policy.escalation import policy_document
from chalicelib.policy.rules import decide, rule_document
from chalicelib.records import Report
from chalicelib.sources.base import as_object, mention_from_fields
from chalicelib.store.config import (
    current_taxonomy,
    delete_config,
    load_routing,
)
from chalicelib.triage import severity_thresholds, triage_mention, triage_report

bp = Blueprint(__name__)


def _body() -> Any:
    return read_json(bp.current_request)  # after the declared check: a refusal reads no body


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
@needs("config.read")
def list_rules() -> Response:
    return json_response(_routing_document(load_routing()))


@bp.route("/api/rules/{rule_id}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.RULE)
@configuration_view
def put_rule(rule_id: str) -> Response:
    return json_response(configuration.put_rule(rule_id, _body()))


@bp.route("/api/rules/{rule_id}", methods=["DELETE"])
@needs("config.write")
def delete_rule(rule_id: str) -> Response:
    if not delete_config("rule", rule_id):
        raise NotFound(N_("no rule %(rule_id)s"), values={"rule_id": repr(rule_id[:63])})
    return Response(body="", status_code=204)


@bp.route("/api/default-route", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.DEFAULT_ROUTE)
@configuration_view
def put_default_route() -> Response:
    return json_response(configuration.put_default_route("", _body()))


@bp.route("/api/policies/{policy_id}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.POLICY)
@configuration_view
def put_policy(policy_id: str) -> Response:
    return json_response(configuration.put_policy(policy_id, _body()))


@bp.route("/api/maintenance/{window_id}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.WINDOW)
@configuration_view
def put_window(window_id: str) -> Response:
    return json_response(configuration.put_window(window_id, _body()))


@bp.route("/api/maintenance/{window_id}", methods=["DELETE"])
@needs("config.write")
def delete_window(window_id: str) -> Response:
    if not delete_config("maintenance", window_id):
        raise NotFound(N_("no maintenance window %(window_id)s"), values={"window_id": repr(window_id[:63])})
    return Response(body="", status_code=204)


@bp.route("/api/rules/test", methods=["POST"], content_types=["*/*"])
@needs("config.read", body=schemas.RULE_TEST)
@unaudited("a dry run: nothing is stored or sent")
def test_rules() -> Response:
    """{"mention": {...generic data shape...}} or {"report": {text, urgency, department, ...}}:
    the triage it gets, every rule's verdict with reasons, and where it would go."""
    doc = _body()  # an object, a report's urgency one of three: its declared schema (api/schemas.RULE_TEST)
    config = load_routing()
    if "report" in doc:
        item = as_object(doc["report"])
        urgency = item.get("urgency", "normal")
        # As a signed-in employee files it, unless `"signed_in": false` (a public form's "urgent" pages nobody).
        signed_in = item.get("signed_in", True) is not False
        taxonomy, _ = current_taxonomy()
        signal: Any = triage_report(
            Report(
                report_id="test",
                channel="web",
                text=str(item.get("text", "")),
                received_at=utcnow(),
                department=str(item.get("department", "")),
                urgency=urgency,
                platform=str(item.get("platform", "")),
                reporter_email="dry-run@sharedwatch.invalid" if signed_in else "",
                reporter_proof="signed in" if signed_in else "",
            ),
            taxonomy=taxonomy,
            thresholds=severity_thresholds(),
        )
        triage: dict[str, Any] = {
            "sentiment": signal.sentiment_label,
            "departments": list(signal.departments),
            "severity": signal.severity,
            "severity_reasons": list(signal.severity_reasons),
            "urgency_routed": signal.routed_urgency,
        }
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
        raise InvalidPayload(N_('send {"mention": {...}} or {"report": {...}}'))
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
