"""Regions in the crisis plan, decided purely. A scenario may name regions; each has its own
people (it overrides the scenario's role holders it names: its lead, its approvers), its
languages (the first is its own: its dark-site page's default) and its dark-site page
(`regions/<slug>/`). An incident is assigned the regions its mentions come from.

Where a mention comes from:
1. its place, as its source says it (`region` on the mention: a country or area code such as
   "de" or "uk", from the source's metadata), when a region lists that place;
2. else its language, when a region lists that language (the first such region);
3. else nowhere in particular: it assigns no region.
The region most of an incident's mentions come from leads its plan (its role holders replace
the scenario's); ties go to the region named first. A scenario without regions, or an incident
none of whose mentions come from one, runs with the scenario's own people.

    "regions": {"dach": {"name": "Germany, Austria, Switzerland", "places": ["de", "at", "ch"],
                          "languages": ["de"],
                          "roles": {"lead": {"person": "lena@example.com"},
                                    "legal": {"person": "jonas@example.com"}}}}
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.policy.scenarios import Holder, Scenario

MAX_REGIONS = 20
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_PLACE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")  # as sources/base.py stores a mention's region
_LANG = re.compile(r"^[a-z]{2,3}$")
Origin = tuple[str, str]  # (place as the source says it, language) of one mention


@dataclass(frozen=True, slots=True)
class Region:
    slug: str
    name: str
    places: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    roles: Mapping[str, Holder] = field(default_factory=dict)

    @property
    def language(self) -> str:
        """The region's own language: its dark-site page's default."""
        return self.languages[0] if self.languages else "en"


def parse_regions(
    doc: object, *, roles: Mapping[str, Holder], statements: Mapping[str, str], errors: list[str]
) -> tuple[Region, ...]:
    """A scenario's regions (its `regions` object), each problem added to `errors`. A region's
    roles must be the scenario's; each of its languages needs a holding statement."""
    from chalicelib.policy.scenarios import parse_roles  # (scenarios reads this module)

    if doc is None:
        return ()
    if not isinstance(doc, dict) or len(doc) > MAX_REGIONS:
        errors.append(f"regions: an object of region -> {{name, places, languages, roles}}, at most {MAX_REGIONS}")
        return ()
    found = []
    for slug, body in doc.items():
        where = f"regions.{str(slug)[:40]}"
        if not _SLUG.match(str(slug)):
            errors.append(f"{where}: a region's id is lowercase letters, digits and dashes")
        if not isinstance(body, dict) or set(body) - {"name", "places", "languages", "roles"}:
            errors.append(f"{where}: an object with name, places, languages and roles")
            continue
        name = body.get("name") or slug
        if not isinstance(name, str) or not 0 < len(name.strip()) <= 80:
            errors.append(f"{where}.name: 1 to 80 characters")
            name = str(slug)
        places = _codes(body.get("places"), f"{where}.places", _PLACE, errors)
        languages = _codes(body.get("languages"), f"{where}.languages", _LANG, errors)
        for lang in languages:
            if lang not in statements:
                errors.append(f"{where}.languages: {lang} has no holding statement in the scenario")
        holders = parse_roles(body["roles"], errors, where=f"{where}.roles") if body.get("roles") else {}
        for role in holders:
            if role not in roles:
                errors.append(f"{where}.roles.{role[:40]}: not one of the scenario's roles")
        if not places and not languages:
            errors.append(f"{where}: name its places, its languages or both (how a mention is found to be from it)")
        found.append(Region(str(slug), name.strip(), places, languages, holders))
    return tuple(found)


def _codes(value: object, where: str, pattern: re.Pattern[str], errors: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > 50 or not all(isinstance(v, str) for v in value):
        errors.append(f"{where}: a list of at most 50 codes")
        return ()
    codes = tuple(dict.fromkeys(v.strip().lower() for v in value))
    bad = [c for c in codes if not pattern.match(c)]
    if bad:
        errors.append(f"{where}: {bad[0][:20]!r} is not a code (lowercase letters, digits, dashes)")
    return tuple(c for c in codes if pattern.match(c))


def region_document(r: Region) -> dict[str, object]:
    doc: dict[str, object] = {"name": r.name, "places": list(r.places), "languages": list(r.languages)}
    if r.roles:
        doc["roles"] = {
            k: {"person": h.person, **({"backup": h.backup} if h.backup else {}), "zone": h.zone}
            for k, h in r.roles.items()
        }
    return doc


def origin_of(place: str, language: str, regions: Sequence[Region]) -> str:
    """The region one mention comes from: by its place, else its language; "" for none."""
    place = place.strip().lower()
    if place:
        for r in regions:
            if place in r.places:
                return r.slug
    base = language.replace("_", "-").split("-")[0].lower()
    if base:
        for r in regions:
            if base in r.languages:
                return r.slug
    return ""


def assign(origins: Sequence[Origin], regions: Sequence[Region]) -> tuple[str, ...]:
    """The regions an incident's mentions come from: most mentions first, ties in the order
    the scenario names them."""
    counts = Counter(found for place, lang in origins if (found := origin_of(place, lang, regions)))
    order = {r.slug: i for i, r in enumerate(regions)}
    return tuple(sorted(counts, key=lambda slug: (-counts[slug], order[slug])))


def for_incident(s: Scenario, origins: Sequence[Origin]) -> tuple[Scenario, tuple[Region, ...]]:
    """The scenario as this incident runs it, and its regions: the leading region's role
    holders in place of the scenario's (its lead, its approvers). Unchanged without regions."""
    by_slug = {r.slug: r for r in s.areas}
    assigned = tuple(by_slug[slug] for slug in assign(origins, s.areas))
    if not assigned or not assigned[0].roles:
        return s, assigned
    return replace(s, roles={**s.roles, **assigned[0].roles}), assigned


def plan_regions(assigned: Sequence[Region]) -> list[dict[str, object]]:
    """What a plan keeps of its regions (the first leads): enough to publish their pages."""
    return [{"slug": r.slug, "name": r.name, "languages": list(r.languages)} for r in assigned]
