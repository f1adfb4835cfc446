"""Departments and risk terms: the taxonomy's matching, its ranking, hashtags, implied words, an admin's own."""

from __future__ import annotations

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.triage import triage_text
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


# Airline tweets people labelled late or cancelled that name no department's topic: what they
# say (the flight itself, being held, not getting home) is operations' to answer, not the
# customer-care fallback's.
@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("@USAirways 1917. Still sitting here. Feels badly handled.", ("sitting",)),  # 568460100970668032
        ("@united no still trying to get home.", ("home",)),  # 569009316490911745
        (
            "@united you should change your name to United Incompetence. No flight until Monday, have to"
            " take a 7 hour drive now to get to my flight!",
            ("flight",),
        ),  # 568984515298922496
    ],
)
def test_a_complaint_naming_no_topic_goes_where_its_words_imply(text: str, terms: tuple[str, ...]) -> None:
    tax = default_taxonomy()
    assert tax.departments(text) == []
    triaged = triage_text(text, identity="x:1")
    assert triaged.sentiment_label == "negative"
    assert triaged.departments == ("operations",)
    assert triaged.department_terms == {"operations": terms}  # the console says why


def test_implied_words_place_only_complaints() -> None:
    # Praise of a flight names no department: nobody's kudos (airline 568450017649778688, trimmed).
    praise = triage_text("@united Thanks for a great flight.", identity="x:1")
    assert praise.sentiment_label == "positive" and praise.departments == () and not praise.kudos
    # A named topic outranks an implied one, and a complaint implying nothing is customer care's.
    assert triage_text("@united my flight was cancelled", identity="x:1").department_terms == {
        "operations": ("cancelled",)
    }
    assert triage_text("@united this is awful", identity="x:1").departments == ("customer-care",)


def test_implied_words_are_validated_single_words_with_one_department() -> None:
    with pytest.raises(InvalidPayload, match=r"implied: single words"):
        compile_taxonomy({"departments": {"ops": {"phrases": ["delay"], "implied": ["sitting here"]}}})
    with pytest.raises(InvalidPayload, match=r"'flight' already implies ops"):
        compile_taxonomy(
            {
                "departments": {
                    "ops": {"phrases": ["delay"], "implied": ["flight"]},
                    "cabin": {"phrases": ["seat"], "implied": ["Flight"]},
                }
            }
        )
    custom = compile_taxonomy({"departments": {"ops": {"phrases": ["delay"], "implied": [" Stuck "]}}})
    assert custom.implied_by(["still", "stuck", "here"]) == DepartmentHit("ops", ("stuck",))
    assert custom.implied_by(["fine"]) is None
