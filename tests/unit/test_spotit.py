"""Spot it, decided purely: items from our own past (case cards, corrections, praise), a round's
draw, its score, and what a department sees (counts, never a person)."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.policy import spotit

CARD = {
    "posted": "@angry_dad: your crew refused to help my disabled son, lawyer@example.com will hear of it",
    "severity": "high",
    "departments": ["inflight", "gates"],
    "spotted": "An employee in inflight reported it first, 12 min before the listening tools (slack).",
    "helped": "The early report.",
}
CORRECTIONS = [
    {"text": "Well that was a flight. Landed early!", "field": "sentiment", "before": "negative", "after": "positive"},
    {"text": "No one at the desk for an hour", "field": "sentiment", "before": "neutral", "after": "negative"},
    {"text": "My bag went to Oslo", "field": "departments", "before": ["gates"], "after": ["baggage"], "why": "bags"},
    {"text": "whatever", "field": "brand", "before": "a", "after": "b"},
]
KUDOS = [{"text": "Thank you @crew for the birthday cake on board!"}]
DEPARTMENTS = [("baggage", "Baggage"), ("inflight", "In flight")]


def _pool() -> dict[str, Any]:
    return spotit.build_pool(cards=[CARD], corrections=CORRECTIONS, kudos=KUDOS, departments=DEPARTMENTS)


def test_the_pool_draws_answers_from_what_happened_and_names_nobody() -> None:
    pool = _pool()
    by_text = {i["text"]: i for i in pool["items"]}
    assert len(pool["items"]) == 5  # the brand correction teaches nothing: left out
    card = next(i for i in pool["items"] if i["source"] == "case")
    assert card["action"] == "urgent" and card["department"] == "inflight" and "12 min" in card["why"]
    assert "angry_dad" not in card["text"] and "lawyer@" not in card["text"]
    assert by_text["Well that was a flight. Landed early!"]["action"] == "nothing"
    assert by_text["No one at the desk for an hour"]["action"] == "report"
    assert by_text["My bag went to Oslo"]["department"] == "baggage"
    praise = next(i for i in pool["items"] if i["source"] == "kudos")
    assert praise["action"] == "nothing" and "@crew" not in praise["text"]
    assert pool["departments"] == [["baggage", "Baggage"], ["inflight", "In flight"]]
    again = spotit.build_pool(cards=[CARD, CARD], corrections=CORRECTIONS, kudos=KUDOS, departments=DEPARTMENTS)
    assert [i["id"] for i in again["items"]] == [i["id"] for i in pool["items"]]  # once each


def test_a_round_is_five_distinct_items_the_same_for_the_same_seed() -> None:
    pool = _pool()
    one = spotit.draw(pool, seed=7)
    assert len(one) == 5 and len({i["id"] for i in one}) == 5
    assert [i["id"] for i in spotit.draw(pool, seed=7)] == [i["id"] for i in one]
    assert spotit.draw({"items": []}, seed=1) == []


def test_scoring_needs_the_action_and_for_a_report_its_department() -> None:
    pool = _pool()
    items = {i["source"] + i["action"]: i for i in pool["items"]}
    card, praise = items["caseurgent"], items["kudosnothing"]
    bag = next(i for i in pool["items"] if i["department"] == "baggage")
    answers = {
        card["id"]: {"action": "urgent", "department": "inflight"},
        praise["id"]: {"action": "report", "department": ""},
        bag["id"]: {"action": "report", "department": "inflight"},
    }
    scored = {r["id"]: r for r in spotit.score(pool, [card["id"], praise["id"], bag["id"]], answers)}
    assert scored[card["id"]]["right"]
    assert not scored[praise["id"]]["right"] and not scored[praise["id"]]["action_right"]
    assert scored[bag["id"]]["action_right"] and not scored[bag["id"]]["department_right"]
    assert scored[bag["id"]]["why"].startswith("A colleague put it where it belongs")


@pytest.mark.parametrize(
    ("ids", "answers"),
    [
        ([], {}),
        (["nope"], {"nope": {"action": "report"}}),
        (["x"] * 2, {}),
        (["a", "b", "c", "d", "e", "f"], {}),
    ],
)
def test_a_round_that_is_not_of_the_pool_or_not_answered_is_refused(ids: list[str], answers: Any) -> None:
    with pytest.raises(InvalidPayload):
        spotit.score(_pool(), ids, answers)
    first = _pool()["items"][0]["id"]
    with pytest.raises(InvalidPayload):
        spotit.score(_pool(), [first], {first: {"action": "panic"}})


def test_a_department_sees_participation_and_accuracy_never_who() -> None:
    seen = spotit.aggregate({"people": 3, "rounds": 5, "items": 25, "correct": 20}, staff=12)
    assert seen == {"people": 3, "rounds": 5, "participation": 0.25, "accuracy": 0.8}
    assert spotit.aggregate({}, staff=0) == {"people": 0, "rounds": 0, "participation": None, "accuracy": None}
