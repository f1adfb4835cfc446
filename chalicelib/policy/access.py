"""Who may do what: roles, the permissions each holds, and the principal a request acts as.
Pure: the API resolves the principal (session, personal token, display token, break-glass) and
asks `allows`; docs/people.md's route table is this table, and a test walks every route by role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["everyone", "lead", "responder", "admin"]
ROLES: tuple[Role, ...] = ("everyone", "lead", "responder", "admin")

Permission = Literal[
    "self",  # one's own account, tokens and reports; the wall on one's own screen
    "incidents.read",  # incidents, deliveries, stored reports
    "incidents.act",  # acknowledge, resolve, retry a delivery; try the triage
    "config.read",  # groups, members, rules, departments, taxonomy, planned events, displays
    "config.write",  # change any of them
    "people",  # people, their roles, every token, the audit trail
]

PERMISSIONS: tuple[Permission, ...] = ("incidents.read", "incidents.act", "config.read", "config.write", "people")

_GRANTS: dict[Role, frozenset[Permission]] = {
    "everyone": frozenset({"self"}),
    "lead": frozenset({"self", "incidents.read", "config.read"}),
    "responder": frozenset({"self", "incidents.read", "incidents.act", "config.read"}),
    "admin": frozenset({"self", "incidents.read", "incidents.act", "config.read", "config.write", "people"}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts as. `id` is what the audit trail and timelines record: an address for
    a person, "token:<id>" never (a token acts as its owner), "break-glass" for the bootstrap."""

    id: str
    name: str
    role: Role
    via: Literal["session", "token", "break-glass"]
    department: str = ""
    token_id: str = ""
    session_id: str = ""
    # The identity provider's `locale` and `zoneinfo` claims at sign-in (chalicelib/i18n.py).
    language: str = ""
    zone: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} <{self.id}>" if self.name and self.name != self.id else self.id


def allows(role: Role, permission: Permission) -> bool:
    return permission in _GRANTS[role]


def rank(role: Role) -> int:
    return ROLES.index(role)


def can_grant(granter: Role, role: Role) -> bool:
    """A token or a person's role is never above the role of whoever creates it (admins excepted:
    they assign every role)."""
    return granter == "admin" or rank(role) <= rank(granter)


def parse_role(value: object) -> Role | None:
    for role in ROLES:
        if value == role:
            return role
    return None
