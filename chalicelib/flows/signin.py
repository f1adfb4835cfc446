"""Signing people in: a single-use link by email bound to the browser that asked, or single
sign-on with the company's OpenID Connect provider; then a session with an idle and an absolute
lifetime. Failed attempts slow a client down (5 a minute), then stop it (20 an hour), and no
answer says whether an address is known."""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib import credentials, oidc
from chalicelib.clock import isoformat, parse_timestamp
from chalicelib.errors import NotFound, SharedwatchError, TooManyRequests, Unauthorized
from chalicelib.i18n import N_, supported
from chalicelib.i18n import zone as zone_named
from chalicelib.notify.mail import send_mail
from chalicelib.observability import logger
from chalicelib.policy.access import Principal, parse_role
from chalicelib.settings import get_settings
from chalicelib.store import identity

LINKS_PER_ADDRESS = 3  # per quarter hour: more mail to one inbox is a nuisance, not a sign-in
LINKS_PER_CLIENT = 10
QUARTER = timedelta(minutes=15)
FAILURES_PER_MINUTE = 5
FAILURES_PER_HOUR = 20
OIDC_FLOW = timedelta(minutes=10)
TOUCH_EVERY = timedelta(minutes=1)


class SignInRefused(Unauthorized):
    title = N_("Sign-in refused")
    slug = "sign-in-refused"


def is_company_address(email: str) -> bool:
    local, _, domain = email.rpartition("@")
    return bool(local) and domain in get_settings().company_domains


def normalise_address(value: str) -> str:
    return value.strip().lower()[:254]


_NEXT = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~/?#\[\]@!$&'()*+,;=%]{0,510}")


def safe_next(value: str) -> str:
    """Where to go after sign-in: a path on this site only (never another origin), in URL
    characters only (it becomes a Location header: no CR/LF, no spaces)."""
    return value if _NEXT.fullmatch(value) else "/me"


def _check_failures(client: str, now: datetime) -> None:
    minute = identity.attempts(scope="fail-m", key=client, window=timedelta(minutes=1), now=now)
    hour = identity.attempts(scope="fail-h", key=client, window=timedelta(hours=1), now=now)
    if hour >= FAILURES_PER_HOUR:
        raise TooManyRequests(
            N_("too many failed sign-ins from here: try again in an hour"), extra={"retry_after": 3600}
        )
    if minute >= FAILURES_PER_MINUTE:
        raise TooManyRequests(N_("too many failed sign-ins: wait a minute"), extra={"retry_after": 60})


def _fail(client: str, now: datetime, error: SharedwatchError) -> SharedwatchError:
    identity.count_attempt(scope="fail-m", key=client, window=timedelta(minutes=1), now=now)
    identity.count_attempt(scope="fail-h", key=client, window=timedelta(hours=1), now=now)
    logger.info("sign-in failed", extra={"problem": error.slug})
    return error


# Email links ----------------------------------------------------------------------------------


def request_link(*, email: str, binding: str, client: str, next_path: str, now: datetime) -> None:
    """Mail a sign-in link to a company address. The answer is the same whether or not it went
    (a known address, an unknown one, or one over its limit), so it reveals nothing."""
    _check_failures(client, now)
    if identity.count_attempt(scope="link-client", key=client, window=QUARTER, now=now) > LINKS_PER_CLIENT:
        raise TooManyRequests(
            N_("too many sign-in links asked from here: try again in 15 minutes"), extra={"retry_after": 900}
        )
    if not is_company_address(email):
        return
    if identity.count_attempt(scope="link-address", key=email, window=QUARTER, now=now) > LINKS_PER_ADDRESS:
        logger.info("sign-in link not sent: the address is over its limit")
        return
    settings = get_settings()
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=settings.signin_link_minutes)
    identity.save_link(
        token=token,
        doc={"email": email, "binding": identity.digest(binding), "next": safe_next(next_path)},
        expires_at=expires,
    )
    send_mail(
        delivery_id=f"signin-{identity.digest(token)[:32]}",
        to=email,
        subject="Your sharedwatch sign-in link",
        body="\n".join(
            [
                "Open this link in the browser where you asked for it to sign in to sharedwatch:",
                "",
                f"{settings.public_base_url}/signin/link/{token}",
                "",
                f"It works once, until {isoformat(expires)[11:16]} UTC. If you did not ask for it, ignore this mail.",
            ]
        ),
        item_id="signin",
        kind="signin",
    )


