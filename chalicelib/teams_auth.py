"""Who sent an activity to the Teams bot: Bot Framework's channel-to-bot authentication, as
Microsoft documents it ("Authenticate requests from the Bot Connector service to your bot"):

1. the request carries `Authorization: Bearer <JWT>`;
2. the JWT is signed (RS256) by a key in the JWKS that Bot Framework's OpenID metadata names
   (the metadata and keys cached for a day; an unknown key id fetches them again, at most every
   five minutes), and that key is endorsed for the activity's channel (`msteams`);
3. issuer `https://api.botframework.com`, audience our app id, not expired (five minutes of clock
   skew), and its `serviceUrl` claim is the activity's.

The URLs are Settings, so the tests and the local stack serve a key set of their own."""

from __future__ import annotations

import json
import time
from typing import Any

from chalicelib import http
from chalicelib.errors import Unauthorized
from chalicelib.settings import get_settings

KEYS_SECONDS = 24 * 3600
REFETCH_SECONDS = 300
LEEWAY_SECONDS = 300

_keys: tuple[float, dict[str, dict[str, Any]]] | None = None
_last_fetch = -float(REFETCH_SECONDS)


def _get(url: str) -> dict[str, Any]:
    answer = http.fetch(url, headers={"Accept": "application/json"})
    if answer.status != 200:
        raise Unauthorized(f"Bot Framework's keys could not be read ({answer.status or answer.error[:60]})")
    doc = json.loads(answer.body)
    if not isinstance(doc, dict):
        raise Unauthorized("Bot Framework's key document is not a JSON object")
    return doc


def _fetch_keys() -> dict[str, dict[str, Any]]:
    global _keys, _last_fetch
    _last_fetch = time.monotonic()
    metadata = _get(get_settings().teams_openid_url)
    jwks = _get(str(metadata.get("jwks_uri") or ""))
    keys = {str(k.get("kid")): k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kid")}
    _keys = (time.monotonic(), keys)
    return keys


def _key(kid: str) -> dict[str, Any] | None:
    if _keys is not None and time.monotonic() - _keys[0] < KEYS_SECONDS and kid in _keys[1]:
        return _keys[1][kid]
    if _keys is None or time.monotonic() - _last_fetch >= REFETCH_SECONDS:
        return _fetch_keys().get(kid)
    return None


def forget_keys() -> None:
    global _keys, _last_fetch
    _keys, _last_fetch = None, -float(REFETCH_SECONDS)


def verify(authorization: str, *, app_id: str, channel_id: str, service_url: str) -> dict[str, Any]:
    """The token's claims, or Unauthorized saying what did not hold."""
    import jwt

    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Authorization: Bearer <the Bot Connector's token> is required")
    token = token.strip()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("the token is not a JWT") from None
    jwk = _key(str(header.get("kid") or ""))
    if jwk is None:
        raise Unauthorized("the token is signed by a key Bot Framework does not publish")
    endorsements = jwk.get("endorsements")
    if isinstance(endorsements, list) and channel_id not in endorsements:
        raise Unauthorized(f"the signing key is not endorsed for the channel {channel_id[:20]!r}")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            jwt.PyJWK(jwk).key,
            algorithms=["RS256"],
            audience=app_id,
            issuer=get_settings().teams_issuer,
            options={"require": ["exp", "iss", "aud"]},
            leeway=LEEWAY_SECONDS,
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(f"the token did not verify: {type(exc).__name__}") from None
    if claims.get("serviceUrl") is not None and claims.get("serviceUrl") != service_url:
        raise Unauthorized("the token was issued for another service URL")
    return claims
