"""Per-source signing secrets and the app's signing key, from SSM Parameter Store through
powertools parameters (cached for five minutes). Values are never logged."""

from __future__ import annotations

from chalicelib.errors import ConfigurationMissing
from chalicelib.settings import get_settings

CACHE_SECONDS = 300


def _parameter(name: str) -> str | None:
    # Imported on first use: the parameters utility is not needed to answer most requests.
    from aws_lambda_powertools.utilities import parameters

    try:
        value = parameters.get_parameter(name, max_age=CACHE_SECONDS, decrypt=True)
    except parameters.GetParameterError:
        return None
    return str(value) if value is not None else None


def source_secrets(slug: str) -> list[str]:
    """Every secret currently valid for a source: whitespace-separated, so that two can be
    valid at once during a rotation."""
    value = _parameter(get_settings().parameter_name(f"sources/{slug}"))
    return value.split() if value else []


def signing_key() -> bytes:
    value = _parameter(get_settings().parameter_name("signing_key"))
    if not value:
        raise ConfigurationMissing("the signing key parameter is not configured")
    return value.encode()


def clear_cache() -> None:
    from aws_lambda_powertools.utilities import parameters

    parameters.clear_caches()  # type: ignore[no-untyped-call]