def redeem_link(*, token: str, binding: str, client: str, now: datetime) -> tuple[str, str]:
    """(address, where to go next) for a valid, unused link opened in the browser that asked."""
    _check_failures(client, now)
    unused = SignInRefused("this sign-in link is not valid: it may have been used or expired")
    found = identity.peek_link(token, now=now) if 20 <= len(token) <= 64 else None
    if found is None:
        raise _fail(client, now, unused)
    # Checked before the link is used up: another browser's try leaves it for its owner.
    if not binding or not hmac.compare_digest(str(found.get("binding", "")), identity.digest(binding)):
        raise _fail(
            client, now, SignInRefused("open the link in the browser where you asked for it (this one did not ask)")
        )
    if identity.take_link(token, now=now) is None:  # used a moment ago (a double click, a race)
        raise _fail(client, now, unused)
    return str(found["email"]), str(found.get("next") or "/me")


# Single sign-on -------------------------------------------------------------------------------


def redirect_uri() -> str:
    return f"{get_settings().public_base_url}/signin/oidc/callback"


def begin_sso(*, binding: str, next_path: str, now: datetime) -> str:
    """Where to send the browser: the provider's authorization endpoint, with state, nonce and a
    PKCE challenge; what the callback needs is kept under the state, bound to this browser."""
    settings = get_settings()
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise NotFound(N_("single sign-on is not set up here: ask for a link by email"))
    provider = oidc.discover(settings.oidc_issuer)
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    verifier, challenge = oidc.pkce_pair()
    identity.save_flow(
        state=state,
        doc={"binding": identity.digest(binding), "nonce": nonce, "verifier": verifier, "next": safe_next(next_path)},
        expires_at=now + OIDC_FLOW,
    )
    return oidc.authorization_url(
        provider,
        client_id=settings.oidc_client_id,
        redirect_uri=redirect_uri(),
        state=state,
        nonce=nonce,
        challenge=challenge,
    )


def finish_sso(
    *, state: str, code: str, binding: str, client: str, now: datetime
) -> tuple[str, str, str, dict[str, str]]:
    """(address, name, where to go next, language and zone) once the provider's answer checks out."""
    _check_failures(client, now)
    settings = get_settings()
    flow = identity.take_flow(state, now=now) if state and len(state) <= 64 else None
    if flow is None or not binding or not hmac.compare_digest(str(flow["binding"]), identity.digest(binding)):
        raise _fail(client, now, SignInRefused("this sign-in was not started in this browser, or took too long"))
    provider = oidc.discover(settings.oidc_issuer)
    try:
        id_token, access_token = oidc.exchange(
            provider,
            client_id=settings.oidc_client_id,
            client_secret=credentials.token("oidc_client_secret"),
            code=code[:2048],
            redirect_uri=redirect_uri(),
            verifier=str(flow["verifier"]),
        )
        claims = oidc.verify_id_token(provider, id_token, client_id=settings.oidc_client_id, nonce=str(flow["nonce"]))
        if "email" not in claims:
            claims = {**oidc.userinfo(provider, access_token=access_token, subject=str(claims["sub"])), **claims}
    except Unauthorized as exc:
        raise _fail(client, now, SignInRefused(exc.detail)) from None
    email = normalise_address(str(claims.get("email", "")))
    if claims.get("email_verified") is False or not is_company_address(email):
        raise _fail(client, now, SignInRefused("the provider did not vouch for a company address"))
    return email, str(claims.get("name", ""))[:120], str(flow["next"]), profile_claims(claims)


