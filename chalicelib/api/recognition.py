"""A person's own choices on their account page: being thanked by name (docs/training.md), and
the language and time zone they read in (docs/i18n.md)."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api import forms
from chalicelib.api.auth import actor, audit, check_csrf, reader_for
from chalicelib.api.people import _account
from chalicelib.api.problems import read_form
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import InvalidPayload, SharedwatchError
from chalicelib.flows import people, recognition
from chalicelib.web import error_page

bp = Blueprint(__name__)


@bp.route("/me/recognition", methods=["POST"], content_types=["*/*"])
@needs("self", form=forms.RECOGNITION_FORM, back="/me")
def recognition_choice() -> Response:
    """`by_name=yes` to be named in the team's monthly note for a good catch; absent, the team is."""
    request = bp.current_request
    who = caller()
    reader = reader_for(request)
    try:
        form = read_form(request, fields=3)
        check_csrf(form.get("csrf", ""), who.session_id)
        chosen = form.get("by_name") == "yes"
        before = recognition.by_name(who.id)
        recognition.set_by_name(who.id, by_name=chosen, now=utcnow())
        change = {"before": {"by_name": before}, "after": {"by_name": chosen}}
        audit(request, who, action="person.recognition", target=who.id, **change)
        done = (
            reader.gettext("Saved: your good catches are thanked by name.")
            if chosen
            else reader.gettext("Saved: your good catches are thanked as your team's.")
        )
        return _account(who, done=done)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader)


@bp.route("/me/reading", methods=["POST"], content_types=["*/*"])
@needs("self", page=True)
def reading_choice() -> Response:
    """`language` (a shipped one, or empty) and `zone` (an IANA zone, or empty): empty leaves it
    to the directory or the identity provider. Saved, the account page is shown in the choice."""
    request = bp.current_request
    who = caller()
    reader = reader_for(request)
    try:
        form = read_form(request, fields=3)
        check_csrf(form.get("csrf", ""), who.session_id)
        people.choose_reading(
            who=who,
            actor=actor(request, who),
            language=form.get("language", "")[:12],
            zone=form.get("zone", "")[:64],
            now=utcnow(),
        )
    except InvalidPayload as exc:
        problems = [reader.gettext(str(p)) for p in exc.extra.get("errors") or [exc.detail]]
        return _account(who, status=400, problems=problems)
    except SharedwatchError as exc:
        return error_page(exc, reader=reader)
    # A new request reads the session the choice is now on: the page comes back in it.
    return Response(body="", status_code=303, headers={"Location": "/me"})
