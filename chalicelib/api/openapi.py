"""GET /openapi.json: the HTTP contract as OpenAPI 3.1, generated from the routes the app really
registers (every path, method, path parameter and content type Chalice knows), with the body
schemas of the routes that take one and the caps the boundary enforces. The fuzz test
(tests/e2e/test_contract_fuzz.py) throws what this document allows, and what it does not, at
the local stack: never a 5xx."""

from __future__ import annotations

import inspect
import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.problems import MAX_PATH_PARAMETER, json_response
from chalicelib.api.routes import Needs, needs_of, public
from chalicelib.bodies import MAX_DEPTH, MAX_NUMBER
from chalicelib.policy.access import ROLES
from chalicelib.policy.cases import FIELDS as CASE_FIELDS
from chalicelib.policy.rules import CONDITIONS
from chalicelib.settings import get_settings
from chalicelib.sources.base import HANDLE_CAP, ID_CAP, NAME_CAP, TEXT_CAP_CHARS, URL_CAP

bp = Blueprint(__name__)
_PARAM = re.compile(r"{([^}]+)}")

SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER}
# What the middleware lets through to a route (api/problems.path_parameter_problem).
PATH_PARAMETER = {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAMETER}
GROUPS = {"type": "array", "items": SLUG, "minItems": 1}
STAMP = {"type": "string", "format": "date-time"}

