"""POST|GET /webhooks/{source}: one generic route in front of one adapter module per source."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api.problems import json_response, media_type, problem_view, raw_body
from chalicelib.clock import utcnow
from chalicelib.comprehend import score_foreign
from chalicelib.errors import PayloadTooLarge, UnsupportedMediaType, VerificationFailed
from chalicelib.flows.alarms import check_spikes
from chalicelib.observability import emit_counts, logger
from chalicelib.settings import get_settings
from chalicelib.sources import get_source
from chalicelib.sources.base import Delivery, Handshake
from chalicelib.store.config import current_taxonomy
from chalicelib.store.ingest import ingest_mentions
from chalicelib.triage import severity_thresholds, triage_mentions

bp = Blueprint(__name__)
# A delivery that brings this many new, recent mentions runs the spike detector at once: an alarm
# should not wait for the next minute's schedule.
INLINE_SPIKE_CHECK = 20


def check_spikes_now() -> None:
    try:
        check_spikes()
    except Exception:  # the delivery is stored; the schedule runs the detector again in a minute
        logger.exception("inline spike check failed")


@bp.route("/webhooks/{source}", methods=["POST"], content_types=["*/*"])
@problem_view
def receive(source: str) -> Response:
    adapter = get_source(source)
    request = bp.current_request
    body = raw_body(request)
    limit = get_settings().max_body_bytes
    if len(body) > limit:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {limit}")
    if media_type(request) not in adapter.content_types:
        raise UnsupportedMediaType(
            f"content type {media_type(request) or '(none)'!r} is not accepted by source '{source}'; "
            f"send {' or '.join(sorted(adapter.content_types))}"
        )
    delivery = Delivery(
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body,
        query=dict(request.query_params or {}),
    )
    # Every log line of this request carries the sender's delivery id (or API Gateway's).
    logger.set_correlation_id(
        delivery.headers.get("webhook-id")
        or delivery.headers.get("svix-id")
        or delivery.headers.get("x-request-id")
        or (request.context or {}).get("requestId")
    )
    try:
        adapter.verify(delivery, secrets=credentials.source_secrets(source))
    except VerificationFailed as exc:
        if not getattr(adapter, "acknowledge_unverified", False):
            raise
        # The platform's protocol says: acknowledge, store nothing, tell the sender nothing more.
        logger.warning("unverified delivery ignored", extra={"source": source, "reason": exc.detail})
        return json_response({"received": 0, "stored": 0, "duplicates": 0, "ignored": 1, "ids": []}, status=202)
    parsed = adapter.parse(delivery, received_at=utcnow())
    taxonomy, _ = current_taxonomy()
    triaged = triage_mentions(parsed.mentions, taxonomy=taxonomy, thresholds=severity_thresholds())
    result = ingest_mentions(score_foreign(triaged))
    if result.recent >= INLINE_SPIKE_CHECK:  # a live burst, not a backfill of old posts
        check_spikes_now()
    emit_counts(
        {"MentionsReceived": result.received, "MentionsStored": result.stored, "MentionDuplicates": result.duplicates},
        dimensions={"source": source},
    )
    logger.info(
        "webhook ingested",
        extra={"source": source, "received": result.received, "stored": result.stored, "duplicates": result.duplicates},
    )
    return json_response(
        {
            "received": result.received,
            "stored": result.stored,
            "duplicates": result.duplicates,
            "ignored": parsed.ignored,
            "ids": list(result.ids),
        },
        status=202,
    )


@bp.route("/webhooks/{source}", methods=["GET"])
@problem_view
def handshake(source: str) -> Response:
    adapter = get_source(source)
    query = dict(bp.current_request.query_params or {})
    answer: Handshake = adapter.handshake(query, secrets=credentials.source_secrets(source))
    return Response(body=answer.body, status_code=200, headers={"Content-Type": answer.content_type})
