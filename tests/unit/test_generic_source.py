from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from chalicelib.errors import InvalidPayload, MalformedBody, MethodNotAllowed, VerificationFailed
from chalicelib.sources import get_source
from chalicelib.sources.base import Delivery
from chalicelib.sources.generic import GenericSource
from tests.conftest import FIXTURES
from tests.support import MENTION, SECRET, signed_headers

VECTOR = json.loads((FIXTURES / "webhook_signature_test_vectors.json").read_text())["standard_webhooks_v1"]
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_signing_matches_the_official_standard_webhooks_vector() -> None:
    at = datetime.fromtimestamp(VECTOR["timestamp"], UTC)
    assert (
        Webhook(VECTOR["secret"]).sign(VECTOR["msg_id"], at, VECTOR["payload"])
        == (VECTOR["expected_webhook_signature"])
    )


def _delivery(body: bytes, headers: dict[str, str]) -> Delivery:
    return Delivery(headers={k.lower(): v for k, v in headers.items()}, body=body)


def test_verify_accepts_a_fresh_signature() -> None:
    body = json.dumps({"type": "mention.created", "data": MENTION}).encode()
    GenericSource().verify(_delivery(body, signed_headers(body)), secrets={"secret": [SECRET]})


def test_verify_accepts_svix_header_names() -> None:
    body = b'{"type":"mention.created"}'
    headers = {k.replace("webhook-", "svix-"): v for k, v in signed_headers(body).items()}
    GenericSource().verify(_delivery(body, headers), secrets={"secret": [SECRET]})


def test_verify_accepts_either_secret_during_a_rotation() -> None:
    body = b"{}"
    new_secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
    GenericSource().verify(
        _delivery(body, signed_headers(body, secret=new_secret)), secrets={"secret": [SECRET, new_secret]}
    )


def test_verify_accepts_one_good_signature_among_several() -> None:
    body = b"{}"
    headers = signed_headers(body)
    headers["webhook-signature"] = "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= " + headers["webhook-signature"]
    GenericSource().verify(_delivery(body, headers), secrets={"secret": [SECRET]})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"webhook-signature": "v1,bm90IHRoZSByaWdodCBzaWduYXR1cmU="}, "signature"),
        ({"webhook-signature": "v1,@@@not-base64@@@"}, None),
        ({"webhook-signature": "garbage-without-version"}, None),
        ({"webhook-timestamp": "not-a-number"}, None),
        ({"webhook-timestamp": -600}, "old"),
        ({"webhook-timestamp": +600}, "new"),
    ],
)
def test_verify_refuses_bad_malformed_or_stale_signatures(change: dict[str, Any], message: str | None) -> None:
    body = b'{"type":"mention.created"}'
    # Times are offsets from when the test runs (collection can be minutes earlier).
    change = {k: str(int(time.time()) + v) if isinstance(v, int) else v for k, v in change.items()}
    headers = {**signed_headers(body), **change}
    with pytest.raises(VerificationFailed, match=message):
        GenericSource().verify(_delivery(body, headers), secrets={"secret": [SECRET]})


def test_verify_refuses_a_tampered_body() -> None:
    headers = signed_headers(b'{"a":1}')
    with pytest.raises(VerificationFailed):
        GenericSource().verify(_delivery(b'{"a":2}', headers), secrets={"secret": [SECRET]})


def test_verify_names_missing_headers() -> None:
    with pytest.raises(VerificationFailed, match="webhook-signature"):
        GenericSource().verify(
            _delivery(b"{}", {"webhook-id": "m", "webhook-timestamp": "1"}), secrets={"secret": [SECRET]}
        )


def test_verify_refuses_when_no_secret_is_configured() -> None:
    body = b"{}"
    with pytest.raises(VerificationFailed, match="no secret is configured"):
        GenericSource().verify(_delivery(body, signed_headers(body)), secrets={})


def test_parse_normalises_one_mention() -> None:
    body = json.dumps({"type": "mention.created", "data": {**MENTION, "extra_field": {"kept": True}}}).encode()
    [m] = GenericSource().parse(_delivery(body, {"webhook-id": "msg_1"}), received_at=NOW).mentions
    assert m.identity == "x:1893021"
    assert m.platform == "x"
    assert m.author.followers == 48210
    assert m.published_at == datetime(2026, 11, 24, 9, 59, 31, tzinfo=UTC)
    assert m.engagement == {"likes": 12, "shares": 3, "replies": 1}
    assert m.delivery_id == "msg_1"
    assert '"extra_field":{"kept":true}' in m.raw  # unknown fields are kept, not refused


def test_parse_a_batch_and_its_url_only_members() -> None:
    items = [
        MENTION,
        {"url": "https://twitter.com/bo/status/77?s=20", "text": "ok", "published_at": "2026-11-24T10:00"},
    ]
    body = json.dumps({"type": "mention.batch", "data": {"mentions": items}}).encode()
    mentions = GenericSource().parse(_delivery(body, {}), received_at=NOW).mentions
    assert [m.identity for m in mentions] == ["x:1893021", "x:77"]
    assert mentions[1].published_at.tzinfo is UTC


def test_parse_reports_every_invalid_field_with_its_path() -> None:
    items = [MENTION, {"text": "", "published_at": "yesterday", "author": {"followers": "many"}}]
    body = json.dumps({"type": "mention.batch", "data": {"mentions": items}}).encode()
    with pytest.raises(InvalidPayload) as caught:
        GenericSource().parse(_delivery(body, {}), received_at=NOW)
    errors = caught.value.extra["errors"]
    assert any(e.startswith("data.mentions[1].text") for e in errors)
    assert any(e.startswith("data.mentions[1].published_at") for e in errors)
    assert any(e.startswith("data.mentions[1].author.followers") for e in errors)
    assert any("one of id or url" in e for e in errors)
    assert "nothing was stored" in caught.value.detail


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"{not json", MalformedBody),
        (b"\xff\xfe", MalformedBody),
        (b"[1, 2]", InvalidPayload),
        (b'{"type": "invoice.paid", "data": {}}', InvalidPayload),
        (b'{"type": "mention.batch", "data": {"mentions": "no"}}', InvalidPayload),
    ],
)
def test_parse_refuses_malformed_or_unknown_payloads(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        GenericSource().parse(_delivery(body, {}), received_at=NOW)


def test_parse_refuses_batches_over_500() -> None:
    body = json.dumps({"type": "mention.batch", "data": {"mentions": [MENTION] * 501}}).encode()
    with pytest.raises(InvalidPayload, match="at most 500"):
        GenericSource().parse(_delivery(body, {}), received_at=NOW)


def test_generic_has_no_handshake() -> None:
    with pytest.raises(MethodNotAllowed):
        get_source("generic").handshake({}, secrets={"secret": [SECRET]})
