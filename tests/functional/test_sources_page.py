"""The sources, as the team running sharedwatch sees them: configured or not, when each last
delivered, what it refused and why; pull targets made through the API (validated as the
configuration page validates them) with their cursors and back-off."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from chalicelib.clock import isoformat, utcnow
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in
from tests.support import MENTION, batch_envelope, envelope, recent, signed_headers


def test_the_sources_page_says_what_each_source_delivered_and_refused(harness: Harness) -> None:
    http = harness.client.http
    body = envelope({**MENTION, "published_at": isoformat(utcnow())})  # delivered lately, on any date
    assert http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    forged = http.post("/webhooks/generic", body=body, headers=signed_headers(body, secret="whsec_" + "A" * 32))
    assert forged.status_code == 401
    bad = http.put(
        "/api/pull-targets/news", body=json.dumps({"source": "gopher", "interval_minutes": 0}).encode(), headers=ADMIN
    )
    # The declared schema's shape first (api/schemas.PULL_TARGET), then what the source allows.
    assert bad.status_code == 400 and json.loads(bad.body)["errors"] == ["interval_minutes: at least 1"]
    bad = http.put("/api/pull-targets/news", body=json.dumps({"source": "gopher"}).encode(), headers=ADMIN)
    assert bad.status_code == 400 and len(json.loads(bad.body)["errors"]) == 1
    good = {"source": "rss", "url": "https://news.example.com/feed.xml", "interval_minutes": 30, "brand": "Example"}
    assert http.put("/api/pull-targets/news", body=json.dumps(good).encode(), headers=ADMIN).status_code == 200

    lead = sign_in(harness, "lee@example.com", "lead", department="inflight")
    seen = json.loads(lead.api("GET", "/api/sources").body)
    generic = next(s for s in seen["sources"] if s["slug"] == "generic")
    assert generic["configured"] and generic["last_delivery"] and generic["refused_24h"] == 1
    assert generic["last_refusal"].startswith("401")
    [target] = seen["pull_targets"]
    assert (target["id"], target["source"], target["interval_minutes"], target["failures"]) == ("news", "rss", 30, 0)
    page = lead.get("/sources").body.decode()
    assert "news.example.com/feed.xml" in page and "401" in page
    assert http.delete("/api/pull-targets/news", headers=ADMIN).status_code == 204


def test_a_pull_target_of_the_wrong_shapes_is_refused_whole_never_a_5xx(harness: Harness) -> None:
    # The fuzz found these: a source given as a list or an object made a set lookup fail (500).
    for body in (
        {"source": {"a": 1}},
        {"source": ["rss"]},
        {"source": "rss", "url": {"x": 1}},
        {"source": "rss", "url": "https://a.example/" + "x" * 3000},
        {"source": "rss", "url": "https://a.example/feed", "options": [1]},
        {"source": "rss", "url": "https://a.example/feed", "brand": ["x"]},
    ):
        answer = harness.client.http.put("/api/pull-targets/ok", body=json.dumps(body).encode(), headers=ADMIN)
        assert answer.status_code == 400, (body, answer.body[:200])
    assert json.loads(harness.client.http.get("/api/sources", headers=ADMIN).body)["pull_targets"] == []


def test_a_source_that_delivers_last_months_posts_delivered_just_now(harness: Harness) -> None:
    # A vendor's replay, a feed's first poll, a backfill: old posts, arriving now. The sources page
    # says when the source last reached us, not when its newest post was written.
    http = harness.client.http
    old = [
        {**MENTION, "id": f"old-{n}", "url": f"https://x.com/ana/status/old-{n}", "published_at": recent(days=d)}
        for n, d in enumerate((31, 35, 40))
    ]
    before = datetime.now(UTC)
    body = batch_envelope(old)
    assert http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    sources = json.loads(http.get("/api/sources", headers=ADMIN).body)["sources"]
    generic = next(s for s in sources if s["slug"] == "generic")
    delivered = datetime.fromisoformat(generic["last_delivery"].replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= delivered <= datetime.now(UTC)
    assert next(s for s in sources if s["slug"] == "x")["last_delivery"] is None  # never delivered
    page = sign_in(harness, "lee@example.com", "lead", department="inflight").get("/sources").body.decode()
    assert "never" in page and f"{delivered:%Y-%m-%d %H:%M} UTC" in page
