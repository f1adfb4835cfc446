"""Departments and risk terms: the taxonomy's matching, its ranking, hashtags, an admin's own."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.triage.taxonomy import DepartmentHit, compile_taxonomy, default_taxonomy


def test_departments_and_risks_match_whole_words_and_phrases() -> None:
    tax = default_taxonomy()
    assert next(h.department for h in tax.departments("Lost my bag at baggage claim in DEN")) == "baggage"
    assert tax.departments("the baggagecart") == []
    assert tax.risks("I will SUE, and the news is here") == {"high": ("sue",), "watch": ("news",)}
    # A tag's words name a topic, spelled out as sentiment reads tags; risk terms only as written
    # (#DieIn, a protest, is not a death).
    assert tax.departments("#wifi is down") == [DepartmentHit("inflight", ("wifi",))]
    assert [h.department for h in tax.departments("@united stuck in DEN #HourDelay")] == ["operations"]
    assert tax.risks("#crash #DieIn") == {}


# Airline tweets (../shared/data/airline, Tweets.csv; tweet ids noted), each labelled by people
# with the department's reason: the department named first leads when as many words match (the
# priority order alone put each of these under the other department).
@pytest.mark.parametrize(
    ("text", "department"),
    [
        ("@united rep wouldn't rebook. Such a waste of time", "customer-care"),  # 569272664344428545
        ("@VirginAmerica Your chat support is not working on your site", "customer-care"),  # 570035876845084672
        ("@united not able to DM you my confirmation number", "customer-care"),  # 570217606025748480
        ("@VirginAmerica Is it normal to receive no reply from Central Baggage", "customer-care"),  # 569477692166316033
    ],
)
def test_the_department_named_first_leads_a_tie(text: str, department: str) -> None:
    assert default_taxonomy().departments(text)[0].department == department


# Airline tweets people labelled with the department's reason, read through operations' and the
# cabin's own words (a night's hotel, an engine, a cabin's state) and through their hashtags.
@pytest.mark.parametrize(
    ("text", "department"),
    [
        (
            "@united hi yes need a free hotel stay in Honalulu due to 4 hour delayUA53",
            "operations",
        ),  # 569558713079443456
        (
            "@USAirways freaking out about the fact you are fixing the engine from Charlotte",
            "operations",
        ),  # 567846359631564800
        ("@united Why have you never held a plane for me? #HourDelay", "operations"),  # 569703328940032000
        ("@AmericanAir Mold on my flight?!? US3825 #filthyplane #hopeidonotgetsick", "inflight"),  # 570306715599695874
    ],
)
def test_a_department_is_read_in_its_own_words_and_in_hashtags(text: str, department: str) -> None:
    assert [h.department for h in default_taxonomy().departments(text)] == [department]


def test_a_phrase_counts_its_words_against_single_words() -> None:
    # "customer service" (two words) says more than "delayed" (one): airline 569481897203494914.
    hits = default_taxonomy().departments("@united What does delayed due to Customer Service mean for UA761?")
    assert [h.department for h in hits] == ["customer-care", "operations"]


def test_an_admin_taxonomy_is_validated_when_compiled() -> None:
    with pytest.raises(InvalidPayload, match="departments"):
        compile_taxonomy({"departments": {}})
    custom = compile_taxonomy(
        {"departments": {"loyalty": {"phrases": ["miles", "status match"], "hashtags": ["#ffstatus"]}}}
    )
    assert custom.departments("Need a status match #ffstatus")[0].terms == ("#ffstatus", "status match")
