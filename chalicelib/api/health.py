"""GET /health: liveness plus a cheap check that DynamoDB answers."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from chalice.app import Blueprint, Response

from chalicelib import aws
from chalicelib.api.problems import json_response
from chalicelib.api.routes import public
from chalicelib.clock import isoformat, utcnow
from chalicelib.settings import get_settings
from chalicelib.store.models import MentionModel

bp = Blueprint(__name__)


@bp.route("/health", methods=["GET"])
@public("a load balancer's and monitor's probe")
def health() -> Response:
    checks: dict[str, str] = {}
    try:
        aws.dynamodb().describe_table(TableName=MentionModel.Meta.table_name)
        checks["dynamodb"] = "ok"
    except (ClientError, BotoCoreError) as exc:
        checks["dynamodb"] = f"failing: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return json_response(
        {
            "status": "ok" if ok else "degraded",
            "stage": get_settings().stage,
            "checks": checks,
            "time": isoformat(utcnow()),
        },
        status=200 if ok else 503,
        headers={"Cache-Control": "no-store"},
    )
