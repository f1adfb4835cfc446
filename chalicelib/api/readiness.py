"""Readiness: what would stop a message reaching a person, each with its fix, as JSON
(`GET /api/readiness`) and as the admin page `/admin/readiness`. `make doctor` prints the same
findings from the operator's machine (infra/doctor.py)."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import require, signed_in
from chalicelib.api.problems import json_response
from chalicelib.flows import readiness
from chalicelib.policy.readiness import BLOCKER, ready
from chalicelib.web import page

bp = Blueprint(__name__)


def readiness_document() -> dict[str, Any]:
    facts, findings = readiness.check()
    return {
        "stage": facts.stage,
        "region": facts.region,
        "ready": ready(findings),
        "blockers": sum(1 for f in findings if f.level == BLOCKER),
        "findings": [f.document() for f in findings],
    }


@bp.route("/api/readiness", methods=["GET"])
def get_readiness() -> Response:
    require(bp.current_request, "config.read")
    return json_response(readiness_document())


@bp.route("/admin/readiness", methods=["GET"])
def readiness_page() -> Response:
    who = signed_in(bp.current_request, "config.read")
    if isinstance(who, Response):
        return who
    return page("readiness.html", person=who.label, r=readiness_document())
