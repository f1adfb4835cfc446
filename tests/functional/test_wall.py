"""The wall's data: what the router keeps ready, one read per poll at most, a 304 when nothing
changed, lobby-safe screens, and display tokens that can be revoked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.api import wall as wall_api
from tests.functional.conftest import Harness
from tests.support import CRISIS, MENTION, batch_envelope, envelope, signed_headers

DISPLAY = {"authorization": "Bearer display-test-token"}
ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def _post(h: Harness, body: bytes) -> None:
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202


def _poll(h: Harness, **headers: str) -> Any:
    wall_api.clear_cache()
    return h.client.http.get("/api/wall?cursor=", headers={**DISPLAY, **headers})


@pytest.fixture
def reads() -> Any:
    counted = {"n": 0}

    def count(**kwargs: Any) -> None:
        counted["n"] += 1

    aws.dynamodb().meta.events.register("before-send.dynamodb", count)
    yield counted
    aws.dynamodb().meta.events.unregister("before-send.dynamodb", count)


def test_the_wall_shows_what_arrived_and_answers_304_with_no_reads_when_nothing_changed(
    harness: Harness, reads: dict[str, int]
) -> None:
    praise = {
        **MENTION,
        "id": "31",
        "url": "",
        "text": "The cabin crew on flight 12 were wonderful, thank you!",
        "author": {"handle": "fan", "followers": 900},
    }
    _post(harness, batch_envelope([MENTION, praise]))
    harness.pump.pump_once()
    reads["n"] = 0
    first = _poll(harness)
    assert first.status_code == 200 and reads["n"] == 1
    doc = first.json_body
    assert [e["id"] for e in doc["stream"]] and {e["sentiment"] for e in doc["stream"]} == {"negative", "positive"}
    assert doc["kudos"][0]["departments"] == ["inflight"]
    assert {r["department"] for r in doc["ledger"]} >= {"inflight"}
    assert sum(m["n"] for m in doc["minutes"]) == 2 and len(doc["hours"]) == 24
    etag = first.headers["ETag"]
    reads["n"] = 0
    again = harness.client.http.get("/api/wall", headers={**DISPLAY, "if-none-match": etag})
    assert again.status_code == 304 and again.body == b"" and reads["n"] == 0  # the shared read is still fresh
    assert _poll(harness, **{"if-none-match": etag}).status_code == 304 and reads["n"] == 1  # one read, unchanged
    # Only what is newer than the cursor comes back.
    _post(harness, envelope({**MENTION, "id": "32", "url": "", "text": "Bags arrived fast today"}))
    harness.pump.pump_once()
    wall_api.clear_cache()
    newer = harness.client.http.get(f"/api/wall?cursor={doc['cursor']}", headers={**DISPLAY, "if-none-match": etag})
    assert newer.status_code == 200 and [e["id"] for e in newer.json_body["stream"]] != []
    assert len(newer.json_body["stream"]) == 1 and newer.json_body["full"] is False


def test_a_lobby_screen_never_gets_handles_links_or_names(harness: Harness) -> None:
    mention = {**MENTION, "text": "@brand your agent @sam_gate12 was rude", "author": {"handle": "ana", "followers": 5}}
    _post(harness, envelope(mention))
    harness.pump.pump_once()
    wall_api.clear_cache()
    body = harness.client.http.get("/api/wall?lobby=1", headers=DISPLAY).body.decode()
    doc = json.loads(body)
    assert doc["lobby"] is True and doc["stream"][0]["text"] == "@… your agent @… was rude"
    assert "ana" not in body and "x.com" not in body and "sam_gate12" not in body


def test_an_incident_takes_the_wall_into_crisis_mode_with_a_code_to_acknowledge(harness: Harness) -> None:
    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    doc = _poll(harness).json_body
    assert doc["crisis"]["title"].startswith("Our flight crew") and doc["crisis"]["story"]
    [incident] = doc["incidents"]
    assert incident["qr"].startswith("data:image/svg+xml") and 0 < incident["escalates_in"] <= 15 * 60
    harness.client.http.post(f"/api/incidents/{incident['id']}/resolve", body=b"{}", headers=ADMIN)
    after = _poll(harness).json_body
    assert after["crisis"] is None and after["incidents"][0]["status"] == "resolved"


def test_a_lobby_screen_is_the_tokens_property_and_gets_no_codes_to_acknowledge(harness: Harness) -> None:
    made = harness.client.http.post(
        "/api/displays", body=json.dumps({"name": "lobby", "lobby": True}).encode(), headers=ADMIN
    )
    assert made.status_code == 201 and made.json_body["lobby"] is True
    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    wall_api.clear_cache()
    # The browser does not ask for lobby mode (a visitor edited the URL): the server gives it anyway.
    answer = harness.client.http.get(
        "/api/wall?lobby=0", headers={"authorization": f"Bearer {made.json_body['token']}"}
    )
    doc = answer.json_body
    assert doc["lobby"] is True and doc["crisis"] is not None
    assert "qr" not in doc["crisis"] and all(
        "qr" not in i for i in doc["incidents"]
    )  # nobody acknowledges from a photo
    assert "dana" not in answer.body.decode()
    listed = harness.client.http.get("/api/displays", headers=ADMIN).json_body
    assert listed["lobby"] == ["lobby"]


def test_display_tokens_are_per_screen_and_revocable(harness: Harness) -> None:
    assert harness.client.http.get("/api/wall", headers={"authorization": "Bearer nope"}).status_code == 401
    made = harness.client.http.post("/api/displays", body=json.dumps({"name": "lobby"}).encode(), headers=ADMIN)
    assert made.status_code == 201 and made.json_body["url"].endswith("/wall#token=" + made.json_body["token"])
    screen = {"authorization": f"Bearer {made.json_body['token']}"}
    assert harness.client.http.get("/api/wall", headers=screen).status_code == 200
    assert harness.client.http.delete("/api/displays/lobby", headers=ADMIN).status_code == 204
    assert harness.client.http.get("/api/wall", headers=screen).status_code == 401


def test_the_wall_page_is_a_static_shell_under_a_strict_policy(harness: Harness) -> None:
    page = harness.client.http.get("/wall")
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "connect-src 'self'" in csp
    assert b'<script src="wall/wall.js" defer></script>' in page.body and b"token" not in page.body.split(b"<body>")[0]
    script = harness.client.http.get("/wall/wall.js")
    assert script.headers["Content-Type"].startswith("text/javascript") and b"innerHTML" not in script.body
    assert harness.client.http.get("/wall/other.js").status_code == 404


def test_a_departments_wall_shows_its_own_part_and_a_scoped_screen_cannot_leave_it(harness: Harness) -> None:

    from tests.functional.identity_support import ADMIN
    from tests.support import MENTION, batch_envelope, signed_headers

    items = [
        {
            **MENTION,
            "id": "bag-1",
            "url": "https://x.com/a/status/81",
            "text": "They lost my bag again, baggage claim chaos",
        },
        {
            **MENTION,
            "id": "crew-1",
            "url": "https://x.com/b/status/82",
            "text": "The cabin crew were wonderful, thank you",
        },
    ]
    body = batch_envelope(items)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    made = harness.client.http.post(
        "/api/displays", body=json.dumps({"name": "bag-desk", "department": "baggage"}).encode(), headers=ADMIN
    )
    assert made.status_code == 201, made.body
    token = json.loads(made.body)["token"]
    wall_api.clear_cache()
    screen = {"authorization": f"Bearer {token}"}
    # The browser asks for another department: the screen's own scope wins.
    seen = json.loads(harness.client.http.get("/api/wall?department=inflight", headers=screen).body)
    assert seen["scope"]["department"] == "baggage" and seen["scope"]["name"]
    assert seen["stream"] and all("baggage" in e["departments"] for e in seen["stream"])
    whole = json.loads(harness.client.http.get("/api/wall", headers=DISPLAY).body)
    assert whole["scope"] is None and len(whole["stream"]) == 2
    wrong = harness.client.http.post(
        "/api/displays", body=json.dumps({"name": "x", "department": "nope", "lobby": "yes"}).encode(), headers=ADMIN
    )
    # The declared schema's shape first (api/schemas.DISPLAY), then what only the store knows.
    assert wrong.status_code == 422 and json.loads(wrong.body)["errors"] == ["lobby: a boolean"]
    wrong = harness.client.http.post(
        "/api/displays", body=json.dumps({"name": "x", "department": "nope", "lobby": True}).encode(), headers=ADMIN
    )
    assert wrong.status_code == 422 and len(json.loads(wrong.body)["errors"]) == 1


def test_the_wall_is_stored_compressed_and_a_snapshot_stored_as_text_before_is_still_read(harness: Harness) -> None:
    """Each KB of the snapshot is a write unit on every stream batch: it is stored compressed.
    A snapshot written as JSON text (before compression) still reads, and is folded into."""
    from chalicelib.clock import utcnow
    from chalicelib.store import wall
    from chalicelib.store.models import WallModel

    table = WallModel.Meta.table_name
    legacy = {"stream": [{"key": "2020-01-01T00:00:00Z|old", "id": "old", "text": "kept"}], "updated_at": "x"}
    aws.dynamodb().put_item(
        TableName=table, Item={"id": {"S": "wall"}, "version": {"N": "3"}, "doc": {"S": json.dumps(legacy)}}
    )
    assert wall.read_snapshot() == (3, legacy)
    _post(harness, batch_envelope([MENTION]))
    harness.pump.pump_once()
    version, doc = wall.read_snapshot()
    assert version == 4 and [e["id"] for e in doc["stream"]][-1] == "old" and len(doc["stream"]) == 2
    item = aws.dynamodb().get_item(TableName=table, Key={"id": {"S": "wall"}})["Item"]
    assert "docz" in item and "doc" not in item
    day = aws.dynamodb().get_item(TableName=table, Key={"id": {"S": wall.day_key(utcnow())}})["Item"]
    assert len(item["docz"]["B"]) < len(json.dumps(doc)) and "docz" in day


def test_a_batch_folds_once_into_the_snapshot_and_the_day_when_one_write_meets_another_writer(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The snapshot and the day's ledger are written apart: a conflict on the day's write reads
    and folds the day again, and never folds the batch into the snapshot twice."""
    from chalicelib.clock import utcnow
    from chalicelib.records import Author, Mention
    from chalicelib.store import wall

    now = utcnow()
    m = Mention(
        mention_id="m1", identity="x:1", source="generic", platform="x", external_id="1", url="",
        text="The crew were lovely", published_at=now,
        received_at=now, author=Author(handle="fan"), sentiment_label="positive", departments=("inflight",),
    )  # fmt: skip
    real_put = aws.dynamodb().put_item
    raced = {"n": 0}

    def race_the_day(**kwargs: Any) -> Any:
        if kwargs["Item"]["id"]["S"].startswith("day|") and not raced["n"]:
            raced["n"] += 1
            wall._change([wall.day_key(now)], lambda docs: docs[0].update(other=1), expires=(None,), attempts=1)
        return real_put(**kwargs)

    monkeypatch.setattr(aws.dynamodb(), "put_item", race_the_day)
    assert wall.update(batch=[wall.Seen(m)], now=now)
    snapshot = wall.read_snapshot()[1]
    day = wall.read_days([now])[wall.day_key(now)]
    assert raced["n"] == 1 and day["other"] == 1 and day["departments"]["inflight"]["n"] == 1
    assert sum(row[0] for row in snapshot["minutes"].values()) == 1
