"""The one outbound HTTP client: every request the server makes to a URL someone configured
(pull targets, the chat platforms' APIs, Teams' OpenID keys) is a `fetch` (GET) or a `send` (any
method with a body) here, and goes only where it may (policy/outbound.py decides):

- http(s) only, no credentials in the URL, no cloud metadata names;
- the name is resolved here, every address it resolves to is checked, and the connection goes
  to the checked address (TLS still verifies the name), so a DNS answer that changes between
  the check and the connection (a rebind) is never used;
- each redirect of a fetch is checked the same way (at most MAX_REDIRECTS), and credentials are
  not carried to another origin; a send follows none (its 3xx is the answer);
- the whole fetch (resolution, connection, headers, body) ends by its deadline, and a body
  larger than the cap is not read past it.

Standard library only, so the package stays small."""

from __future__ import annotations

import contextlib
import http.client
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as ResolveTimeout
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from chalicelib.policy.outbound import PUBLIC_ONLY, address_refusal, host_of, parse_address, port_of, url_refusal
from chalicelib.settings import get_settings

USER_AGENT = "sharedwatch/0.1 (+https://github.com/sharedwatch; polite poller)"
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Sent to the origin the caller named, never to one a redirect names.
_ORIGIN_ONLY = frozenset({"authorization", "cookie", "proxy-authorization"})
# getaddrinfo has no timeout: it runs here, and a fetch stops waiting for it at its deadline.
_RESOLVER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="resolve")


