"""Hostile and broken input at every door (issue: hardening from an outside attack): each case
once answered 500 or 503, stored half of itself, or mailed strangers. Now each is a clear 4xx
problem that names what is wrong and stores nothing, or is kept safely."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import time
from typing import Any

import pytest

from chalicelib import aws
from chalicelib.settings import get_settings
from chalicelib.store.models import DeliveryModel, MentionModel
from tests.conftest import FIXTURES
from tests.functional.conftest import SOURCE_SECRETS, Harness
from tests.support import MENTION, Fault, aws_error, batch_envelope, envelope, signed_headers

SOURCES = FIXTURES / "sources"


def _generic(h: Harness, body: bytes) -> Any:
    return h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body))


def _signed_meta(h: Harness, doc: Any) -> Any:
    body = json.dumps(doc).encode()
    digest = hmac.new(SOURCE_SECRETS["meta"]["app_secret"].encode(), body, hashlib.sha256).hexdigest()  # type: ignore[index]
    headers = {"content-type": "application/json", "x-hub-signature-256": f"sha256={digest}"}
    return h.client.http.post("/webhooks/meta", body=body, headers=headers)


def _refused(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.body
    assert response.headers["Content-Type"] == "application/problem+json"
    doc = json.loads(response.body)
    for fragment in fragments:
        assert fragment in doc["detail"], doc["detail"]
    assert list(MentionModel.scan()) == []  # nothing half-stored
    return doc  # type: ignore[no-any-return]


@pytest.mark.parametrize("depth", [40, 20_000, 50_000])
def test_json_nested_deep_is_a_400(harness: Harness, depth: int) -> None:
    body = b'{"type":"mention.created","data":' + b"[" * depth + b"]" * depth + b"}"
    _refused(_generic(harness, body), 400, "nested more than 32 levels")


def test_a_number_with_thousands_of_digits_is_a_400_naming_its_path(harness: Harness) -> None:
    body = envelope({**MENTION, "author": {"handle": "ana", "followers": 0}}).replace(
        b'"followers": 0', b'"followers": ' + b"9" * 5000
    )
    _refused(_generic(harness, body), 400, "data.author.followers", "5000 digits")


@pytest.mark.parametrize("number", [b"1e999", b"Infinity", b"-Infinity", b"NaN"])
def test_non_finite_counts_are_a_400(harness: Harness, number: bytes) -> None:
    body = envelope({**MENTION, "author": {"handle": "ana", "followers": 0}}).replace(
        b'"followers": 0', b'"followers": ' + number
    )
    _refused(_generic(harness, body), 400, "data.author.followers")


def test_a_number_beyond_dynamodbs_range_is_refused_before_dynamodb_sees_it(harness: Harness) -> None:
    body = envelope({**MENTION, "engagement": {"likes": 10**130}})
    _refused(_generic(harness, body), 400, "data.engagement.likes")
    body = envelope({**MENTION, "engagement": {"likes": 10**17}})
    _refused(_generic(harness, body), 422, "data.engagement.likes: at most")


def test_a_lone_surrogate_is_a_400_not_a_503_and_not_retried_forever(harness: Harness) -> None:
    body = envelope({**MENTION, "text": "broken \ud800 text"})  # json.dumps writes it as an escape
    _refused(_generic(harness, body), 400, "data.text", "lone surrogate")
    body = envelope({**MENTION, "author": {"handle": "ana", "name": "\udfff"}})
    _refused(_generic(harness, body), 400, "data.author.name")


@pytest.mark.parametrize(
    "published", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1800-01-01T00:00:00Z"]
)
def test_dates_out_of_range_are_a_422(harness: Harness, published: str) -> None:
    _refused(_generic(harness, envelope({**MENTION, "published_at": published})), 422, "data.published_at")


def test_one_bad_mention_refuses_the_whole_batch_and_stores_none(harness: Harness) -> None:
    good = [{**MENTION, "id": str(n), "url": f"https://x.com/a/status/{n}"} for n in range(30)]
    bad = {**MENTION, "id": "31", "url": "https://x.com/a/status/31", "author": {"handle": "h" * 300_000}}
    _refused(_generic(harness, batch_envelope([*good, bad])), 422, "data.mentions[30].author.handle")


def test_every_text_field_has_a_cap(harness: Harness) -> None:
    _refused(_generic(harness, envelope({**MENTION, "url": "https://x.com/" + "a" * 3000})), 422, "data.url")
    _refused(_generic(harness, envelope({**MENTION, "id": "9" * 300})), 422, "data.id")
    likes = {f"kind{n}": 1 for n in range(21)}
    _refused(_generic(harness, envelope({**MENTION, "engagement": likes})), 422, "data.engagement")


@pytest.mark.parametrize(
    ("entry", "where"),
    [
        ({"id": "1", "time": 1, "changes": 5}, "entry[0].changes"),
        ({"id": "1", "time": 1, "messaging": 3}, "entry[0].messaging"),
        ({"id": "1", "time": 1, "changed_fields": True}, "entry[0].changed_fields"),
        ({"id": "1", "time": 1, "changed_fields": [1]}, "entry[0].changed_fields"),
    ],
)
def test_meta_shapes_that_are_not_lists_are_a_422(harness: Harness, entry: dict[str, Any], where: str) -> None:
    _refused(_signed_meta(harness, {"object": "page", "entry": [entry]}), 422, where)


def test_meta_times_out_of_range_fall_back_to_when_it_arrived(harness: Harness) -> None:
    doc = json.loads((SOURCES / "meta" / "page_feed_comment.json").read_text())
    doc["entry"][0]["time"] = 1e20
    for change in doc["entry"][0]["changes"]:
        change["value"]["created_time"] = "0001-01-01T00:00:00+01:00"
    assert _signed_meta(harness, doc).status_code == 202
    [row] = MentionModel.scan()
    assert abs(row.published_at.timestamp() - time.time()) < 120


def test_a_non_ascii_verify_token_is_refused_not_a_500(harness: Harness) -> None:
    answer = harness.client.http.get("/webhooks/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=%C3%A9t%C3%A9")
    assert answer.status_code == 403


def test_websub_keeps_only_web_links_and_bad_dates_do_not_break_it(harness: Harness) -> None:
    feed = (SOURCES / "websub" / "google_alerts_atom.xml").read_text()
    link = "https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example/storm-cancellations&amp;ct=ga"
    feed = feed.replace(f'<link href="{link}" />', '<link href="javascript:alert(1)" />').replace(
        "<published>2026-11-24T08:41:12Z</published>", "<published>0001-01-01T00:00:00+01:00</published>"
    )
    body = feed.encode()
    signature = "sha256=" + hmac.new(b"hub-secret", body, hashlib.sha256).hexdigest()
    answer = harness.client.http.post(
        "/webhooks/websub", body=body, headers={"content-type": "application/atom+xml", "x-hub-signature": signature}
    )
    assert answer.status_code == 202, answer.body
    [row] = MentionModel.scan()
    assert row.url == "" and not row.identity.startswith("javascript")


def test_handles_lose_bidirectional_controls(harness: Harness) -> None:
    body = envelope({**MENTION, "author": {"handle": "\u202enimda", "name": "Eve\u2066 \u2069"}})
    assert _generic(harness, body).status_code == 202
    [row] = MentionModel.scan()
    assert (row.author_handle, row.author_name) == ("nimda", "Eve ")


def test_a_post_of_40000_emoji_is_told_with_a_clipped_text(harness: Harness) -> None:
    body = envelope({**MENTION, "text": "😡" * 39_000 + " cancelled again"})
    assert _generic(harness, body).status_code == 202
    assert harness.pump.pump_once() == 1
    rows = [r for r in DeliveryModel.scan() if r.item_kind == "mention"]
    assert rows and all(r.status == "sent" for r in rows)
    assert max(len(r.message.encode()) for r in rows) < 100_000  # SNS takes 256 KB, a row 400 KB


def test_a_stalled_dynamodb_answers_503_within_the_budget(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    quick = dataclasses.replace(get_settings(), request_budget_seconds=1.0)
    monkeypatch.setattr("chalicelib.api.problems.get_settings", lambda: quick)

    def stalled(_: Any) -> Any:
        time.sleep(0.4)  # a DynamoDB that answers late, then throttles
        return aws_error("ThrottlingException")

    body = envelope()
    started = time.monotonic()
    with Fault(aws.dynamodb(), "BatchGetItem", stalled):
        answer = _generic(harness, body)
    took = time.monotonic() - started
    doc = _refused(answer, 503)
    assert doc["type"].endswith("/out-of-time") and answer.headers["Retry-After"] == "30"
    assert took < 5  # without the budget: five attempts with backoff


def test_the_form_on_an_ack_link_with_too_many_fields_is_a_400(harness: Harness) -> None:
    from chalicelib import credentials
    from chalicelib.clock import utcnow
    from chalicelib.policy import tokens

    token = tokens.mint(key=credentials.signing_key(), incident_id="i1", action="resolve", group="ops", now=utcnow())
    body = "&".join(f"f{n}=x" for n in range(11))
    answer = harness.client.http.post(
        f"/ack/{token}", body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == 400


def test_receipts_go_only_to_company_addresses(harness: Harness) -> None:
    from chalicelib.notify.receipts import tell_reporter

    domain = get_settings().company_domains[0]
    outside = dict(report_id="r1", text="spam link", event="received", subject="s", lines=["x"])
    assert not tell_reporter(email="victim@elsewhere.example", **outside)  # type: ignore[arg-type]
    assert not tell_reporter(email=f"victim@{domain}.elsewhere.example", **outside)  # type: ignore[arg-type]
    assert tell_reporter(email=f"sam@{domain.upper()}", **outside)  # type: ignore[arg-type]
