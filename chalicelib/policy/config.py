"""Routing configuration as data: stakeholder groups, departments, rules, escalation policies
and maintenance windows, validated purely (`store/config.py` reads and writes the rows)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.i18n import N_
from chalicelib.policy.escalation import Policy
from chalicelib.policy.noise import MaintenanceWindow, QuietHours, check_zone, parse_quiet_hours
from chalicelib.policy.rules import Rule

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
    zone: str = ""  # the zone of a member who names none ("": the company's)
    languages: tuple[str, ...] = ()  # the members' languages (kept by the members API and the feed)
    # Whether the acknowledge link in this group's messages acts without signing in (recording the
    # group and the channel), or asks the person to sign in first.
    link_actions: bool = True
    # Chat, beside email and SMS: a Slack channel (in the workspace that installed the app), a
    # Teams channel the bot is in (its conversation id), and a Teams Workflows webhook for tenants
    # that allow no bots (broadcast only: no buttons, no updates in place).
    slack_team: str = ""
    slack_channel: str = ""
    teams_channel: str = ""
    teams_webhook: str = ""
    # The directory's groups (SCIM displayName) whose active members this group's people are
    # fed from (flows/directory.py keeps the group's email subscriptions in step).
    directory_groups: tuple[str, ...] = ()
    # People of the directory this group reaches by person (mail through SES, SMS for those who
    # chose it), by address: briefs and updates carry each one a read link. The all-staff group
    # reaches every active person without naming them.
    people: tuple[str, ...] = ()

    @property
    def chats(self) -> tuple[tuple[str, str], ...]:
        """(platform, where) for each chat channel this group names."""
        found = []
        if self.slack_channel:
            found.append(("slack", f"{self.slack_team}/{self.slack_channel}"))
        if self.teams_channel:
            found.append(("teams", self.teams_channel))
        if self.teams_webhook:
            found.append(("teams-webhook", self.teams_webhook))
        return tuple(found)

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
            "zone": self.zone,
            "languages": list(self.languages),
            "link_actions": self.link_actions,
            "slack_team": self.slack_team,
            "slack_channel": self.slack_channel,
            "teams_channel": self.teams_channel,
            "teams_webhook": self.teams_webhook,
            "directory_groups": list(self.directory_groups),
            "people": list(self.people),
        }


def parse_group(doc: Any, *, slug: str, zones: tuple[str, ...] = (), languages: tuple[str, ...] = ()) -> Group:
    """Validate a group document; a bad one says which field is wrong."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a group is a JSON object"))
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
    problems += _zone_problems(doc.get("zone") or "")
    if not isinstance(doc.get("link_actions", True), bool):
        problems.append("link_actions: true or false")
    problems += _chat_problems(doc)
    problems += _people_problems(doc)
    fed_from = doc.get("directory_groups") or []
    people = doc.get("people") or []
    if problems:
        raise InvalidPayload(
            N_("invalid group %(slug)s: %(problems)s"),
            values={"slug": repr(slug), "problems": "; ".join(problems)},
            extra={"errors": problems},
        )
    return Group(
        slug=slug,
        name=str(name).strip(),
        description=str(doc.get("description") or "")[:500],
        grace_minutes=int(doc.get("grace_minutes", 0)),
        max_per_hour=int(doc.get("max_per_hour", 0)),
        quiet_hours=str(doc.get("quiet_hours") or ""),
        zones=tuple(doc.get("zones") or zones),
        zone=str(doc.get("zone") or ""),
        languages=tuple(str(lang) for lang in doc.get("languages") or languages),
        link_actions=doc.get("link_actions", True) is not False,
        slack_team=str(doc.get("slack_team") or ""),
        slack_channel=str(doc.get("slack_channel") or ""),
        teams_channel=str(doc.get("teams_channel") or ""),
        teams_webhook=str(doc.get("teams_webhook") or ""),
        directory_groups=tuple(dict.fromkeys(str(g).strip() for g in fed_from if str(g).strip())),
        people=tuple(dict.fromkeys(str(p).strip().lower() for p in people)),
    )


MAX_GROUP_PEOPLE = 2000


def _zone_problems(zone: object) -> list[str]:
    if not isinstance(zone, str):
        return ["zone: an IANA time zone such as Asia/Tokyo, or empty for the company's"]
    try:
        if zone:
            check_zone(zone)
    except InvalidPayload as exc:
        return [exc.detail]
    return []


def _people_problems(doc: dict[str, Any]) -> list[str]:
    """Who the group holds besides its subscriptions: the directory's groups and people."""
    problems = []
    fed_from = doc.get("directory_groups") or []
    if not isinstance(fed_from, list) or not all(isinstance(g, str) and 0 < len(g) <= 200 for g in fed_from):
        problems.append("directory_groups: a list of the directory's group names")
    people = doc.get("people") or []
    if not isinstance(people, list) or len(people) > MAX_GROUP_PEOPLE or not all(_is_address(p) for p in people):
        problems.append(f"people: a list of at most {MAX_GROUP_PEOPLE} email addresses of the directory's people")
    return problems


def _is_address(value: Any) -> bool:
    return isinstance(value, str) and 3 <= len(value) <= 254 and "@" in value and not any(c.isspace() for c in value)


_SLACK_ID = re.compile(r"^[A-Z0-9]{2,20}$")
_TEAMS_CONVERSATION = re.compile(r"^[0-9]{1,2}:[A-Za-z0-9_@.:;=-]{1,200}$")


def _chat_problems(doc: dict[str, Any]) -> list[str]:
    """Chat fields are ids, never free text: they end up in API paths and request bodies."""
    problems = []
    team, channel = doc.get("slack_team") or "", doc.get("slack_channel") or ""
    for name, value in (("slack_team", team), ("slack_channel", channel)):
        if value and (not isinstance(value, str) or not _SLACK_ID.match(value)):
            problems.append(f"{name}: a Slack id such as T0123ABCD or C0123ABCD")
    if bool(team) != bool(channel):
        problems.append("slack_team and slack_channel: both or neither (the workspace that installed the app)")
    conversation = doc.get("teams_channel") or ""
    if conversation and (not isinstance(conversation, str) or not _TEAMS_CONVERSATION.match(conversation)):
        problems.append("teams_channel: a Teams conversation id such as 19:abc@thread.tacv2")
    hook = doc.get("teams_webhook") or ""
    if hook and (not isinstance(hook, str) or not hook.startswith("https://") or len(hook) > 1000):
        problems.append("teams_webhook: the https URL of a Teams Workflows webhook")
    return problems


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

    def group_name(self, slug: str) -> str:
        group = self.groups.get(slug)
        return group.name if group else slug
