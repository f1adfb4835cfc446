"""POST /api/triage: the full triage of mentions, without storing anything (admin token).
Admins test the taxonomy with it, and so do evaluations."""

from __future__ import annotations

import json
from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api.auth import require_token
from chalicelib.api.problems import json_response, media_type, problem_view, raw_body
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, MalformedBody, PayloadTooLarge, UnsupportedMediaType
from chalicelib.settings import get_settings
from chalicelib.sources.base import mention_from_fields, require_valid
from chalicelib.store.config import current_taxonomy
from chalicelib.triage import severity_thresholds, triage_text

bp = Blueprint(__name__)
MAX_MENTIONS = 500


@bp.route("/api/triage", methods=["POST"], content_types=["*/*"])
@problem_view
def triage() -> Response:
    request = bp.current_request
    require_token(request)
    body = raw_body(request)
    if len(body) > get_settings().max_body_bytes:
        raise PayloadTooLarge(f"body is {len(body)} bytes, at most {get_settings().max_body_bytes}")
    if media_type(request) != "application/json":
        raise UnsupportedMediaType('send application/json: one mention, or {"mentions": [...]}')
    try:
        doc: Any = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedBody(f"body is not valid JSON: {exc}") from exc
    items = doc.get("mentions") if isinstance(doc, dict) and "mentions" in doc else [doc]
    if not isinstance(items, list) or not items:
        raise InvalidPayload('send one mention in the generic source\'s data shape, or {"mentions": [...]}')
    if len(items) > MAX_MENTIONS:
        raise InvalidPayload(f"{len(items)} mentions, at most {MAX_MENTIONS}")
    errors: list[str] = []
    now = utcnow()
    mentions = [
        mention_from_fields(
            item, path=f"mentions[{i}]", source="triage", received_at=now, delivery_id="", errors=errors
        )
        for i, item in enumerate(items)
    ]
    require_valid(errors, "invalid mentions")
    thresholds = severity_thresholds()
    taxonomy, _ = current_taxonomy()
    results = []
    for m in mentions:
        assert m is not None
        t = triage_text(
            m.text,
            identity=m.identity,
            lang_hint=m.lang,
            reach=m.author.followers,
            engagement=m.engagement,
            urls=(m.url,) if m.url else (),
            thresholds=thresholds,
            taxonomy=taxonomy,
            watched_author=bool(m.author.handle) and m.author.handle.lower() in taxonomy.watched,
        )
        results.append({"id": m.external_id or m.url, "identity": m.identity, **t.as_dict()})
    return json_response({"count": len(results), "results": results})
