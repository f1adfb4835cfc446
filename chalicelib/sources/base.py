"""What every source adapter provides, and the helpers they share to build Mention records."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from chalicelib import credentials
from chalicelib.bodies import MAX_NUMBER
from chalicelib.clock import parse_timestamp
from chalicelib.errors import InvalidPayload, MethodNotAllowed, VerificationFailed
from chalicelib.policy.drill_marks import drill_of
from chalicelib.records import Author, Mention
from chalicelib.triage.identity import key_for, normalize_platform, post_identity

RAW_CAP_CHARS = 16_384
TEXT_CAP_CHARS = 40_000
# Caps on what a mention keeps, the same for every source (a mention item stays far below
# DynamoDB's 400 KB): ids and links are refused past them, names are cut.
ID_CAP = 256
URL_CAP = 2048
HANDLE_CAP = 100
NAME_CAP = 200
ENGAGEMENT_KINDS_CAP = 20
# Bidirectional controls let "\u202enimda" show as "admin": names and handles never keep them.
_BIDI = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
JSON_TYPES = frozenset({"application/json", "application/webhook+json"})

# A source's secrets by name ("secret", "app_secret", "verify_token", ...), each with every value
# valid right now: two during a rotation.
SourceSecrets = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """One HTTP delivery as the source sees it: lower-cased headers and the raw body."""

    headers: Mapping[str, str]
    body: bytes
    query: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Handshake:
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a delivery held: the mentions in it, and how many events were not mentions."""

    mentions: list[Mention]
    ignored: int = 0


class Source(Protocol):
    slug: str
    content_types: frozenset[str]

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        """Raise VerificationFailed unless one of the secrets signed this delivery."""

    def parse(self, delivery: Delivery, *, received_at: datetime) -> Parsed:
        """Turn a verified delivery into mentions; raise MalformedBody or InvalidPayload."""

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        """Answer the platform's GET handshake."""


@dataclass(frozen=True, slots=True)
class PullTarget:
    """One thing a pull source polls: a feed URL, a vendor alert. Configured as data."""

    id: str
    source: str
    url: str = ""
    interval_minutes: int = 15
    brand: str = ""
    options: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PollResult:
    mentions: list[Mention]
    state: dict[str, Any]  # the cursor to resume from
    status: str  # "200", "304", "429", "error: ..." for the cursor's record
    retry_after_seconds: float | None = None  # the server asked us to wait
    failed: bool = False


class PullSource(Protocol):
    slug: str

    def poll(
        self, target: PullTarget, *, state: Mapping[str, Any], secrets: SourceSecrets, received_at: datetime
    ) -> PollResult:
        """Fetch what is new since `state`; never raise for an HTTP or network failure."""


class Pulled:
    """Mixin for pull sources: nothing is ever POSTed to them."""

    slug: str

    def verify(self, delivery: Delivery, *, secrets: SourceSecrets) -> None:
        raise MethodNotAllowed(f"source '{self.slug}' is pulled on a schedule; it takes no deliveries")

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        raise MethodNotAllowed(f"source '{self.slug}' is pulled on a schedule; it has no handshake")


