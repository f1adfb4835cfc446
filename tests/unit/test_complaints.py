"""The complaint signal: what makes a post a complaint is the customer's situation, whatever the
company sells, not an industry's nouns and not negativity alone. Every example here is written for
this test (no corpus text): shops, banks, utilities, apps, parcels, restaurants, trains."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.triage import triage_text
from chalicelib.triage.complaint import REQUESTS_AND_VERDICTS, complaint_of
from chalicelib.triage.problems import PROBLEMS, SITUATIONS, failure_cue, problem_of
from chalicelib.triage.sentiment import analyse, asks_why
from chalicelib.triage.taxonomy import compile_taxonomy
from chalicelib.triage.tokens import Ways, tokenize, word_forms


def complaint(text: str) -> str:
    return triage_text(text, identity="t").complaint


def situation(text: str) -> str:
    """The reason's situation, without the words it quotes."""
    return complaint(text).split(" ('")[0]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        # Something did not arrive or did not happen.
        ("@shopco my parcel still hasn't arrived, ordered two weeks ago", "did not arrive or happen"),
        ("@bankly I never received the replacement card you promised", "did not arrive or happen"),
        ("@pizzaplace the driver was supposed to be here at 7", "did not arrive or happen"),
        ("@gridpower nobody has got back to me about the meter", "did not arrive or happen"),
        ("@shopco tracking says delivered but there is nothing on my doorstep", "did not arrive or happen"),
        # Something does not work.
        ("@appco the app won't load since the update", "does not work"),
        ("@homeinternet no internet in our street since this morning", "does not work"),
        ("@printco my printer keeps disconnecting from the wifi", "does not work"),
        ("@bankly getting an error every time I try to pay", "does not work"),
        ("@shoeco the sole fell apart after a week", "does not work"),
        ("@streamco can't log in on the tv, any ideas", "does not work"),
        # It cost them.
        ("@gymchain you charged me twice this month", "was charged"),
        ("@phoneco why did my bill go up? you raised the price without telling me", "was charged"),
        # It was refused them.
        ("@shopco the store refused to exchange my kettle", "was refused"),
        ("@insureco your agent said they can't help and closed the claim", "was refused"),
        # They were treated badly.
        ("@cafechain the manager was really rude to my mum", "was treated badly"),
        ("@telco the rep hung up on me", "was treated badly"),
        # It took too long.
        ("@telco on hold for 40 minutes and counting", "took too long"),
        ("@railco the 8:10 is running late again", "took too long"),
        ("@councilhelp it's been three weeks since I reported the leak", "took too long"),
        # They ask for a fix, a refund or an answer.
        ("@appco please fix the login, it is driving me mad", "asks for a fix"),
        ("@shopco I want my money back for the lamp", "asks for a refund"),
        ("@councilhelp any update on my application?", "asks for an answer"),
        ("@gridpower any update on the outage in our area?", "does not work"),  # the problem first
        ("@bankly why is my transfer still pending?", "asks for an answer"),
        # They judge the service.
        ("@hotelco terrible customer service at the front desk tonight", "judges the service"),
        ("@courierco the worst delivery company I have ever used", "judges the service"),
        ("@furniture never again, six weeks for a chair", "judges the service"),
    ],
)
def test_the_customers_situation_makes_a_complaint_whatever_the_company_sells(text: str, said: str) -> None:
    assert situation(text) == said, complaint(text)


@pytest.mark.parametrize(
    "text",
    [
        "@shopco the new autumn range is lovely",
        "@railco what time is the first train on sunday?",
        "@bankly what are your opening hours on saturday?",  # opening hours are not a wait
        "@cafechain can't wait to try the new menu!",  # eagerness, not a queue
        "@bookclub waiting for the weekend to start the sequel",  # waiting, everyday
        "@friend lost my mind at that ending",  # lost, everyday
        "@friend wait, what? no way",
        "@someone you're an idiot and everyone knows it",  # negative about a person: no complaint
        "@someone this is the saddest news I've heard all year",
        "my life is a mess today",  # negative about life, not about something bought
        "@filmco why not make a sequel next?",  # a suggestion, not a why-not
        "@railco delayed ten minutes but the guard was brilliant and so kind, thank you!",  # praise wins
    ],
)
def test_negativity_everyday_words_and_praise_are_not_complaints(text: str) -> None:
    assert not complaint(text), complaint(text)


def test_negativity_about_what_was_not_done_is_a_complaint() -> None:
    # A negative post that says something was not done, whoever the company is.
    assert situation("@appco awful night, you people never listen") == "negative about what was not done"
    # Not a negation of the poster's own mind, and not a calm one.
    assert not complaint("@friend that is so sad, I can't believe it")
    assert not complaint("@friend I don't know, maybe next week?")


def test_why_not_asked_of_a_company_is_a_complaint_not_a_feeling() -> None:
    # "Why ... not" asked of someone: a complaint put as a question; its sentiment is VADER's own.
    assert situation("@bankco why can't i transfer money in the app?") == "asks why something did not happen"
    assert situation("@phoneco why doesn't the calendar sync with my laptop") == "asks why something did not happen"
    assert not complaint("can anyone explain why the update is not out")
    assert "why" not in analyse("@phoneco why doesn't the calendar sync with my laptop").reason


def test_the_wrong_thing_counts_when_the_company_gave_it() -> None:
    assert situation("@shopco you sent me the wrong size, twice") == "got the wrong thing"
    assert situation("@shopco I put the wrong address on my order, can you help?") != "got the wrong thing"


