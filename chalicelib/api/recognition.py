"""Being thanked by name (docs/training.md): a person's own choice, on their account page."""

from __future__ import annotations

from chalice.app import Blueprint, Response

from chalicelib.api.auth import audit, check_csrf, reader_for
from chalicelib.api.people import _account
from chalicelib.api.problems import read_form
from chalicelib.api.routes import caller, needs
from chalicelib.clock import utcnow
from chalicelib.errors import SharedwatchError
from chalicelib.flows import recognition
from chalicelib.web import error_page

bp = Blueprint(__name__)


@bp.route("/me/recognition", methods=["POST"], content_types=["*/*"])
@needs("self", form="RecognitionForm", back="/me")
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