@dataclass(frozen=True, slots=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes = b""
    error: str = ""  # no HTTP answer: refused by policy ("refused: ..."), DNS, connection, timeout, size
    extra: dict[str, str] = field(default_factory=dict)


class _Stop(Exception):
    """A fetch that ends without an answer; its message is the Fetched error."""


@dataclass(frozen=True, slots=True)
class Destination:
    """A URL's origin, resolved and checked: connect to `addresses`, in order."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def _resolve(host: str, port: int, *, timeout: float) -> list[str]:
    future = _RESOLVER.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    try:
        answers = future.result(timeout=max(timeout, 0.001))
    except ResolveTimeout:
        raise _Stop(f"resolving {host} took longer than {timeout:.1f} s") from None
    except (OSError, UnicodeError) as exc:
        raise _Stop(f"{host} does not resolve: {exc}") from None
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def destination(url: str, *, timeout: float = TIMEOUT_SECONDS) -> Destination:
    """Where a URL may be fetched from; _Stop("refused: ...") when it may not. Every address
    the name resolves to must be allowed: a name that resolves to one public and one internal
    address is refused, not fetched from the public one by luck."""
    allowed = get_settings().outbound_allow
    why = url_refusal(url, allowed=allowed)
    if why:
        raise _Stop(f"refused: {why}")
    parts = urlsplit(url)
    host, port = host_of(parts), port_of(parts)
    addresses = _resolve(host, port, timeout=timeout)
    if not addresses:
        raise _Stop(f"{host} does not resolve")
    for address in addresses:
        why = address_refusal(parse_address(address), port, allowed=allowed)
        if why:
            raise _Stop(f"refused: {host} resolves to {address}, {why}; {PUBLIC_ONLY}")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme.lower(), host, port, target, tuple(addresses))


def refusal(url: str, *, timeout: float = 5.0) -> str:
    """Why a URL would be refused now ("" when not): for saving a target, so the person typing
    it hears at once. A name that does not resolve now is not refused (DNS may be down, the
    feed not live yet); every fetch checks again."""
    try:
        destination(url, timeout=timeout)
    except _Stop as exc:
        return str(exc).removeprefix("refused: ") if str(exc).startswith("refused: ") else ""
    return ""


class _Pinned(http.client.HTTPConnection):
    """Connects to the checked address, never to whatever the name resolves to by then; over
    TLS the certificate is still verified against the name."""

    def __init__(self, dest: Destination, address: str, *, timeout: float) -> None:
        super().__init__(dest.host, dest.port, timeout=timeout)
        self.address = address
        self.tls = ssl.create_default_context() if dest.scheme == "https" else None
        self.default_port = 443 if self.tls else 80  # the Host header names a port only when it is not this
        # The socket, kept after the connection hands it to a response that reads to its close
        # (http.client then forgets it): the deadline is set on it, and the watchdog shuts it.
        self.raw: socket.socket | None = None

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.raw = self.tls.wrap_socket(sock, server_hostname=self.host) if self.tls else sock

    def until(self, deadline: float, what: str, timeout: float) -> None:
        """The next read waits at most until the deadline."""
        left = _remaining(deadline, what, timeout)
        # Python 3.13 closes the socket once a response with a length has been read in (3.11
        # kept it open while the response's file did): what is left is read from the buffer.
        if self.raw is not None and self.raw.fileno() != -1:
            self.raw.settimeout(left)


def _remaining(deadline: float, what: str, timeout: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise _Stop(f"{what} took longer than {timeout:.1f} s")
    return left


def _open(
    dest: Destination, method: str, body: bytes | None, headers: Mapping[str, str], *, deadline: float, timeout: float
) -> _Pinned:
    """A connection to the first of the destination's addresses that answers, request sent."""
    failure: Exception | None = None
    for address in dest.addresses:
        conn = _Pinned(dest, address, timeout=_remaining(deadline, "connecting", timeout))
        try:
            conn.request(method, dest.target, body=body, headers=dict(headers))
            return conn
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            failure = exc
    raise _Stop(f"{type(failure).__name__}: {failure}")


def _read(conn: _Pinned, response: http.client.HTTPResponse, *, deadline: float, timeout: float, cap: int) -> bytes:
    length = response.getheader("content-length", "")
    if length.isdigit() and int(length) > cap:
        raise _Stop(f"response larger than {cap} bytes (Content-Length {length})")
    chunks: list[bytes] = []
    size = 0
    while True:
        conn.until(deadline, "reading the response", timeout)
        chunk = response.read1(64 * 1024)
        if not chunk:
            _remaining(deadline, "reading the response", timeout)  # not an end the watchdog made
            return b"".join(chunks)
        size += len(chunk)
        if size > cap:
            raise _Stop(f"response larger than {cap} bytes")
        chunks.append(chunk)


def fetch(
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
) -> Fetched:
    """GET a URL someone configured, within `timeout` seconds in all and `max_bytes` of body
    (read for a 2xx only). Never raises for the network or the policy: `error` says why there
    is no answer."""
    return _exchange(
        "GET", url, body=None, headers=headers, timeout=timeout, max_bytes=max_bytes, max_redirects=max_redirects
    )


def send(
    method: str,
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT_SECONDS,
    max_bytes: int = MAX_BYTES,
) -> Fetched:
    """Any method with a body (the chat platforms' APIs), checked and pinned like a fetch: the
    answer's status, headers and body, error statuses included (a 429's Retry-After is in the
    headers, a 4xx's body says why). No redirect is followed: a body is never re-sent elsewhere."""
    return _exchange(
        method, url, body=body, headers=headers, timeout=timeout, max_bytes=max_bytes, max_redirects=0, follow=False
    )


def _exchange(
    method: str,
    url: str,
    *,
    body: bytes | None,
    headers: Mapping[str, str] | None,
    timeout: float,
    max_bytes: int,
    max_redirects: int,
    follow: bool = True,
) -> Fetched:
    # A send (follow=False) reads the body of any answer and takes a 3xx as the answer.
    deadline = time.monotonic() + timeout
    sent = {"User-Agent": USER_AGENT, **(headers or {})}
    first: tuple[str, str, int] | None = None
    conn: _Pinned | None = None
    response: http.client.HTTPResponse | None = None

    def shut() -> None:
        # A server that sends a byte just before each socket timeout would hold the fetch for
        # ever: at the deadline its connection is shut, whatever is being read.
        if conn is not None and conn.raw is not None:
            with contextlib.suppress(OSError):
                conn.raw.shutdown(socket.SHUT_RDWR)

    watchdog = threading.Timer(timeout, shut)
    watchdog.daemon = True
    watchdog.start()
    try:
        for hop in range(max_redirects + 1):
            dest = destination(url, timeout=_remaining(deadline, "resolving", timeout))
            origin = (dest.scheme, dest.host, dest.port)
            first = first or origin
            if origin != first:
                sent = {k: v for k, v in sent.items() if k.lower() not in _ORIGIN_ONLY}
            conn, response = _open(dest, method, body, sent, deadline=deadline, timeout=timeout), None
            try:
                conn.until(deadline, "waiting for the answer", timeout)
                response = conn.getresponse()
                answered = {k.lower(): v for k, v in response.getheaders()}
                if follow and response.status in REDIRECTS and answered.get("location"):
                    if hop == max_redirects:
                        raise _Stop(f"more than {max_redirects} redirects")
                    url = urljoin(url, answered["location"])  # checked as the first was, next hop
                    continue
                data = b""
                if not follow or 200 <= response.status < 300:
                    data = _read(conn, response, deadline=deadline, timeout=timeout, cap=max_bytes)
                return Fetched(status=response.status, headers=answered, body=data)
            finally:
                if response is not None:
                    response.close()  # a response that reads to the close holds the socket
                conn.close()
        raise _Stop(f"more than {max_redirects} redirects")
    except _Stop as exc:
        return Fetched(status=0, headers={}, error=str(exc)[:300])
    except (OSError, http.client.HTTPException, ValueError) as exc:
        late = time.monotonic() >= deadline
        reason = f"the fetch took longer than {timeout:.1f} s" if late else f"{type(exc).__name__}: {exc}"
        return Fetched(status=0, headers={}, error=reason[:300])
    finally:
        watchdog.cancel()
