"""The message catalogues: chalicelib/locale/<lang>/LC_MESSAGES/messages.po (in the repository,
written by translators) compiled to messages.mo (what the app reads with gettext) and wall.json
(the wall's own strings, which its script fetches). `make catalogues` and infra/package.py run
this; the .mo and .json files are built, never committed.

    python -m infra.catalogues           compile every shipped language
    python -m infra.catalogues --extract  extract the template (messages.pot) and update the .po files
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from chalicelib.i18n import LANGUAGES, LOCALE_DIR, catalogue_path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = LOCALE_DIR / "messages.pot"
WALL_FILES = ("chalicelib/web/static/wall.js", "chalicelib/web/static/wall.html")
_MARKED = re.compile(r'data-i18n="([^"]+)"')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
KEYWORDS = DEFAULT_KEYWORDS  # gettext's names, which chalicelib.i18n.Reader's methods share


def extract_marked_html(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extraction method for static HTML: each data-i18n="…" attribute is a message."""
    for number, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        for found in _MARKED.finditer(line):
            yield number, "gettext", found.group(1), []


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def extract() -> Catalog:
    """Every message the code, templates and wall use, as Babel finds them with babel.cfg."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    catalog = Catalog(project="sharedwatch", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def read(path: Path, language: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def update() -> None:
    """Write messages.pot and merge it into each language's .po (new messages arrive empty: the
    catalogue check then fails until they are translated)."""
    template = extract()
    with TEMPLATE.open("wb") as handle:
        write_po(handle, template, width=100, omit_header=False, sort_output=True)
    for language in LANGUAGES[1:]:
        path = po_path(language)
        catalog = read(path, language) if path.exists() else Catalog(locale=language, project="sharedwatch")
        catalog.update(template, no_fuzzy_matching=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as handle:
            write_po(handle, catalog, width=100, ignore_obsolete=True, sort_output=True)


def placeholders(text: str) -> set[str]:
    return {m.group(1) or m.group(0) for m in PLACEHOLDER.finditer(text)}


def problems(catalog: Catalog) -> list[str]:
    """What keeps a language from shipping: a message untranslated or fuzzy, a plural without
    each of its language's forms, or a translation whose %(name)s placeholders differ from its
    msgid's (a plural's forms may leave out the count, %(num)s, as "one" and "two" often do)."""
    found = []
    if catalog.fuzzy:
        found.append(f"{catalog.locale}: the catalogue's header is marked fuzzy")
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        name = f"{catalog.locale}: {ids[0][:60]!r}"
        if message.fuzzy:
            found.append(f"{name} is fuzzy")
        if not all(strings) or (isinstance(message.id, tuple) and len(strings) != catalog.num_plurals):
            found.append(f"{name} is not translated (every plural form)")
            continue
        wanted = set().union(*(placeholders(i) for i in ids))
        for string in strings:
            have = placeholders(string)
            allowed_missing = {"num"} if isinstance(message.id, tuple) else set()
            if have - wanted or (wanted - have) - allowed_missing:
                found.append(f"{name}: placeholders {sorted(have)} in {string[:60]!r}, the msgid has {sorted(wanted)}")
    return found


def _wall_messages(catalog: Catalog) -> dict[str, str]:
    return {
        str(m.id): str(m.string)
        for m in catalog
        if m.id and isinstance(m.id, str) and m.string and any(f in WALL_FILES for f, _ in m.locations)
    }


def compile_all(*, force: bool = False) -> list[Path]:
    """Each shipped language's .mo and wall.json, rewritten only when its .po changed."""
    built = []
    for language in LANGUAGES[1:]:
        source, target = po_path(language), catalogue_path(language)
        wall = target.with_name("wall.json")
        fresh = target.exists() and wall.exists()
        if fresh and not force and min(target.stat().st_mtime, wall.stat().st_mtime) >= source.stat().st_mtime:
            continue
        catalog = read(source, language)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        doc = {"language": language, "messages": _wall_messages(catalog)}
        wall.write_text(json.dumps(doc, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        built.append(target)
    return built


def stale_notice() -> str:
    """Why the built catalogues cannot be trusted (missing or older than their .po), or ""."""
    for language in LANGUAGES[1:]:
        target = catalogue_path(language)
        for built in (target, target.with_name("wall.json")):
            if not built.exists() or built.stat().st_mtime < po_path(language).stat().st_mtime:
                return f"{built.relative_to(ROOT)} is missing or older than its .po: run `make catalogues`"
    return ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.catalogues")
    parser.add_argument("--extract", action="store_true", help="extract messages.pot and update the .po files")
    parser.add_argument("--force", action="store_true", help="compile even what looks up to date")
    args = parser.parse_args(argv)
    if args.extract:
        update()
    built = compile_all(force=args.force)
    print(f"catalogues: {len(built)} compiled ({', '.join(LANGUAGES[1:])})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
