from __future__ import annotations

import pytest

from chalicelib.errors import InvalidPayload
from chalicelib.policy.rules import explain, parse_rule, route
from infra.local.demo import RULES

MENTION_FIELDS = {
    "kind": "mention",
    "source": "generic",
    "platform": "x",
    "reach": 48210,
    "text": "Third cancelled flight this month, @brand.",
}


def test_demo_rules_are_valid() -> None:
    assert [parse_rule(r).id for r in RULES] == [r["id"] for r in RULES]


def test_route_collects_every_matching_group_with_reasons() -> None:
    routes = route(MENTION_FIELDS, [parse_rule(r) for r in RULES], ["social-team"])
    by_group = {r.group: r.reasons for r in routes}
    assert set(by_group) == {"social-team", "operations"}
    assert "text mentions 'cancelled'" in by_group["operations"][0]


def test_route_falls_back_to_the_default_route_and_says_so() -> None:
    rule = parse_rule({"id": "only-reports", "when": {"kind": "report"}, "notify": ["crisis-team"]})
    [only] = route(MENTION_FIELDS, [rule], ["social-team"])
    assert only.group == "social-team"
    assert only.reasons == ("no rule matched: the default route",)


def test_stop_ends_matching_in_order() -> None:
    first = parse_rule({"id": "a", "order": 1, "when": {}, "notify": ["one"], "stop": True})
    second = parse_rule({"id": "b", "order": 2, "when": {}, "notify": ["two"]})
    assert [r.group for r in route(MENTION_FIELDS, [second, first], [])] == ["one"]


def test_keywords_match_whole_words_only() -> None:
    rule = parse_rule({"id": "k", "when": {"keywords": ["delay"]}, "notify": ["ops"]})
    assert not explain(rule, {"text": "no delays here"})[0]
    assert explain(rule, {"text": "A DELAY again!"})[0]


def test_explain_says_why_a_rule_did_not_match() -> None:
    rule = parse_rule({"id": "big", "when": {"reach_at_least": 100000}, "notify": ["execs"]})
    assert explain(rule, MENTION_FIELDS) == (False, ["reach 48210 < 100000"])


@pytest.mark.parametrize(
    ("doc", "problem"),
    [
        ({"id": "x", "when": {"sentiment_below": 1}, "notify": ["a"]}, "when.sentiment_below: unknown condition"),
        ({"id": "x", "when": {"reach_at_least": "lots"}, "notify": ["a"]}, "when.reach_at_least"),
        ({"id": "x", "when": {"keywords": []}, "notify": ["a"]}, "when.keywords"),
        ({"id": "x", "when": {}, "notify": []}, "notify"),
        ({"id": "Bad Id", "when": {}, "notify": ["a"]}, "id:"),
        ({"id": "x", "when": {"urgency": 3}, "notify": ["a"]}, "when.urgency"),
    ],
)
def test_a_bad_rule_says_which_condition_is_wrong(doc: dict[str, object], problem: str) -> None:
    with pytest.raises(InvalidPayload, match=problem):
        parse_rule(doc)


def test_a_decision_lists_every_rule_with_why_and_takes_owner_and_policy_from_the_first_that_names_them() -> None:
    from chalicelib.policy.rules import decide, parse_rule

    rules = [
        parse_rule({"id": "all", "order": 1, "when": {"kind": "mention"}, "notify": ["social-team"]}),
        parse_rule(
            {
                "id": "angry",
                "order": 2,
                "when": {"sentiment_at_most": -0.5, "language": "en"},
                "notify": ["customer-care"],
                "owner": "customer-care",
                "escalation": "fast",
                "stop": True,
            }
        ),
        parse_rule({"id": "late", "order": 3, "when": {"kind": "mention"}, "notify": ["operations"]}),
    ]
    fields = {"kind": "mention", "sentiment_score": -0.8, "lang": "en", "text": "awful"}
    decision = decide(fields, rules, ["social-team"])
    assert [r.group for r in decision.routes] == ["social-team", "customer-care"]
    assert (decision.owner, decision.escalation, decision.default_route) == ("customer-care", "fast", False)
    assert [(v.rule, v.matched, v.evaluated) for v in decision.verdicts] == [
        ("all", True, True),
        ("angry", True, True),
        ("late", False, False),
    ]
    calm = decide({**fields, "sentiment_score": 0.1}, rules, ["social-team"])
    assert calm.verdicts[1].reasons == ("sentiment score +0.10 > -0.50",)
    assert decide({"kind": "report"}, rules, ["social-team"]).default_route


def test_an_unscored_post_is_not_read_as_neutral_by_a_score_rule() -> None:
    """A post in a language nobody scored carries score 0: "not read", not "calm". A rule on
    the score does not take it; a rule on `sentiment: unscored` does."""
    calm = parse_rule({"id": "calm", "when": {"sentiment_at_most": 0.2}, "notify": ["calm-team"]})
    unread = parse_rule({"id": "unread", "when": {"sentiment": "unscored"}, "notify": ["translators"]})
    hebrew = {**MENTION_FIELDS, "lang": "he", "sentiment": "unscored", "sentiment_score": 0.0}
    assert [r.group for r in route(hebrew, [calm, unread], [])] == ["translators"]
    matched, why = explain(calm, hebrew)
    assert not matched and "unscored" in why[0]
    neutral = {**MENTION_FIELDS, "sentiment": "neutral", "sentiment_score": 0.0}
    assert [r.group for r in route(neutral, [calm, unread], [])] == ["calm-team"]
