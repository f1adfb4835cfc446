"""Who is asking, and may they: a session cookie (people in a browser), a personal API token
(automation), a display token (a wall screen), or the break-glass admin token (bootstrap only,
logged every time). Every route that is not public names the permission it needs; forms and
cookie-authenticated writes carry a CSRF token bound to the session or the browser."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import Any

from chalice.app import Request, Response

from chalicelib import credentials
from chalicelib.api.problems import PageRefused, request_path
from chalicelib.clock import utcnow
from chalicelib.errors import Forbidden, Unauthorized
from chalicelib.flows.people import actor_of, token_principal
from chalicelib.flows.signin import Cookie, session_principal
from chalicelib.i18n import N_, Reader, negotiate
from chalicelib.observability import logger
from chalicelib.policy.access import Permission, Principal, allows
from chalicelib.settings import get_settings
from chalicelib.store.audit import Actor, act_as, record

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BROWSER_DAYS = 30
_CACHE_KEY = "sharedwatch.principal"


def session_cookie_name() -> str:
    # __Host-: only this origin over https may set it (no Domain, Path=/, Secure).
    return "__Host-sw_session" if get_settings().secure_cookies else "sw_session"


def browser_cookie_name() -> str:
    return "__Host-sw_browser" if get_settings().secure_cookies else "sw_browser"


def cookies(request: Request) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(request.headers.get("cookie") or "")
    except CookieError:
        return {}
    return {name: morsel.value for name, morsel in jar.items()}


def session_cookie(session_id: str) -> str:
    return Cookie(session_cookie_name(), session_id, get_settings().session_hours * 3600).header()


def cleared_session_cookie() -> str:
    return Cookie(session_cookie_name(), "", 0).header()


def browser_binding(request: Request) -> tuple[str, str | None]:
    """This browser's random binding (what sign-in links and SSO flows are bound to, and what
    pre-sign-in forms' CSRF tokens derive from), and the cookie to set when it is new."""
    value = cookies(request).get(browser_cookie_name(), "")
    if 20 <= len(value) <= 64:
        return value, None
    value = secrets.token_urlsafe(24)
    return value, Cookie(browser_cookie_name(), value, BROWSER_DAYS * 86400).header()


def csrf_token(bound_to: str) -> str:
    mac = hmac.new(credentials.signing_key(), b"sharedwatch-csrf|" + bound_to.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:18]).decode()


def check_csrf(presented: str, bound_to: str) -> None:
    if not bound_to or not presented or not hmac.compare_digest(presented.encode(), csrf_token(bound_to).encode()):
        raise Forbidden(N_("the form's CSRF token is missing or stale: reload the page and try again"))


def _bearer(request: Request) -> str:
    scheme, _, presented = (request.headers.get("authorization") or "").partition(" ")
    return presented.strip() if scheme.lower() == "bearer" else ""


def _break_glass(presented: str) -> bool:
    admin = credentials.token("admin_token")
    return bool(admin) and hmac.compare_digest(presented.encode(), admin.encode())


def principal(request: Request) -> Principal | None:
    """Who the request acts as, or None (resolved once per request)."""
    context = request.context if isinstance(request.context, dict) else {}
    if _CACHE_KEY in context:
        cached: Principal | None = context[_CACHE_KEY]
        return cached
    found = _resolve(request)
    context[_CACHE_KEY] = found
    return found


def _resolve(request: Request) -> Principal | None:
    now = utcnow()
    presented = _bearer(request)
    if presented:
        if presented.startswith("swt_"):
            return token_principal(presented, now=now)
        if _break_glass(presented):
            logger.warning("break-glass admin token used", extra={"path": request.path, "method": request.method})
            return Principal(id="break-glass", name="break-glass admin token", role="admin", via="break-glass")
        return None
    session = cookies(request).get(session_cookie_name(), "")
    return session_principal(session, now=now) if session else None