MENTION = {
    "type": "object",
    "required": ["text", "published_at"],
    "properties": {
        "id": {"type": "string", "maxLength": ID_CAP},
        "url": {"type": "string", "format": "uri", "maxLength": URL_CAP, "pattern": "^https?://"},
        "platform": {"type": "string"},
        "text": {"type": "string", "minLength": 1, "maxLength": TEXT_CAP_CHARS},
        "author": {
            "type": "object",
            "properties": {
                "handle": {"type": "string", "maxLength": HANDLE_CAP},
                "name": {"type": "string", "maxLength": NAME_CAP},
                "followers": COUNT,
                "verified": {"type": "boolean"},
            },
        },
        "published_at": STAMP,
        "lang": {"type": "string", "maxLength": 16},
        "brand": {"type": "string", "maxLength": 128},
        "region": {"type": "string", "maxLength": 64},
        "engagement": {"type": "object", "additionalProperties": COUNT, "maxProperties": 20},
    },
}
REPORT = {
    "type": "object",
    "required": ["text"],
    "properties": {
        "text": {"type": "string", "minLength": 1},
        "urls": {"type": "array", "items": {"type": "string"}},
        "platform": {"type": "string"},
        "department": {"type": "string"},
        "urgency": {"enum": ["low", "normal", "urgent"]},
    },
}
SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "RFC 9457 problem details; `errors` lists each wrong part where there are several",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {},
        },
    },
    "Mention": MENTION,
    "MentionDelivery": {
        "type": "object",
        "description": "Standard Webhooks envelope; `mention.batch` carries up to 500 in data.mentions",
        "required": ["type", "data"],
        "properties": {
            "type": {"enum": ["mention.created", "mention.batch"]},
            "timestamp": STAMP,
            "data": {
                "oneOf": [
                    {"$ref": "#/components/schemas/Mention"},
                    {
                        "type": "object",
                        "required": ["mentions"],
                        "properties": {
                            "mentions": {"type": "array", "items": {"$ref": "#/components/schemas/Mention"}}
                        },
                    },
                ]
            },
        },
    },
    "Rule": {
        "type": "object",
        "required": ["id", "notify"],
        "properties": {
            "id": SLUG,
            "name": {"type": "string"},
            "order": {"type": "integer"},
            "when": {"type": "object", "propertyNames": {"enum": sorted(CONDITIONS)}},
            "notify": GROUPS,
            "stop": {"type": "boolean"},
            "owner": SLUG,
            "escalation": SLUG,
        },
    },
    "Group": {
        "type": "object",
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "description": {"type": "string"},
            "grace_minutes": {"type": "integer", "minimum": 0, "maximum": 120},
            "max_per_hour": {"type": "integer", "minimum": 0, "maximum": 10000},
            "quiet_hours": {"type": "string", "pattern": "^([0-2][0-9]:[0-5][0-9]-[0-2][0-9]:[0-5][0-9])?$"},
            "zone": {"type": "string", "description": "IANA zone of members who name none; empty: the company's"},
            "directory_groups": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 200}},
            "people": {
                "type": "array",
                "maxItems": 2000,
                "items": {"type": "string", "format": "email", "maxLength": 254},
            },
        },
    },
    "Member": {
        "type": "object",
        "required": ["protocol", "endpoint"],
        "properties": {
            "protocol": {"enum": ["email", "sms"]},
            "endpoint": {"type": "string"},
            "timezone": {"type": "string"},
            "language": {"enum": ["en", "es", "de", "ar"], "description": "their messages' language; default en"},
        },
    },
    "Policy": {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": SLUG,
            "name": {"type": "string"},
            "levels": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {"after_minutes": {"type": "integer", "minimum": 1}, "notify": GROUPS},
                },
            },
            "remind_after_hours": {"type": "number", "minimum": 0},
            "jumps": {"type": "object"},
        },
    },
    "Window": {
        "type": "object",
        "required": ["id", "start", "end"],
        "properties": {"id": SLUG, "start": STAMP, "end": STAMP, "groups": GROUPS, "reason": {"type": "string"}},
    },
    "PlannedEvent": {
        "type": "object",
        "required": ["id", "name", "start", "end"],
        "properties": {
            "id": SLUG,
            "name": {"type": "string"},
            "start": STAMP,
            "end": STAMP,
            "series": {"type": "string"},
        },
    },
    "Department": {
        "type": "object",
        "required": ["name", "group"],
        "properties": {"name": {"type": "string"}, "group": SLUG},
    },
    "DefaultRoute": {"type": "object", "required": ["groups"], "properties": {"groups": GROUPS}},
    "Display": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": SLUG,
            "lobby": {"type": "boolean"},
            "department": {"type": "string", "description": "only this department's wall"},
            "brand": {"type": "string", "maxLength": 128, "description": "only this brand's wall"},
        },
    },
    "DisplayForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string"},
            "lobby": {"type": "string"},
            "department": {"type": "string"},
            "brand": {"type": "string"},
        },
    },
    "RuleTest": {
        "type": "object",
        "properties": {"mention": {"$ref": "#/components/schemas/Mention"}, "report": REPORT},
    },
    "TriageRequest": {
        "oneOf": [
            {"$ref": "#/components/schemas/Mention"},
            {
                "type": "object",
                "required": ["mentions"],
                "properties": {"mentions": {"type": "array", "items": {"$ref": "#/components/schemas/Mention"}}},
            },
        ]
    },
    "IncidentAction": {"type": "object", "properties": {"by": {"type": "string"}, "note": {"type": "string"}}},
    "Taxonomy": {"type": "object", "description": "departments, risk lexicon and watched authors (GET it first)"},
    "ReportForm": {
        "type": "object",
        "required": ["text"],
        "properties": {
            "text": {"type": "string"},
            "url": {"type": "string"},
            "platform": {"type": "string"},
            "department": {"type": "string"},
            "urgency": {"enum": ["low", "normal", "urgent"]},
            "email": {"type": "string"},
            "anonymous": {"type": "string"},
            "token": {"type": "string", "description": "the form's own CSRF token"},
            "shared": {"type": "string", "description": "a screenshot shared to the app (POST /report/share)"},
        },
    },
    "ShareForm": {
        "type": "object",
        "description": "what a phone's share menu sends (the manifest's share_target)",
        "properties": {
            "title": {"type": "string"},
            "text": {"type": "string"},
            "url": {"type": "string"},
            "screenshot": {"type": "string", "format": "binary", "description": "an image (PNG, JPEG, GIF, WebP)"},
        },
    },
    "AckForm": {"type": "object", "properties": {"csrf": {"type": "string"}}},
    "CsrfForm": {"type": "object", "properties": {"csrf": {"type": "string", "description": "the page's CSRF token"}}},
    "ProvisioningClient": {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 80}},
    },
    "DirectoryForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string", "description": "a new provisioning client"},
            "revoke": {"type": "string", "description": "a provisioning client's id"},
            "csv": {"type": "string", "description": "people to import, as CSV"},
        },
    },
    "ScimMessage": {
        "type": "object",
        "description": "a SCIM resource, PatchOp or SearchRequest (RFC 7643/7644); errors are SCIM Error messages",
        "properties": {"schemas": {"type": "array", "items": {"type": "string"}}},
    },
    "SigninForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "email": {"type": "string"}, "next": {"type": "string"}},
    },
    "IncidentForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "note": {"type": "string"},
            "owner": {"type": "string"},
            "report": {"type": "string"},
            "task": {"type": "string"},
            "lang": {"type": "string"},
            "revision": {"type": "string"},
            "text": {"type": "string"},
            "role": {"type": "string"},
            "due": {"type": "string"},
            "action_id": {"type": "string"},
        },
    },
    "TokenForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "days": {"type": "string"},
            "revoke": {"type": "string"},
        },
    },
    "Person": {
        "type": "object",
        "properties": {
            "role": {"enum": list(ROLES)},
            "name": {"type": "string", "maxLength": 120},
            "department": {"type": "string", "maxLength": 63},
            "disabled": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    "Correction": {
        "type": "object",
        "required": ["field", "value", "why"],
        "properties": {
            "field": {"enum": ["sentiment", "departments", "kudos"]},
            "value": {},
            "why": {"type": "string", "minLength": 1, "maxLength": 300},
        },
        "additionalProperties": False,
    },
    "IncidentNote": {
        "type": "object",
        "required": ["note"],
        "properties": {"note": {"type": "string", "maxLength": 1000}},
    },
    "IncidentOwner": {"type": "object", "required": ["owner"], "properties": {"owner": {"type": "string"}}},
    "IncidentReport": {"type": "object", "required": ["report_id"], "properties": {"report_id": {"type": "string"}}},
    "ConfigForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "key": {"type": "string"}, "doc": {"type": "string"}},
    },
    "TesterForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "text": {"type": "string"}, "followers": {"type": "string"}},
    },
    "FollowForm": {"type": "object", "properties": {"csrf": {"type": "string"}, "stop": {"type": "string"}}},
    "CorrectionForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "field": {"type": "string"},
            "value": {"type": "string"},
            "why": {"type": "string"},
        },
    },
    "Scenario": {
        "type": "object",
        "description": "A crisis scenario (see docs/crisis-plan.md, 'Writing a scenario'); validated whole.",
        "required": ["name", "triggers", "roles", "checklist", "statements", "approvals"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "order": {"type": "integer", "minimum": 0, "maximum": 10000},
            "scope": {"type": "object"},
            "triggers": {"type": "object"},
            "levels": {"type": "object"},
            "roles": {"type": "object"},
            "stakeholders": {"type": "array"},
            "checklist": {"type": "array"},
            "statements": {"type": "object"},
            "approvals": {"type": "array", "items": {"type": "string"}},
            "brief": {"type": "object"},
            "read_reminder_minutes": {"type": "integer", "minimum": 0, "maximum": 10080},
            "regions": {"type": "object", "description": "region -> {name, places, languages, roles}"},
        },
    },
    "PlanTest": {
        "type": "object",
        "description": "Exactly one of mention (the generic source's data shape), story (an id) or facts.",
        "properties": {"mention": {"type": "object"}, "story": {"type": "string"}, "facts": {"type": "object"}},
    },
    "StatementEdit": {
        "type": "object",
        "required": ["text", "revision"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}, "revision": {"type": "integer"}},
    },
    "StatementApproval": {
        "type": "object",
        "required": ["revision"],
        "properties": {"revision": {"type": "integer"}, "role": {"type": "string"}},
    },
    "PullTarget": {
        "type": "object",
        "required": ["source"],
        "properties": {
            "source": {"type": "string"},
            "url": {"type": "string"},
            "interval_minutes": {"type": "integer", "minimum": 1, "maximum": 1440},
            "brand": {"type": "string"},
            "options": {"type": "object"},
        },
    },
    "DrillStart": {
        "type": "object",
        "required": ["scenario"],
        "properties": {"scenario": {"type": "string"}, "pace": {"type": "number", "minimum": 1, "maximum": 60}},
    },
    "DrillForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "scenario": {"type": "string"}, "pace": {"type": "string"}},
    },
    "WatchStart": {
        "type": "object",
        "required": ["departments"],
        "properties": {
            "departments": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20},
            "text": {"type": "string", "maxLength": 500},
        },
    },
    "WatchForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "department": {"type": "array", "items": {"type": "string"}},
            "text": {"type": "string", "maxLength": 500},
        },
    },
    "CaseCard": {
        "type": "object",
        "properties": {
            **{k: {"type": "string", "maxLength": n} for k, n in CASE_FIELDS.items()},
            "approve": {"type": "boolean"},
            "redact": {"type": "boolean"},
            "rev": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
    "SocialPolicy": {
        "type": "object",
        "required": ["title", "text"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 120},
            "text": {"type": "string", "minLength": 1, "maxLength": 20000},
            "version": {"type": "integer", "minimum": 0, "description": "the version you edited, 0 for the first"},
        },
    },
    "SocialPolicyForm": {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "title": {"type": "string"},
            "text": {"type": "string"},
            "version": {"type": "string"},
        },
    },
    "RecognitionForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "by_name": {"type": "string", "enum": ["yes"]}},
    },
    "AcknowledgeForm": {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "version": {"type": "string", "pattern": "^[0-9]{1,6}$"}},
    },
    "SpotItForm": {
        "type": "object",
        "required": ["items"],
        "properties": {"csrf": {"type": "string"}, "items": {"type": "string", "description": "the round's item ids"}},
        "patternProperties": {
            "^a_[0-9a-f]{12}$": {"type": "string", "enum": ["nothing", "report", "urgent"]},
            "^d_[0-9a-f]{12}$": {"type": "string", "description": "a department's slug, or empty"},
        },
    },
    "CaseForm": {
        "type": "object",
        "required": ["rev"],
        "properties": {
            "csrf": {"type": "string"},
            "rev": {"type": "string", "pattern": "^[0-9]{1,6}$"},
            **{k: {"type": "string", "maxLength": n} for k, n in CASE_FIELDS.items()},
            "keep_names": {"type": "string", "enum": ["yes"]},
            "action": {"type": "string", "enum": ["save", "approve", "withdraw"]},
        },
    },
    "ActionItem": {
        "type": "object",
        "required": ["text", "owner"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 300},
            "owner": {"type": "string", "format": "email"},
            "due": {"type": "string", "format": "date"},
        },
    },
    "PeopleCsv": {"type": "string", "description": "a header line, then a person a line"},
    "TokenRequest": {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "role": {"enum": list(ROLES)},
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 366},
        },
        "additionalProperties": False,
    },
}


