"""The crisis plan as data: scenarios (a kind of crisis, its social triggers, its people, who
must hear and how often, its timed checklist and its holding statements), validated whole,
matched purely against a story's facts. What a matching scenario sets in motion for an
incident, and the plan's clock, are `policy/crisis_run.py`; the plan's state, `policy/crisis.py`.

A scenario document:

    {"name": "Product safety", "order": 10,
     "scope": {"regions": ["us"], "brands": ["acme"]},            # empty: everywhere
     "triggers": {"terms": ["recall", "burn"], "departments": ["inflight"], "complaint": true,
                  "severity_at_least": "high", "spike": ["volume"], "reach_at_least": 10000,
                  "authors": ["regulator"]},                      # all that are given must hold
     "levels": {"high": "one product, a few reports", "critical": "injuries, press"},
     "roles": {"lead": {"person": "ana@example.com", "backup": "ben@example.com", "zone": "Europe/Berlin"}},
     "stakeholders": [{"group": "executives", "every_minutes": 30, "while": ["critical"]},
                      {"person": "cfo@example.com", "zone": "America/New_York", "every_minutes": 60}],
     "checklist": [{"id": "facts", "task": "Confirm the facts", "role": "lead", "within_minutes": 15}],
     "statements": {"en": "We are aware of reports about {title}. ..."},
     "approvals": ["legal", "spokesperson"],
     "brief": {"en": {"say": "...", "avoid": "...", "press": "press@example.com"}}}
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.policy.regions import Region, parse_regions, region_document
from chalicelib.triage.severity import LEVELS, at_least

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$")
PLACEHOLDERS = frozenset({"title", "company", "opened", "severity", "scenario", "incident"})
_TRIGGERS = {"terms", "departments", "complaint", "severity_at_least", "spike", "reach_at_least", "authors"}
_KEYS = {"name", "order", "scope", "triggers", "levels", "roles", "stakeholders", "checklist"}
_KEYS |= {"statements", "approvals", "brief", "version", "id", "storm", "read_reminder_minutes"}
_KEYS |= {"regions"}  # regions in the plan: policy/regions.py
MAX_READ_REMINDER_MINUTES = 7 * 24 * 60
MAX_STORM = 100
TEXT_LIMIT = 4000  # a holding statement, per language
MIN_CADENCE = 5
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class Holder:
    """Who holds a role, and who takes it when they do not answer."""

    person: str
    backup: str = ""
    zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Stakeholder:
    """Who must hear while the incident lasts: a group (its members' channels: email and SMS)
    or a person (email, in their time zone), every so many minutes, at the listed severities."""

    every_minutes: int
    group: str = ""
    person: str = ""
    zone: str = "UTC"
    during: tuple[str, ...] = ()  # severities; empty: at any
    hours: str = ""  # "08:00-20:00" in their zone: outside it updates wait (critical never waits)

    @property
    def key(self) -> str:
        return f"group:{self.group}" if self.group else f"person:{self.person}"


@dataclass(frozen=True, slots=True)
class Step:
    id: str
    task: str
    role: str
    within_minutes: int


@dataclass(frozen=True, slots=True)
class Scenario:
    id: str
    name: str
    order: int
    triggers: Mapping[str, Any]
    roles: Mapping[str, Holder]
    checklist: tuple[Step, ...]
    statements: Mapping[str, str]
    approvals: tuple[str, ...]
    stakeholders: tuple[Stakeholder, ...] = ()
    levels: Mapping[str, str] = field(default_factory=dict)
    regions: tuple[str, ...] = ()
    brands: tuple[str, ...] = ()
    brief: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    version: int = 0
    storm: tuple[Mapping[str, Any], ...] = ()  # a drill's scripted timeline of mentions and reports
    # Minutes after a brief or update reached people before those who have not read it are
    # reminded, once; None: the default (SHAREDWATCH_REACH_REMINDER_MINUTES); 0: never.
    read_reminder_minutes: int | None = None
    areas: tuple[Region, ...] = ()  # regions in the plan (policy/regions.py); `regions` is the scope


@dataclass(frozen=True, slots=True)
class Facts:
    """What a scenario is matched against: a story's first signal and what the story became."""

    text: str = ""
    departments: tuple[str, ...] = ()
    complaint: bool = False
    severity: str = "low"
    spike: str = ""  # "volume" | "negativity" for a spike alarm
    reach: int = 0
    author: str = ""
    region: str = ""
    brand: str = ""
    lang: str = ""
    origins: tuple[tuple[str, str], ...] = ()  # each mention's (place, language): policy/regions.assign


@dataclass(frozen=True, slots=True)
class Match:
    scenario: Scenario
    reasons: tuple[str, ...]


def _zone(value: Any, where: str, errors: list[str]) -> str:
    if value in (None, ""):
        return "UTC"
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"{where}: an IANA time zone such as Europe/Berlin (got {str(value)[:40]!r})")
        return "UTC"
    return str(value)


