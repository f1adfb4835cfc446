"""Which statement a dark-site page in one language shows for each incident."""

from __future__ import annotations

from chalicelib.policy.dark_site import pages, versions_for


def _e(incident: str, lang: str, at: str) -> dict[str, str]:
    return {"incident_id": incident, "lang": lang, "at": at, "text": f"{incident}-{lang}-{at}"}


KEPT = [
    _e("i-1", "en", "2030-01-01T10:00"),
    _e("i-1", "de", "2030-01-01T09:00"),
    _e("i-1", "de", "2030-01-01T08:00"),
    _e("i-2", "es", "2030-01-01T07:00"),
    _e("i-3", "en", "2030-01-01T11:00"),
]


def test_a_page_shows_each_incident_once_in_its_language_else_the_fallback_else_any() -> None:
    german = versions_for(KEPT, language="de", fallback="en")
    assert [e["text"] for e in german] == [
        "i-3-en-2030-01-01T11:00",
        "i-1-de-2030-01-01T09:00",
        "i-2-es-2030-01-01T07:00",
    ]
    arabic = versions_for(KEPT, language="ar", fallback="en")
    assert [e["lang"] for e in arabic] == ["en", "en", "es"]


def test_a_regions_fallback_is_its_own_language() -> None:
    assert [e["lang"] for e in versions_for(KEPT, language="ar", fallback="de")] == ["en", "de", "es"]


def test_index_html_is_the_fallbacks_page_and_every_shipped_language_has_one() -> None:
    written = pages(KEPT, fallback="de")
    assert set(written) == {"index.html", "index.en.html", "index.es.html", "index.de.html", "index.ar.html"}
    assert written["index.html"] == written["index.de.html"]
    assert pages([], fallback="xx")["index.html"][0] == "en"
