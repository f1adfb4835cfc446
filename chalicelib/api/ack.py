"""`/ack/{token}`: the link in every incident notice by email or SMS. GET shows the incident and
a button (mail scanners and link previews open links; a GET never acknowledges); POST acts. A
signed-in person acknowledges as themselves; otherwise, where the group allows it, the link acts
for the group it was sent to and records the channel, never a typed name. Resolving always asks
for a signed-in responder."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib import credentials
from chalicelib.api import forms
from chalicelib.api.auth import actor, browser_binding, check_csrf, client_address, csrf_token, principal, say
from chalicelib.api.problems import read_form
from chalicelib.api.routes import signed
from chalicelib.clock import utcnow
from chalicelib.errors import SharedwatchError
from chalicelib.flows.incidents import acknowledge, incident_document, load
from chalicelib.i18n import N_
from chalicelib.policy import tokens
from chalicelib.policy.access import allows
from chalicelib.store.audit import Actor, record
from chalicelib.store.config import load_routing
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _grant(token: str) -> tokens.Grant:
    return tokens.verify(token, key=credentials.signing_key(), now=utcnow())


def _show(grant: tokens.Grant, *, done: str = "") -> Response:
    request = bp.current_request
    row = load(grant.incident_id)
    config = load_routing()
    group = config.groups.get(grant.group)
    who = principal(request)
    binding, new_cookie = browser_binding(request)
    doc = incident_document(row)
    response = page(
        "ack.html",
        incident=doc,
        action=grant.action,
        group=config.group_name(grant.group),
        channel=grant.channel,
        owner=config.group_name(row.owner) if row.owner else "",
        person=who.label if who and who.via == "session" else "",
        link_acts=group.link_actions if group else True,
        csrf=csrf_token(binding),
        done=done,
        timeline=doc["timeline"][-8:],
    )
    if new_cookie:
        response.headers["Set-Cookie"] = new_cookie
    return response


@bp.route("/ack/{token}", methods=["GET"])
@signed("signed link", "an alert's acknowledge link")
def show(token: str) -> Response:
    try:
        return _show(_grant(token))
    except SharedwatchError as exc:
        return error_page(exc)


@bp.route("/ack/{token}", methods=["POST"], content_types=["*/*"])
@signed("signed link", "an alert's acknowledge link", form=forms.ACK_FORM)
def act(token: str) -> Response:
    # Every content type is let in so that a wrong one gets a problem answer, not Chalice's own.
    request = bp.current_request
    form = read_form(request, fields=4)
    try:
        grant = _grant(token)
        check_csrf(form.get("csrf", ""), browser_binding(request)[0])
        if grant.action != "acknowledge":
            return _show(grant)  # resolving asks for a signed-in responder: the page links there
        who = principal(request)
        group = load_routing().groups.get(grant.group)
        if who is not None and who.via == "session" and allows(who.role, "incidents.act"):
            by, via = who.label, "signed in, from a message link"
            audit_actor = actor(request, who)
        elif group is None or group.link_actions:
            channel = grant.channel or "message"
            by, via = load_routing().group_name(grant.group), f"{channel} link"
            audit_actor = Actor(
                id=f"group:{grant.group}",
                via=via,
                source_ip=client_address(request),
                user_agent=request.headers.get("user-agent") or "",
            )
        else:
            done = say(request, N_("This group's links ask you to sign in first: sign in, then acknowledge."))
            return _show(grant, done=done)
        _, changed = acknowledge(incident_id=grant.incident_id, group=grant.group, by=by, via=via, now=utcnow())
        record(
            actor=audit_actor,
            action="incident.acknowledge",
            target=grant.incident_id,
            now=utcnow(),
            after={"status": "acknowledged", "by": by, "via": via, "changed": changed},
        )
        done = say(
            request,
            N_(
                "Acknowledged: thank you. Its escalation has stopped, and everyone who was told about it is being "
                "told it is in hand."
            )
            if changed
            else N_("It was already acknowledged."),
        )
        return _show(grant, done=done)
    except SharedwatchError as exc:
        return error_page(exc)
