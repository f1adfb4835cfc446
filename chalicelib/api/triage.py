"""POST /api/triage: the full triage of mentions, without storing anything (admin token).
Admins test the taxonomy with it, and so do evaluations."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api import schemas
from chalicelib.api.problems import json_response, read_json, unaudited
from chalicelib.api.routes import needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.sources.base import mention_from_fields, require_valid
from chalicelib.store.config import current_taxonomy
from chalicelib.triage import severity_thresholds, triage_for

bp = Blueprint(__name__)
MAX_MENTIONS = 500


@bp.route("/api/triage", methods=["POST"], content_types=["*/*"])
@needs("config.read", body=schemas.TRIAGE_REQUEST)
@unaudited("a dry run: nothing is stored or sent")
def triage() -> Response:
    doc = read_json(bp.current_request)
    items = doc.get("mentions") if isinstance(doc, dict) and "mentions" in doc else [doc]
    if not isinstance(items, list) or not items:
        raise InvalidPayload(N_('send one mention in the generic source\'s data shape, or {"mentions": [...]}'))
    if len(items) > MAX_MENTIONS:
        raise InvalidPayload(
            N_("%(count)s mentions, at most %(limit)s"), values={"count": len(items), "limit": MAX_MENTIONS}
        )
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
        t = triage_for(m, taxonomy=taxonomy, thresholds=thresholds)
        results.append({"id": m.external_id or m.url, "identity": m.identity, **t.as_dict()})
    return json_response({"count": len(results), "results": results})
