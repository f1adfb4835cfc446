"""One way in: the same post pushed (a signed WebSub delivery) and pulled (an RSS poll) goes
through the same pipeline (triage, language backends, storage, counters) and is stored the same."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chalicelib import comprehend
from chalicelib.flows.polling import poll_due, save_target
from chalicelib.settings import get_settings
from chalicelib.store.models import MentionModel
from tests.conftest import FIXTURES
from tests.functional.conftest import Harness, allow_outbound, served_at

FEED = (FIXTURES / "sources" / "rss" / "review_site.xml").read_bytes()
# What says how a post arrived rather than what it is: who delivered it, when, and the payload.
# (The inbox's keys follow the arrival time, and its search terms name the source.)
DELIVERY_FIELDS = {"source", "sources", "delivery_id", "received_at", "raw", "rawz", "inbox_day", "inbox_key", "terms"}


class Feed(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(FEED)))
        self.end_headers()
        self.wfile.write(FEED)


@pytest.fixture
def feed_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    allow_outbound(monkeypatch, served_at(url))  # loopback is refused but for this one server
    yield url
    server.shutdown()


def _stored() -> dict[str, dict[str, Any]]:
    rows = {}
    for row in MentionModel.scan():
        doc = row.attribute_values
        rows[row.mention_id] = {k: v for k, v in doc.items() if k not in DELIVERY_FIELDS}
    return rows


def test_the_same_post_pushed_and_pulled_is_stored_identically(
    harness: Harness, feed_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Comprehend on for English: before the pipeline was one, pulled mentions skipped it.
    on = dataclasses.replace(get_settings(), comprehend_languages=("en",))
    monkeypatch.setattr(comprehend, "get_settings", lambda: on)
    signature = "sha256=" + hmac.new(b"hub-secret", FEED, hashlib.sha256).hexdigest()
    pushed = harness.client.http.post(
        "/webhooks/websub",
        body=FEED,
        headers={"content-type": "application/rss+xml", "x-hub-signature": signature},
    )
    assert pushed.status_code == 202
    by_push = _stored()
    assert len(by_push) >= 2 and all(r["sentiment_score"] != 0 for r in by_push.values())  # Comprehend scored them
    for row in MentionModel.scan():
        row.delete()

    save_target({"id": "reviews", "source": "rss", "url": feed_url, "interval_minutes": 5})
    [outcome] = poll_due()
    assert outcome.stored == len(by_push)
    assert _stored() == by_push
