"""`/ack/{token}`: the link in every incident notice. GET shows the incident and a button (mail
scanners and link previews open links; a GET never acknowledges); POST acts."""

from __future__ import annotations

from urllib.parse import parse_qsl

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api.problems import media_type, raw_body
from chalicelib.clock import utcnow
from chalicelib.errors import MalformedBody, SharedwatchError, UnsupportedMediaType
from chalicelib.flows.incidents import acknowledge, incident_document, load, resolve
from chalicelib.policy import tokens
from chalicelib.store.config import load_routing
from chalicelib.web import page

bp = Blueprint(__name__)


def _grant(token: str) -> tokens.Grant:
    return tokens.verify(token, key=credentials.signing_key(), now=utcnow())


def _error_page(exc: SharedwatchError) -> Response:
    return page("error.html", status=exc.status, title=exc.title, detail=exc.detail, back="")


def _show(grant: tokens.Grant, *, done: str = "") -> Response:
    row = load(grant.incident_id)
    config = load_routing()
    doc = incident_document(row)
    resolve_token = ""
    if row.status == "acknowledged":
        resolve_token = tokens.mint(
            key=credentials.signing_key(),
            incident_id=row.incident_id,
            action="resolve",
            group=grant.group,
            now=utcnow(),
        )
    return page(
        "ack.html",
        incident=doc,
        action=grant.action,
        group=config.group_name(grant.group),
        owner=config.group_name(row.owner) if row.owner else "",
        resolve_token=resolve_token,
        done=done,
        timeline=doc["timeline"][-8:],
    )


@bp.route("/ack/{token}", methods=["GET"])
def show(token: str) -> Response:
    try:
        return _show(_grant(token))
    except SharedwatchError as exc:
        return _error_page(exc)


@bp.route("/ack/{token}", methods=["POST"], content_types=["*/*"])
def act(token: str) -> Response:
    # Every content type is let in so that a wrong one gets a problem answer, not Chalice's own.
    if media_type(bp.current_request) != "application/x-www-form-urlencoded":
        raise UnsupportedMediaType("post the page's form (application/x-www-form-urlencoded)")
    try:
        try:
            form = dict(parse_qsl(raw_body(bp.current_request).decode("utf-8", "replace"), max_num_fields=10))
        except ValueError:
            raise MalformedBody("the form has more fields than this page sends") from None
        grant = _grant(token)
        by = " ".join(form.get("name", "").split())[:80]
        note = " ".join(form.get("note", "").split())[:500]
        if grant.action == "acknowledge":
            _, changed = acknowledge(incident_id=grant.incident_id, group=grant.group, by=by, now=utcnow())
            done = (
                "Acknowledged: thank you. Its escalation has stopped; the timeline shows who has it."
                if changed
                else "It was already acknowledged."
            )
        else:
            _, changed = resolve(incident_id=grant.incident_id, group=grant.group, by=by, now=utcnow(), note=note)
            done = "Resolved: thank you." if changed else "It was already resolved."
        return _show(grant, done=done)
    except SharedwatchError as exc:
        return _error_page(exc)
