"""Pull sources against a local HTTP server that answers the way the real ones do: ETag and
Last-Modified with 304s, Retry-After and X-Rate-Limit-Reset with 429s, and failures."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.clock import utcnow
from chalicelib.flows.polling import poll_due, save_target
from chalicelib.store.models import CursorModel, MentionModel
from tests.conftest import FIXTURES
from tests.functional.conftest import Harness, allow_outbound, served_at

RSS = (FIXTURES / "sources" / "rss" / "review_site.xml").read_bytes()
ETAG = '"feed-v1"'
MODIFIED = "Tue, 24 Nov 2026 09:30:00 GMT"


class Vendor(BaseHTTPRequestHandler):
    """One server playing a feed host and Mention's API."""

    calls: ClassVar[list[tuple[str, dict[str, str]]]] = []
    mode: ClassVar[dict[str, str]] = {}
    pages: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        Vendor.calls.append((url.path, {k.lower(): v for k, v in self.headers.items()}))
        mode = Vendor.mode.get(url.path, "ok")
        if mode == "busy":
            return self._send(429, headers={"Retry-After": "120"})
        if mode == "down":
            return self._send(500)
        if mode == "reset":
            return self._send(429, headers={"X-Rate-Limit-Reset": str(int(time.time()) + 3600)})
        if url.path == "/feed.xml":
            if self.headers.get("If-None-Match") == ETAG or self.headers.get("If-Modified-Since") == MODIFIED:
                return self._send(304, headers={"ETag": ETAG})
            return self._send(
                200, RSS, {"Content-Type": "application/rss+xml", "ETag": ETAG, "Last-Modified": MODIFIED}
            )
        if url.path.endswith("/mentions"):
            if self.headers.get("Authorization") != "Bearer mention-token":
                return self._send(401)
            since = int(parse_qs(url.query).get("since_id", ["0"])[0])
            items = [m for m in Vendor.pages if int(m["id"]) > since]
            items = (
                sorted(items, key=lambda m: int(m["id"]))[:100]
                if since
                else sorted(items, key=lambda m: -int(m["id"]))[:100]
            )
            return self._send(
                200, json.dumps({"mentions": items, "_links": {}}).encode(), {"Content-Type": "application/json"}
            )
        return self._send(404)


@pytest.fixture
def vendor(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    Vendor.calls, Vendor.mode, Vendor.pages = [], {}, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Vendor)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    allow_outbound(monkeypatch, served_at(url))  # loopback is refused but for this one server
    yield url
    server.shutdown()


def _cursor(cursor_id: str) -> CursorModel:
    return CursorModel.get(cursor_id, consistent_read=True)


def test_a_feed_is_polled_with_conditional_gets_and_its_items_stored_once(harness: Harness, vendor: str) -> None:
    save_target(
        {"id": "reviews", "source": "rss", "url": f"{vendor}/feed.xml", "interval_minutes": 15, "brand": "brand"}
    )
    now = utcnow()
    [first] = poll_due(now=now)
    assert (first.status, first.stored) == ("200", 2)
    assert {m.brand for m in MentionModel.scan()} == {"brand"}
    assert poll_due(now=now + timedelta(minutes=5))[0].skipped  # not due before its interval
    [second] = poll_due(now=now + timedelta(minutes=16))
    assert (second.status, second.stored) == ("304", 0)
    _, headers = Vendor.calls[-1]
    assert headers["if-none-match"] == ETAG and headers["if-modified-since"] == MODIFIED
    assert "sharedwatch" in headers["user-agent"]
    cursor = _cursor("rss|reviews")
    assert cursor.failures == 0 and cursor.next_poll_at > now + timedelta(minutes=30)
    assert sum(1 for _ in MentionModel.scan()) == 2


def test_a_busy_server_is_left_alone_for_as_long_as_it_asks(harness: Harness, vendor: str) -> None:
    save_target({"id": "busy", "source": "rss", "url": f"{vendor}/feed.xml", "interval_minutes": 5})
    Vendor.mode["/feed.xml"] = "busy"
    now = utcnow()
    assert poll_due(now=now)[0].status == "429"
    cursor = _cursor("rss|busy")
    assert cursor.next_poll_at == now + timedelta(seconds=120)
    assert cursor.failures == 1


def test_failures_back_off_exponentially_and_recover(harness: Harness, vendor: str) -> None:
    save_target({"id": "flaky", "source": "rss", "url": f"{vendor}/feed.xml", "interval_minutes": 10})
    Vendor.mode["/feed.xml"] = "down"
    now = utcnow()
    poll_due(now=now)
    assert _cursor("rss|flaky").next_poll_at == now + timedelta(minutes=20)
    later = now + timedelta(minutes=21)
    poll_due(now=later)
    assert _cursor("rss|flaky").next_poll_at == later + timedelta(minutes=40)
    Vendor.mode.clear()
    recovered = later + timedelta(minutes=41)
    assert poll_due(now=recovered)[0].stored == 2
    assert _cursor("rss|flaky").failures == 0


def test_an_unreachable_feed_is_a_recorded_failure_not_a_crash(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    allow_outbound(monkeypatch, "127.0.0.1:9")  # allowed, so what fails is the connection
    save_target({"id": "gone", "source": "rss", "url": "http://127.0.0.1:9/feed.xml", "interval_minutes": 10})
    [outcome] = poll_due(now=utcnow())
    assert outcome.status.startswith("error:") and "refused:" not in outcome.status


def test_mentioncom_polls_forward_from_its_since_id_and_honours_the_rate_limit(harness: Harness, vendor: str) -> None:
    page = json.loads((FIXTURES / "sources" / "mentioncom" / "mentions_page.json").read_text())["mentions"]
    Vendor.pages = list(page)
    save_target(
        {
            "id": "brand-alert",
            "source": "mentioncom",
            "url": f"{vendor}/api",
            "interval_minutes": 5,
            "options": {"account_id": "12345_abc", "alert_id": "112233"},
        }
    )
    now = utcnow()
    assert poll_due(now=now)[0].stored == 2
    assert json.loads(_cursor("mentioncom|brand-alert").state) == {"since_id": "527849934"}
    path, headers = Vendor.calls[-1]
    assert path == "/api/accounts/12345_abc/alerts/112233/mentions" and headers["accept-version"] == "1.21"
    Vendor.pages.append({**page[0], "id": "527849999", "original_url": "https://news.example/second-story"})
    assert poll_due(now=now + timedelta(minutes=6))[0].stored == 1
    assert json.loads(_cursor("mentioncom|brand-alert").state) == {"since_id": "527849999"}
    Vendor.mode["/api/accounts/12345_abc/alerts/112233/mentions"] = "reset"
    later = now + timedelta(minutes=12)
    assert poll_due(now=later)[0].status == "429"
    assert _cursor("mentioncom|brand-alert").next_poll_at >= later + timedelta(minutes=45)  # the reset, not a backoff


def test_a_bad_target_says_what_is_wrong() -> None:
    from chalicelib.errors import InvalidPayload
    from chalicelib.flows.polling import parse_target

    with pytest.raises(InvalidPayload, match="source: one of mentioncom, rss"):
        parse_target({"id": "x", "source": "ftp", "url": "ftp://a"})
