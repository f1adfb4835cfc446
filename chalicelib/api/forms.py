"""Every form a page posts (application/x-www-form-urlencoded, or multipart from a phone's
share menu), as a Body declared on its route (`@needs(..., form=CASE_FORM)`, api/routes.py) and
published in GET /openapi.json. Each field is text; the page reads and checks its own fields and
answers a wrong one with the page and what to fix, not a problem document."""

from __future__ import annotations

from chalicelib.bodies import Body
from chalicelib.policy.cases import FIELDS as CASE_FIELDS

DISPLAY_FORM = Body(
    "DisplayForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string"},
            "lobby": {"type": "string"},
            "department": {"type": "string"},
            "brand": {"type": "string"},
        },
    },
)

REPORT_FORM = Body(
    "ReportForm",
    {
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
)

SHARE_FORM = Body(
    "ShareForm",
    {
        "type": "object",
        "description": "what a phone's share menu sends (the manifest's share_target)",
        "properties": {
            "title": {"type": "string"},
            "text": {"type": "string"},
            "url": {"type": "string"},
            "screenshot": {"type": "string", "format": "binary", "description": "an image (PNG, JPEG, GIF, WebP)"},
        },
    },
)

ACK_FORM = Body(
    "AckForm",
    {"type": "object", "properties": {"csrf": {"type": "string"}}},
)

CSRF_FORM = Body(
    "CsrfForm",
    {"type": "object", "properties": {"csrf": {"type": "string", "description": "the page's CSRF token"}}},
)

DIRECTORY_FORM = Body(
    "DirectoryForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string", "description": "a new provisioning client"},
            "revoke": {"type": "string", "description": "a provisioning client's id"},
            "csv": {"type": "string", "description": "people to import, as CSV"},
        },
    },
)

SIGNIN_FORM = Body(
    "SigninForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "email": {"type": "string"}, "next": {"type": "string"}},
    },
)

INCIDENT_FORM = Body(
    "IncidentForm",
    {
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
)

TOKEN_FORM = Body(
    "TokenForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "name": {"type": "string"},
            "role": {"type": "string"},
            "days": {"type": "string"},
            "revoke": {"type": "string"},
        },
    },
)

CONFIG_FORM = Body(
    "ConfigForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "key": {"type": "string"}, "doc": {"type": "string"}},
    },
)

TESTER_FORM = Body(
    "TesterForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "text": {"type": "string"}, "followers": {"type": "string"}},
    },
)

FOLLOW_FORM = Body(
    "FollowForm",
    {"type": "object", "properties": {"csrf": {"type": "string"}, "stop": {"type": "string"}}},
)

CORRECTION_FORM = Body(
    "CorrectionForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "field": {"type": "string"},
            "value": {"type": "string"},
            "why": {"type": "string"},
        },
    },
)

DRILL_FORM = Body(
    "DrillForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "scenario": {"type": "string"}, "pace": {"type": "string"}},
    },
)

WATCH_FORM = Body(
    "WatchForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "department": {"type": "array", "items": {"type": "string"}},
            "text": {"type": "string", "maxLength": 500},
        },
    },
)

SOCIAL_POLICY_FORM = Body(
    "SocialPolicyForm",
    {
        "type": "object",
        "properties": {
            "csrf": {"type": "string"},
            "title": {"type": "string"},
            "text": {"type": "string"},
            "version": {"type": "string"},
        },
    },
)

RECOGNITION_FORM = Body(
    "RecognitionForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "by_name": {"type": "string", "enum": ["yes"]}},
    },
)

ACKNOWLEDGE_FORM = Body(
    "AcknowledgeForm",
    {
        "type": "object",
        "properties": {"csrf": {"type": "string"}, "version": {"type": "string", "pattern": "^[0-9]{1,6}$"}},
    },
)

SPOT_IT_FORM = Body(
    "SpotItForm",
    {
        "type": "object",
        "required": ["items"],
        "properties": {"csrf": {"type": "string"}, "items": {"type": "string", "description": "the round's item ids"}},
        "patternProperties": {
            "^a_[0-9a-f]{12}$": {"type": "string", "enum": ["nothing", "report", "urgent"]},
            "^d_[0-9a-f]{12}$": {"type": "string", "description": "a department's slug, or empty"},
        },
    },
)

CASE_FORM = Body(
    "CaseForm",
    {
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
)
