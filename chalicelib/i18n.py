"""Whose language and time: the shipped languages, their compiled catalogues (gettext .mo files,
built from the .po files beside them by `make catalogues` and by infra/package.py), choosing a
language from Accept-Language, and dates and numbers in a reader's locale and zone.

The standard library's gettext reads the catalogues; Babel (large locale data) is imported only
when a date or number is formatted or a header negotiated, never by a webhook or stream."""

from __future__ import annotations

import gettext
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT = "en"
# English first: the source language, which needs no catalogue.
LANGUAGES: tuple[str, ...] = ("en", "es", "de", "ar")
RIGHT_TO_LEFT = frozenset({"ar"})
# Each language by its own name, as a person looking for theirs reads it.
LANGUAGE_NAMES: dict[str, str] = {"en": "English", "es": "Español", "de": "Deutsch", "ar": "العربية"}
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
_TAG = re.compile(r"^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$")


class Translator(Protocol):
    """What turns a message into the reader's language (a gettext translations object)."""

    def gettext(self, message: str, /) -> str: ...

    def ngettext(self, singular: str, plural: str, n: int, /) -> str: ...


class MissingCatalogue(RuntimeError):
    """A shipped language's .mo file is not built: `make catalogues` builds it."""


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.mo"


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalogue of a shipped language; English (the source) translates to itself."""
    language = supported(language)
    if language == DEFAULT:
        return gettext.NullTranslations()
    path = catalogue_path(language)
    try:
        with path.open("rb") as handle:
            return gettext.GNUTranslations(handle)
    except FileNotFoundError:
        raise MissingCatalogue(f"{path} is not built: run `make catalogues`") from None


def wall_catalogue(language: str) -> str:
    """The wall's strings in a shipped language as JSON ({"messages": {msgid: text}}), built
    beside the .mo file from the messages the wall's page and script use."""
    path = catalogue_path(supported(language)).with_name("wall.json")
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise MissingCatalogue(f"{path} is not built: run `make catalogues`") from None


def supported(language: str) -> str:
    """A shipped language for a tag ("de-CH" is German); English for anything else."""
    base = (language or "").replace("_", "-").split("-")[0].lower()
    return base if base in LANGUAGES else DEFAULT


def preferred(accept_language: str) -> list[str]:
    """The tags an Accept-Language header asks for, best first (q=0 is a refusal; order kept
    among equal weights). Malformed parts are skipped, never an error."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "")[:512].split(",")):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*" or not _TAG.match(tag):
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(accept_language: str) -> str:
    """The shipped language an Accept-Language header prefers (Babel's negotiation: "de-AT"
    matches German); English when it names none of them."""
    from babel.core import negotiate_locale

    return negotiate_locale(preferred(accept_language), LANGUAGES, sep="-") or DEFAULT


def zone(name: str) -> ZoneInfo | None:
    """An IANA zone by name, or None for anything else (never an error: names come from outside)."""
    if not name or len(name) > 64 or ".." in name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@lru_cache(maxsize=1)
def zones() -> tuple[str, ...]:
    """Every zone a person may choose, sorted (the zone database's, read once: it lists a directory)."""
    return tuple(sorted(set(available_timezones()) | {"UTC"}))


@dataclass(frozen=True, slots=True)
class Reader:
    """Who reads a page or a mail: their language and their time zone (an IANA name)."""

    language: str = DEFAULT
    zone: str = "UTC"

    @classmethod
    def of(cls, language: str = "", zone_name: str = "") -> Reader:
        return cls(supported(language), zone_name if zone(zone_name) is not None else "UTC")

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"

    @property
    def translator(self) -> gettext.NullTranslations:
        return translations(self.language)

    def gettext(self, message: str, /, **values: object) -> str:
        """A message in the reader's language, its %(name)s placeholders filled."""
        translated = self.translator.gettext(message)
        return translated % values if values else translated

    def ngettext(self, singular: str, plural: str, n: int, /, **values: object) -> str:
        """A message with a count (%(num)s), in the reader's language's plural form for it."""
        return self.translator.ngettext(singular, plural, n) % {"num": self.number(n), **values}

    def when(self, moment: datetime) -> str:
        """A moment as the reader reads it: their locale's date and time, in their zone, the zone named."""
        return format_when(moment, language=self.language, zone_name=self.zone)

    def list(self, items: list[str]) -> str:
        """Names joined as the reader's language joins them ("A, B and C", "A, B y C")."""
        if len(items) < 2:
            return "".join(items)
        from babel.lists import format_list

        return str(format_list(items, locale=self.language))

    def number(self, value: float) -> str:
        from babel.numbers import format_decimal

        return str(format_decimal(value, locale=self.language))


ENGLISH = Reader()


def N_(message: str) -> str:  # noqa: N802  (the gettext convention extraction looks for)
    """Marks a message for the catalogue where it is defined; it is translated where it is shown."""
    return message


def format_when(moment: datetime, *, language: str, zone_name: str) -> str:
    """English in UTC stays as it always read ("2026-11-30 10:34 UTC"); any other reader gets
    Babel's medium date and short time for their locale, in their zone, with the zone's name."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    place = zone(zone_name) or ZoneInfo("UTC")
    if language == DEFAULT and place.key == "UTC":
        return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    from babel.dates import format_datetime

    return str(format_datetime(moment, _pattern(language), tzinfo=place, locale=language))


@lru_cache(maxsize=len(LANGUAGES))
def _pattern(language: str) -> str:
    """The locale's medium date and short time joined as the locale joins them, then the zone."""
    from babel.core import Locale

    locale = Locale.parse(language)
    joined = str(locale.datetime_formats["medium"]).replace("{1}", str(locale.date_formats["medium"].pattern))
    return joined.replace("{0}", str(locale.time_formats["short"].pattern)) + " z"
