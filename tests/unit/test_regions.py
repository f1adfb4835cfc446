"""Regions in the crisis plan, decided purely: which region a mention comes from (its place as
its source says it, else its language), which regions an incident is assigned, and whose people
run its plan."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.policy.regions import Region, assign, for_incident, origin_of
from chalicelib.policy.scenarios import Holder, parse_scenario, scenario_document

REGIONS = (
    Region("dach", "DACH", places=("de", "at", "ch"), languages=("de",)),
    Region("latam", "Latin America", places=("mx", "ar", "co"), languages=("es",)),
    Region("spain", "Spain", places=("es",), languages=("es",)),
)


@pytest.mark.parametrize(
    ("place", "language", "region"),
    [
        ("at", "en", "dach"),  # the source's place wins over the post's language
        ("", "de", "dach"),  # no place: its language
        ("", "es-MX", "latam"),  # a language two regions read: the first named
        ("es", "es", "spain"),
        ("fr", "fr", ""),  # neither: no region
        ("MX ", "en", "latam"),
    ],
)
def test_a_mention_comes_from_the_region_of_its_place_else_of_its_language(
    place: str, language: str, region: str
) -> None:
    assert origin_of(place, language, REGIONS) == region


def test_an_incident_is_assigned_the_regions_its_mentions_come_from_most_first() -> None:
    origins = [("de", "de"), ("mx", "es"), ("", "de"), ("fr", "fr"), ("ch", "fr")]
    assert assign(origins, REGIONS) == ("dach", "latam")
    assert assign([("mx", "es"), ("de", "de")], REGIONS) == ("dach", "latam")  # a tie: the order named
    assert assign([("fr", "fr")], REGIONS) == () and assign([], ()) == ()


SCENARIO = {
    "name": "Safety",
    "triggers": {"terms": ["fire"]},
    "roles": {"lead": {"person": "ana@example.com"}, "legal": {"person": "lee@example.com"}},
    "checklist": [{"id": "facts", "task": "Confirm", "role": "lead", "within_minutes": 15}],
    "statements": {"en": "We know about {title}.", "de": "Wir wissen von {title}."},
    "approvals": ["legal"],
    "regions": {
        "dach": {
            "name": "DACH",
            "places": ["de", "at"],
            "languages": ["de"],
            "roles": {
                "lead": {"person": "lena@example.com"},
                "legal": {"person": "jonas@example.com", "zone": "Europe/Berlin"},
            },
        },
        "uk": {"name": "UK", "places": ["uk"], "languages": ["en"]},
    },
}


def test_the_leading_regions_people_run_the_incidents_plan() -> None:
    s = parse_scenario(SCENARIO, key="safety")
    assert [r.slug for r in s.areas] == ["dach", "uk"]
    run, assigned = for_incident(s, [("de", "de"), ("uk", "en"), ("at", "en")])
    assert [r.slug for r in assigned] == ["dach", "uk"]
    assert run.roles["lead"] == Holder("lena@example.com") and run.roles["legal"].person == "jonas@example.com"
    assert s.roles["lead"].person == "ana@example.com"  # the scenario itself is unchanged
    unchanged, none = for_incident(s, [("fr", "fr")])
    assert unchanged is s and none == ()
    uk, _ = for_incident(s, [("uk", "en")])  # a region naming no people keeps the scenario's
    assert uk.roles["lead"].person == "ana@example.com"
    assert scenario_document(parse_scenario(scenario_document(s), key="safety")) == scenario_document(s)


@pytest.mark.parametrize(
    ("regions", "problem"),
    [
        ({"dach": {"languages": ["fr"]}}, "fr has no holding statement"),
        (
            {"dach": {"places": ["de"], "roles": {"press": {"person": "p@example.com"}}}},
            "not one of the scenario's roles",
        ),
        ({"dach": {"name": "DACH"}}, "name its places, its languages or both"),
        ({"Bad Slug": {"places": ["de"]}}, "a region's id"),
        ({"dach": {"places": ["de"], "roles": {"lead": {"person": "not-an-email"}}}}, "regions.dach.roles.lead.person"),
        ({"dach": {"places": ["de"], "owner": "x"}}, "an object with name, places, languages and roles"),
        (["dach"], "regions: an object"),
    ],
)
def test_a_region_that_cannot_work_is_refused_saying_why(regions: object, problem: str) -> None:
    with pytest.raises(InvalidPayload) as refused:
        parse_scenario({**SCENARIO, "regions": regions}, key="safety")
    assert any(problem in e for e in refused.value.extra["errors"]), refused.value.extra["errors"]
