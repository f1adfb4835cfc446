"""GET/POST /read/{token}: the one-tap "I've read it" link in every brief, stakeholder update and
statement sent to people. The GET shows the message and a button (mail scanners and link
previews open links: a GET never records); the POST records the read, once."""

from __future__ import annotations

from datetime import datetime

from chalice.app import Blueprint, Response

from chalicelib.api.auth import browser_binding, check_csrf, csrf_token, reader_for
from chalicelib.api.problems import read_form, unaudited
from chalicelib.api.routes import signed
from chalicelib.clock import utcnow
from chalicelib.errors import SharedwatchError
from chalicelib.flows import reach
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _wants_html() -> bool:
    accept = (bp.current_request.headers.get("accept") or "").lower()
    return "text/html" in accept or ("*/*" not in accept and "json" not in accept)


def _refused(exc: SharedwatchError) -> Response:
    reader = reader_for(bp.current_request)
    if _wants_html():
        return error_page(exc, reader=reader)
    raise exc.for_reader(reader)


def _page(message: dict[str, object], *, done: str = "") -> Response:
    request = bp.current_request
    binding, new_cookie = browser_binding(request)
    reader = reader_for(request)
    sent = reader.when(datetime.fromisoformat(str(message["sent_at"])))
    response = page("read.html", reader=reader, message=message, sent=sent, csrf=csrf_token(binding), done=done)
    if new_cookie:
        response.headers["Set-Cookie"] = new_cookie
    return response


@bp.route("/read/{token}", methods=["GET"])
@signed("signed link", "a crisis message's read-confirmation link")
def show_read(token: str) -> Response:
    """The message a read link is for, and the button. Nothing is recorded."""
    try:
        _, message = reach.pending(token, now=utcnow())
    except SharedwatchError as exc:
        return _refused(exc)
    return _page(message)


@bp.route("/read/{token}", methods=["POST"], content_types=["*/*"])
@signed("signed link", "a crisis message's read-confirmation link")
@unaudited("a read is kept as itself: the person's read of the message, once, with its time")
def confirm_read(token: str) -> Response:
    """The person says they read it: counted once, whatever the number of taps."""
    request = bp.current_request
    try:
        _, message = reach.pending(token, now=utcnow())  # a link that is not ours is refused before the form
        check_csrf(read_form(request, fields=4).get("csrf", ""), browser_binding(request)[0])
        _, counted = reach.confirm(token, now=utcnow())
    except SharedwatchError as exc:
        return _refused(exc)
    reader = reader_for(request)
    done = reader.gettext("Thank you: the crisis team knows you have read it.")
    if not counted:
        done = reader.gettext("You had already told us you read it. Thank you.")
    return _page(message, done=done)
