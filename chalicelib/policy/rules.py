"""Routing rules as data, matched purely, with the reason for every decision recorded."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.triage.severity import LEVELS, at_least

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# condition name -> the record field it reads
_EQUALS = {"kind", "source", "channel", "platform", "lang", "language", "region", "brand", "urgency", "sentiment"}
_EQUALS |= {"incident_state"}  # none | open | acknowledged | resolved
_CONDITIONS = _EQUALS | {
    "keywords",
    "reach_at_least",
    "department",
    "severity_at_least",
    "sentiment_at_most",
    "kudos",
    "complaint",  # a customer reporting a problem: true or false
    "risk",
    "spike",  # a spike alarm: true (any), "volume" or "negativity"
}
CONDITIONS = frozenset(_CONDITIONS)  # what a rule may test, for the API's contract
_ALIASES = {"language": "lang"}

# A signal's fields as routing reads them (Signal.fields()): JSON values from the store's edge.
Fields = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    order: int
    when: Mapping[str, Any]
    notify: tuple[str, ...]
    stop: bool = False
    owner: str = ""  # the group that owns an incident this rule routes first
    escalation: str = ""  # the escalation policy for it


@dataclass(frozen=True, slots=True)
class Route:
    group: str
    reasons: tuple[str, ...]


@lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(keyword.lower())}(?!\w)")


def _as_list(value: Any) -> list[str]:
    return [str(v).lower() for v in value] if isinstance(value, (list, tuple)) else [str(value).lower()]


_SPIKES = ("volume", "negativity")


def _flag_problem(name: str, value: Any) -> str:
    if name in {"kudos", "risk", "complaint"} and not isinstance(value, bool):
        return f"when.{name}: true or false"
    if name == "spike" and not (
        value is True or value in _SPIKES or (isinstance(value, list) and value and set(value) <= set(_SPIKES))
    ):
        return 'when.spike: true (any spike), "volume", "negativity" or a list of them'
    return ""


def _condition_problems(name: str, value: Any) -> list[str]:
    """What is wrong with one condition of a rule (nothing: an empty list)."""
    if name not in _CONDITIONS:
        return [f"when.{name}: unknown condition; known: {', '.join(sorted(_CONDITIONS))}"]
    if name == "reach_at_least" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        return ["when.reach_at_least: a whole number of followers, 0 or more"]
    if name == "keywords" and (
        not isinstance(value, list) or not value or not all(isinstance(k, str) and k.strip() for k in value)
    ):
        return ["when.keywords: a non-empty list of words or phrases"]
    if name == "severity_at_least" and value not in LEVELS:
        return [f"when.severity_at_least: one of {', '.join(LEVELS)}"]
    if name == "sentiment_at_most" and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not -1 <= value <= 1
    ):
        return ["when.sentiment_at_most: a compound score from -1 to 1"]
    flag = _flag_problem(name, value)
    if flag:
        return [flag]
    if name in _EQUALS | {"department"} and not (
        isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
    ):
        return [f"when.{name}: a string or a non-empty list of strings"]
    return []


def parse_rule(doc: Any) -> Rule:
    """Validate a rule document; a bad rule says which condition is wrong."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a rule is a JSON object"))
    problems: list[str] = []
    rule_id = str(doc.get("id", ""))
    if not _SLUG.match(rule_id):
        problems.append("id: lowercase letters, digits and dashes, at most 63")
    when = doc.get("when", {})
    if not isinstance(when, dict):
        problems.append("when: an object of conditions")
        when = {}
    for name, value in when.items():
        problems += _condition_problems(name, value)
    notify = doc.get("notify", [])
    if not isinstance(notify, list) or not notify or not all(isinstance(g, str) and _SLUG.match(g) for g in notify):
        problems.append("notify: a non-empty list of group slugs")
        notify = []
    owner = doc.get("owner", "")
    if owner and not (isinstance(owner, str) and _SLUG.match(owner)):
        problems.append("owner: a group slug")
        owner = ""
    escalation = doc.get("escalation", "")
    if escalation and not (isinstance(escalation, str) and _SLUG.match(escalation)):
        problems.append("escalation: an escalation policy id")
        escalation = ""
    order = doc.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        problems.append("order: a whole number")
        order = 100
    if problems:
        raise InvalidPayload(
            N_("invalid rule %(rule_id)s: %(problems)s"),
            values={"rule_id": repr(rule_id), "problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    return Rule(
        id=rule_id,
        name=str(doc.get("name") or rule_id),
        order=order,
        when=dict(when),
        notify=tuple(notify),
        stop=bool(doc.get("stop", False)),
        owner=str(owner or ""),
        escalation=str(escalation or ""),
    )


# Each condition's check: (whether it holds, why or why not), in words a rule's author reads.
_Check = Callable[[str, Any, Fields], tuple[bool, str]]


def _keywords(_: str, expected: Any, fields: Fields) -> tuple[bool, str]:
    text = str(fields.get("text", "")).lower()
    hits = [k for k in expected if _keyword_pattern(k).search(text)]
    if not hits:
        return False, f"text has none of {', '.join(expected)}"
    return True, f"text mentions {', '.join(repr(h) for h in hits)}"


def _department(_: str, expected: object, fields: Fields) -> tuple[bool, str]:
    have = [str(d).lower() for d in fields.get("departments") or ()]
    wanted = _as_list(expected)
    shared = [d for d in have if d in wanted]
    if not shared:
        return False, f"departments {', '.join(have) or 'none'}, not {' or '.join(wanted)}"
    return True, f"department {shared[0]}"


def _severity(_: str, expected: Any, fields: Fields) -> tuple[bool, str]:
    level = str(fields.get("severity") or "low")
    if not at_least(level, expected):
        return False, f"severity {level} < {expected}"
    return True, f"severity {level}"


def _flag(name: str, expected: object, fields: Fields) -> tuple[bool, str]:
    if bool(fields.get(name)) != expected:
        return False, f"{name} is {bool(fields.get(name))}"
    said = {"kudos": "kudos", "risk": "risk terms present", "complaint": "a complaint"}[name]
    return True, said if expected else f"no {name}"


def _sentiment(_: str, expected: Any, fields: Fields) -> tuple[bool, str]:
    score = float(fields.get("sentiment_score", 0.0) or 0.0)
    unscored = fields.get("sentiment") == "unscored"  # its 0 is "not read", not "neutral"
    if fields.get("kind") != "mention" or unscored or score > expected:
        why = "sentiment unscored (a language not scored here)"
        return False, why if unscored else f"sentiment score {score:+.2f} > {expected:+.2f}"
    return True, f"sentiment score {score:+.2f} <= {expected:+.2f}"


def _reach(_: str, expected: Any, fields: Fields) -> tuple[bool, str]:
    reach = int(fields.get("reach", 0) or 0)
    if reach < expected:
        return False, f"reach {reach} < {expected}"
    return True, f"reach {reach} >= {expected}"


def _field(name: str, expected: object, fields: Fields) -> tuple[bool, str]:
    actual = str(fields.get(_ALIASES.get(name, name), "")).lower()
    allowed = list(_SPIKES) if name == "spike" and expected is True else _as_list(expected)
    if actual not in allowed:
        return False, f"{name} is {actual or 'empty'!r}, not {' or '.join(allowed)}"
    return True, f"{name} is {actual}"


_CHECKS: dict[str, _Check] = {
    "keywords": _keywords,
    "department": _department,
    "severity_at_least": _severity,
    "kudos": _flag,
    "risk": _flag,
    "complaint": _flag,
    "sentiment_at_most": _sentiment,
    "reach_at_least": _reach,
}


def explain(rule: Rule, fields: Fields) -> tuple[bool, list[str]]:
    """Whether the rule matches, and why (or why not) condition by condition."""
    reasons: list[str] = []
    for name, expected in rule.when.items():
        holds, why = _CHECKS.get(name, _field)(name, expected, fields)
        if not holds:
            return False, [why]
        reasons.append(why)
    return True, reasons or ["matches everything"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """One rule's answer for one signal, for `POST /api/rules/test`."""

    rule: str
    matched: bool
    reasons: tuple[str, ...]
    evaluated: bool = True  # False when an earlier rule with `stop` ended the evaluation


@dataclass(frozen=True, slots=True)
class Decision:
    routes: tuple[Route, ...]
    owner: str  # the group that owns an incident from this signal
    escalation: str  # its escalation policy ("" : the default policy)
    verdicts: tuple[Verdict, ...]
    default_route: bool


def decide(fields: Fields, rules: Sequence[Rule], default_groups: Sequence[str]) -> Decision:
    """Every rule in order with why it matched or not; the groups to notify with the reasons
    that brought each in; the owner and escalation policy the first rule naming them sets."""
    reasons: dict[str, list[str]] = {}
    verdicts: list[Verdict] = []
    owner = escalation = ""
    stopped = False
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        if stopped:
            verdicts.append(Verdict(rule.id, False, ("not evaluated: an earlier rule stops here",), evaluated=False))
            continue
        matched, why = explain(rule, fields)
        verdicts.append(Verdict(rule.id, matched, tuple(why)))
        if not matched:
            continue
        for group in rule.notify:
            reasons.setdefault(group, []).append(f"rule '{rule.name}': {'; '.join(why)}")
        owner = owner or rule.owner
        escalation = escalation or rule.escalation
        stopped = rule.stop
    default_route = not reasons
    if default_route:
        for group in default_groups:
            reasons[group] = ["no rule matched: the default route"]
    routes = tuple(Route(group=g, reasons=tuple(r)) for g, r in reasons.items())
    owner = owner or (routes[0].group if routes else "")
    return Decision(routes, owner, escalation, tuple(verdicts), default_route)


def route(fields: Fields, rules: Sequence[Rule], default_groups: Sequence[str]) -> list[Route]:
    """The groups to notify, each with the reasons that brought it in, in rule order."""
    return list(decide(fields, rules, default_groups).routes)


def rule_document(rule: Rule) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": rule.id,
        "name": rule.name,
        "order": rule.order,
        "when": dict(rule.when),
        "notify": list(rule.notify),
        "stop": rule.stop,
    }
    if rule.owner:
        doc["owner"] = rule.owner
    if rule.escalation:
        doc["escalation"] = rule.escalation
    return doc
