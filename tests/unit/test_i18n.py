"""Choosing a language from Accept-Language and writing a moment for a reader."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.i18n import Reader, format_when, negotiate, preferred


def test_accept_language_is_read_by_weight_keeping_the_order_of_equals_and_skipping_refusals() -> None:
    assert preferred("fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5") == ["fr-CH", "fr", "en", "de"]
    assert preferred("de;q=0, es") == ["es"]
    assert preferred("en;q=abc, <script>, es;q=0.5") == ["es"]
    assert preferred("") == []


@pytest.mark.parametrize(
    ("header", "language"),
    [("de-AT", "de"), ("fr, es-419;q=0.5", "es"), ("ar-SA,en;q=0.1", "ar"), ("pt-BR, ja", "en"), ("", "en")],
)
def test_negotiation_chooses_a_shipped_language_or_english(header: str, language: str) -> None:
    assert negotiate(header) == language


def test_a_moment_is_written_in_the_readers_locale_and_zone() -> None:
    moment = datetime(2030, 1, 15, 23, 30, tzinfo=UTC)
    assert format_when(moment, language="en", zone_name="UTC") == "2030-01-15 23:30 UTC"
    berlin = format_when(moment, language="de", zone_name="Europe/Berlin")
    assert berlin.startswith("16.01.2030, 00:30")  # the next day in Berlin
    tokyo = format_when(moment, language="es", zone_name="Asia/Tokyo")
    assert tokyo.startswith("16 ene 2030, 8:30")


def test_a_reader_with_an_unknown_zone_or_language_falls_back_rather_than_failing() -> None:
    reader = Reader.of("tlh-KX", "Mars/Olympus")
    assert (reader.language, reader.zone, reader.direction) == ("en", "UTC", "ltr")
    assert Reader.of("ar").direction == "rtl"


def test_plural_forms_follow_the_language() -> None:
    arabic = Reader.of("ar")
    one, two, few = (
        arabic.ngettext(
            "You spotted it %(num)s minute before any listening tool did.",
            "You spotted it %(num)s minutes before any listening tool did.",
            n,
        )
        for n in (1, 2, 5)
    )
    assert len({one, two, few}) == 3 and "5" in few
    assert Reader.of("de").ngettext("%(num)s attached", "%(num)s attached", 3) == "3 angehängt"
