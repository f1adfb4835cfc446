"""POST /slack/events and POST /slack/interactivity: Slack's Events API and message shortcuts."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api.problems import json_response, raw_body, unaudited
from chalicelib.clock import utcnow
from chalicelib.errors import PayloadTooLarge
from chalicelib.flows.ingest import take_report
from chalicelib.intake import slack
from chalicelib.observability import emit_counts, logger
from chalicelib.settings import get_settings

bp = Blueprint(__name__)
SIGNALS = "a report coming in: kept as itself, with its channel and Slack message"


def _verified_body() -> bytes:
    request = bp.current_request
    body = raw_body(request)
    signing = credentials.source_secrets("slack").get("secret", [])
    slack.verify({k.lower(): v for k, v in request.headers.items()}, body, secrets=signing, now=utcnow())
    if len(body) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {get_settings().max_body_bytes}")
    return body


@bp.route("/slack/events", methods=["POST"], content_types=["*/*"])
@unaudited(SIGNALS)
def events() -> Response:
    try:
        challenge, report = slack.parse_event(_verified_body(), received_at=utcnow())
    except PayloadTooLarge as exc:
        # Slack retries every answer but a 200, for hours: an event that can never be stored is
        # acknowledged and set aside (logged and counted, nothing stored), not refused forever.
        logger.warning("slack event set aside", extra={"reason": exc.detail})
        emit_counts({"ReportsSetAside": 1}, dimensions={"channel": "slack"})
        return json_response({"ok": True, "set_aside": exc.detail})
    if challenge:
        return json_response({"challenge": challenge})
    if report is not None:
        take_report(report)
    return json_response({"ok": True})


@bp.route("/slack/interactivity", methods=["POST"], content_types=["*/*"])
@unaudited(SIGNALS)
def interactivity() -> Response:
    report = slack.parse_shortcut(_verified_body(), received_at=utcnow())
    if report is not None:
        take_report(report)
    return Response(body="", status_code=200)
