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
from chalicelib.store.models import DeliveryModel, MentionModel, ReportModel
from tests.conftest import FIXTURES
from tests.functional.conftest import SOURCE_SECRETS, Harness
from tests.functional.identity_support import ADMIN
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


# Issue 31: input that answered 500 or 503 where a 4xx (or, for Slack, an acknowledgement) belongs.

SLACK_MENTION = FIXTURES / "slack_event_callback_app_mention.json"


def _slack_signed(body: bytes) -> dict[str, str]:
    ts = str(int(time.time()))
    digest = hmac.new(SOURCE_SECRETS["slack"].encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()  # type: ignore[union-attr]
    return {"content-type": "application/json", "x-slack-request-timestamp": ts, "x-slack-signature": "v0=" + digest}


def test_a_slack_timestamp_of_thousands_of_digits_is_a_401_not_a_500(harness: Harness) -> None:
    body = SLACK_MENTION.read_bytes()
    for timestamp in ("9" * 5000, "1" * 13, "１７００００００００"):  # too long; too long; not ASCII digits
        headers = {**_slack_signed(body), "x-slack-request-timestamp": timestamp}
        _refused(harness.client.http.post("/slack/events", body=body, headers=headers), 401, "timestamp")
    assert list(ReportModel.scan()) == []


def test_a_header_longer_than_any_door_reads_is_a_431_before_it_is_parsed(harness: Harness) -> None:
    body = envelope()
    headers = {**signed_headers(body), "webhook-signature": "v1," + "A" * 10_000}
    _refused(harness.client.http.post("/webhooks/generic", body=body, headers=headers), 431, "webhook-signature")


def test_a_slack_mention_too_large_to_store_is_acknowledged_and_set_aside(
    harness: Harness, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    doc = json.loads(SLACK_MENTION.read_bytes())
    doc["event"]["text"] = "<@U0LAN0Z89> " + "a" * 900_000
    body = json.dumps(doc).encode()
    for _ in range(2):  # Slack would retry anything but a 200, for hours
        answer = harness.client.http.post("/slack/events", body=body, headers=_slack_signed(body))
        assert answer.status_code == 200 and "at most 40000" in json.loads(answer.body)["set_aside"]
    assert list(ReportModel.scan()) == []  # nothing stored, not half of it
    assert "slack event set aside" in caplog.text and "ReportsSetAside" in capsys.readouterr().out  # and counted
    # A message at Slack's own limit is a report like any other.
    doc["event"]["text"], doc["event"]["ts"] = "a" * 40_000, "1700000000.000200"
    body = json.dumps(doc).encode()
    assert harness.client.http.post("/slack/events", body=body, headers=_slack_signed(body)).status_code == 200
    assert len(list(ReportModel.scan())) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/incidents//plan"),
        ("GET", "/api/incidents//review"),
        ("GET", "/incidents//review"),
        ("POST", "/api/deliveries//retry"),
        ("POST", "/admin/deliveries//retry"),
        ("POST", "/api/drills//end"),
        ("POST", "/api/incidents//acknowledge"),
        ("PUT", "/api/incidents//statements/en"),
    ],
)
def test_an_empty_path_parameter_is_a_404_problem_not_a_500(harness: Harness, method: str, path: str) -> None:
    answer = harness.client.http.request(
        method=method, path=path, headers=ADMIN, body=b"{}" if method != "GET" else b""
    )
    doc = _refused(answer, 404, "empty")
    assert doc["type"].endswith("/not-found")


@pytest.mark.parametrize(
    ("segment", "why"),
    [("%00", "control character"), ("..", "'..'"), ("%2e%2e%2fetc", "slash"), ("x" * 300, "at most 256")],
)
def test_a_path_parameter_that_cannot_be_an_id_is_a_400_naming_it(harness: Harness, segment: str, why: str) -> None:
    answer = harness.client.http.get(f"/api/incidents/{segment}/plan", headers=ADMIN)
    assert _refused(answer, 400, "incident_id", why)["type"].endswith("/invalid-path-parameter")


def test_a_filter_value_not_of_its_kind_is_a_400_listing_its_values_before_any_query(harness: Harness) -> None:
    client = aws.dynamodb()
    queries: list[str] = []

    def count(**kwargs: Any) -> None:
        queries.append("Query")

    client.meta.events.register("before-call.dynamodb.Query", count)
    try:
        answer = harness.client.http.get("/api/mentions?kind=report&urgency=apocalyptic", headers=ADMIN)
        doc = _refused(answer, 400, "urgency: one of low, normal, urgent")
        assert doc["errors"] == ["urgency: one of low, normal, urgent"]
        for query, listed in (
            ("kind=story", "kind: one of mention, report"),
            ("status=lost", "status: one of received, quarantined"),
            ("source=carrier-pigeon", "source: one of generic,"),
        ):
            _refused(harness.client.http.get(f"/api/mentions?{query}", headers=ADMIN), 400, listed)
        _refused(harness.client.http.get("/api/reports?source=generic", headers=ADMIN), 400, "one of web, email, slack")
        assert queries == []  # refused at once: nothing was read
        assert harness.client.http.get("/api/reports?source=slack&urgency=urgent", headers=ADMIN).status_code == 200
        assert queries  # (the counter counts)
    finally:
        client.meta.events.unregister("before-call.dynamodb.Query", count)


def test_chalices_own_refusals_are_problems(harness: Harness) -> None:
    http = harness.client.http
    wrong_type = http.post("/api/drills", body=b"scenario=x", headers={**ADMIN, "content-type": "text/plain"})
    assert _refused(wrong_type, 415, "text/plain")["type"].endswith("/unsupported-media-type")
    wrong_method = http.request(method="PATCH", path="/api/drills", headers=ADMIN, body=b"{}")
    assert _refused(wrong_method, 405, "PATCH")["type"].endswith("/method-not-allowed")
    assert set(wrong_method.headers["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}


def test_a_path_no_route_has_is_a_404_problem_on_the_local_stack(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalice.local import LocalGateway

    from infra.local.server import unknown_routes_as_problems

    # What `make run` applies to chalice local (API Gateway's gateway responses do it on AWS).
    monkeypatch.setattr(LocalGateway, "handle_request", unknown_routes_as_problems(LocalGateway.handle_request))
    for path in ("/favicon.ico", "/robots.txt", "/api/nothing-here", "/api/incidents/i1/nothing"):
        for headers in ({}, ADMIN):
            doc = _refused(harness.client.http.get(path, headers=headers), 404, "no route at GET")
            assert doc["type"].endswith("/not-found") and "Authentication Token" not in json.dumps(doc)
    assert harness.client.http.get("/health").status_code == 200  # routes are still routes


def test_a_form_over_the_body_limit_is_a_413_problem(harness: Harness) -> None:
    from tests.functional.identity_support import sign_in

    browser = sign_in(harness, "lee@example.com", "responder")
    limit = get_settings().max_body_bytes
    answer = browser.post_form("/drills", {"scenario": "x" * (limit + 1)})
    _refused(answer, 413, f"at most {limit}")
