"""Routing rules as data, matched purely, with the reason for every decision recorded."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from chalicelib.errors import InvalidPayload

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
# condition name -> the record field it reads
_EQUALS = {"kind", "source", "channel", "platform", "lang", "brand", "urgency", "sentiment"}
_CONDITIONS = _EQUALS | {"keywords", "reach_at_least", "department", "severity_at_least", "kudos", "risk"}
_SEVERITIES = ("low", "medium", "high", "critical")


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    order: int
    when: Mapping[str, Any]
    notify: tuple[str, ...]
    stop: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    group: str
    reasons: tuple[str, ...]


@lru_cache(maxsize=512)
def _keyword_pattern(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(keyword.lower())}(?!\w)")


def _as_list(value: Any) -> list[str]:
    return [str(v).lower() for v in value] if isinstance(value, (list, tuple)) else [str(value).lower()]


def parse_rule(doc: Any) -> Rule:
    """Validate a rule document; a bad rule says which condition is wrong."""
    if not isinstance(doc, dict):
        raise InvalidPayload("a rule is a JSON object")
    problems: list[str] = []
    rule_id = str(doc.get("id", ""))
    if not _SLUG.match(rule_id):
        problems.append("id: lowercase letters, digits and dashes, at most 63")
    when = doc.get("when", {})
    if not isinstance(when, dict):
        problems.append("when: an object of conditions")
        when = {}
    for name, value in when.items():
        if name not in _CONDITIONS:
            problems.append(f"when.{name}: unknown condition; known: {', '.join(sorted(_CONDITIONS))}")
        elif name == "reach_at_least" and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            problems.append("when.reach_at_least: a whole number of followers, 0 or more")
        elif name == "keywords" and (
            not isinstance(value, list) or not value or not all(isinstance(k, str) and k.strip() for k in value)
        ):
            problems.append("when.keywords: a non-empty list of words or phrases")
        elif name == "severity_at_least" and value not in _SEVERITIES:
            problems.append(f"when.severity_at_least: one of {', '.join(_SEVERITIES)}")
        elif name in {"kudos", "risk"} and not isinstance(value, bool):
            problems.append(f"when.{name}: true or false")
        elif name in _EQUALS | {"department"} and not (
            isinstance(value, str) or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
        ):
            problems.append(f"when.{name}: a string or a non-empty list of strings")
    notify = doc.get("notify", [])
    if not isinstance(notify, list) or not notify or not all(isinstance(g, str) and _SLUG.match(g) for g in notify):
        problems.append("notify: a non-empty list of group slugs")
        notify = []
    order = doc.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int):
        problems.append("order: a whole number")
        order = 100
    if problems:
        raise InvalidPayload(f"invalid rule {rule_id!r}: {'; '.join(problems)}", extra={"errors": problems})
    return Rule(
        id=rule_id,
        name=str(doc.get("name") or rule_id),
        order=order,
        when=dict(when),
        notify=tuple(notify),
        stop=bool(doc.get("stop", False)),
    )


def explain(rule: Rule, fields: Mapping[str, Any]) -> tuple[bool, list[str]]:
    """Whether the rule matches, and why (or why not) condition by condition."""
    reasons: list[str] = []
    for name, expected in rule.when.items():
        if name == "keywords":
            text = str(fields.get("text", "")).lower()
            hits = [k for k in expected if _keyword_pattern(k).search(text)]
            if not hits:
                return False, [f"text has none of {', '.join(expected)}"]
            reasons.append(f"text mentions {', '.join(repr(h) for h in hits)}")
        elif name == "department":
            have = [str(d).lower() for d in fields.get("departments") or ()]
            wanted = _as_list(expected)
            shared = [d for d in have if d in wanted]
            if not shared:
                return False, [f"departments {', '.join(have) or 'none'}, not {' or '.join(wanted)}"]
            reasons.append(f"department {shared[0]}")
        elif name == "severity_at_least":
            level = str(fields.get("severity") or "low")
            if _SEVERITIES.index(level) < _SEVERITIES.index(expected):
                return False, [f"severity {level} < {expected}"]
            reasons.append(f"severity {level}")
        elif name in {"kudos", "risk"}:
            if bool(fields.get(name)) != expected:
                return False, [f"{name} is {bool(fields.get(name))}"]
            reasons.append("kudos" if name == "kudos" else "risk terms present" if expected else f"no {name}")
        elif name == "reach_at_least":
            reach = int(fields.get("reach", 0) or 0)
            if reach < expected:
                return False, [f"reach {reach} < {expected}"]
            reasons.append(f"reach {reach} >= {expected}")
        else:
            actual = str(fields.get(name, "")).lower()
            allowed = _as_list(expected)
            if actual not in allowed:
                return False, [f"{name} is {actual or 'empty'!r}, not {' or '.join(allowed)}"]
            reasons.append(f"{name} is {actual}")
    return True, reasons or ["matches everything"]


def route(fields: Mapping[str, Any], rules: Sequence[Rule], default_groups: Sequence[str]) -> list[Route]:
    """The groups to notify, each with the reasons that brought it in, in rule order."""
    reasons: dict[str, list[str]] = {}
    for rule in sorted(rules, key=lambda r: (r.order, r.id)):
        matched, why = explain(rule, fields)
        if not matched:
            continue
        for group in rule.notify:
            reasons.setdefault(group, []).append(f"rule '{rule.name}': {'; '.join(why)}")
        if rule.stop:
            break
    if not reasons:
        for group in default_groups:
            reasons[group] = ["no rule matched: the default route"]
    return [Route(group=g, reasons=tuple(r)) for g, r in reasons.items()]