def profile_claims(claims: dict[str, Any]) -> dict[str, str]:
    """The reader's language and zone from OpenID Connect's standard `locale` (a BCP 47 tag)
    and `zoneinfo` (an IANA zone) claims; anything else is dropped."""
    locale, zone = str(claims.get("locale", ""))[:35], str(claims.get("zoneinfo", ""))[:64]
    shipped = supported(locale)
    return {
        "locale": shipped if locale.replace("_", "-").split("-")[0].lower() == shipped else "",
        "zoneinfo": zone if zone_named(zone) is not None else "",
    }


# Sessions -------------------------------------------------------------------------------------


def start_session(*, email: str, name: str, via: str, now: datetime, profile: dict[str, str] | None = None) -> str:
    settings = get_settings()
    # The secret, then whose session it is: a page reads the session and the person in one
    # request. The whole value is what the stored digest is of, so the name cannot be swapped.
    session_id = f"{secrets.token_urlsafe(32)}.{_encode(email)}"
    identity.create_session(
        session_id=session_id,
        doc={
            "email": email,
            "name": name,
            "via": via,
            "created_at": isoformat(now),
            "seen_at": isoformat(now),
            **(profile or {}),
            # Their own choice on /me, read once here rather than on every request.
            **{f"chosen_{k}": v for k, v in identity.get_choice(email).items()},
        },
        expires_at=now + timedelta(hours=settings.session_hours),
    )
    logger.info("signed in", extra={"via": via})
    return session_id


def _encode(email: str) -> str:
    return base64.urlsafe_b64encode(email.encode()).decode().rstrip("=")


def _decode(named: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(named + "=" * (-len(named) % 4)).decode()
    except ValueError:  # binascii.Error and UnicodeDecodeError both are
        return None


def _session_and_person(session_id: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    secret, dot, named = session_id.partition(".")
    if not dot:
        # A session started before cookies named their person (until its hours are out): two reads.
        doc = identity.load_session(session_id) if 20 <= len(session_id) <= 64 else None
        return doc, (identity.get_person(str(doc["email"])) if doc else None)
    email = _decode(named)
    if not 40 <= len(secret) <= 64 or not email or len(email) > 254:
        return None, None
    doc, who = identity.load_session_and_person(session_id, email)
    return (doc, who) if doc is not None and doc.get("email") == email else (None, None)


def session_principal(session_id: str, *, now: datetime) -> Principal | None:
    """The person a session cookie belongs to, while it is within both lifetimes; their role is
    read now (with the session, one request), so a role taken away stops working at once."""
    doc, found = _session_and_person(session_id) if len(session_id) <= 400 else (None, None)
    if doc is None:
        return None
    settings = get_settings()
    created, seen = parse_timestamp(doc["created_at"]), parse_timestamp(doc["seen_at"])
    if now - created >= timedelta(hours=settings.session_hours) or now - seen >= timedelta(
        minutes=settings.session_idle_minutes
    ):
        identity.end_session(session_id)
        return None
    if now - seen >= TOUCH_EVERY:
        identity.touch_session(session_id, at=now)
    # No record: an employee with the everyone role.
    who = found or {"email": doc["email"], "name": doc.get("name", ""), "role": "everyone", "department": ""}
    if who.get("disabled"):
        return None
    return Principal(
        id=doc["email"],
        name=str(who.get("name") or doc.get("name") or ""),
        role=parse_role(who.get("role")) or "everyone",
        via="session",
        department=str(who.get("department", "")),
        session_id=session_id,
        # Their own choice (/me), else the directory's, else the identity provider's claims.
        language=str(doc.get("chosen_language") or who.get("language") or doc.get("locale") or ""),
        zone=str(doc.get("chosen_zone") or who.get("zone") or doc.get("zoneinfo") or ""),
    )


@dataclass(frozen=True, slots=True)
class Cookie:
    name: str
    value: str
    max_age: int

    def header(self) -> str:
        secure = "; Secure" if get_settings().secure_cookies else ""
        return f"{self.name}={self.value}; Path=/; Max-Age={self.max_age}; HttpOnly; SameSite=Lax{secure}"
