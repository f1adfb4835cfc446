"""GET /local/outbox: what SNS delivered to stakeholder topics (local stage only; the local
stack subscribes a queue to every group topic and appends each delivery to a file)."""

from __future__ import annotations

import json
from pathlib import Path

from chalice.app import Blueprint, Response

from chalicelib.api.problems import json_response
from chalicelib.errors import NotFound
from chalicelib.i18n import N_
from chalicelib.settings import get_settings

bp = Blueprint(__name__)


@bp.route("/local/outbox", methods=["GET"])
def outbox() -> Response:
    settings = get_settings()
    if not settings.is_local or not settings.local_outbox_path:
        raise NotFound(N_("the outbox exists only in the local stack"))
    path = Path(settings.local_outbox_path)
    entries = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                entries.append(json.loads(line))
    entries.reverse()
    return json_response({"count": len(entries), "deliveries": entries}, headers={"Cache-Control": "no-store"})