def _strings(value: Any, where: str, errors: list[str], *, limit: int = 50, lower: bool = True) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and 0 < len(v) <= 120 for v in value):
        errors.append(f"{where}: a list of strings of 1 to 120 characters")
        return ()
    if len(value) > limit:
        errors.append(f"{where}: at most {limit}")
    return tuple(v.lower() if lower else v for v in value[:limit])


def _email(value: Any, where: str, errors: list[str], *, required: bool = True) -> str:
    if value in (None, "") and not required:
        return ""
    if not isinstance(value, str) or not EMAIL.match(value):
        errors.append(f"{where}: an email address (got {str(value)[:40]!r})")
        return ""
    return value.lower()


def _triggers(doc: Any, errors: list[str]) -> dict[str, Any]:
    if not isinstance(doc, dict) or not doc:
        errors.append("triggers: an object with at least one of " + ", ".join(sorted(_TRIGGERS)))
        return {}
    for name in sorted(set(doc) - _TRIGGERS):
        errors.append(f"triggers.{name[:40]}: unknown (one of {', '.join(sorted(_TRIGGERS))})")
    return _trigger_lists(doc, errors) | _trigger_thresholds(doc, errors)


def _trigger_lists(doc: dict[str, object], errors: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in ("terms", "departments", "authors"):
        if name in doc:
            out[name] = [v.lstrip("@") for v in _strings(doc[name], f"triggers.{name}", errors)]
    if "spike" in doc:
        spikes = _strings(doc["spike"], "triggers.spike", errors)
        if any(s not in ("volume", "negativity") for s in spikes):
            errors.append('triggers.spike: a list of "volume" and "negativity"')
        out["spike"] = list(spikes)
    return out


def _trigger_thresholds(doc: dict[str, object], errors: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "complaint" in doc:
        if not isinstance(doc["complaint"], bool):
            errors.append("triggers.complaint: true or false")
        out["complaint"] = bool(doc["complaint"])
    if "severity_at_least" in doc:
        if doc["severity_at_least"] not in LEVELS:
            errors.append(f"triggers.severity_at_least: one of {', '.join(LEVELS)}")
        out["severity_at_least"] = str(doc["severity_at_least"])
    if "reach_at_least" in doc:
        reach = doc["reach_at_least"]
        if isinstance(reach, bool) or not isinstance(reach, int) or not 0 <= reach <= 10**10:
            errors.append("triggers.reach_at_least: a whole number of followers, 0 to 10^10")
        out["reach_at_least"] = reach
    return out


def _roles(doc: Any, errors: list[str]) -> dict[str, Holder]:
    if not isinstance(doc, dict) or not doc:
        errors.append("roles: an object of role -> {person, backup, zone}, at least one (e.g. lead)")
        return {}
    roles = {}
    for name, holder in list(doc.items())[:20]:
        where = f"roles.{str(name)[:40]}"
        if not SLUG.match(str(name)):
            errors.append(f"{where}: a role name is lowercase letters, digits and dashes")
        if not isinstance(holder, dict):
            errors.append(f"{where}: an object with person (an email), backup and zone")
            continue
        person = _email(holder.get("person"), f"{where}.person", errors)
        backup = _email(holder.get("backup"), f"{where}.backup", errors, required=False)
        if backup and backup == person:
            errors.append(f"{where}.backup: someone other than the person")
        roles[str(name)] = Holder(person, backup, _zone(holder.get("zone"), f"{where}.zone", errors))
    return roles


def parse_roles(doc: object, errors: list[str], *, where: str = "roles") -> dict[str, Holder]:
    """Role holders as `roles` takes them, the problems named at `where` (a region's roles)."""
    found: list[str] = []
    holders = _roles(doc, found)
    errors += [problem.replace("roles", where, 1) for problem in found]
    return holders


def _stakeholders(doc: Any, errors: list[str]) -> list[Stakeholder]:
    if doc is None:
        return []
    if not isinstance(doc, list) or len(doc) > 30:
        errors.append("stakeholders: a list (at most 30) of {group or person, every_minutes, while}")
        return []
    out = []
    for i, item in enumerate(doc):
        where = f"stakeholders[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: an object")
            continue
        group, person = item.get("group"), item.get("person")
        if bool(group) == bool(person):
            errors.append(f"{where}: a group (its members' channels) or a person (email), one of them")
        if group and (not isinstance(group, str) or not SLUG.match(group)):
            errors.append(f"{where}.group: a group slug")
        email = _email(person, f"{where}.person", errors) if person else ""
        every = item.get("every_minutes")
        if isinstance(every, bool) or not isinstance(every, int) or not MIN_CADENCE <= every <= 7 * 24 * 60:
            errors.append(f"{where}.every_minutes: {MIN_CADENCE} to {7 * 24 * 60}")
            every = 60
        during = _strings(item.get("while"), f"{where}.while", errors)
        if any(s not in LEVELS for s in during):
            errors.append(f"{where}.while: severities ({', '.join(LEVELS)})")
        zone = _zone(item.get("zone"), f"{where}.zone", errors)
        hours = item.get("hours") or ""
        if hours and (not isinstance(hours, str) or not _HOURS.match(hours)):
            errors.append(f"{where}.hours: local hours such as 08:00-20:00")
            hours = ""
        out.append(Stakeholder(every, str(group or ""), email, zone, during, str(hours)))
    keys = [s.key for s in out]
    if len(set(keys)) != len(keys):
        errors.append("stakeholders: each group or person once")
    return out


def _checklist(doc: Any, roles: Mapping[str, Holder], errors: list[str]) -> list[Step]:
    if not isinstance(doc, list) or not doc or len(doc) > 50:
        errors.append("checklist: a list of 1 to 50 {id, task, role, within_minutes}")
        return []
    steps = []
    for i, item in enumerate(doc):
        where = f"checklist[{i}]"
        if not isinstance(item, dict):
            errors.append(f"{where}: an object")
            continue
        sid, task, role, within = item.get("id"), item.get("task"), item.get("role"), item.get("within_minutes")
        if not isinstance(sid, str) or not SLUG.match(sid):
            errors.append(f"{where}.id: lowercase letters, digits and dashes")
        if not isinstance(task, str) or not 0 < len(task.strip()) <= 300:
            errors.append(f"{where}.task: 1 to 300 characters")
        if not isinstance(role, str) or role not in roles:  # a list or an object is not a role
            errors.append(f"{where}.role: one of the scenario's roles ({', '.join(sorted(roles)) or 'none yet'})")
        if isinstance(within, bool) or not isinstance(within, int) or not 1 <= within <= 30 * 24 * 60:
            errors.append(f"{where}.within_minutes: 1 to {30 * 24 * 60}")
            within = 60
        steps.append(Step(str(sid), str(task or "").strip(), str(role), within))
    ids = [s.id for s in steps]
    if len(set(ids)) != len(ids):
        errors.append("checklist: each id once")
    return steps


_TOKEN = re.compile(r"\{\{|\}\}|\{([a-z]+)\}|[{}]")


def placeholders(template: str) -> list[str]:
    """The names a template fills in; ValueError when a brace is not `{name}`, `{{` or `}}`."""
    names = []
    for token in _TOKEN.finditer(template):
        if token.group(0) in ("{", "}"):
            raise ValueError("a lone brace")
        if token.group(1):
            names.append(token.group(1))
    return names


def _statements(doc: Any, errors: list[str]) -> dict[str, str]:
    if not isinstance(doc, dict) or not doc or len(doc) > 20:
        errors.append("statements: an object of language -> holding statement template, 1 to 20 languages")
        return {}
    out = {}
    for lang, text in doc.items():
        where = f"statements.{str(lang)[:20]}"
        if not LANG.match(str(lang)):
            errors.append(f"{where}: a language code such as en, de or pt-BR")
        if not isinstance(text, str) or not 0 < len(text.strip()) <= TEXT_LIMIT:
            errors.append(f"{where}: 1 to {TEXT_LIMIT} characters")
            continue
        try:
            unknown = sorted({n for n in placeholders(text) if n not in PLACEHOLDERS})
        except ValueError:
            errors.append(f"{where}: braces are for placeholders ({{title}}); write {{{{ for a brace")
            continue
        if unknown:
            errors.append(
                f"{where}: unknown placeholder {', '.join(unknown)} (one of {', '.join(sorted(PLACEHOLDERS))})"
            )
        out[str(lang)] = text.strip()
    return out


def _brief(doc: Any, errors: list[str]) -> dict[str, dict[str, str]]:
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        errors.append("brief: an object of language -> {say, avoid, press}")
        return {}
    out = {}
    for lang, parts in doc.items():
        where = f"brief.{str(lang)[:20]}"
        if not LANG.match(str(lang)) or not isinstance(parts, dict):
            errors.append(f"{where}: a language code -> {{say, avoid, press}}")
            continue
        extra = set(parts) - {"say", "avoid", "press"}
        if extra:
            errors.append(f"{where}: unknown {', '.join(sorted(str(e)[:20] for e in extra))}")
        if not all(isinstance(v, str) and len(v) <= 2000 for v in parts.values()):
            errors.append(f"{where}: texts of at most 2000 characters")
            continue
        out[str(lang)] = {k: str(v).strip() for k, v in parts.items() if k in ("say", "avoid", "press")}
    return out


def _storm(doc: Any, errors: list[str]) -> list[dict[str, Any]]:
    """A drill's storm: steps at seconds from its start, each a mention (text, author) or an
    employee report (text, urgency, department). The drill marks and sends them."""
    if doc is None:
        return []
    if not isinstance(doc, list) or len(doc) > MAX_STORM:
        errors.append(f"storm: a list of at most {MAX_STORM} steps")
        return []
    steps = []
    for i, step in enumerate(doc):
        where = f"storm[{i}]"
        if not isinstance(step, dict) or len({"mention", "report"} & set(step)) != 1:
            errors.append(f"{where}: an object with after_seconds and one of mention or report")
            continue
        after = step.get("after_seconds", 0)
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after <= 86_400:
            errors.append(f"{where}.after_seconds: 0 to 86400")
        kind = "mention" if "mention" in step else "report"
        body = step[kind]
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not 0 < len(body["text"]) <= 2000:
            errors.append(f"{where}.{kind}.text: 1 to 2000 characters")
            continue
        if kind == "report" and body.get("urgency", "normal") not in ("low", "normal", "urgent"):
            errors.append(f"{where}.report.urgency: low, normal or urgent")
        steps.append({"after_seconds": after, kind: body})
    return steps


def _scope(doc: object, errors: list[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    scope = doc or {}
    if not isinstance(scope, dict) or set(scope) - {"regions", "brands"}:
        errors.append("scope: an object with regions and brands (lists)")
        scope = {}
    return _strings(scope.get("regions"), "scope.regions", errors), _strings(
        scope.get("brands"), "scope.brands", errors
    )


def _approvals(doc: object, roles: dict[str, Holder], errors: list[str]) -> tuple[str, ...]:
    approvals = _strings(doc, "approvals", errors, limit=5)
    if not approvals:
        errors.append("approvals: the roles that must approve a holding statement, at least one")
    for role in approvals:
        if not isinstance(role, str) or role not in roles:  # a list or an object is not a role
            errors.append(f"approvals: {role} is not one of the scenario's roles")
    if len(set(approvals)) != len(approvals):
        errors.append("approvals: each role once")
    return approvals


def parse_scenario(doc: Any, *, key: str) -> Scenario:
    """The scenario a document describes; InvalidPayload listing every wrong part otherwise."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a scenario is a JSON object"), extra={"errors": ["scenario: a JSON object"]})
    errors: list[str] = []
    if not SLUG.match(key):
        errors.append("id: lowercase letters, digits and dashes, at most 63")
    for name in sorted(set(doc) - _KEYS):
        errors.append(f"{str(name)[:40]}: unknown (one of {', '.join(sorted(_KEYS - {'id', 'version'}))})")
    name = doc.get("name")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 80:
        errors.append("name: 1 to 80 characters")
    order = doc.get("order", 100)
    if isinstance(order, bool) or not isinstance(order, int) or not 0 <= order <= 10_000:
        errors.append("order: 0 to 10000 (lower is tried first)")
        order = 100
    regions, brands = _scope(doc.get("scope"), errors)
    triggers = _triggers(doc.get("triggers"), errors)
    levels = doc.get("levels") or {}
    if not isinstance(levels, dict) or any(k not in LEVELS or not isinstance(v, str) for k, v in levels.items()):
        errors.append(f"levels: an object of severity ({', '.join(LEVELS)}) -> what it means here")
        levels = {}
    roles = _roles(doc.get("roles"), errors)
    stakeholders = _stakeholders(doc.get("stakeholders"), errors)
    checklist = _checklist(doc.get("checklist"), roles, errors)
    statements = _statements(doc.get("statements"), errors)
    approvals = _approvals(doc.get("approvals"), roles, errors)
    brief = _brief(doc.get("brief"), errors)
    storm = _storm(doc.get("storm"), errors)
    areas = parse_regions(doc.get("regions"), roles=roles, statements=statements, errors=errors)
    remind = doc.get("read_reminder_minutes")
    if remind is not None and (
        isinstance(remind, bool) or not isinstance(remind, int) or not 0 <= remind <= MAX_READ_REMINDER_MINUTES
    ):
        errors.append(f"read_reminder_minutes: 0 (never) to {MAX_READ_REMINDER_MINUTES}")
        remind = None
    if errors:
        raise InvalidPayload(
            N_("invalid scenario: %(errors)s"), values={"errors": "; ".join(errors[:5])}, extra={"errors": errors}
        )
    return Scenario(
        id=key,
        name=str(name).strip(),
        order=order,
        triggers=triggers,
        roles=roles,
        checklist=tuple(checklist),
        statements=statements,
        approvals=approvals,
        stakeholders=tuple(stakeholders),
        levels={str(k): str(v) for k, v in levels.items()},
        regions=regions,
        brands=brands,
        brief=brief,
        version=int(doc.get("version") or 0) if isinstance(doc.get("version"), int) else 0,
        storm=tuple(storm),
        read_reminder_minutes=remind,
        areas=areas,
    )


def scenario_document(s: Scenario) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": s.id,
        "name": s.name,
        "order": s.order,
        "version": s.version,
        "triggers": dict(s.triggers),
        "roles": {
            k: {"person": h.person, **({"backup": h.backup} if h.backup else {}), "zone": h.zone}
            for k, h in s.roles.items()
        },
        "stakeholders": [
            {
                **({"group": x.group} if x.group else {"person": x.person, "zone": x.zone}),
                "every_minutes": x.every_minutes,
                **({"while": list(x.during)} if x.during else {}),
                **({"hours": x.hours} if x.hours else {}),
            }
            for x in s.stakeholders
        ],
        "checklist": [
            {"id": c.id, "task": c.task, "role": c.role, "within_minutes": c.within_minutes} for c in s.checklist
        ],
        "statements": dict(s.statements),
        "approvals": list(s.approvals),
    }
    if s.levels:
        doc["levels"] = dict(s.levels)
    if s.regions or s.brands:
        doc["scope"] = {"regions": list(s.regions), "brands": list(s.brands)}
    if s.brief:
        doc["brief"] = {k: dict(v) for k, v in s.brief.items()}
    if s.storm:
        doc["storm"] = [dict(step) for step in s.storm]
    if s.read_reminder_minutes is not None:
        doc["read_reminder_minutes"] = s.read_reminder_minutes
    if s.areas:
        doc["regions"] = {r.slug: region_document(r) for r in s.areas}
    return doc


def _word(term: str, text: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(term)}(?!\w)", text) is not None


def verdict(s: Scenario, facts: Facts) -> tuple[bool, list[str]]:
    """Whether a scenario takes these facts, and why (or why not), condition by condition."""
    reasons: list[str] = []
    ok = True

    def check(passed: bool, yes: str, no: str) -> None:
        nonlocal ok
        ok = ok and passed
        reasons.append(yes if passed else "not: " + no)

    if s.regions:
        check(facts.region.lower() in s.regions, f"region {facts.region}", f"region {facts.region or 'unknown'}")
    if s.brands:
        check(facts.brand.lower() in s.brands, f"brand {facts.brand}", f"brand {facts.brand or 'unknown'}")
    t = s.triggers
    text = facts.text.lower()
    if "terms" in t:
        found = [term for term in t["terms"] if _word(term, text)]
        check(bool(found), f"mentions {', '.join(found[:3])}", "none of its terms")
    if "departments" in t:
        hit = sorted(set(t["departments"]) & {d.lower() for d in facts.departments})
        check(bool(hit), f"department {', '.join(hit)}", "none of its departments")
    if "complaint" in t:
        check(facts.complaint == t["complaint"], "a complaint" if t["complaint"] else "not a complaint", "complaint")
    if "severity_at_least" in t:
        sev = facts.severity if facts.severity in LEVELS else "low"
        check(at_least(sev, t["severity_at_least"]), f"severity {sev}", f"severity {sev} < {t['severity_at_least']}")
    if "spike" in t:
        check(facts.spike in t["spike"], f"{facts.spike} spike", "no spike of its kind")
    if "reach_at_least" in t:
        check(
            facts.reach >= t["reach_at_least"], f"reach {facts.reach}", f"reach {facts.reach} < {t['reach_at_least']}"
        )
    if "authors" in t:
        author = facts.author.lower().lstrip("@")
        check(author in t["authors"], f"watched author @{author}", "not a watched author")
    return ok, reasons


def match(scenarios: Sequence[Scenario], facts: Facts) -> Match | None:
    """The first scenario (by order, then id) whose every trigger holds."""
    for s in sorted(scenarios, key=lambda x: (x.order, x.id)):
        ok, reasons = verdict(s, facts)
        if ok:
            return Match(s, tuple(reasons))
    return None


def fill(template: str, values: Mapping[str, str]) -> str:
    """A statement with the incident's facts in it. The facts are attacker-influenced text (a
    story's title is a post): they are substituted once, never read as a template themselves."""

    def one(token: re.Match[str]) -> str:
        if token.group(1):
            return values.get(token.group(1), "")
        return token.group(0)[0]

    return _TOKEN.sub(one, template)


def language_for(s: Scenario, lang: str) -> str:
    """The statement language for a story in `lang`: its own when the scenario has it."""
    base = lang.split("-", maxsplit=1)[0].lower()
    return lang if lang in s.statements else base if base in s.statements else next(iter(s.statements))
