"""Saving configuration, one function per kind, shared by the JSON API and the console's forms:
the same validation either way (a 400 that lists each wrong part), the same writes, the same
audit entries (store/config.py records them for the request's actor)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.notify.receipts import is_company_address
from chalicelib.notify.topics import ensure_group_topic
from chalicelib.policy.config import Department, RoutingConfig, parse_group
from chalicelib.policy.escalation import parse_policy, policy_document
from chalicelib.policy.rules import parse_rule, rule_document
from chalicelib.policy.scenarios import parse_scenario, scenario_document
from chalicelib.settings import get_settings
from chalicelib.store.config import (
    load_routing,
    save_default_route,
    save_department,
    save_group,
    save_planned_event,
    save_policy,
    save_rule,
    save_scenario,
    save_taxonomy,
    save_window,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def unknown_groups(config: RoutingConfig, groups: Sequence[str], where: str) -> None:
    missing = [g for g in groups if g not in config.groups]
    if missing:
        raise InvalidPayload(
            N_("%(where)s: no group %(groups)s; create it with PUT /api/groups/{slug}"),
            values={"where": where, "groups": ", ".join(repr(g) for g in missing)},
            extra={"errors": [f"{where}: unknown group {g}" for g in missing]},
        )


def _object(doc: Any, what: str) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InvalidPayload(f"{what} is a JSON object")  # `what` is a fragment its callers write: left English
    return doc


def put_rule(key: str, doc: Any) -> dict[str, Any]:
    doc = {**_object(doc, "a rule"), "id": key}
    config = load_routing()
    rule = parse_rule(doc)  # the condition-by-condition errors first
    unknown_groups(config, rule.notify, "notify")
    if rule.owner:
        unknown_groups(config, (rule.owner,), "owner")
    if rule.escalation and rule.escalation not in config.policies:
        raise InvalidPayload(
            N_("escalation: no policy %(escalation)s; create it with PUT /api/policies/{id}"),
            values={"escalation": repr(rule.escalation)},
        )
    return rule_document(save_rule(doc))


def put_default_route(key: str, doc: Any) -> dict[str, Any]:
    groups = doc.get("groups") if isinstance(doc, dict) else None
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) for g in groups):
        raise InvalidPayload(N_("groups: a non-empty list of group slugs (where mentions go when no rule matches)"))
    unknown_groups(load_routing(), groups, "groups")
    save_default_route(groups)
    return {"groups": groups}


def put_policy(key: str, doc: Any) -> dict[str, Any]:
    doc = {**_object(doc, "an escalation policy"), "id": key}
    policy = parse_policy(doc)
    unknown_groups(load_routing(), sorted(policy.groups()), "policy")
    return policy_document(save_policy(doc))


def put_window(key: str, doc: Any) -> dict[str, Any]:
    window = save_window({**_object(doc, "a maintenance window"), "id": key})
    return {"id": window.id, "start": window.start.isoformat(), "end": window.end.isoformat()}


def put_group(key: str, doc: Any) -> dict[str, Any]:
    if not SLUG.match(key):
        raise InvalidPayload(N_("group slug: lowercase letters, digits and dashes, at most 63"))
    existing = load_routing().groups.get(key)
    group = parse_group(
        {k: v for k, v in doc.items() if k not in ("zones", "languages")} if isinstance(doc, dict) else doc,
        slug=key,
        zones=existing.zones if existing else (),
        languages=existing.languages if existing else (),
    )
    ensure_group_topic(key)
    save_group(group)
    return group.document()


def put_department(key: str, doc: Any) -> dict[str, Any]:
    problems = []
    if not SLUG.match(key):
        problems.append("slug: lowercase letters, digits and dashes")
    doc = _object(doc, "a department")
    name, group = doc.get("name"), doc.get("group")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        problems.append("name: 1 to 80 characters")
    if not isinstance(group, str) or group not in load_routing().groups:
        problems.append(f"group: an existing group slug (got {str(group)[:40]!r})")
    if problems:
        raise InvalidPayload(
            N_("invalid department: %(problems)s"), values={"problems": "; ".join(problems)}, extra={"errors": problems}
        )
    save_department(Department(slug=key, name=str(name).strip(), group=str(group)))
    return {"slug": key, "name": str(name).strip(), "group": group}


def put_taxonomy(key: str, doc: Any) -> dict[str, Any]:
    taxonomy = save_taxonomy(doc)
    return {"departments": sorted(taxonomy.names), "watched": sorted(taxonomy.watched)}


def put_planned_event(key: str, doc: Any) -> dict[str, Any]:
    event = save_planned_event({**doc, "id": key} if isinstance(doc, dict) else doc)
    return {"id": key, "series": event.key, "name": event.name}


def put_scenario(key: str, doc: Any) -> dict[str, Any]:
    """A crisis scenario, validated whole and saved as its next version; the groups it updates
    must exist (a role holder need not have signed in yet: the link reaches them by mail)."""
    if key == "test":
        raise InvalidPayload(N_("id: 'test' is the route that tests scenarios; choose another"))
    scenario = parse_scenario(doc, key=key)
    unknown_groups(load_routing(), [x.group for x in scenario.stakeholders if x.group], "stakeholders")
    # The plan mails these people posts' words (an incident's title is a post): company addresses only.
    people = [
        *((f"roles.{role}.person", h.person) for role, h in scenario.roles.items()),
        *((f"roles.{role}.backup", h.backup) for role, h in scenario.roles.items() if h.backup),
        *((f"stakeholders[{i}].person", x.person) for i, x in enumerate(scenario.stakeholders) if x.person),
    ]
    domains = ", ".join(get_settings().company_domains)
    outside = [f"{where}: a company address ({domains})" for where, who in people if not is_company_address(who)]
    if outside:
        raise InvalidPayload(
            N_("invalid scenario: %(errors)s"), values={"errors": "; ".join(outside[:5])}, extra={"errors": outside}
        )
    return scenario_document(save_scenario(key, doc))


def _put_pull_target(key: str, doc: Any) -> dict[str, Any]:
    from chalicelib.flows.sources import put_pull_target

    return put_pull_target(key, doc)


@dataclass(frozen=True, slots=True)
class Kind:
    """A kind of configuration the console edits: its API path and how it is saved."""

    title: str
    path: str  # the API route that saves one ("{key}" where it names one)
    save: Callable[[str, Any], dict[str, Any]]
    keyed: bool = True


KINDS: dict[str, Kind] = {
    "groups": Kind("Stakeholder groups", "/api/groups/{key}", put_group),
    "departments": Kind("Departments", "/api/departments/{key}", put_department),
    "rules": Kind("Routing rules", "/api/rules/{key}", put_rule),
    "default-route": Kind("The default route", "/api/default-route", put_default_route, keyed=False),
    "policies": Kind("Escalation policies", "/api/policies/{key}", put_policy),
    "maintenance": Kind("Maintenance windows", "/api/maintenance/{key}", put_window),
    "taxonomy": Kind("The taxonomy", "/api/taxonomy", put_taxonomy, keyed=False),
    "planned-events": Kind("Planned events", "/api/planned-events/{key}", put_planned_event),
    "plans": Kind("Crisis plans (scenarios)", "/api/plans/{key}", put_scenario),
    "pull-targets": Kind("Pull targets (feeds, vendor APIs)", "/api/pull-targets/{key}", _put_pull_target),
}
