"""Foreign mentions made readable: Amazon Translate's TranslateText (answered by botocore's
Stubber with the response the API reference documents; moto has no Translate), on a mention's
page on demand and in the notifications of groups that read neither language; cached on the
mention, a daily allowance of characters counted atomically, the original always beside it,
and never called for text in its reader's language."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber

from chalicelib import aws
from chalicelib.flows import translations as flow
from chalicelib.settings import load_settings
from chalicelib.store.models import MentionModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in
from tests.support import MENTION, envelope, fresh, signed_headers

SPANISH = "El vuelo se canceló otra vez y nadie nos ayudó en la puerta de embarque."
ENGLISH = "The flight was cancelled again and nobody helped us at the boarding gate."


def _documented(text: str, source: str = "es", target: str = "en") -> dict[str, Any]:
    """TranslateText's response as the Amazon Translate API reference gives it."""
    return {
        "TranslatedText": text,
        "SourceLanguageCode": source,
        "TargetLanguageCode": target,
        "AppliedSettings": {"Formality": "FORMAL", "Profanity": "MASK", "Brevity": "ON"},
        "AppliedTerminologies": [],
    }


@pytest.fixture
def translate(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stubber, list[dict[str, Any]]]]:
    """The client stubbed; every call it receives is listed (a call nobody queued an answer for
    fails). Translation stays off until a test gives an allowance (`_allow`)."""
    monkeypatch.setattr(flow, "get_settings", load_settings)
    client = aws.translate()
    calls: list[dict[str, Any]] = []

    def seen(params: dict[str, Any], **_: Any) -> None:
        calls.append(params)

    client.meta.events.register("provide-client-params.translate.TranslateText", seen)
    with Stubber(client) as stubber:
        yield stubber, calls
    client.meta.events.unregister("provide-client-params.translate.TranslateText", seen)


def _allow(monkeypatch: pytest.MonkeyPatch, characters: int = 1000) -> None:
    monkeypatch.setenv("SHAREDWATCH_TRANSLATE_DAILY_CHARACTERS", str(characters))


def _store(h: Harness, mention: dict[str, Any]) -> str:
    body = envelope(fresh(mention))
    answer = h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body))
    assert answer.status_code == 202, answer.body
    h.pump.pump_once()
    [row] = [r for r in MentionModel.scan() if r.text == mention["text"]]
    return str(row.mention_id)


def test_a_spanish_mention_is_translated_on_its_page_once_and_shown_beside_the_original(
    harness: Harness, translate: tuple[Stubber, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubber, calls = translate
    mention_id = _store(
        harness, {**MENTION, "id": "es-1", "url": "https://x.com/ana/status/es1", "text": SPANISH, "lang": "es"}
    )
    _allow(monkeypatch)
    reader = sign_in(harness, "ana@example.com", "responder")
    before = reader.get(f"/mentions/{mention_id}").body.decode()
    assert "Translate it from es into en" in before and calls == []  # offered, not yet paid for

    stubber.add_response(
        "translate_text",
        _documented(ENGLISH),
        {"Text": SPANISH, "SourceLanguageCode": "es", "TargetLanguageCode": "en"},
    )
    page = reader.post_form(f"/mentions/{mention_id}/translate", {})
    body = html.unescape(page.body.decode())
    assert page.status_code == 200 and SPANISH in body and ENGLISH in body
    assert body.index(SPANISH) < body.index(ENGLISH)  # the original first, the translation beside it
    assert "Machine translation by Amazon Translate" in body and 'lang="es"' in body and 'lang="en"' in body
    stubber.assert_no_pending_responses()
    cached = MentionModel.get(mention_id)
    assert cached.text == SPANISH  # the original is never replaced

    # Cached on the mention: the next reader, and the same one asking again, cost nothing.
    again = sign_in(harness, "ben@example.com", "responder")
    assert ENGLISH in html.unescape(again.get(f"/mentions/{mention_id}").body.decode())
    assert ENGLISH in html.unescape(again.post_form(f"/mentions/{mention_id}/translate", {}).body.decode())
    assert len(calls) == 1


def test_text_already_in_the_readers_language_is_never_sent_to_translate(
    harness: Harness, translate: tuple[Stubber, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, calls = translate
    spanish = _store(
        harness, {**MENTION, "id": "es-2", "url": "https://x.com/ana/status/es2", "text": SPANISH, "lang": "es"}
    )
    _allow(monkeypatch)  # on from here: the English mention's own notifications do not ask either
    english = _store(harness, {**MENTION, "id": "en-1", "url": "https://x.com/ana/status/en1"})
    reader = sign_in(harness, "ana@example.com", "responder")
    page = reader.post_form(f"/mentions/{english}/translate", {})
    assert page.status_code == 200 and "Translate it" not in page.body.decode()
    # A Spanish reader of a Spanish mention: nothing to translate either.
    hola = sign_in(harness, "lucia@example.com", "responder", language="es")
    assert "Translate it" not in hola.get(f"/mentions/{spanish}").body.decode()
    assert hola.post_form(f"/mentions/{spanish}/translate", {}).status_code == 200
    assert calls == []


def test_once_the_days_allowance_is_spent_the_original_is_shown_with_a_note_and_nothing_is_called(
    harness: Harness, translate: tuple[Stubber, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubber, calls = translate
    first = _store(
        harness, {**MENTION, "id": "es-3", "url": "https://x.com/ana/status/es3", "text": SPANISH, "lang": "es"}
    )
    second_text = SPANISH.replace("otra vez", "de nuevo")
    second = _store(
        harness, {**MENTION, "id": "es-4", "url": "https://x.com/ana/status/es4", "text": second_text, "lang": "es"}
    )
    _allow(monkeypatch, len(SPANISH) + 10)
    stubber.add_response("translate_text", _documented(ENGLISH))
    reader = sign_in(harness, "ana@example.com", "responder")
    assert ENGLISH in html.unescape(reader.post_form(f"/mentions/{first}/translate", {}).body.decode())
    capped = html.unescape(reader.post_form(f"/mentions/{second}/translate", {}).body.decode())
    assert "allowance is spent" in capped and second_text in capped and ENGLISH not in capped
    assert len(calls) == 1


def test_a_groups_notification_of_a_foreign_mention_carries_its_translation(
    harness: Harness, translate: tuple[Stubber, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    stubber, calls = translate
    _allow(monkeypatch)
    stubber.add_response(
        "translate_text",
        _documented(ENGLISH),
        {"Text": SPANISH, "SourceLanguageCode": "es", "TargetLanguageCode": "en"},
    )
    harness.deliveries()
    mention_id = _store(
        harness, {**MENTION, "id": "es-5", "url": "https://x.com/ana/status/es5", "text": SPANISH, "lang": "es"}
    )
    told = [d for d in harness.deliveries() if d.get("item_id") == mention_id]
    assert told, "the mention reached no group"
    for d in told:
        assert SPANISH in d["email"] and f"Machine translation from es (Amazon Translate):\n{ENGLISH}" in d["email"]
        assert d["email"].index(SPANISH) < d["email"].index(ENGLISH)
    assert len(calls) == 1  # once for every group it reached; the page reads the cache
    reader = sign_in(harness, "ana@example.com", "responder")
    assert ENGLISH in html.unescape(reader.get(f"/mentions/{mention_id}").body.decode())