def retry_after(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds to wait, from Retry-After (seconds or an HTTP date) or a reset timestamp."""
    from email.utils import parsedate_to_datetime

    value = headers.get("retry-after", "").strip()
    if value.isdigit():
        return float(value)
    if value:
        try:
            return max(0.0, (parsedate_to_datetime(value) - now).total_seconds())
        except (TypeError, ValueError):
            pass
    reset = headers.get("x-rate-limit-reset", "").strip()
    if reset.isdigit():
        return max(0.0, int(reset) - now.timestamp())
    return None


class NoHandshake:
    """Mixin for sources whose platform does not do a GET handshake."""

    slug: str

    def handshake(self, query: Mapping[str, str], *, secrets: SourceSecrets) -> Handshake:
        raise MethodNotAllowed(f"source '{self.slug}' has no GET handshake; POST deliveries to it")


def as_object(value: Any) -> dict[str, Any]:
    """A JSON object from a payload, or an empty one when the sender put something else there."""
    return value if isinstance(value, dict) else {}


def secret_values(secrets: SourceSecrets, name: str, *, slug: str) -> Sequence[str]:
    values = secrets.get(name) or ()
    if not values:
        raise VerificationFailed(f"no {name.replace('_', ' ')} is configured for source '{slug}'")
    return values


def signature_matches(
    signature: str,
    *,
    secrets: Sequence[str],
    message: bytes,
    algorithm: str = "sha256",
    encoding: Literal["hex", "base64"] = "hex",
) -> bool:
    """Whether any secret's HMAC of the message equals the signature (constant-time)."""
    for secret in secrets:
        digest = hmac.new(secret.encode(), message, getattr(hashlib, algorithm)).digest()
        expected = digest.hex() if encoding == "hex" else base64.b64encode(digest).decode()
        if hmac.compare_digest(expected.lower() if encoding == "hex" else expected, signature.strip()):
            return True
    return False


def verify_prefixed_hmac(
    delivery: Delivery,
    *,
    header: str,
    secrets: Sequence[str],
    methods: Sequence[str] = ("sha256",),
    encoding: Literal["hex", "base64"] = "hex",
) -> None:
    """The "<method>=<digest>" HMAC-of-the-body scheme GitHub, Meta, X, WebSub and Meltwater share,
    each with its own header, methods and digest encoding."""
    value = delivery.headers.get(header, "")
    if not value:
        raise VerificationFailed(f"missing header: {header}")
    method, _, signature = value.partition("=")
    if method.lower() not in methods or not signature:
        raise VerificationFailed(f"{header} must be {'|'.join(methods)}=<{encoding} digest>")
    presented = signature.lower() if encoding == "hex" else signature
    if not signature_matches(
        presented, secrets=secrets, message=delivery.body, algorithm=method.lower(), encoding=encoding
    ):
        raise VerificationFailed("signature does not match")


def build_mention(  # noqa: PLR0913 (keyword-only, one per Mention field a source fills)
    *,
    source: str,
    platform: str,
    external_id: str,
    url: str,
    text: str,
    author: Author,
    published_at: datetime,
    received_at: datetime,
    raw: Any,
    delivery_id: str = "",
    lang: str = "",
    brand: str = "",
    region: str = "",
    engagement: Mapping[str, int] | None = None,
    needs_enrichment: bool = False,
    drill: str = "",
) -> Mention:
    """A Mention with its identity and deterministic key, from any source's fields. A link that
    is not http(s) is dropped (it identifies nothing and must never be shown as a link)."""
    if len(external_id) > ID_CAP:
        raise InvalidPayload(f"a {source} item's id is {len(external_id)} characters, at most {ID_CAP}")
    url = url if is_web_link(url) else ""
    platform = normalize_platform(platform)
    try:
        identity = post_identity(platform=platform, external_id=external_id, url=url)
    except ValueError:
        raise InvalidPayload(f"a {source} item has neither an id nor a url to identify it") from None
    if not platform and identity.startswith("x:"):
        platform = "x"
    return Mention(
        mention_id=key_for("mention", identity),
        identity=identity,
        source=source,
        platform=platform,
        external_id=external_id,
        url=url,
        text=text[:TEXT_CAP_CHARS],
        author=Author(
            handle=author.handle.translate(_BIDI)[:HANDLE_CAP],
            name=author.name.translate(_BIDI)[:NAME_CAP],
            followers=author.followers,
            verified=author.verified,
        ),
        published_at=published_at,
        received_at=received_at,
        lang=lang[:16],
        brand=brand[:128],
        region=region.strip().lower()[:64],
        engagement=dict(engagement or {}),
        delivery_id=delivery_id[:128],
        raw=raw if isinstance(raw, str) else cap_raw(raw),
        needs_enrichment=needs_enrichment,
        drill=drill,
    )


def is_web_link(url: str) -> bool:
    """An http(s) URL of at most URL_CAP characters: the only links a mention keeps."""
    return len(url) <= URL_CAP and url.lower().startswith(("http://", "https://")) and len(url) > len("https://")


def cap_raw(item: Any) -> str:
    text = json.dumps(item, ensure_ascii=False, separators=(",", ":"), default=str)
    return text if len(text) <= RAW_CAP_CHARS else text[:RAW_CAP_CHARS] + "…[truncated]"


def _int(value: Any, path: str, errors: list[str]) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        errors.append(f"{path}: expected a number")
        return 0
    try:
        number = int(value)
    except (ValueError, OverflowError):
        errors.append(f"{path}: expected a number, got {str(value)[:40]!r}")
        return 0
    if number > MAX_NUMBER:
        errors.append(f"{path}: at most {MAX_NUMBER}")
        return 0
    return max(0, number)


def _str(value: Any, path: str, errors: list[str]) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    errors.append(f"{path}: expected a string")
    return ""


def _capped(value: Any, path: str, cap: int, errors: list[str]) -> str:
    text = _str(value, path, errors)
    if len(text) > cap:
        errors.append(f"{path}: {len(text)} characters, at most {cap}")
        return ""
    return text


def _drill(value: Any, path: str, errors: list[str]) -> str:
    """A drill's mark (only sharedwatch's drill runner makes one): its drill id, else ""."""
    if value is None:
        return ""
    drill = drill_of(_str(value, path, errors)[:40], key=credentials.signing_key())
    if not drill:
        errors.append(f"{path}: not a mark sharedwatch's drill runner made")
    return drill


def _published(value: object, path: str, received_at: datetime, errors: list[str]) -> datetime:
    published_raw = _str(value, path, errors)
    if not published_raw:
        errors.append(f"{path}: required (ISO 8601)")
        return received_at
    try:
        return parse_timestamp(published_raw)
    except ValueError:
        errors.append(f"{path}: not an ISO 8601 timestamp: {published_raw[:40]!r}")
        return received_at


def _author(value: object, path: str, errors: list[str]) -> Author:
    author_raw = value or {}
    if not isinstance(author_raw, dict):
        errors.append(f"{path}: expected an object")
        author_raw = {}
    return Author(
        handle=_capped(author_raw.get("handle"), f"{path}.handle", HANDLE_CAP, errors).lstrip("@"),
        name=_capped(author_raw.get("name"), f"{path}.name", NAME_CAP, errors),
        followers=_int(author_raw.get("followers"), f"{path}.followers", errors),
        verified=bool(author_raw.get("verified", False)),
    )


def _engagement(value: object, path: str, errors: list[str]) -> dict[str, int]:
    engagement_raw = value or {}
    if not isinstance(engagement_raw, dict):
        errors.append(f"{path}: expected an object")
        return {}
    if len(engagement_raw) > ENGAGEMENT_KINDS_CAP:
        errors.append(f"{path}: at most {ENGAGEMENT_KINDS_CAP} kinds")
        return {}
    return {str(name)[:32]: _int(v, f"{path}.{name}", errors) for name, v in engagement_raw.items()}


def mention_from_fields(
    item: Any,
    *,
    path: str,
    source: str,
    received_at: datetime,
    delivery_id: str,
    errors: list[str],
) -> Mention | None:
    """Validate one mention in the documented shape; append each problem to `errors`."""
    if not isinstance(item, dict):
        errors.append(f"{path}: expected an object")
        return None
    before = len(errors)
    external_id = _str(item.get("id"), f"{path}.id", errors).strip()
    url = _str(item.get("url"), f"{path}.url", errors).strip()
    text = _str(item.get("text"), f"{path}.text", errors)
    if not text.strip():
        errors.append(f"{path}.text: required and must not be empty")
    elif len(text) > TEXT_CAP_CHARS:
        errors.append(f"{path}.text: {len(text)} characters, at most {TEXT_CAP_CHARS}")
    if url and not is_web_link(url):
        errors.append(f"{path}.url: an http(s) URL of at most {URL_CAP} characters")
    if len(external_id) > ID_CAP:
        errors.append(f"{path}.id: at most {ID_CAP} characters")
    if not external_id and not url:
        errors.append(f"{path}: one of id or url is required")
    published_at = _published(item.get("published_at"), f"{path}.published_at", received_at, errors)
    author = _author(item.get("author"), f"{path}.author", errors)
    engagement = _engagement(item.get("engagement"), f"{path}.engagement", errors)
    drill = _drill(item.get("drill"), f"{path}.drill", errors)
    if len(errors) > before:
        return None
    return build_mention(
        source=source,
        platform=_str(item.get("platform"), f"{path}.platform", errors),
        external_id=external_id,
        url=url,
        text=text,
        author=author,
        published_at=published_at,
        received_at=received_at,
        raw=item,
        delivery_id=delivery_id,
        lang=_str(item.get("lang"), f"{path}.lang", errors),
        brand=_str(item.get("brand"), f"{path}.brand", errors),
        region=_str(item.get("region"), f"{path}.region", errors),
        engagement=engagement,
        drill=drill,
    )


def require_valid(errors: list[str], what: str) -> None:
    if errors:
        shown = errors[:20]
        more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
        raise InvalidPayload(f"{what}: {'; '.join(shown)}{more}", extra={"errors": errors[:100]})
