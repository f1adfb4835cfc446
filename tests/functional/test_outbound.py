"""Outbound requests go only where they may: pull targets on internal addresses are refused when
saved (the API and the configuration page, with the reason) and when fetched (the poller records
the reason on the cursor), after the name is resolved and after every redirect; the connection
goes to the address that was checked; bodies and time are capped. The servers are real ones on
127.0.0.1; a name that resolves to one is made by patching the resolver (the machine has no DNS)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib.clock import utcnow
from chalicelib.flows.polling import poll_due
from chalicelib.http import MAX_BYTES, fetch
from chalicelib.store.models import ConfigModel, CursorModel
from tests.conftest import FIXTURES
from tests.functional.conftest import Harness, allow_outbound, served_at
from tests.functional.identity_support import ADMIN, sign_in

RSS = (FIXTURES / "sources" / "rss" / "review_site.xml").read_bytes()
PUBLIC_NAME = "feeds.example-news.com"
Answer = Callable[[BaseHTTPRequestHandler], None]


class Server:
    """A real HTTP server on a loopback address; each path answers as the test says, and every
    request it received is kept (path and headers)."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Answer] = {}
        self.seen: list[tuple[str, dict[str, str]]] = []
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                outer.seen.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                outer.routes.get(self.path, feed)(self)

        self.httpd = ThreadingHTTPServer((host, port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{host}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()


def feed(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "application/rss+xml")
    h.send_header("Content-Length", str(len(RSS)))
    h.end_headers()
    h.wfile.write(RSS)


def redirect(to: str, status: int = 302) -> Answer:
    def answer(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", to)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return answer


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.close()


@pytest.fixture
def internal() -> Iterator[Server]:
    """What an attacker aims at: a service on loopback that nobody listed."""
    s = Server()  # every path answers (a feed, standing for the credentials it would leak)
    yield s
    s.close()


def _resolving(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    """The resolver answers these names with these addresses (one per call, the last repeated);
    every name it is asked is recorded. Any other name resolves as usual."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(str(host))
        if host in answers:
            address = answers[host].pop(0) if len(answers[host]) > 1 else answers[host][0]
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


def _put(harness: Harness, key: str, url: str) -> Any:
    body = json.dumps({"source": "rss", "url": url, "interval_minutes": 5}).encode()
    return harness.client.http.put(f"/api/pull-targets/{key}", body=body, headers=ADMIN)


def _planted(key: str, url: str) -> None:
    """A target stored before the rule existed (or written straight to the table)."""
    doc = {"id": key, "source": "rss", "url": url, "interval_minutes": 5, "brand": "", "options": {}}
    ConfigModel(kind="pull", key=key, body=json.dumps(doc), updated_at=utcnow()).save()


def test_internal_and_metadata_targets_are_refused_when_saved_with_the_reason(
    harness: Harness, internal: Server
) -> None:
    refused = {
        f"{internal.url}/latest/meta-data/iam/security-credentials/": "127.0.0.1 is a loopback address",
        "http://169.254.169.254/latest/meta-data/": "169.254.169.254 is a cloud metadata address",
        "http://[fd00:ec2::254]/latest/meta-data/": "fd00:ec2::254 is a cloud metadata address",
        f"http://[::ffff:127.0.0.1]:{internal.port}/": "IPv6 carrying 127.0.0.1, a loopback address",
        "http://metadata.google.internal/computeMetadata/v1/": "metadata.google.internal is a cloud metadata name",
        "http://10.1.2.3/feed.xml": "10.1.2.3 is a private address",
        "http://100.64.0.7/feed.xml": "carrier-grade NAT",
        "http://[fd12:3456::1]/feed.xml": "IPv6 unique-local",
        "http://0.0.0.0:8080/": "the unspecified address",
        "http://reader:secret@news.example.com/feed.xml": "user name or password",
        "file:///etc/passwd": "an http(s) URL",  # the shape check says it first
    }
    for n, (url, reason) in enumerate(refused.items()):
        answer = _put(harness, f"t{n}", url)
        assert answer.status_code == 400, (url, answer.body[:300])
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        problem = json.loads(answer.body)
        assert reason in problem["detail"] and any(reason in e for e in problem["errors"]), (url, problem)
    assert json.loads(harness.client.http.get("/api/sources", headers=ADMIN).body)["pull_targets"] == []
    assert internal.seen == []
    assert _put(harness, "news", "https://news.example.com/feed.xml").status_code == 200  # public: saved


def test_the_configuration_page_refuses_an_internal_target_with_the_reason(harness: Harness, internal: Server) -> None:
    admin = sign_in(harness, "boss@example.com", "admin")
    admin.get("/admin/edit/pull-targets?key=meta")
    doc = {"source": "rss", "url": f"{internal.url}/latest/meta-data/iam/security-credentials/"}
    refused = admin.post_form("/admin/edit/pull-targets", {"key": "meta", "doc": json.dumps(doc)})
    assert refused.status_code == 400
    assert "127.0.0.1 is a loopback address" in refused.body.decode()
    assert json.loads(harness.client.http.get("/api/sources", headers=ADMIN).body)["pull_targets"] == []


def test_a_target_saved_earlier_is_refused_by_the_poller_which_records_why(harness: Harness, internal: Server) -> None:
    _planted("meta", f"{internal.url}/latest/meta-data/iam/security-credentials/")
    now = utcnow()
    [outcome] = poll_due(now=now)
    assert outcome.status.startswith("error: refused: 127.0.0.1 is a loopback address")
    cursor = CursorModel.get("rss|meta", consistent_read=True)
    assert cursor.last_status == outcome.status and cursor.failures == 1
    assert cursor.next_poll_at > now + timedelta(minutes=5)  # backs off like any failure
    assert internal.seen == []


def test_a_public_name_that_resolves_to_loopback_is_refused_at_save_and_at_fetch(
    harness: Harness, internal: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked = _resolving(monkeypatch, {PUBLIC_NAME: ["127.0.0.1"]})
    url = f"http://{PUBLIC_NAME}:{internal.port}/latest/meta-data/iam/security-credentials/"
    answer = _put(harness, "news", url)
    assert answer.status_code == 400
    assert f"{PUBLIC_NAME} resolves to 127.0.0.1, a loopback address" in json.loads(answer.body)["detail"]
    assert PUBLIC_NAME in asked

    _planted("news", url)  # as if it had resolved to a public address when it was saved
    [outcome] = poll_due(now=utcnow())
    assert f"refused: {PUBLIC_NAME} resolves to 127.0.0.1, a loopback address" in outcome.status
    assert internal.seen == []


def test_a_name_resolving_to_any_internal_address_is_refused_even_beside_a_public_one(
    monkeypatch: pytest.MonkeyPatch, internal: Server
) -> None:
    real = socket.getaddrinfo

    def two_answers(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != PUBLIC_NAME:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("93.184.215.14", int(port))),
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("169.254.169.254", int(port))),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", two_answers)
    answer = fetch(f"http://{PUBLIC_NAME}:{internal.port}/", timeout=2)
    assert answer.error.startswith("refused: ") and "169.254.169.254, a cloud metadata address" in answer.error


def test_the_connection_goes_to_the_address_that_was_checked_not_to_a_rebound_one(
    monkeypatch: pytest.MonkeyPatch, internal: Server
) -> None:
    # The listed feed server is on 127.0.0.2, the internal one on 127.0.0.1, same port: a
    # client that resolved the name again to connect would reach the internal one.
    listed = Server("127.0.0.2", internal.port)
    try:
        allow_outbound(monkeypatch, "127.0.0.2/32")
        asked = _resolving(monkeypatch, {PUBLIC_NAME: ["127.0.0.2", "127.0.0.1"]})
        answer = fetch(f"http://{PUBLIC_NAME}:{internal.port}/feed.xml")
        assert (answer.status, answer.error, answer.body) == (200, "", RSS)
        assert asked.count(PUBLIC_NAME) == 1
        assert [path for path, _ in listed.seen] == ["/feed.xml"] and internal.seen == []
        assert listed.seen[0][1]["host"] == f"{PUBLIC_NAME}:{internal.port}"  # the name, not the address
        # The next fetch resolves again, gets the rebound answer, and is refused.
        again = fetch(f"http://{PUBLIC_NAME}:{internal.port}/feed.xml")
        assert "resolves to 127.0.0.1, a loopback address" in again.error and internal.seen == []
    finally:
        listed.close()


def test_a_redirect_to_an_internal_or_metadata_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, server: Server, internal: Server
) -> None:
    allow_outbound(monkeypatch, served_at(server.url))
    server.routes["/to-metadata"] = redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/")
    server.routes["/to-internal"] = redirect(f"{internal.url}/latest/meta-data/iam/security-credentials/", 307)
    server.routes["/to-localhost"] = redirect(f"http://localhost:{internal.port}/latest/meta-data/", 301)
    server.routes["/to-mapped"] = redirect(f"http://[::ffff:7f00:1]:{internal.port}/", 308)
    server.routes["/to-file"] = redirect("file:///etc/passwd")
    for path, reason in (
        ("/to-metadata", "169.254.169.254 is a cloud metadata address"),
        ("/to-internal", "127.0.0.1 is a loopback address"),
        ("/to-localhost", "localhost resolves to"),
        ("/to-mapped", "IPv6 carrying 127.0.0.1, a loopback address"),
        ("/to-file", "only http and https"),
    ):
        answer = fetch(server.url + path, timeout=3)
        assert answer.status == 0 and answer.error.startswith("refused: ") and reason in answer.error, (path, answer)
    assert internal.seen == []


def test_redirects_are_followed_a_few_times_and_credentials_stay_with_their_origin(
    monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    other = Server()
    try:
        allow_outbound(monkeypatch, served_at(server.url), served_at(other.url))
        server.routes["/moved"] = redirect(f"{other.url}/feed.xml", 301)
        answer = fetch(f"{server.url}/moved", headers={"Authorization": "Bearer vendor-token"})
        assert (answer.status, answer.body) == (200, RSS)
        assert server.seen[0][1]["authorization"] == "Bearer vendor-token"
        assert "authorization" not in other.seen[0][1]  # never sent to another origin

        for n in range(7):
            server.routes[f"/loop/{n}"] = redirect(f"/loop/{n + 1}")
        looped = fetch(f"{server.url}/loop/0")
        assert looped.error == "more than 5 redirects"
        assert [p for p, _ in server.seen if p.startswith("/loop/")] == [f"/loop/{n}" for n in range(6)]
    finally:
        other.close()


def test_credentials_in_a_url_are_refused_even_for_a_listed_server(
    monkeypatch: pytest.MonkeyPatch, server: Server
) -> None:
    allow_outbound(monkeypatch, served_at(server.url))
    answer = fetch(server.url.replace("http://", "http://reader:secret@") + "/feed.xml")
    assert "user name or password" in answer.error and server.seen == []


def test_an_oversize_body_is_not_read_past_the_cap(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    allow_outbound(monkeypatch, served_at(server.url))
    chunk = b"<" * 65536
    sent: list[int] = []

    def endless(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/rss+xml")
        h.end_headers()  # no length: the body runs until the server stops
        try:
            for _ in range(200):  # 13 MB, more than twice the cap
                h.wfile.write(chunk)
                sent.append(len(chunk))
        except OSError:
            pass

    def declared(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", str(MAX_BYTES + 1))
        h.end_headers()

    server.routes["/endless"] = endless
    server.routes["/declared"] = declared
    capped = fetch(f"{server.url}/endless")
    assert capped.error == f"response larger than {MAX_BYTES} bytes" and capped.body == b""
    early = fetch(f"{server.url}/declared")
    assert early.error.startswith(f"response larger than {MAX_BYTES} bytes (Content-Length")


def test_a_slow_server_is_given_up_on_at_the_deadline(monkeypatch: pytest.MonkeyPatch, server: Server) -> None:
    allow_outbound(monkeypatch, served_at(server.url))

    def silent(h: BaseHTTPRequestHandler) -> None:
        server.stop.wait(10)  # never answers in time

    def dribbling(h: BaseHTTPRequestHandler) -> None:
        # A byte at a time, each well within any socket timeout: only the deadline ends it.
        h.send_response(200)
        h.end_headers()
        try:
            while not server.stop.wait(0.05):
                h.wfile.write(b"<")
                h.wfile.flush()
        except OSError:
            pass

    server.routes["/silent"] = silent
    server.routes["/dribbling"] = dribbling
    for path in ("/silent", "/dribbling"):
        started = time.monotonic()
        answer = fetch(server.url + path, timeout=0.5)
        took = time.monotonic() - started
        assert answer.status == 0 and "took longer than 0.5 s" in answer.error, (path, answer)
        assert took < 1.5, (path, took)


def test_the_poller_fetches_a_listed_local_feed(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # The local stack's exception, as it sets it: SHAREDWATCH_OUTBOUND_ALLOW names the server.
    feeds = Server()
    try:
        allow_outbound(monkeypatch, served_at(feeds.url))
        assert _put(harness, "local", f"{feeds.url}/feed.xml").status_code == 200
        [outcome] = poll_due(now=utcnow())
        assert (outcome.status, outcome.stored) == ("200", 2)
    finally:
        feeds.close()