def reader_for(request: Request) -> Reader:
    """Whose language and zone a page or answer is in: a signed-in person's own (their choice,
    else their identity provider's claims), else what the browser's Accept-Language prefers (in
    UTC: an anonymous visitor's zone is unknown). `?lang=` chooses for a shared link."""
    who = principal(request)
    query: dict[str, str] = dict(request.query_params or {})
    chosen = query.get("lang", "")[:12]
    if who is not None and who.language:
        return Reader.of(chosen or who.language, who.zone)
    header = request.headers.get("accept-language") or ""
    return Reader.of(chosen or negotiate(header), who.zone if who else "")


def say(request: Request, message: str, /, **values: object) -> str:
    """A banner (a whole sentence marked N_ where it is written) in the language of whoever sent
    the form, its %(name)s placeholders filled."""
    return reader_for(request).gettext(message, **values)


def require(request: Request, permission: Permission) -> Principal:
    """The principal, when it holds `permission`: else 401 (nobody) or 403 (not allowed)."""
    found = principal(request)
    if found is None:
        if _bearer(request):
            raise Unauthorized(N_("the token is not valid (it may have expired or been revoked)"))
        raise Unauthorized(N_("sign in, or send Authorization: Bearer <your personal API token>"))
    if not allows(found.role, permission):
        raise Forbidden(
            N_("your role (%(role)s) does not allow this (%(permission)s)"),
            values={"role": found.role, "permission": permission},
        )
    if found.via == "session" and request.method not in SAFE_METHODS:
        # A browser sends cookies on cross-site requests; only our pages know this token.
        check_csrf(request.headers.get("x-csrf-token") or "", found.session_id)
    if request.method not in SAFE_METHODS:
        act_as(actor(request, found))  # what this request changes in the configuration is audited as them
    return found


def signed_in(request: Request, permission: Permission, *, back: str = "") -> Principal:
    """A page's person: signed in (a browser session, never a bearer token) and allowed; else
    PageRefused, raised with the answer the middleware gives instead (to the sign-in page and
    back here, or a 403 page that says why)."""
    from urllib.parse import quote

    from chalicelib.web import page

    found = principal(request)
    if found is None or found.via != "session":
        raise PageRefused(
            Response(
                body="",
                status_code=303,
                headers={"Location": "/signin?next=" + quote(back or request_path(request), safe="")},
            )
        )
    if not allows(found.role, permission):
        raise PageRefused(
            page(
                "error.html",
                status=403,
                title=say(request, N_("Not for your role")),
                detail=say(
                    request,
                    N_("You are signed in as %(label)s, whose role (%(role)s) does not allow this (%(permission)s)."),
                    label=found.label,
                    role=found.role,
                    permission=permission,
                ),
                back="",
                reader=reader_for(request),
            )
        )
    if request.method not in SAFE_METHODS:
        act_as(actor(request, found))  # (each page's form checks its own CSRF token)
    return found


@dataclass(frozen=True, slots=True)
class Screen:
    """What a wall screen may show: a lobby shows no names, handles, links or codes; a scoped
    screen one department's or one brand's wall. Both are the token's property."""

    lobby: bool = False
    department: str = ""
    brand: str = ""


def require_display_token(request: Request) -> Screen | None:
    """A wall screen's token (its Screen), a personal token or session (None: any signed-in
    person may put any wall on their own screen), or the break-glass token."""
    presented = _bearer(request)
    if presented and not presented.startswith("swt_"):
        for screen in credentials.display_screens().values():
            if hmac.compare_digest(presented.encode(), str(screen["token"]).encode()):
                return Screen(bool(screen["lobby"]), screen.get("department", ""), screen.get("brand", ""))
    if principal(request) is not None:
        return None
    raise Unauthorized(N_("the display token is not valid (it may have been revoked)"))


def client_address(request: Request) -> str:
    identity = (request.context or {}).get("identity") or {}
    return str(identity.get("sourceIp") or "")


def actor(request: Request, who: Principal) -> Actor:
    return actor_of(who, source_ip=client_address(request), user_agent=request.headers.get("user-agent") or "")


def audit(request: Request, who: Principal, *, action: str, target: str, before: Any = None, after: Any = None) -> None:
    record(actor=actor(request, who), action=action, target=target, now=utcnow(), before=before, after=after)
