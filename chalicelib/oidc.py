"""OpenID Connect, as a relying party: discovery, the authorization code flow with PKCE (S256),
the code exchanged at the token endpoint with the client's secret, and the ID token checked
against the issuer's published keys (signature, issuer, audience, expiry, nonce)."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import ConfigurationMissing, Unauthorized
from chalicelib.i18n import N_

TIMEOUT_SECONDS = 5.0
DISCOVERY_SECONDS = 3600.0
_discovered: dict[str, tuple[float, Provider]] = {}
_key_sets: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    userinfo_endpoint: str = ""


def _allowed_url(url: str) -> bool:
    """https, or http on loopback (a provider run beside the local stack and the tests)."""
    parts = urllib.parse.urlsplit(url)
    return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1"))


def _get_json(url: str) -> dict[str, Any]:
    if not _allowed_url(url):
        raise ConfigurationMissing(
            N_("the identity provider's address must be https: %(url)s"), values={"url": url[:120]}
        )
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 (scheme checked)
            doc = json.loads(response.read(1024 * 1024))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ConfigurationMissing(
            N_("the identity provider did not answer: %(error)s"), values={"error": type(exc).__name__}
        ) from exc
    if not isinstance(doc, dict):
        raise ConfigurationMissing(N_("the identity provider's document is not a JSON object"))
    return doc


def discovery_document(issuer: str) -> dict[str, Any]:
    """The issuer's discovery document as it answers now (ConfigurationMissing when it does not)."""
    return _get_json(f"{issuer}/.well-known/openid-configuration")


def discover(issuer: str) -> Provider:
    """The provider's endpoints from its discovery document (cached an hour per process)."""
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_SECONDS:
        return cached[1]
    doc = discovery_document(issuer)
    if doc.get("issuer") != issuer:
        raise ConfigurationMissing(N_("the discovery document names another issuer"))
    try:
        provider = Provider(
            issuer=issuer,
            authorization_endpoint=str(doc["authorization_endpoint"]),
            token_endpoint=str(doc["token_endpoint"]),
            jwks_uri=str(doc["jwks_uri"]),
            userinfo_endpoint=str(doc.get("userinfo_endpoint") or ""),
        )
    except KeyError as exc:
        raise ConfigurationMissing(
            N_("the discovery document has no %(field)s"), values={"field": exc.args[0]}
        ) from None
    _discovered[issuer] = (time.monotonic(), provider)
    return provider


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636."""
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def authorization_url(
    provider: Provider, *, client_id: str, redirect_uri: str, state: str, nonce: str, challenge: str
) -> str:
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": "openid email profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    return f"{provider.authorization_endpoint}?{query}"


def exchange(
    provider: Provider, *, client_id: str, client_secret: str, code: str, redirect_uri: str, verifier: str
) -> tuple[str, str]:
    """(ID token, access token) for an authorization code (client_secret_basic)."""
    if not _allowed_url(provider.token_endpoint):
        raise ConfigurationMissing(N_("the token endpoint must be https"))
    body = urllib.parse.urlencode(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier}
    ).encode()
    basic = base64.b64encode(
        f"{urllib.parse.quote(client_id, safe='')}:{urllib.parse.quote(client_secret, safe='')}".encode()
    ).decode()
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        provider.token_endpoint,
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            doc = json.loads(response.read(1024 * 1024))
    except urllib.error.HTTPError as exc:
        raise Unauthorized(
            N_("the identity provider refused the sign-in (%(code)s)"), values={"code": exc.code}
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        raise ConfigurationMissing(
            N_("the identity provider did not answer: %(error)s"), values={"error": type(exc).__name__}
        ) from exc
    token = doc.get("id_token") if isinstance(doc, dict) else None
    if not isinstance(token, str):
        raise Unauthorized(N_("the identity provider sent no ID token"))
    return token, str(doc.get("access_token") or "")


def userinfo(provider: Provider, *, access_token: str, subject: str) -> dict[str, Any]:
    """The UserInfo claims, for providers that keep the address out of the ID token; they must
    be about the ID token's subject (OIDC Core 5.3.2)."""
    if not provider.userinfo_endpoint or not access_token or not _allowed_url(provider.userinfo_endpoint):
        return {}
    request = urllib.request.Request(  # noqa: S310 (scheme checked)
        provider.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
            doc = json.loads(response.read(1024 * 1024))
    except (urllib.error.URLError, TimeoutError, OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("sub") != subject:
        return {}
    return doc


def verify_id_token(provider: Provider, token: str, *, client_id: str, nonce: str) -> dict[str, Any]:
    """The ID token's claims, once its signature verifies with one of the issuer's published keys
    and its issuer, audience, expiry and nonce are ours."""
    import jwt  # PyJWT, only on sign-in

    try:
        key = jwt.PyJWKClient(
            provider.jwks_uri, cache_keys=True, timeout=int(TIMEOUT_SECONDS)
        ).get_signing_key_from_jwt(token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=["RS256", "ES256", "PS256", "EdDSA"],
            audience=client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            leeway=30,
        )
    except jwt.PyJWTError as exc:
        raise Unauthorized(N_("the ID token did not verify: %(error)s"), values={"error": type(exc).__name__}) from None
    if not secrets.compare_digest(str(claims.get("nonce", "")), nonce):
        raise Unauthorized(N_("the ID token was not issued for this sign-in"))
    return claims
