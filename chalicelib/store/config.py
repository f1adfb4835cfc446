"""Configuration rows (groups, rules, the default route), cached briefly per process so the
stream handler does not read them for every record."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

from chalicelib.clock import parse_span, utcnow
from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.policy.config import Department, Group, RoutingConfig, parse_group
from chalicelib.policy.escalation import Policy, parse_policy, policy_document
from chalicelib.policy.noise import MaintenanceWindow, parse_window
from chalicelib.policy.rules import Rule, parse_rule
from chalicelib.policy.scenarios import Scenario, parse_scenario, scenario_document
from chalicelib.settings import get_settings
from chalicelib.store.audit import current_actor, record
from chalicelib.store.models import ConfigModel
from chalicelib.triage.spikes import PlannedEvent
from chalicelib.triage.taxonomy import DEFAULT_PATH as DEFAULT_TAXONOMY
from chalicelib.triage.taxonomy import Taxonomy, compile_taxonomy, default_taxonomy

DEFAULT_ROUTE_KEY = "default"


_cache: tuple[float, RoutingConfig] | None = None


def _previous(kind: str, key: str) -> Any:
    try:
        return json.loads(ConfigModel.get(kind, key).body)
    except ConfigModel.DoesNotExist:
        return None


def _put(kind: str, key: str, body: dict[str, Any]) -> None:
    """Save one row; a change made by someone (a request's actor) goes on the audit trail with
    the row before and after."""
    global _cache
    actor = current_actor()
    before = _previous(kind, key) if actor else None
    now = utcnow()
    ConfigModel(kind=kind, key=key, body=json.dumps(body, sort_keys=True), updated_at=now).save()
    _cache = None
    if actor and before != body:
        record(actor=actor, action=f"config.{kind}.save", target=key, now=now, before=before, after=body)


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
        row = ConfigModel.get(kind, key)
    except ConfigModel.DoesNotExist:
        return False
    row.delete()
    _cache = None
    actor = current_actor()
    if actor:
        record(actor=actor, action=f"config.{kind}.delete", target=key, now=utcnow(), before=json.loads(row.body))
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
        raise InvalidPayload(N_("a planned event is a JSON object"))
    start, end = parse_span(doc, required=("id", "name", "start", "end"), what="planned event")
    return PlannedEvent(key=str(doc.get("series", "*")), start=start, end=end, name=str(doc["name"]))


def planned_events() -> list[PlannedEvent]:
    return [parse_planned_event(json.loads(row.body)) for row in ConfigModel.query("planned")]


# -- the crisis plan's scenarios, versioned: an incident keeps the version it started under ----


def save_scenario(key: str, doc: Any) -> Scenario:
    """Validate whole, then store as the next version; every version is kept ("scenario-version",
    "<id>|<version>") so a running incident's plan can always be read as it was."""
    parsed = parse_scenario(doc, key=key)
    previous = _previous("scenario", key)
    version = int(previous.get("version", 0)) + 1 if isinstance(previous, dict) else 1
    body = scenario_document(replace(parsed, version=version))
    _put("scenario", key, body)
    ConfigModel(kind="scenario-version", key=f"{key}|{version:06d}", body=json.dumps(body), updated_at=utcnow()).save()
    return replace(parsed, version=version)


def load_scenarios() -> list[Scenario]:
    return sorted(
        (parse_scenario(json.loads(row.body), key=row.key) for row in ConfigModel.query("scenario")),
        key=lambda s: (s.order, s.id),
    )


def scenario_versions(key: str) -> list[dict[str, Any]]:
    """Every saved version of one scenario, newest first."""
    rows = ConfigModel.query("scenario-version", ConfigModel.key.startswith(f"{key}|"), scan_index_forward=False)
    return [{**json.loads(row.body), "saved_at": row.updated_at.isoformat()} for row in rows]
