"""Per-source signing secrets and the app's signing key, from SSM Parameter Store through
powertools parameters (cached for five minutes). Values are never logged."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.errors import ConfigurationMissing
from chalicelib.settings import get_settings

CACHE_SECONDS = 300


TOKEN_CACHE_SECONDS = 60  # a revoked wall token stops working within a minute


def _parameter(name: str, *, max_age: int = CACHE_SECONDS) -> str | None:
    # Imported on first use: the parameters utility is not needed to answer most requests.
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, max_age=max_age, decrypt=True)
    except parameters.GetParameterError:
        return None
    return str(value) if value is not None else None


def parse_source_secrets(value: str | None) -> dict[str, list[str]]:
    """A source's parameter: a plain string is its one secret ("secret"); a JSON object names
    several (Meta's app_secret and verify_token). Whitespace separates values that are valid at
    once, so a rotation needs no downtime."""
    if not value:
        return {}
    text = value.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return {str(k): str(v).split() for k, v in doc.items() if isinstance(v, str)}
    return {"secret": text.split()}


def source_secrets(slug: str) -> dict[str, list[str]]:
    return parse_source_secrets(_parameter(get_settings().parameter_name(f"sources/{slug}")))


def signing_key() -> bytes:
    value = _parameter(get_settings().parameter_name("signing_key"))
    if not value:
        raise ConfigurationMissing("the signing key parameter is not configured")
    return value.encode()


def token(name: str) -> str:
    """An access token (admin_token, display_token); empty when it is not configured."""
    return _parameter(get_settings().parameter_name(name)) or ""


def display_screens() -> dict[str, dict[str, Any]]:
    """Wall screens by name, each {"token": ..., "lobby": bool}: a JSON object of name -> token
    or -> {"token", "lobby"} (each screen its own, revoked by removing it), or one plain token
    (the local stack's first screen). A lobby screen is one visitors see: the server gives it no
    names, handles, links or acknowledge codes, whatever the browser asks."""
    value = (_parameter(get_settings().parameter_name("display_token"), max_age=TOKEN_CACHE_SECONDS) or "").strip()
    if value.startswith("{"):
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            return {}
        screens = {}
        for name, spec in doc.items():
            if isinstance(spec, str) and spec:
                screens[str(name)] = {"token": spec, "lobby": False, "department": "", "brand": ""}
            elif isinstance(spec, dict) and isinstance(spec.get("token"), str) and spec["token"]:
                screens[str(name)] = {
                    "token": spec["token"],
                    "lobby": spec.get("lobby") is True,
                    # A screen may show one department's or one brand's wall (its property too).
                    "department": str(spec.get("department") or ""),
                    "brand": str(spec.get("brand") or ""),
                }
        return screens
    return {"default": {"token": value, "lobby": False, "department": "", "brand": ""}} if value else {}


def save_display_screens(screens: dict[str, dict[str, Any]]) -> None:
    import boto3

    boto3.client("ssm", region_name=get_settings().region).put_parameter(
        Name=get_settings().parameter_name("display_token"),
        Value=json.dumps(screens, sort_keys=True),
        Type="SecureString",
        Overwrite=True,
    )
    clear_cache()


def clear_cache() -> None:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]


# -- sealed secrets (chat bot tokens) ----------------------------------------------------------

_SEAL_CONTEXT = {"sharedwatch": "chat-token"}


def _local_seal_key() -> bytes:
    """The local stack's key: derived from the app's signing key, which never leaves the stack."""
    import hashlib

    return hashlib.sha256(b"sharedwatch-chat-token-key|" + signing_key()).digest()


def seal(plaintext: str) -> str:
    """A secret to store: KMS-encrypted on AWS ("kms:" + base64), AES-GCM under the local key
    elsewhere ("local:" + base64 of nonce and ciphertext)."""
    import base64

    key_id = get_settings().chat_kms_key_id
    if key_id:
        from chalicelib import aws

        blob = aws.kms().encrypt(KeyId=key_id, Plaintext=plaintext.encode(), EncryptionContext=_SEAL_CONTEXT)
        return "kms:" + base64.b64encode(blob["CiphertextBlob"]).decode()
    import os

    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    sealed = AESGCM(_local_seal_key()).encrypt(nonce, plaintext.encode(), b"chat-token")
    return "local:" + base64.b64encode(nonce + sealed).decode()


def unseal(stored: str) -> str:
    import base64

    kind, _, data = stored.partition(":")
    raw = base64.b64decode(data)
    if kind == "kms":
        from chalicelib import aws

        answer = aws.kms().decrypt(CiphertextBlob=raw, EncryptionContext=_SEAL_CONTEXT)
        return bytes(answer["Plaintext"]).decode()
    if kind != "local":
        raise ConfigurationMissing("a sealed secret of an unknown kind")
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    return AESGCM(_local_seal_key()).decrypt(raw[:12], raw[12:], b"chat-token").decode()
