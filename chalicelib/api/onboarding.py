"""The social media policy (docs/training.md): `/policy`, read and acknowledged by every
signed-in person (with the three ways to report beside it), edited by admins as a new version;
the same as JSON at `/api/policy`."""

from __future__ import annotations

from typing import Any

from chalice.app import Blueprint, Response

from chalicelib.api import forms, schemas
from chalicelib.api.auth import audit, check_csrf, csrf_token, reader_for
from chalicelib.api.problems import json_response, read_form, read_json
from chalicelib.api.routes import caller, needs
from chalicelib.bodies import whole_number
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.flows import onboarding
from chalicelib.i18n import N_
from chalicelib.policy.access import Principal, allows
from chalicelib.settings import get_settings
from chalicelib.store import onboarding as stored
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _render(
    who: Principal, *, done: str = "", problems: list[str] | None = None, status: int = 200, draft: Any = None
) -> Response:
    policy = stored.current()
    return page(
        "policy.html",
        reader=reader_for(bp.current_request),
        status=status,
        person=who.label,
        policy=policy,
        paragraphs=[p.strip() for p in str((policy or {}).get("text", "")).split("\n\n") if p.strip()],
        ack=stored.acknowledgement(who.id),
        may_edit=allows(who.role, "config.write"),
        draft=draft or policy or {},
        reports_address=get_settings().reports_address,
        csrf=csrf_token(who.session_id),
        done=done,
        problems=problems or [],
    )


@bp.route("/policy", methods=["GET"])
@needs("self", page=True)
def policy_page() -> Response:
    who = caller()
    return _render(who)


@bp.route("/policy/acknowledge", methods=["POST"], content_types=["*/*"])
@needs("self", form=forms.ACKNOWLEDGE_FORM, back="/policy")
def acknowledge_policy_from_page() -> Response:
    """ "I have read it": names the version the page showed."""
    request = bp.current_request
    who = caller()
    reader = reader_for(request)
    try:
        form = read_form(request, fields=3)
        check_csrf(form.get("csrf", ""), who.session_id)
        version = whole_number(form.get("version", ""), digits=6)
        if version is None:
            raise InvalidPayload(N_("version: the version you read"), extra={"errors": ["version: a whole number"]})
        policy = onboarding.acknowledge(who.id, version=version, now=utcnow())
        audit(request, who, action="policy.acknowledge", target=f"v{version}")
        done = reader.gettext("Thank you: you acknowledged version %(version)s.") % {"version": policy["version"]}
        return _render(who, done=done)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader)


@bp.route("/policy", methods=["POST"], content_types=["*/*"])
@needs("config.write", form=forms.SOCIAL_POLICY_FORM, back="/policy")
def save_policy_from_page() -> Response:
    """An admin saves the policy's words as its next version."""
    request = bp.current_request
    who = caller()
    reader = reader_for(request)
    form: dict[str, str] = {}
    try:
        form = read_form(request, fields=4)
        check_csrf(form.get("csrf", ""), who.session_id)
        edited = whole_number(form.get("version", ""), digits=6)
        doc = {"title": form.get("title", ""), "text": form.get("text", ""), "version": edited}
        before, after = onboarding.save(doc, by=who.label, now=utcnow())
        audit(request, who, action="policy.save", target=f"v{after['version']}", before=before, after=after)
        done = reader.gettext("Saved as version %(version)s: everyone is asked to read it.") % {
            "version": after["version"]
        }
        return _render(who, done=done)
    except InvalidPayload as exc:
        draft = {"title": form.get("title", ""), "text": form.get("text", "")}
        return _render(who, problems=list(exc.extra.get("errors") or [exc.detail]), status=422, draft=draft)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader)


@bp.route("/api/policy", methods=["GET"])
@needs("self")
def get_social_policy() -> Response:
    """The current version (null before the first) and whether you acknowledged it."""
    who = caller()
    return json_response({"policy": stored.current(), "acknowledged": stored.acknowledgement(who.id)})


@bp.route("/api/policy", methods=["PUT"], content_types=["*/*"])
@needs("config.write", body=schemas.SOCIAL_POLICY)
def put_social_policy() -> Response:
    """`{"title", "text", "version"}` (`version`: the one you edited, 0 for the first)."""
    who = caller()
    before, after = onboarding.save(read_json(bp.current_request), by=who.label, now=utcnow())
    audit(bp.current_request, who, action="policy.save", target=f"v{after['version']}", before=before, after=after)
    return json_response(after)
