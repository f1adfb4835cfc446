"""Configuration rows (groups, rules, the default route), cached briefly per process so the
stream handler does not read them for every record."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from chalicelib.clock import parse_span, utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.routing.escalation import Policy, parse_policy, policy_document
from chalicelib.routing.noise import MaintenanceWindow, QuietHours, parse_quiet_hours, parse_window
from chalicelib.routing.rules import Rule, parse_rule
from chalicelib.settings import get_settings
from chalicelib.store.models import ConfigModel
from chalicelib.triage.spikes import PlannedEvent
from chalicelib.triage.taxonomy import DEFAULT_PATH as DEFAULT_TAXONOMY
from chalicelib.triage.taxonomy import Taxonomy, compile_taxonomy, default_taxonomy

DEFAULT_ROUTE_KEY = "default"


DEFAULT_POLICY_KEY = "default"


@dataclass(frozen=True, slots=True)
class Group:
    slug: str
    name: str
    description: str = ""
    grace_minutes: int = 0  # an incident waits this long before this group is first told
    max_per_hour: int = 0  # notifications an hour before the rest wait for a digest; 0: no limit
    quiet_hours: str = ""  # "22:00-07:00" in each member's time zone; critical still goes out
    zones: tuple[str, ...] = ()  # the members' time zones (kept by the members API)

    @property
    def quiet(self) -> QuietHours | None:
        return parse_quiet_hours(self.quiet_hours)

    def document(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "description": self.description,
            "grace_minutes": self.grace_minutes,
            "max_per_hour": self.max_per_hour,
            "quiet_hours": self.quiet_hours,
            "zones": list(self.zones),
        }


def parse_group(doc: Any, *, slug: str, zones: tuple[str, ...] = ()) -> Group:
    """Validate a group document; a bad one says which field is wrong."""
    if not isinstance(doc, dict):
        raise InvalidPayload("a group is a JSON object")
    problems: list[str] = []
    name = doc.get("name", slug)
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        problems.append("name: 1 to 80 characters")
    for field_name, high in (("grace_minutes", 120), ("max_per_hour", 10_000)):
        value = doc.get(field_name, 0)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= high:
            problems.append(f"{field_name}: a whole number from 0 to {high}")
    try:
        parse_quiet_hours(doc.get("quiet_hours"))
    except InvalidPayload as exc:
        problems.append(exc.detail)
    if problems:
        raise InvalidPayload(f"invalid group {slug!r}: {'; '.join(problems)}", extra={"errors": problems})
    return Group(
        slug=slug,
        name=str(name).strip(),
        description=str(doc.get("description") or "")[:500],
        grace_minutes=int(doc.get("grace_minutes", 0)),
        max_per_hour=int(doc.get("max_per_hour", 0)),
        quiet_hours=str(doc.get("quiet_hours") or ""),
        zones=tuple(doc.get("zones") or zones),
    )


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
    policies: dict[str, Policy] = field(default_factory=dict)
    windows: tuple[MaintenanceWindow, ...] = ()

    def policy_for(self, policy_id: str) -> Policy | None:
        return self.policies.get(policy_id or DEFAULT_POLICY_KEY) or self.policies.get(DEFAULT_POLICY_KEY)


_cache: tuple[float, RoutingConfig] | None = None


def _put(kind: str, key: str, body: dict[str, Any]) -> None:
    global _cache
    ConfigModel(kind=kind, key=key, body=json.dumps(body, sort_keys=True), updated_at=utcnow()).save()
    _cache = None


def save_group(group: Group) -> None:
    _put("group", group.slug, group.document())


def save_policy(doc: dict[str, Any]) -> Policy:
    policy = parse_policy(doc)
    _put("policy", policy.id, policy_document(policy))
    return policy


def save_window(doc: dict[str, Any]) -> MaintenanceWindow:
    window = parse_window(doc)
    _put("maintenance", window.id, doc)
    return window


def delete_config(kind: str, key: str) -> bool:
    global _cache
    try:
        ConfigModel.get(kind, key).delete()
    except ConfigModel.DoesNotExist:
        return False
    _cache = None
    return True


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
    if _cache is not None and clock - _cache[0] < get_settings().config_cache_seconds:
        return _cache[1]
    rules: list[Rule] = []
    groups: dict[str, Group] = {}
    departments: dict[str, Department] = {}
    default: tuple[str, ...] = ()
    policies: dict[str, Policy] = {}
    windows: list[MaintenanceWindow] = []
    for row in ConfigModel.scan():
        body = json.loads(row.body)
        if row.kind == "rule":
            rules.append(parse_rule(body))
        elif row.kind == "group":
            groups[row.key] = parse_group(body, slug=row.key)
        elif row.kind == "policy":
            policies[row.key] = parse_policy(body)
        elif row.kind == "maintenance":
            windows.append(parse_window(body))
        elif row.kind == "department":
            departments[row.key] = Department(slug=body["slug"], name=body["name"], group=body["group"])
        elif row.kind == "route" and row.key == DEFAULT_ROUTE_KEY:
            default = tuple(body.get("groups", ()))
    config = RoutingConfig(
        rules=tuple(rules),
        default_groups=default,
        groups=groups,
        departments=departments,
        policies=policies,
        windows=tuple(windows),
    )
    _cache = (clock, config)
    return config


def clear_cache() -> None:
    global _cache, _taxonomy_cache
    _cache = None
    _taxonomy_cache = None


# -- the taxonomy admins edit, and the planned events the spike detector expects ---------------

_taxonomy_cache: tuple[float, Taxonomy, dict[str, Any]] | None = None


def save_taxonomy(doc: dict[str, Any]) -> Taxonomy:
    """Validate (a bad taxonomy is refused whole, saying what is wrong) and store it."""
    global _taxonomy_cache
    taxonomy = compile_taxonomy(doc)
    _put("taxonomy", "current", doc)
    _taxonomy_cache = None
    return taxonomy


def current_taxonomy(*, now: float | None = None) -> tuple[Taxonomy, dict[str, Any]]:
    """The taxonomy in force (stored, else the default) and its document; cached briefly."""
    global _taxonomy_cache
    clock = time.monotonic() if now is None else now
    if _taxonomy_cache is not None and clock - _taxonomy_cache[0] < get_settings().config_cache_seconds:
        return _taxonomy_cache[1], _taxonomy_cache[2]
    try:
        doc = json.loads(ConfigModel.get("taxonomy", "current").body)
        taxonomy = compile_taxonomy(doc)
    except ConfigModel.DoesNotExist:
        doc = json.loads(DEFAULT_TAXONOMY.read_text(encoding="utf-8"))
        taxonomy = default_taxonomy()
    _taxonomy_cache = (clock, taxonomy, doc)
    return taxonomy, doc


def save_planned_event(doc: dict[str, Any]) -> PlannedEvent:
    event = parse_planned_event(doc)
    _put("planned", str(doc["id"]), doc)
    return event


def parse_planned_event(doc: Any) -> PlannedEvent:
    if not isinstance(doc, dict):
        raise InvalidPayload("a planned event is a JSON object")
    start, end = parse_span(doc, required=("id", "name", "start", "end"), what="planned event")
    return PlannedEvent(key=str(doc.get("series", "*")), start=start, end=end, name=str(doc["name"]))


def planned_events() -> list[PlannedEvent]:
    return [parse_planned_event(json.loads(row.body)) for row in ConfigModel.query("planned")]
