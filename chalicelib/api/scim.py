"""`/scim/v2`: the directory for identity providers (Okta, Entra ID, Google Workspace, JumpCloud)
over SCIM 2.0. A provisioning client's bearer token (made and revoked in the console) opens it;
a person's token or session does not. Errors are SCIM's own (RFC 7644 §3.12,
`application/scim+json`), never problem+json. The SCIM library is imported here, inside the
routes, so the other routes' cold starts never load it."""

from __future__ import annotations

import json
from urllib.parse import unquote

from chalice.app import Blueprint, Request, Response

from chalicelib.api import schemas
from chalicelib.api.auth import client_address
from chalicelib.api.problems import raw_body
from chalicelib.api.routes import signed
from chalicelib.clock import utcnow
from chalicelib.flows.directory import client_actor, client_for
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
PREFIX = "/scim/v2"
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
MAX_BODY = 1_048_576


def _base_url(request: Request) -> str:
    configured = get_settings().public_base_url
    if configured:
        return configured + PREFIX
    host = request.headers.get("host") or "localhost"
    scheme = request.headers.get("x-forwarded-proto") or "http"
    return f"{scheme}://{host}{PREFIX}"


def _answer(request: Request, path: str) -> Response:
    """Provisioning token: sws_<id>_<secret>."""
    from scim2_server.requests import ScimRequest

    from chalicelib.flows.scim import serve

    scheme, _, presented = (request.headers.get("authorization") or "").partition(" ")
    client = client_for(presented.strip(), now=utcnow()) if scheme.lower() == "bearer" else None
    actor = (
        client_actor(client, source_ip=client_address(request), user_agent=request.headers.get("user-agent") or "")
        if client
        else None
    )
    body = raw_body(request)
    scim_request = ScimRequest(
        method=request.method,
        base_url=_base_url(request),
        path=path,
        query=dict(request.query_params or {}),
        headers=dict(request.headers),
        body=body[: MAX_BODY + 1],
    )
    answer = serve(scim_request, actor=actor)
    payload = "" if answer.body is None else json.dumps(answer.body, ensure_ascii=False)
    return Response(body=payload, status_code=int(answer.status), headers=dict(answer.headers))


@bp.route(PREFIX, methods=METHODS, content_types=["*/*"])
@signed(
    "provisioning token",
    "an identity provider's SCIM client",
    body=schemas.SCIM_MESSAGE,
    media="application/scim+json",
    body_required=False,
)
def scim_root() -> Response:
    """SCIM: the service root (a search with POST /.search lives one level down)."""
    return _answer(bp.current_request, "/")


@bp.route(PREFIX + "/{endpoint}", methods=METHODS, content_types=["*/*"])
@signed(
    "provisioning token",
    "an identity provider's SCIM client",
    body=schemas.SCIM_MESSAGE,
    media="application/scim+json",
    body_required=False,
)
def scim_endpoint(endpoint: str) -> Response:
    """SCIM: Users, Groups, ServiceProviderConfig, Schemas, ResourceTypes, .search."""
    return _answer(bp.current_request, "/" + unquote(endpoint))


@bp.route(PREFIX + "/{endpoint}/{resource_id}", methods=METHODS, content_types=["*/*"])
@signed(
    "provisioning token",
    "an identity provider's SCIM client",
    body=schemas.SCIM_MESSAGE,
    media="application/scim+json",
    body_required=False,
)
def scim_resource(endpoint: str, resource_id: str) -> Response:
    """SCIM: one user, group, schema or resource type (and Users/.search, Groups/.search)."""
    return _answer(bp.current_request, f"/{unquote(endpoint)}/{unquote(resource_id)}")
