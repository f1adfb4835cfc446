"""Sign-in pages: ask for a link by email, open it (a GET shows a button: mail scanners open
links; the POST signs in), single sign-on with the company's provider, sign out. Every form
carries a CSRF token; a failed sign-in is a page that says why, with the problem's status."""

from __future__ import annotations

from urllib.parse import quote

from chalice.app import Blueprint, Response

from chalicelib.api import forms
from chalicelib.api.auth import (
    actor,
    browser_binding,
    check_csrf,
    cleared_session_cookie,
    client_address,
    cookies,
    csrf_token,
    principal,
    reader_for,
    session_cookie,
    session_cookie_name,
)
from chalicelib.api.problems import read_form, unaudited
from chalicelib.api.routes import public, signed
from chalicelib.clock import utcnow
from chalicelib.errors import SharedwatchError
from chalicelib.flows import signin
from chalicelib.i18n import N_
from chalicelib.settings import get_settings
from chalicelib.store import audit, identity
from chalicelib.store.audit import Actor
from chalicelib.web import error_page, page

bp = Blueprint(__name__)


def _form() -> dict[str, str]:
    return read_form(bp.current_request, fields=4)


def _with_cookies(response: Response, *values: str | None) -> Response:
    set_cookies = [v for v in values if v]
    if set_cookies:
        response.headers["Set-Cookie"] = set_cookies if len(set_cookies) > 1 else set_cookies[0]
    return response


def _error(exc: SharedwatchError, *, cookie: str | None = None) -> Response:
    response = error_page(exc, reader=reader_for(bp.current_request))
    if "retry_after" in exc.extra:
        response.headers["Retry-After"] = str(exc.extra["retry_after"])
    return _with_cookies(response, cookie)


def _signin_page(*, next_path: str, status: int = 200, sent: bool = False, email: str = "") -> Response:
    binding, cookie = browser_binding(bp.current_request)
    settings = get_settings()
    who = principal(bp.current_request)
    response = page(
        "signin.html",
        reader=reader_for(bp.current_request),
        status=status,
        csrf=csrf_token(binding),
        next_path=next_path,
        sso=bool(settings.oidc_issuer and settings.oidc_client_id),
        sso_label=settings.oidc_label,
        sent=sent,
        email=email,
        minutes=settings.signin_link_minutes,
        domains=", ".join(settings.company_domains),
        person=who.label if who and who.via == "session" else "",
    )
    return _with_cookies(response, cookie)


def _signed_in(email: str, name: str, via: str, next_path: str, *, profile: dict[str, str] | None = None) -> Response:
    request = bp.current_request
    session_id = signin.start_session(email=email, name=name, via=via, now=utcnow(), profile=profile)
    who = Actor(
        id=email, via=via, source_ip=client_address(request), user_agent=request.headers.get("user-agent") or ""
    )
    audit.record(actor=who, action="session.start", target=email, now=utcnow())
    response = Response(body="", status_code=303, headers={"Location": signin.safe_next(next_path)})
    return _with_cookies(response, session_cookie(session_id))


@bp.route("/signin", methods=["GET"])
@public("the way to sign in")
def signin_page() -> Response:
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    return _signin_page(next_path=signin.safe_next(query.get("next", "/me")))


@bp.route("/signin", methods=["POST"], content_types=["*/*"])
@public("the way to sign in", form=forms.SIGNIN_FORM)
@unaudited("nobody is signed in yet: attempts are counted, and signing in with the link is audited")
def ask_for_link() -> Response:
    request = bp.current_request
    binding, cookie = browser_binding(request)
    try:
        form = _form()
        check_csrf(form.get("csrf", ""), binding if not cookie else "")
        email = signin.normalise_address(form.get("email", ""))
        next_path = signin.safe_next(form.get("next", "/me"))
        signin.request_link(
            email=email, binding=binding, client=client_address(request) or "unknown", next_path=next_path, now=utcnow()
        )
    except SharedwatchError as exc:
        return _error(exc, cookie=cookie)
    return _signin_page(next_path=next_path, sent=True, email=email)


@bp.route("/signin/link/{token}", methods=["GET"])
@signed("signed link", "a mailed sign-in link, bound to the browser that asked")
def open_link(token: str) -> Response:
    binding, cookie = browser_binding(bp.current_request)
    return _with_cookies(
        page("signin_link.html", csrf=csrf_token(binding), reader=reader_for(bp.current_request)), cookie
    )


@bp.route("/signin/link/{token}", methods=["POST"], content_types=["*/*"])
@signed("signed link", "a mailed sign-in link, bound to the browser that asked", form=forms.CSRF_FORM)
def use_link(token: str) -> Response:
    request = bp.current_request
    binding, cookie = browser_binding(request)
    try:
        check_csrf(_form().get("csrf", ""), binding if not cookie else "")
        email, next_path = signin.redeem_link(
            token=token, binding=binding, client=client_address(request) or "unknown", now=utcnow()
        )
    except SharedwatchError as exc:
        return _error(exc, cookie=cookie)
    return _signed_in(email, "", "email link", next_path)


@bp.route("/signin/sso", methods=["GET"])
@public("the way to sign in")
def start_sso() -> Response:
    binding, cookie = browser_binding(bp.current_request)
    query: dict[str, str] = dict(bp.current_request.query_params or {})
    try:
        url = signin.begin_sso(binding=binding, next_path=query.get("next", "/me"), now=utcnow())
    except SharedwatchError as exc:
        return _error(exc, cookie=cookie)
    return _with_cookies(Response(body="", status_code=302, headers={"Location": url}), cookie)


@bp.route("/signin/oidc/callback", methods=["GET"])
@signed("provider answer", "the identity provider's answer, bound to the browser that asked")
def finish_sso() -> Response:
    request = bp.current_request
    binding, _ = browser_binding(request)
    query: dict[str, str] = dict(request.query_params or {})
    try:
        if query.get("error"):
            raise signin.SignInRefused(
                N_("the identity provider said: %(error)s"), values={"error": query.get("error", "")[:80]}
            )
        email, name, next_path, profile = signin.finish_sso(
            state=query.get("state", ""),
            code=query.get("code", ""),
            binding=binding,
            client=client_address(request) or "unknown",
            now=utcnow(),
        )
    except SharedwatchError as exc:
        return _error(exc)
    return _signed_in(email, name, "single sign-on", next_path, profile=profile)


@bp.route("/signout", methods=["POST"], content_types=["*/*"])
@public("signing out (the form's CSRF token is the browser's)", form=forms.CSRF_FORM)
def sign_out() -> Response:
    request = bp.current_request
    session_id = cookies(request).get(session_cookie_name(), "")
    try:
        check_csrf(_form().get("csrf", ""), session_id)
    except SharedwatchError as exc:
        return _error(exc)
    who = principal(request)
    identity.end_session(session_id)
    if who is not None:
        audit.record(actor=actor(request, who), action="session.end", target=who.id, now=utcnow())
    response = Response(body="", status_code=303, headers={"Location": "/signin?next=" + quote("/me")})
    return _with_cookies(response, cleared_session_cookie())
