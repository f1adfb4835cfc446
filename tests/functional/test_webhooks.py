from __future__ import annotations

import json
import time
from typing import Any

import pytest

from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION, batch_envelope, envelope, signed_headers


def _post(h: Harness, body: bytes, headers: dict[str, str], source: str = "generic") -> Any:
    return h.client.http.post(f"/webhooks/{source}", body=body, headers=headers)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    doc = json.loads(response.body)
    assert doc["status"] == status and doc["detail"]
    return doc  # type: ignore[no-any-return]


def _stored() -> int:
    return sum(1 for _ in MentionModel.scan())


def test_a_signed_mention_is_stored_routed_and_published(harness: Harness) -> None:
    body = envelope()
    response = _post(harness, body, signed_headers(body))
    assert response.status_code == 202
    assert json.loads(response.body)["stored"] == 1
    stored = MentionModel.get(json.loads(response.body)["ids"][0])
    assert stored.identity == "x:1893021" and stored.author_followers == 48210
    assert harness.pump.pump_once() == 1
    groups = sorted(d["group"] for d in harness.deliveries())
    assert groups == ["operations", "social-team"]  # every mention + the 'cancelled' keyword rule


def test_the_same_delivery_twice_is_stored_once_and_notified_once(harness: Harness) -> None:
    body = envelope()
    headers = signed_headers(body, msg_id="msg_same")
    first, second = _post(harness, body, headers), _post(harness, body, headers)
    assert first.status_code == second.status_code == 202
    assert json.loads(second.body) == {**json.loads(first.body), "stored": 0, "duplicates": 1}
    harness.pump.pump_once()
    harness.pump.pump_once()
    assert _stored() == 1
    assert len(harness.deliveries()) == 2  # one per group, not per delivery


def test_the_same_post_from_another_url_form_is_the_same_mention(harness: Harness) -> None:
    other = {"url": "https://mobile.twitter.com/ana/status/1893021?s=20", "text": "copy", "published_at": "2026-11-24"}
    for data in (MENTION, other):
        body = envelope(data)
        assert _post(harness, body, signed_headers(body)).status_code == 202
    assert _stored() == 1


def test_a_batch_folds_duplicates_and_stores_the_rest(harness: Harness) -> None:
    items = [MENTION, MENTION, {**MENTION, "id": "2"}, {**MENTION, "id": "3"}]
    body = batch_envelope(items)
    doc = json.loads(_post(harness, body, signed_headers(body)).body)
    assert (doc["received"], doc["stored"], doc["duplicates"]) == (4, 3, 1)
    assert _stored() == 3


def test_unknown_source_is_404(harness: Harness) -> None:
    body = envelope()
    doc = _problem(_post(harness, body, signed_headers(body), source="myspace"), 404)
    assert "generic" in doc["detail"]


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "v1,Zm9yZ2Vk"},
        {"webhook-signature": "v1,%%%"},
        {"webhook-signature": ""},
        {"webhook-timestamp": str(int(time.time()) - 301 - 60)},
    ],
)
def test_bad_missing_or_stale_signatures_are_401_and_store_nothing(harness: Harness, change: dict[str, str]) -> None:
    body = envelope()
    _problem(_post(harness, body, {**signed_headers(body), **change}), 401)
    assert _stored() == 0


def test_malformed_json_is_400(harness: Harness) -> None:
    body = b'{"type": "mention.created", "data": {'
    assert "not valid JSON" in _problem(_post(harness, body, signed_headers(body)), 400)["detail"]


def test_an_invalid_batch_is_422_and_stores_none_of_it(harness: Harness) -> None:
    body = batch_envelope([MENTION, {"id": "9"}])
    doc = _problem(_post(harness, body, signed_headers(body)), 422)
    assert any("data.mentions[1].text" in e for e in doc["errors"])
    assert _stored() == 0


def test_a_body_over_1_mib_is_413(harness: Harness) -> None:
    body = envelope({**MENTION, "padding": "x" * (1024 * 1024)})
    _problem(_post(harness, body, signed_headers(body)), 413)
    assert _stored() == 0


def test_a_wrong_content_type_is_415(harness: Harness) -> None:
    body = envelope()
    _problem(_post(harness, body, {**signed_headers(body), "content-type": "text/plain"}), 415)


def test_get_on_a_source_without_handshake_is_405(harness: Harness) -> None:
    _problem(harness.client.http.get("/webhooks/generic"), 405)


def test_health_checks_dynamodb(harness: Harness) -> None:
    response = harness.client.http.get("/health")
    assert response.status_code == 200
    assert json.loads(response.body)["checks"] == {"dynamodb": "ok"}


def test_an_unexpected_failure_is_a_500_problem_without_internals(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret internals: table sharedwatch-test-mentions")

    monkeypatch.setattr("chalicelib.api.webhooks.ingest", broken)
    body = envelope()
    doc = _problem(_post(harness, body, signed_headers(body)), 500)
    assert doc["type"].endswith("/internal") and "internals" not in json.dumps(doc)
    assert list(MentionModel.scan()) == []


def test_a_request_logs_under_the_senders_delivery_id(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.observability import logger

    seen: list[tuple[str, str | None]] = []
    monkeypatch.setattr(logger, "info", lambda message, **_: seen.append((message, logger.get_correlation_id())))
    body = envelope()
    headers = signed_headers(body)
    assert _post(harness, body, headers).status_code == 202
    assert ("mentions ingested", headers["webhook-id"]) in seen
