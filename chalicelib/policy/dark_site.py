"""Which statements a dark-site page shows, in which language. A statement is approved and
published per language; a page in one language shows, for each incident, its newest version in
that language, else its newest in the page's fallback (the company's default, or a region's
first language), else its newest in any language: a visitor always reads every incident, in
their language where it was written in it.

The pages are static (S3 behind CloudFront): one per shipped language (`index.<lang>.html`)
and `index.html` in the fallback. CloudFront picks by the visitor's Accept-Language
(infra/cdk/dark_site_language.js); every page links to the others."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chalicelib.i18n import DEFAULT, LANGUAGES, supported

Entry = Mapping[str, object]  # a kept statement: incident_id, title, lang, revision, text, at


def page_name(language: str) -> str:
    """A language's page beside index.html (the fallback's)."""
    return f"index.{supported(language)}.html"


def versions_for(kept: Sequence[Entry], *, language: str, fallback: str = DEFAULT) -> list[Entry]:
    """One version of each incident's statement for a page in `language` (newest first, as
    `kept` is): the newest in `language`, else in `fallback`, else in any language."""
    best: dict[str, tuple[int, Entry]] = {}
    order: list[str] = []
    for entry in sorted(kept, key=lambda e: str(e["at"]), reverse=True):
        incident = str(entry["incident_id"])
        rank = 0 if entry["lang"] == language else 1 if entry["lang"] == fallback else 2
        if incident not in best:
            order.append(incident)
            best[incident] = (rank, entry)
        elif rank < best[incident][0]:
            best[incident] = (rank, entry)
    return [best[i][1] for i in order]


def pages(kept: Sequence[Entry], *, fallback: str = DEFAULT) -> dict[str, tuple[str, list[Entry]]]:
    """Every page to write: its key's last part -> (the language it is in, what it shows);
    index.html is the fallback's."""
    fallback = supported(fallback)
    written = {page_name(lang): (lang, versions_for(kept, language=lang, fallback=fallback)) for lang in LANGUAGES}
    written["index.html"] = written[page_name(fallback)]
    return written
