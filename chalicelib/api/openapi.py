"""GET /openapi.json: the HTTP contract as OpenAPI 3.1, generated from the routes the app really
registers (every path, method, path parameter and content type Chalice knows), with each
route's permission and body schema read from its declaration (api/routes.py): the schema
published is the one the route checks (api/schemas.py, api/forms.py). The fuzz test
(tests/e2e/test_contract_fuzz.py) throws what this document allows, and what it does not, at
the local stack: never a 5xx."""

from __future__ import annotations

import re
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.problems import MAX_PATH_PARAMETER, json_response
from chalicelib.api.routes import Needs, needs_of, public
from chalicelib.bodies import MAX_DEPTH, Body
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
_PARAM = re.compile(r"{([^}]+)}")

# What the middleware lets through to a route (api/problems.path_parameter_problem).
PATH_PARAMETER = {"type": "string", "minLength": 1, "maxLength": MAX_PATH_PARAMETER}
PROBLEM = {
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
}


def _body(body: Body, declared: Needs) -> dict[str, Any]:
    """A declared route's request body: its schema in its media type."""
    schema = {"$ref": f"#/components/schemas/{body.name}"}
    return {"required": declared.body_required, "content": {declared.media: {"schema": schema}}}


def schemas_of(routes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The components: every body a route declares, by its name (one name, one schema)."""
    found: dict[str, Body] = {}
    for methods in routes.values():
        for entry in methods.values():
            declared = needs_of(entry.view_function)
            body = declared.body if declared is not None else None
            if body is None:
                continue
            if found.setdefault(body.name, body) is not body and found[body.name].schema != body.schema:
                raise ValueError(f"two bodies named {body.name!r}: name one of them apart")
    return {"Problem": PROBLEM} | {name: dict(body.schema) for name, body in sorted(found.items())}


def permission_of(view: Any) -> str:
    """The permission a route's declaration (api/routes.needs) names (what docs/people.md's route
    table lists), "display" for the wall's data, or "" for a route no role opens (anyone may
    call it, or the view checks a signed link, a signature or a provisioning token)."""
    declared = needs_of(view)
    if declared is None:
        return ""
    return declared.label if declared.kind in ("role", "display token") else ""


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
            if declared is not None and declared.body is not None:
                operation["requestBody"] = _body(declared.body, declared)
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
            "schemas": schemas_of(routes),
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
