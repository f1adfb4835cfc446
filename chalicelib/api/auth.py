"""Bearer tokens for the admin API and the wall: compared in constant time, never logged."""

from __future__ import annotations

import hmac

from chalice.app import Request

from chalicelib import secrets
from chalicelib.errors import Unauthorized


def require_token(request: Request, name: str = "admin_token") -> None:
    header = request.headers.get("authorization") or ""
    scheme, _, presented = header.partition(" ")
    expected = secrets.token(name)
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("send Authorization: Bearer <token> (the admin token from the credentials)")
    if not expected or not hmac.compare_digest(presented.strip().encode(), expected.encode()):
        raise Unauthorized("the token is not valid")