def _body(declared: Needs) -> dict[str, Any]:
    """A declared route's request body: its schema in its media type."""
    schema = {"$ref": f"#/components/schemas/{declared.body}"}
    return {"required": declared.body_required, "content": {declared.media: {"schema": schema}}}


def _undeclared(media: str, schema: str) -> dict[str, Any]:
    return {"required": True, "content": {media: {"schema": {"$ref": f"#/components/schemas/{schema}"}}}}


# The request bodies of the views that do not declare theirs yet (api/routes.needs), by the
# view's name: the drills' and departments' routes, being extended beside this change.
BODIES: dict[str, dict[str, Any]] = {
    "follow": _undeclared("application/x-www-form-urlencoded", "FollowForm"),
    "start_from_page": _undeclared("application/x-www-form-urlencoded", "DrillForm"),
    "start_drill": _undeclared("application/json", "DrillStart"),
    "start_watch_from_page": _undeclared("application/x-www-form-urlencoded", "WatchForm"),
}
# Only for the routes not yet declared (the drills' and departments' pages, being extended beside
# this change); it goes when they declare.
_NEEDS = re.compile(r'(?:require|signed_in)\(\s*bp\.current_request,\s*"([a-z.]+)"')


def permission_of(view: Any) -> str:
    """The permission a route's declaration (api/routes.needs) names (what docs/people.md's route
    table lists), "display" for the wall's data, or "" for a route no role opens (anyone may
    call it, or the view checks a signed link, a signature or a provisioning token)."""
    declared = needs_of(view)
    if declared is not None:
        return declared.label if declared.kind in ("role", "display token") else ""
    found = _NEEDS.search(inspect.getsource(view))
    return found.group(1) if found else ""


