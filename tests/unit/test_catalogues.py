"""The shipped languages are complete: every message the code, templates and wall use is in each
catalogue, translated, not fuzzy, with the same placeholders as its English (a string added
untranslated, or a translation that drops %(email)s, fails here)."""

from __future__ import annotations

import pytest
from babel.messages.catalog import Catalog

from chalicelib.i18n import LANGUAGES
from infra import catalogues

SHIPPED = LANGUAGES[1:]


@pytest.fixture(scope="module")
def extracted() -> Catalog:
    return catalogues.extract()


@pytest.mark.parametrize("language", SHIPPED)
def test_every_message_of_a_shipped_language_is_translated_with_the_same_placeholders(language: str) -> None:
    catalog = catalogues.read(catalogues.po_path(language), language)
    assert catalogues.problems(catalog) == []


@pytest.mark.parametrize("language", SHIPPED)
def test_every_string_the_code_templates_and_wall_use_is_in_the_catalogue(language: str, extracted: Catalog) -> None:
    catalog = catalogues.read(catalogues.po_path(language), language)
    missing = [m.id for m in extracted if m.id and catalog.get(m.id) is None]
    assert missing == [], f"not in {language}'s catalogue: run `make extract` and translate them"


def test_extraction_finds_the_report_form_the_wall_and_the_mails(extracted: Catalog) -> None:
    ids = {m.id if isinstance(m.id, str) else m.id[0] for m in extracted}
    assert {"Report something you saw", "Last 24 hours", "No open incidents.", "We got your report %(id)s"} <= ids


def _catalogue(*entries: tuple[str | tuple[str, str], str | tuple[str, ...], bool]) -> Catalog:
    catalog = Catalog(locale="de")
    catalog.fuzzy = False
    for msgid, string, fuzzy in entries:
        catalog.add(msgid, string, flags=["fuzzy"] if fuzzy else [])
    return catalog


def test_the_check_refuses_untranslated_fuzzy_and_changed_placeholders() -> None:
    assert catalogues.problems(_catalogue(("Send report", "Meldung senden", False))) == []
    assert catalogues.problems(_catalogue(("Send report", "", False)))
    assert catalogues.problems(_catalogue(("Send report", "Meldung senden", True)))
    assert catalogues.problems(_catalogue(("Hello %(name)s", "Hallo %(nmae)s", False)))
    assert catalogues.problems(_catalogue(("Hello %(name)s", "Hallo", False)))
    one_form = _catalogue((("%(num)s minute", "%(num)s minutes"), ("%(num)s Minute", ""), False))
    assert catalogues.problems(one_form)
    # A plural's form may leave out the count itself ("eine Minute"), never another placeholder.
    count_dropped = _catalogue((("%(num)s minute", "%(num)s minutes"), ("eine Minute", "%(num)s Minuten"), False))
    assert catalogues.problems(count_dropped) == []


def test_a_string_added_to_a_template_untranslated_fails_the_check(tmp_path: object, extracted: Catalog) -> None:
    catalog = catalogues.read(catalogues.po_path("de"), "de")
    catalog.add("A brand new sentence nobody translated.", "", locations=[("chalicelib/web/templates/x.html", 1)])
    assert any("brand new sentence" in p for p in catalogues.problems(catalog))
