"""Sources, for the team running sharedwatch: each one configured or not, when it last delivered,
what it refused lately, and the pull targets with their cursors and back-off; pull targets are
created here and through the API, validated the same way."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api import schemas
from chalicelib.api.auth import audit
from chalicelib.api.problems import configuration_view, json_response, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import NotFound
from chalicelib.flows.sources import delete_pull_target, overview, put_pull_target
from chalicelib.i18n import N_
from chalicelib.policy.access import allows
from chalicelib.web import page

bp = Blueprint(__name__)


@bp.route("/api/sources", methods=["GET"])
@needs("config.read")
def list_sources() -> Response:
    return json_response(overview(now=utcnow()))


@bp.route("/api/pull-targets/{target_id}", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.PULL_TARGET)
@configuration_view
def put_target(target_id: str) -> Response:
    """`{"source": "rss", "url": ..., "interval_minutes": 15, "brand": ...}`: polled from the next minute."""
    who = caller()
    saved = put_pull_target(target_id[:63], read_json(bp.current_request))
    audit(bp.current_request, who, action="config.pull.save", target=saved["id"], after=saved)
    return json_response(saved)


@bp.route("/api/pull-targets/{target_id}", methods=["DELETE"])
@needs("config.write")
def delete_target(target_id: str) -> Response:
    if not delete_pull_target(target_id[:63]):
        raise NotFound(N_("no pull target %(target_id)s"), values={"target_id": repr(target_id[:40])})
    return Response(body="", status_code=204)


@bp.route("/sources", methods=["GET"])
@needs("config.read", page=True)
def sources_page() -> Response:
    who = caller()
    return page("sources.html", person=who.label, o=overview(now=utcnow()), may_write=allows(who.role, "config.write"))
