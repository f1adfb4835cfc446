"""Configuration rows (groups, rules, the default route), cached briefly per process so the
stream handler does not read them for every record."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from chalicelib.clock import utcnow
from chalicelib.routing.rules import Rule, parse_rule
from chalicelib.store.models import ConfigModel

CACHE_SECONDS = 30.0
DEFAULT_ROUTE_KEY = "default"


@dataclass(frozen=True, slots=True)
class Group:
    slug: str
    name: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Department:
    slug: str
    name: str
    group: str  # the stakeholder group that hears about this department's mentions


@dataclass(frozen=True, slots=True)
class RoutingConfig:
    rules: tuple[Rule, ...]
    default_groups: tuple[str, ...]
    groups: dict[str, Group]
    departments: dict[str, Department]


_cache: tuple[float, RoutingConfig] | None = None


def _put(kind: str, key: str, body: dict[str, Any]) -> None:
    global _cache
    ConfigModel(kind=kind, key=key, body=json.dumps(body, sort_keys=True), updated_at=utcnow()).save()
    _cache = None


def save_group(group: Group) -> None:
    _put("group", group.slug, {"slug": group.slug, "name": group.name, "description": group.description})


def save_department(department: Department) -> None:
    _put("department", department.slug, {"slug": department.slug, "name": department.name, "group": department.group})


def save_rule(doc: dict[str, Any]) -> Rule:
    rule = parse_rule(doc)
    _put("rule", rule.id, doc)
    return rule


def save_default_route(groups: list[str]) -> None:
    _put("route", DEFAULT_ROUTE_KEY, {"groups": groups})


def load_routing(*, now: float | None = None) -> RoutingConfig:
    global _cache
    clock = time.monotonic() if now is None else now
    if _cache is not None and clock - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    rules: list[Rule] = []
    groups: dict[str, Group] = {}
    departments: dict[str, Department] = {}
    default: tuple[str, ...] = ()
    for row in ConfigModel.scan():
        body = json.loads(row.body)
        if row.kind == "rule":
            rules.append(parse_rule(body))
        elif row.kind == "group":
            groups[row.key] = Group(slug=body["slug"], name=body["name"], description=body.get("description", ""))
        elif row.kind == "department":
            departments[row.key] = Department(slug=body["slug"], name=body["name"], group=body["group"])
        elif row.kind == "route" and row.key == DEFAULT_ROUTE_KEY:
            default = tuple(body.get("groups", ()))
    config = RoutingConfig(rules=tuple(rules), default_groups=default, groups=groups, departments=departments)
    _cache = (clock, config)
    return config


def clear_cache() -> None:
    global _cache
    _cache = None