def test_negativity_counts_about_what_the_customer_has_or_was_served() -> None:
    # No problem named, but negative about their own thing or the service relationship.
    assert situation("@shopco my new sofa is an absolute disgrace") == "negative about what they have or were served"
    assert situation("@telco awful, awful service") == "judges the service"
    # The same negativity about a person or a feeling is not.
    assert not complaint("@someone my sister is an absolute disgrace")


def test_sarcasm_about_the_service_is_a_complaint_praise_is_not() -> None:
    assert situation("@courierco thanks for losing my parcel, great work") == "sarcasm about the service"
    assert situation("@gridpower great job, three outages this month!") == "does not work"  # praise with a problem
    assert not complaint("@courierco thanks for the quick delivery, great work")


def test_the_departments_route_a_complaint_they_do_not_decide_it() -> None:
    # The default taxonomy is an airline's: a parcel names no department of it and is a complaint
    # all the same, routed to the fallback; a post full of its words is no complaint by them.
    parcel = triage_text("@courierco my parcel still hasn't shown up", identity="t")
    assert parcel.complaint and parcel.departments == ("customer-care",)
    assert not triage_text("@airline lovely crew, comfy seat, great food and wifi", identity="t").complaint
    # A taxonomy of other words routes the same complaint elsewhere, and decides nothing else.
    shop = compile_taxonomy({"departments": {"logistics": {"name": "Logistics", "phrases": ["parcel"]}}})
    routed = triage_text("@courierco my parcel still hasn't shown up", identity="t", taxonomy=shop)
    assert routed.complaint == parcel.complaint and routed.departments == ("logistics",)


def test_a_complaint_says_why_in_the_customers_words() -> None:
    reason = complaint("@bankly still no refund after 3 weeks")
    assert re.fullmatch(r"[a-z ,]+ \('[^']+'\)", reason), reason
    assert reason.split(" ('")[0] in SITUATIONS


def test_words_with_everyday_meanings_fail_only_in_the_phrases_that_make_them_a_failure() -> None:
    def failed(text: str) -> bool:
        lowered = text.lower()
        words = set(tokenize(lowered))
        return bool(failure_cue(lowered, words) or problem_of(lowered, word_forms(lowered, words))[1])

    assert not failed("wait for it, the best part is the end")
    assert not failed("lost in thought on the beach")
    assert not failed("missed you all at the party")
    assert failed("still waiting for my refund")
    assert failed("waited 2 hours for the engineer")
    assert failed("@courierco you lost my parcel")
    assert failed("my suitcase was lost on the way home")


def test_hours_weigh_nothing_and_waiting_hours_are_a_wait() -> None:
    assert analyse("@bankly what are your opening hours on sunday?").label != "negative"
    assert analyse("@gym are you open 24 hours?").label != "negative"
    assert analyse("@bankly your hours of operation please").label != "negative"
    assert analyse("@friend see you in an hour").label != "negative"
    assert analyse("@bankly on hold for 3 hours now").label == "negative"


def test_why_asked_of_someone_is_not_why_told_of() -> None:
    assert asks_why("@appco why can't i log in?")
    assert asks_why("so why isn't my order here yet")
    assert not asks_why("can anyone explain why the update is not out")
    assert not asks_why("no wonder why nobody came")
    assert not asks_why("why not try the new menu?")


def test_a_word_inside_a_hashtag_or_a_hyphenation_is_read() -> None:
    lowered = "#crash on start-up again, dm-still waiting"
    forms = word_forms(lowered, set(tokenize(lowered)))
    assert {"crash", "start", "up", "dm", "still"} <= forms
    assert word_forms("plain words", {"plain", "words"}) == {"plain", "words"}


_FILLER = ["the", "my", "app", "a", "parcel", "today", "@shopco", "-", "#fail", "3hrs", "it's", "really", "so"]


def _vocabulary() -> list[str]:
    """Words the ways read (their needs) and everyday filler, to throw at them in any order."""
    words = {w for _, needs, _, _ in PROBLEMS + REQUESTS_AND_VERDICTS for w in needs.replace("|", " ").split()}
    return sorted(words) + _FILLER


@given(st.lists(st.sampled_from(_vocabulary()), max_size=14))
@settings(max_examples=600, deadline=None)
def test_ways_tried_where_their_words_are_find_what_one_search_finds(words: list[str]) -> None:
    # Any sequence of their words: a way is found exactly when one regex of all of them finds one,
    # and what is found is that way's own match.
    lowered = " ".join(words)
    forms = word_forms(lowered, set(tokenize(lowered)))
    for table in (PROBLEMS, REQUESTS_AND_VERDICTS):
        ways = [re.compile(r"(?:\b|(?=@))(?:" + way + r")\b") for _, _, way, _ in table]
        label, said = Ways(table).first(lowered, forms)
        first = next((i for i, way in enumerate(ways) if way.search(lowered)), None)
        if first is None:
            assert (label, said) == ("", ""), lowered
        else:
            assert label == table[first][0] and ways[first].search(said), (lowered, label, said)


def test_an_unread_post_is_no_complaint() -> None:
    from chalicelib.triage.sentiment import Sentiment

    unscored = Sentiment(0.0, "unscored", "unscored: language 'he' is not scored here")
    lowered = "my parcel never arrived"
    forms = set(tokenize(lowered))
    told = problem_of(lowered, forms)
    assert told[1] and not complaint_of(feeling=unscored, problem=told, lowered=lowered, forms=forms, tokens=[])
