"""Where the server may send a request for someone else's URL, decided purely: http(s) only, no
credentials in the URL, no cloud metadata names, and, once the name is resolved, only public
addresses. The fetcher (`http.py`) asks these for every address a name resolves to and for
every redirect, then connects to the address it checked.

Refused: loopback, private (RFC 1918), link-local, multicast, unspecified, carrier-grade NAT
(100.64.0.0/10), IPv6 unique-local, every other special-purpose range Python does not call
global, IPv4 inside IPv6 (mapped, compatible, 6to4, NAT64, Teredo) when the IPv4 is refused,
and the cloud metadata addresses (never, even when allowed by SHAREDWATCH_OUTBOUND_ALLOW)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Sequence
from urllib.parse import SplitResult, urlsplit

from chalicelib.settings import OutboundAllowance

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
SCHEMES = ("http", "https")
PUBLIC_ONLY = "sharedwatch fetches only from public addresses"
# The instance metadata services (AWS, its ECS and EKS agents, GCP, Azure, Alibaba, Oracle,
# OpenStack): credentials live there. Several are also link-local, but Azure's is a public address.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.170.23",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "168.63.129.16",
        "100.100.100.200",
        "192.0.0.192",
    )
)
METADATA_NAMES = frozenset({"metadata", "metadata.google.internal", "metadata.goog", "instance-data"})
_PRIVATE = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, compatible, 6to4, NAT64, Teredo's client)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


# In order: the first that holds names the address.
_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("a cloud metadata address", lambda a: a in METADATA_ADDRESSES),
    ("the unspecified address", lambda a: a.is_unspecified),
    ("a loopback address", lambda a: a.is_loopback),
    ("a link-local address", lambda a: a.is_link_local),
    ("a multicast address", lambda a: a.is_multicast),
    ("a carrier-grade NAT address", lambda a: a in _CGNAT),
    ("an IPv6 unique-local address", lambda a: a in _UNIQUE_LOCAL),
    ("a private address", lambda a: any(a in network for network in _PRIVATE)),
    ("a reserved or special-purpose address", lambda a: a.is_private or a.is_reserved or not a.is_global),
)


def _kind(address: IPAddress) -> str:
    """What makes an address not public ("" for a public one)."""
    return next((kind for kind, holds in _KINDS if holds(address)), "")


def address_refusal(address: IPAddress, port: int, *, allowed: Sequence[OutboundAllowance] = ()) -> str:
    """What makes this address and port one the server must not connect to ("a loopback
    address"), or "" when it may."""
    inner = embedded_ipv4(address)
    if inner is not None:
        why = address_refusal(inner, port, allowed=allowed)
        return f"IPv6 carrying {inner}, {why}" if why else ""
    kind = _kind(address)
    if kind and kind != "a cloud metadata address" and any(a.permits(address, port) for a in allowed):
        return ""  # listed by the operator (the local stack's own feed server)
    return kind


def parse_address(text: str) -> IPAddress:
    """An address as getaddrinfo gives it (an IPv6 one may carry a %zone)."""
    return ipaddress.ip_address(text.split("%", 1)[0])


def url_refusal(url: str, *, allowed: Sequence[OutboundAllowance] = ()) -> str:
    """Why a URL may not be fetched, before any name is resolved ("" when it may be, so far)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL sharedwatch can fetch ({exc})"
    if parts.scheme.lower() not in SCHEMES:
        return f"only http and https URLs are fetched, not {parts.scheme or '(no scheme)'!r}"
    if parts.username is not None or parts.password is not None:
        return "a URL with a user name or password in it is not fetched: give credentials as the source's secret"
    host = host_of(parts)
    if not host:
        return "the URL names no host"
    if port == 0:
        return "port 0 is not a port"
    if host in METADATA_NAMES or (host.startswith("metadata.") and host.endswith(".internal")):
        return f"{host} is a cloud metadata name"
    try:
        literal = parse_address(host)
    except ValueError:
        return ""  # a name: its addresses are checked once it is resolved
    why = address_refusal(literal, port_of(parts), allowed=allowed)
    return f"{host} is {why}; {PUBLIC_ONLY}" if why else ""


def host_of(parts: SplitResult) -> str:
    return (parts.hostname or "").rstrip(".").lower()


def port_of(parts: SplitResult) -> int:
    return parts.port or (443 if parts.scheme.lower() == "https" else 80)
