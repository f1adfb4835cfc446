"""Where the server may send a request, decided purely (policy/outbound.py), and the operator's
exceptions as Settings reads them (SHAREDWATCH_OUTBOUND_ALLOW)."""

from __future__ import annotations

import ipaddress

import pytest

from chalicelib.policy.outbound import address_refusal, embedded_ipv4, url_refusal
from chalicelib.settings import load_settings, parse_outbound_allow


def refused(address: str, port: int = 443, allow: str = "") -> str:
    return address_refusal(ipaddress.ip_address(address), port, allowed=parse_outbound_allow(allow))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "a loopback address"),
        ("127.255.1.2", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.10.10", "a link-local address"),
        ("fe80::1", "a link-local address"),
        ("224.0.0.1", "a multicast address"),
        ("ff02::1", "a multicast address"),
        ("0.0.0.0", "the unspecified address"),
        ("::", "the unspecified address"),
        ("100.64.0.1", "a carrier-grade NAT address"),
        ("100.127.255.254", "a carrier-grade NAT address"),
        ("fd12:3456::1", "an IPv6 unique-local address"),
        ("240.0.0.1", "a reserved or special-purpose address"),
        ("255.255.255.255", "a reserved or special-purpose address"),
        ("192.0.2.10", "a reserved or special-purpose address"),
        ("198.18.0.1", "a reserved or special-purpose address"),
        ("2001:db8::1", "a reserved or special-purpose address"),
        ("169.254.169.254", "a cloud metadata address"),
        ("169.254.170.2", "a cloud metadata address"),
        ("fd00:ec2::254", "a cloud metadata address"),
        ("168.63.129.16", "a cloud metadata address"),
        ("100.100.100.200", "a cloud metadata address"),
    ],
)
def test_addresses_that_are_not_public_are_refused_and_named(address: str, kind: str) -> None:
    assert refused(address) == kind


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "1.1.1.1", "2606:4700::1111", "2a00:1450::1"])
def test_public_addresses_are_allowed(address: str) -> None:
    assert refused(address) == ""


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("::ffff:127.0.0.1", "127.0.0.1"),  # IPv4-mapped
        ("::ffff:169.254.169.254", "169.254.169.254"),
        ("::ffff:a00:1", "10.0.0.1"),
        ("::127.0.0.1", "127.0.0.1"),  # IPv4-compatible (deprecated, still routed by some stacks)
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64
        ("2002:7f00:1::1", "127.0.0.1"),  # 6to4
    ],
)
def test_ipv4_inside_ipv6_is_judged_as_the_ipv4_it_carries(address: str, inner: str) -> None:
    assert embedded_ipv4(ipaddress.ip_address(address)) == ipaddress.ip_address(inner)
    assert refused(address).startswith(f"IPv6 carrying {inner}, ")
    assert refused("::ffff:8.8.8.8") == "" and refused("64:ff9b::808:808") == ""


def test_the_operators_allowances_open_exactly_what_they_name_and_never_metadata() -> None:
    assert refused("127.0.0.1", 8080, "127.0.0.1:8080") == ""
    assert refused("127.0.0.1", 8081, "127.0.0.1:8080") == "a loopback address"  # another port
    assert refused("127.0.0.2", 8080, "127.0.0.1:8080") == "a loopback address"
    assert refused("10.2.3.4", 443, "10.0.0.0/8") == ""  # a CIDR, any port
    assert refused("::1", 8080, "[::1]:8080") == "" and refused("::1", 9, "::1") == ""
    assert refused("::ffff:127.0.0.1", 8080, "127.0.0.1:8080") == ""  # the same address, mapped
    assert refused("169.254.169.254", 80, "169.254.0.0/16") == "a cloud metadata address"
    assert refused("169.254.1.1", 80, "169.254.0.0/16") == ""


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://feeds.example.com/feed.xml", "only http and https URLs are fetched, not 'ftp'"),
        ("file:///etc/passwd", "only http and https URLs are fetched, not 'file'"),
        ("gopher://127.0.0.1:6379/_INFO", "only http and https"),
        ("//feeds.example.com/feed.xml", "not '(no scheme)'"),
        ("http://reader:secret@feeds.example.com/", "a URL with a user name or password in it is not fetched"),
        ("http://token@feeds.example.com/", "a URL with a user name or password in it is not fetched"),
        ("http:///feed.xml", "the URL names no host"),
        ("http://feeds.example.com:99999/", "not a URL sharedwatch can fetch"),
        ("http://metadata.google.internal/computeMetadata/v1/", "metadata.google.internal is a cloud metadata name"),
        ("http://METADATA.google.internal./", "metadata.google.internal is a cloud metadata name"),
        ("http://127.0.0.1:8080/latest/meta-data/", "127.0.0.1 is a loopback address; sharedwatch fetches only"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1 is IPv6 carrying 127.0.0.1, a loopback address"),
        ("https://169.254.169.254/", "169.254.169.254 is a cloud metadata address"),
    ],
)
def test_urls_refused_before_any_name_is_resolved(url: str, reason: str) -> None:
    assert reason in url_refusal(url)


def test_names_and_public_literals_wait_for_resolution() -> None:
    # A name is judged by what it resolves to (by the fetcher); "0x7f.1" is one such name.
    for url in ("https://feeds.example.com/feed.xml", "http://0x7f.1/", "http://8.8.8.8:8080/x", "HTTPS://A.EXAMPLE"):
        assert url_refusal(url) == "", url
    assert url_refusal("http://127.0.0.1:8080/", allowed=parse_outbound_allow("127.0.0.1:8080")) == ""


def test_settings_read_the_allowances_off_by_default_and_refuse_a_wrong_entry() -> None:
    assert load_settings({}).outbound_allow == ()
    allowed = load_settings({"SHAREDWATCH_OUTBOUND_ALLOW": " 127.0.0.1:8080, 10.0.0.0/8 ,[::1]:9000,::1"})
    assert [(str(a.network), a.port) for a in allowed.outbound_allow] == [
        ("127.0.0.1/32", 8080),
        ("10.0.0.0/8", None),
        ("::1/128", 9000),
        ("::1/128", None),
    ]
    for wrong in ("localhost:8080", "127.0.0.1:http", "10.0.0.1/8", "127.0.0.1:0", "[::1]8080"):
        with pytest.raises(ValueError, match="SHAREDWATCH_OUTBOUND_ALLOW"):
            load_settings({"SHAREDWATCH_OUTBOUND_ALLOW": wrong})