def _security(permission: str) -> list[dict[str, list[str]]]:
    """A person's API token or session opens /api/* by role; a display token the wall's data."""
    if permission == "display":
        return [{"display": []}, {"token": []}, {"session": []}]
    if permission:
        return [{"token": []}, {"session": []}]
    return []


def _summary(view: Any) -> str:
    doc = (view.__doc__ or "").strip().splitlines()
    return doc[0] if doc else view.__name__.replace("_", " ")


def document(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The OpenAPI document for the routes an app registered."""
    paths: dict[str, Any] = {}
    for path, methods in sorted(routes.items()):
        for method, entry in sorted(methods.items()):
            operation: dict[str, Any] = {
                "operationId": entry.view_name,
                "summary": _summary(entry.view_function),
                "tags": [entry.view_function.__module__.rsplit(".", 1)[-1]],
                "parameters": [
                    {"name": name, "in": "path", "required": True, "schema": PATH_PARAMETER}
                    for name in _PARAM.findall(path)
                ],
                "responses": {
                    "2XX": {"description": "done"},
                    "4XX": {
                        "description": "refused: nothing was changed",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                    "503": {"description": "a dependency is slow or down: retry after Retry-After"},
                },
            }
            declared = needs_of(entry.view_function)
            if declared is not None and declared.body:
                operation["requestBody"] = _body(declared)
            elif entry.view_name in BODIES:
                operation["requestBody"] = BODIES[entry.view_name]
            permission = permission_of(entry.view_function)
            if permission:
                operation["security"] = _security(permission)
                operation["x-permission"] = permission
            if declared is not None and declared.why:
                # What opens a route no role opens (a signed link, a source's signature...), and why.
                operation["x-access"] = {"by": declared.kind, "why": declared.why}
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "sharedwatch",
            "version": "1",
            "description": (
                "Mentions and employee reports in, stakeholders told once. Every JSON body: nesting "
                f"at most {MAX_DEPTH} deep, whole numbers of at most 20 digits, finite numbers, valid Unicode."
            ),
        },
        "servers": [{"url": get_settings().public_base_url}] if get_settings().public_base_url else [],
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "token": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a personal API token (swt_…), acting as its owner at the token's role",
                },
                "session": {"type": "apiKey", "in": "cookie", "name": "__Host-sw_session", "description": "signed in"},
                "display": {"type": "http", "scheme": "bearer", "description": "a screen's display token"},
            },
        },
    }


@bp.route("/openapi.json", methods=["GET"])
@public("the HTTP contract")
def openapi() -> Response:
    """The HTTP contract as OpenAPI 3.1."""
    return json_response(document(bp.current_app.routes), headers={"Cache-Control": "max-age=300"})
