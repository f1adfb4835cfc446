"""Bearer tokens for the admin API and the wall: compared in constant time, never logged."""

from __future__ import annotations

import hmac

from chalice.app import Request

from chalicelib import credentials
from chalicelib.errors import Unauthorized


def _presented(request: Request) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("send Authorization: Bearer <token>")
    return presented.strip()


def require_display_token(request: Request) -> bool:
    """A wall screen's token (or the admin's); returns whether the screen is a lobby screen."""
    presented = _presented(request).encode()
    for screen in credentials.display_screens().values():
        if hmac.compare_digest(presented, str(screen["token"]).encode()):
            return bool(screen["lobby"])
    admin = credentials.token("admin_token")
    if admin and hmac.compare_digest(presented, admin.encode()):
        return False
    raise Unauthorized("the display token is not valid (it may have been revoked)")


def require_token(request: Request, name: str = "admin_token") -> None:
    header = request.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    expected = credentials.token(name)
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("send Authorization: Bearer <token> (the admin token from the credentials)")
    if not expected or not hmac.compare_digest(presented.strip().encode(), expected.encode()):
        raise Unauthorized("the token is not valid")
