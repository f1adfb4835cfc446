from __future__ import annotations

import dataclasses

import pytest

from chalicelib import comprehend
from chalicelib.settings import get_settings
from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.support import MENTION, envelope, signed_headers

SPANISH = {**MENTION, "lang": "es", "text": "Tercer vuelo cancelado este mes. Nunca más."}


def _post(harness: Harness) -> MentionModel:
    body = envelope(SPANISH)
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    [row] = MentionModel.scan()
    return row


def test_without_comprehend_other_languages_stay_unscored(harness: Harness) -> None:
    row = _post(harness)
    assert (row.lang, row.sentiment_label, row.sentiment_score) == ("es", "unscored", 0)  # never "neutral"


def test_with_comprehend_configured_they_are_scored_by_it(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    on = dataclasses.replace(get_settings(), comprehend_languages=("es",))
    monkeypatch.setattr(comprehend, "get_settings", lambda: on)
    row = _post(harness)
    assert row.sentiment_label in {"positive", "negative", "neutral"}
    assert row.sentiment_score != 0  # moto's Comprehend answered, and its scores were used


def test_a_comprehend_outage_leaves_the_mention_unscored_and_stored(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import aws
    from tests.support import Fault, aws_error

    on = dataclasses.replace(get_settings(), comprehend_languages=("es",))
    monkeypatch.setattr(comprehend, "get_settings", lambda: on)
    monkeypatch.setattr("time.sleep", lambda _: None)
    with Fault(aws.comprehend(), "DetectSentiment", lambda _: aws_error("ThrottlingException")):
        row = _post(harness)
    assert (row.sentiment_label, row.sentiment_score) == ("unscored", 0)


def test_comprehend_reads_the_post_as_its_author_typed_it(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    # A way in that escaped the text for HTML: Comprehend is sent the characters, not the references.
    from chalicelib import aws

    on = dataclasses.replace(get_settings(), comprehend_languages=("es",))
    monkeypatch.setattr(comprehend, "get_settings", lambda: on)
    sent: list[str] = []

    def keep(params: dict[str, str], **_: object) -> None:
        sent.append(params["Text"])

    events, event = aws.comprehend().meta.events, "provide-client-params.comprehend.DetectSentiment"
    events.register(event, keep)
    try:
        body = envelope({**SPANISH, "text": "Vuelo cancelado &amp; maletas perdidas &gt;:( &#128545;"})
        assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    finally:
        events.unregister(event, keep)
    assert sent == ["Vuelo cancelado & maletas perdidas >:( 😡"]
