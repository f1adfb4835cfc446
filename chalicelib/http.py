"""A small HTTP GET for the pull sources: timeouts, a size cap, headers in and out, no
redirect surprises. Standard library only, so the package stays small."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

USER_AGENT = "sharedwatch/0.1 (+https://github.com/sharedwatch; polite poller)"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    error: str = ""  # a network failure (no HTTP status): DNS, refused, timeout
    extra: dict[str, str] = field(default_factory=dict)


def fetch(url: str, *, headers: Mapping[str, str] | None = None, timeout: float = TIMEOUT_SECONDS) -> Fetched:
    if not url.lower().startswith(("http://", "https://")):
        return Fetched(status=0, headers={}, error=f"not an http(s) URL: {url[:80]}")
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT, **(headers or {})})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310  (scheme checked above)
            body = response.read(MAX_BYTES + 1)
            if len(body) > MAX_BYTES:
                return Fetched(status=response.status, headers={}, error=f"response larger than {MAX_BYTES} bytes")
            return Fetched(
                status=response.status, headers={k.lower(): v for k, v in response.headers.items()}, body=body
            )
    except urllib.error.HTTPError as exc:  # 304, 4xx, 5xx: an answer, not a failure of the network
        return Fetched(status=exc.code, headers={k.lower(): v for k, v in (exc.headers or {}).items()}, body=b"")
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return Fetched(status=0, headers={}, error=f"{type(exc).__name__}: {exc}"[:300])


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Fetched:
    """Any method with a body (the chat platforms' REST APIs): the answer's status, headers and
    body, error statuses included (a 429's Retry-After is in the headers)."""
    if not url.lower().startswith(("http://", "https://")):
        return Fetched(status=0, headers={}, error=f"not an http(s) URL: {url[:80]}")
    request = urllib.request.Request(  # noqa: S310  (scheme checked above)
        url, data=body, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            data = response.read(MAX_BYTES)
            return Fetched(
                status=response.status, headers={k.lower(): v for k, v in response.headers.items()}, body=data
            )
    except urllib.error.HTTPError as exc:
        data = exc.read(64 * 1024) if exc.fp is not None else b""
        return Fetched(status=exc.code, headers={k.lower(): v for k, v in (exc.headers or {}).items()}, body=data)
    except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
        return Fetched(status=0, headers={}, error=f"{type(exc).__name__}: {exc}"[:300])
