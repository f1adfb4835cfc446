"""POST|GET /webhooks/{source}: one generic route in front of one adapter module per source."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api import schemas
from chalicelib.api.problems import json_response, media_type, raw_body, unaudited
from chalicelib.api.routes import signed
from chalicelib.clock import utcnow
from chalicelib.errors import PayloadTooLarge, SharedwatchError, UnsupportedMediaType, VerificationFailed
from chalicelib.flows.ingest import ingest
from chalicelib.flows.sources import count_refusal
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.sources import get_source
from chalicelib.sources.base import Delivery, Handshake

bp = Blueprint(__name__)


@bp.route("/webhooks/{source}", methods=["POST"], content_types=["*/*"])
@signed(
    "source signature",
    "each source signs its deliveries (Standard Webhooks, or its own)",
    body=schemas.MENTION_DELIVERY,
)
@unaudited("mentions coming in: each is kept as itself, with its source and delivery id")
def receive(source: str) -> Response:
    adapter = get_source(source)
    try:
        return _receive(source, adapter)
    except SharedwatchError as exc:
        if 400 <= exc.status < 500:  # the sender's mistake: counted for the sources page
            try:
                count_refusal(source, reason=f"{exc.status} {exc.detail}", now=utcnow())
            except Exception:  # the count is a view: the sender still gets its answer
                logger.exception("refusal not counted", extra={"source": source})
        raise


def _receive(source: str, adapter: Any) -> Response:
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
    try:
        adapter.verify(delivery, secrets=credentials.source_secrets(source))
    except VerificationFailed as exc:
        if not getattr(adapter, "acknowledge_unverified", False):
            raise
        # The platform's protocol says: acknowledge, store nothing, tell the sender nothing more.
        logger.warning("unverified delivery ignored", extra={"source": source, "reason": exc.detail})
        return json_response({"received": 0, "stored": 0, "duplicates": 0, "ignored": 1, "ids": []}, status=202)
    parsed = adapter.parse(delivery, received_at=utcnow())
    result = ingest(parsed.mentions, source=source, way="push")
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
@signed("source signature", "a source's subscription handshake, answered with its secret")
def handshake(source: str) -> Response:
    adapter = get_source(source)
    query = dict(bp.current_request.query_params or {})
    answer: Handshake = adapter.handshake(query, secrets=credentials.source_secrets(source))
    return Response(body=answer.body, status_code=200, headers={"Content-Type": answer.content_type})
