"""Every request body a route reads, as a Body (chalicelib/bodies.py): its JSON Schema, declared
on the route (`@needs(..., body=RULE)`, api/routes.py), checked there before the view runs (a
422 naming each wrong path), and published as it stands in GET /openapi.json. What a schema
cannot say (a zone exists, a rule's groups do) the flows check after it."""

from __future__ import annotations

from chalicelib.bodies import MAX_NUMBER, Body
from chalicelib.i18n import LANGUAGES
from chalicelib.policy.access import ROLES
from chalicelib.policy.cases import FIELDS as CASE_FIELDS
from chalicelib.policy.rules import CONDITIONS
from chalicelib.sources.base import HANDLE_CAP, ID_CAP, NAME_CAP, TEXT_CAP_CHARS, URL_CAP

SLUG = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_NUMBER}
SLUG_OR_EMPTY = {"type": "string", "pattern": "^$|^[a-z0-9][a-z0-9-]{0,62}$"}
GROUPS = {"type": "array", "items": SLUG, "minItems": 1}
STAMP = {"type": "string", "format": "date-time"}
# A document PUT at a path takes its id from the path; one in the body is replaced by it.
PATH_ID = {"type": "string", "description": "replaced by the id in the path"}

MENTION = {
    "type": "object",
    "required": ["text", "published_at"],
    "properties": {
        "id": {"type": "string", "maxLength": ID_CAP},
        "url": {"type": "string", "format": "uri", "maxLength": URL_CAP, "pattern": "^$|^https?://"},
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

MENTION_DELIVERY = Body(
    "MentionDelivery",
    {
        "type": "object",
        "description": "Standard Webhooks envelope; `mention.batch` carries up to 500 in data.mentions",
        "required": ["type", "data"],
        "properties": {
            "type": {"enum": ["mention.created", "mention.batch"]},
            "timestamp": STAMP,
            "data": {
                "oneOf": [
                    MENTION,
                    {
                        "type": "object",
                        "required": ["mentions"],
                        "properties": {"mentions": {"type": "array", "items": MENTION}},
                    },
                ]
            },
        },
    },
)

RULE = Body(
    "Rule",
    {
        "type": "object",
        "required": ["notify"],
        "properties": {
            "id": PATH_ID,
            "name": {"type": "string"},
            "order": {"type": "integer"},
            # Each condition's name and value are checked by policy/rules.parse_rule, which says which is wrong.
            "when": {"type": "object", "description": "conditions, each of: " + ", ".join(sorted(CONDITIONS))},
            "notify": GROUPS,
            "stop": {"type": "boolean"},
            "owner": SLUG_OR_EMPTY,
            "escalation": SLUG_OR_EMPTY,
        },
    },
)

GROUP = Body(
    "Group",
    {
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
)

MEMBER = Body(
    "Member",
    {
        "type": "object",
        "required": ["protocol", "endpoint"],
        "properties": {
            "protocol": {"enum": ["email", "sms"]},
            "endpoint": {"type": "string"},
            "timezone": {"type": "string"},
            "language": {"enum": list(LANGUAGES), "description": "their messages' language; default en"},
        },
    },
)

POLICY = Body(
    "Policy",
    {
        "type": "object",
        "properties": {
            "id": PATH_ID,
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
)

WINDOW = Body(
    "Window",
    {
        "type": "object",
        "required": ["start", "end"],
        "properties": {"id": PATH_ID, "start": STAMP, "end": STAMP, "groups": GROUPS, "reason": {"type": "string"}},
    },
)

PLANNED_EVENT = Body(
    "PlannedEvent",
    {
        "type": "object",
        "required": ["name", "start", "end"],
        "properties": {
            "id": PATH_ID,
            "name": {"type": "string"},
            "start": STAMP,
            "end": STAMP,
            "series": {"type": "string"},
        },
    },
)

DEPARTMENT = Body(
    "Department",
    {
        "type": "object",
        "required": ["name", "group"],
        "properties": {"name": {"type": "string"}, "group": SLUG},
    },
)

DEFAULT_ROUTE = Body(
    "DefaultRoute",
    {"type": "object", "required": ["groups"], "properties": {"groups": GROUPS}},
)

DISPLAY = Body(
    "Display",
    {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": SLUG,
            "lobby": {"type": "boolean"},
            "department": {"type": "string", "description": "only this department's wall"},
            "brand": {"type": "string", "maxLength": 128, "description": "only this brand's wall"},
        },
    },
)

RULE_TEST = Body(
    "RuleTest",
    {
        "type": "object",
        "properties": {"mention": MENTION, "report": REPORT},
    },
)

TRIAGE_REQUEST = Body(
    "TriageRequest",
    {
        "oneOf": [
            MENTION,
            {
                "type": "object",
                "required": ["mentions"],
                "properties": {"mentions": {"type": "array", "items": MENTION}},
            },
        ]
    },
)

INCIDENT_ACTION = Body(
    "IncidentAction",
    {
        "type": "object",
        "description": "optional: an empty body acts for the incident's owner",
        "properties": {
            "group": {"type": "string", "description": "on whose behalf (default: the incident's owner)"},
            "note": {"type": "string", "description": "on the timeline (resolve); 500 characters kept"},
        },
    },
)

TAXONOMY = Body(
    "Taxonomy",
    {"type": "object", "description": "departments, risk lexicon and watched authors (GET it first)"},
)

PROVISIONING_CLIENT = Body(
    "ProvisioningClient",
    {
        "type": "object",
        "required": ["name"],
        "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 80}},
    },
)

SCIM_MESSAGE = Body(
    "ScimMessage",
    {
        "type": "object",
        "description": "a SCIM resource, PatchOp or SearchRequest (RFC 7643/7644); errors are SCIM Error messages",
        "properties": {"schemas": {"type": "array", "items": {"type": "string"}}},
    },
)

PERSON = Body(
    "Person",
    {
        "type": "object",
        "properties": {
            "role": {"enum": list(ROLES)},
            "name": {"type": "string", "maxLength": 120},
            "department": {"type": "string", "maxLength": 63},
            "disabled": {"type": "boolean"},
            "language": {"enum": ["", *LANGUAGES]},
            "zone": {"type": "string", "description": "an IANA time zone such as Europe/Madrid"},
        },
        "additionalProperties": False,
    },
)

CORRECTION = Body(
    "Correction",
    {
        "type": "object",
        "required": ["field", "value", "why"],
        "properties": {
            "field": {"enum": ["sentiment", "departments", "kudos"]},
            "value": {},
            "why": {"type": "string", "minLength": 1, "maxLength": 300},
        },
        "additionalProperties": False,
    },
)

INCIDENT_NOTE = Body(
    "IncidentNote",
    {
        "type": "object",
        "required": ["note"],
        "properties": {"note": {"type": "string", "maxLength": 1000}},
    },
)

INCIDENT_OWNER = Body(
    "IncidentOwner",
    {"type": "object", "required": ["owner"], "properties": {"owner": {"type": "string"}}},
)

INCIDENT_REPORT = Body(
    "IncidentReport",
    {"type": "object", "required": ["report_id"], "properties": {"report_id": {"type": "string"}}},
)

SCENARIO = Body(
    "Scenario",
    {
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
)

PLAN_TEST = Body(
    "PlanTest",
    {
        "type": "object",
        "description": "Exactly one of mention (the generic source's data shape), story (an id) or facts.",
        "properties": {"mention": {"type": "object"}, "story": {"type": "string"}, "facts": {"type": "object"}},
    },
)

STATEMENT_EDIT = Body(
    "StatementEdit",
    {
        "type": "object",
        "required": ["text", "revision"],
        "properties": {"text": {"type": "string", "minLength": 1, "maxLength": 4000}, "revision": {"type": "integer"}},
    },
)

STATEMENT_APPROVAL = Body(
    "StatementApproval",
    {
        "type": "object",
        "required": ["revision"],
        "properties": {"revision": {"type": "integer"}, "role": {"type": "string"}},
    },
)

PULL_TARGET = Body(
    "PullTarget",
    {
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
)

DRILL_START = Body(
    "DrillStart",
    {
        "type": "object",
        "required": ["scenario"],
        "properties": {"scenario": {"type": "string"}, "pace": {"type": "number", "minimum": 1, "maximum": 60}},
    },
)

WATCH_START = Body(
    "WatchStart",
    {
        "type": "object",
        "required": ["departments"],
        "properties": {
            "departments": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 20},
            "text": {"type": "string", "maxLength": 500},
        },
    },
)

CASE_CARD = Body(
    "CaseCard",
    {
        "type": "object",
        "properties": {
            **{k: {"type": "string", "maxLength": n} for k, n in CASE_FIELDS.items()},
            "approve": {"type": "boolean"},
            "redact": {"type": "boolean"},
            "rev": {"type": "integer", "minimum": 0},
        },
        "additionalProperties": False,
    },
)

SOCIAL_POLICY = Body(
    "SocialPolicy",
    {
        "type": "object",
        "required": ["title", "text"],
        "properties": {
            "title": {"type": "string", "minLength": 1, "maxLength": 120},
            "text": {"type": "string", "minLength": 1, "maxLength": 20000},
            "version": {"type": "integer", "minimum": 0, "description": "the version you edited, 0 for the first"},
        },
    },
)

ACTION_ITEM = Body(
    "ActionItem",
    {
        "type": "object",
        "required": ["text", "owner"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": 300},
            "owner": {"type": "string", "format": "email"},
            "due": {"type": "string", "format": "date"},
        },
    },
)

PEOPLE_CSV = Body(
    "PeopleCsv",
    {"type": "string", "description": "a header line, then a person a line"},
)

TOKEN_REQUEST = Body(
    "TokenRequest",
    {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 80},
            "role": {"enum": list(ROLES)},
            "expires_in_days": {"type": "integer", "minimum": 1, "maximum": 366},
        },
        "additionalProperties": False,
    },
)
