"""People and their personal API tokens. A token is named, scoped to a role no higher than its
owner's, shown once, stored as its hash, expiring, revocable, and remembers when it was last used;
it acts as its owner (the audit trail and timelines name the person, and the token)."""

from __future__ import annotations

import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from chalicelib.clock import isoformat, parse_timestamp
from chalicelib.errors import Forbidden, InvalidPayload, NotFound
from chalicelib.flows import directory
from chalicelib.i18n import LANGUAGES, N_, zones
from chalicelib.i18n import zone as zone_named
from chalicelib.policy.access import ROLES, Principal, Role, can_grant, parse_role, rank
from chalicelib.policy.directory import ENTERPRISE_SCHEMA
from chalicelib.store import directory as directory_store
from chalicelib.store import identity
from chalicelib.store.audit import Actor, record

MAX_TOKEN_DAYS = 366
DEFAULT_TOKEN_DAYS = 90
TOUCH_EVERY = timedelta(minutes=1)
_TOKEN = re.compile(r"^swt_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
_ADDRESS = re.compile(r"^[^@\s]{1,64}@[a-z0-9.-]{1,253}$")


def actor_of(principal: Principal, *, source_ip: str = "", user_agent: str = "") -> Actor:
    via = f"token {principal.token_id}" if principal.token_id else principal.via
    return Actor(id=principal.id, via=via, source_ip=source_ip, user_agent=user_agent)


# People ---------------------------------------------------------------------------------------


def validate_person(email: str, doc: Any) -> dict[str, Any]:
    problems: list[str] = []
    if not _ADDRESS.match(email):
        problems.append("email: an address")
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object: role, name, department, disabled"))
    role = parse_role(doc.get("role", "everyone"))
    if role is None:
        problems.append(f"role: one of {', '.join(ROLES)}")
    name, department = doc.get("name", ""), doc.get("department", "")
    if not isinstance(name, str) or len(name) > 120:
        problems.append("name: text of at most 120 characters")
    if not isinstance(department, str) or len(department) > 63:
        problems.append("department: a department's slug")
    if role == "lead" and not department:
        problems.append("department: a lead leads a department: name it")
    if not isinstance(doc.get("disabled", False), bool):
        problems.append("disabled: true or false")
    # Their language and zone (the directory's, or their own): every page and mail they read.
    language, zone = doc.get("language", ""), doc.get("zone", "")
    if language not in ("", *LANGUAGES):
        problems.append(f"language: one of {', '.join(LANGUAGES)}")
    if not isinstance(zone, str) or (zone and zone_named(zone) is None):
        problems.append("zone: an IANA time zone such as Europe/Madrid")
    unknown = sorted(set(doc) - {"role", "name", "department", "disabled", "language", "zone"})
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    if problems:
        raise InvalidPayload("; ".join(problems), extra={"errors": problems})
    return {
        "email": email,
        "role": role,
        "name": " ".join(str(name).split()),
        "department": department,
        "disabled": bool(doc.get("disabled", False)),
        **({"language": language} if language else {}),
        **({"zone": zone} if zone else {}),
    }


def save_person(*, by: Principal, actor: Actor, email: str, doc: Any, now: datetime) -> dict[str, Any]:
    """An admin's edit of a person: role, name, department, disabled. A person in the directory
    keeps their directory record (the same record, its version and keys); disabling anyone ends
    their sessions and tokens at once."""
    person = validate_person(email, doc)
    stored = directory_store.person_at(email)
    if stored is not None and stored.doc.get("id"):
        fields = {**person, "updated_by": by.id}
        if person["department"] != stored.doc.get("department"):
            fields["department_name"] = ""
        scim = _scim_edited(stored.doc, person)
        directory.change(before=stored, fields=fields, scim=scim, actor=actor, now=now)
        return person
    before = identity.put_person({**person, "updated_at": isoformat(now), "updated_by": by.id})
    record(actor=actor, action="person.save", target=email, now=now, before=before, after=person)
    if person["disabled"] and not (before or {}).get("disabled"):
        directory.end_access(email, actor=actor, now=now, why="disabled by an admin")
    return person


def _scim_edited(doc: dict[str, Any], person: dict[str, Any]) -> dict[str, Any] | None:
    """The provider's document with an admin's name and department in it (what it reads back)."""
    scim = doc.get("scim")
    if not isinstance(scim, dict):
        return None
    edited = dict(scim)
    if person["name"] != doc.get("name"):
        edited["displayName"] = person["name"]
    if person["department"] != doc.get("department"):
        enterprise = dict(edited.get(ENTERPRISE_SCHEMA) or {})
        enterprise["department"] = person["department"]
        edited[ENTERPRISE_SCHEMA] = enterprise
    return edited


def remove_person(*, actor: Actor, email: str, now: datetime) -> None:
    """Forget a person (a directory person leaves the directory): their sessions and tokens end."""
    stored = directory_store.person_at(email)
    if stored is not None and stored.doc.get("id"):
        directory.remove(before=stored, actor=actor, now=now)
        return
    before = identity.delete_person(email)
    if before is None:
        raise NotFound(N_("no person %(email)s"), values={"email": repr(email[:80])})
    record(actor=actor, action="person.delete", target=email, now=now, before=before)
    directory.end_access(email, actor=actor, now=now, why="removed by an admin")


def choose_reading(*, who: Principal, actor: Actor, language: str, zone: str, now: datetime) -> dict[str, str]:
    """A person's own language and zone (their account page): a shipped language and a zone of
    the zone database, or empty for "as the directory or my identity provider says". It wins
    over both from the next page on, on every session they have open."""
    problems = []
    if language not in ("", *LANGUAGES):
        problems.append(N_("Language: choose one of the languages listed."))
    if zone and zone not in zones():
        problems.append(N_("Time zone: choose a zone from the list, such as Europe/Madrid."))
    if problems:
        raise InvalidPayload(" ".join(problems), extra={"errors": problems})
    chosen = {"language": language, "zone": zone}
    before = identity.save_choice(who.id, language=language, zone=zone)
    record(actor=actor, action="person.reading", target=who.id, now=now, before=before, after=chosen)
    return chosen


# Tokens ---------------------------------------------------------------------------------------


def _public(doc: dict[str, Any], *, now: datetime) -> dict[str, Any]:
    expired = parse_timestamp(doc["expires_at"]) <= now
    state = "revoked" if doc.get("revoked_at") else "expired" if expired else "active"
    return {k: v for k, v in doc.items() if k != "hash"} | {"state": state}


def create_token(*, owner: Principal, actor: Actor, doc: Any, now: datetime) -> tuple[str, dict[str, Any]]:
    """(the token, shown this once; its record)."""
    if not isinstance(doc, dict):
        raise InvalidPayload(N_("a JSON object: name, role, expires_in_days"))
    problems: list[str] = []
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 80:
        problems.append("name: what the token is for, 1-80 characters")
    role = parse_role(doc.get("role", owner.role))
    if role is None:
        problems.append(f"role: one of {', '.join(ROLES)}")
    elif not can_grant(owner.role, role):
        problems.append(f"role: at most your own ({owner.role})")
    days = doc.get("expires_in_days", DEFAULT_TOKEN_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= MAX_TOKEN_DAYS:
        problems.append(f"expires_in_days: a whole number of days, 1-{MAX_TOKEN_DAYS}")
    unknown = sorted(set(doc) - {"name", "role", "expires_in_days"})
    if unknown:
        problems.append(f"unknown fields: {', '.join(unknown)}")
    if problems:
        raise InvalidPayload("; ".join(problems), extra={"errors": problems})
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = now + timedelta(days=int(days))
    saved = {
        "id": token_id,
        "name": str(name).strip(),
        "role": role,
        "owner": owner.id,
        "hash": identity.digest(secret),
        "created_at": isoformat(now),
        "expires_at": isoformat(expires),
        "last_used_at": None,
        "revoked_at": None,
    }
    identity.save_token(saved, expires_at=expires)
    shown = _public(saved, now=now)
    record(actor=actor, action="token.create", target=token_id, now=now, after=shown)
    return f"swt_{token_id}_{secret}", shown


def list_tokens(*, viewer: Principal, everyone: bool, now: datetime) -> list[dict[str, Any]]:
    rows = identity.list_tokens()
    if not (everyone and viewer.role == "admin"):
        rows = [r for r in rows if r["owner"] == viewer.id]
    return sorted((_public(r, now=now) for r in rows), key=lambda r: r["created_at"], reverse=True)


def revoke_token(*, viewer: Principal, actor: Actor, token_id: str, now: datetime) -> dict[str, Any]:
    doc = identity.get_token(token_id[:12])
    if doc is None or (doc["owner"] != viewer.id and viewer.role != "admin"):
        raise NotFound(N_("no token %(token_id)s of yours"), values={"token_id": repr(token_id[:12])})
    before = _public(doc, now=now)
    if not doc.get("revoked_at"):
        identity.update_token(doc["id"], revoked_at=isoformat(now))
        doc["revoked_at"] = isoformat(now)
    after = _public(doc, now=now)
    record(actor=actor, action="token.revoke", target=doc["id"], now=now, before=before, after=after)
    return after


def token_principal(presented: str, *, now: datetime) -> Principal | None:
    """The person a personal token acts for, at the lower of the token's role and theirs now."""
    match = _TOKEN.match(presented)
    if not match:
        return None
    doc = identity.get_token(match.group(1))
    if doc is None or not hmac.compare_digest(str(doc["hash"]), identity.digest(match.group(2))):
        return None
    if doc.get("revoked_at") or parse_timestamp(doc["expires_at"]) <= now:
        return None
    owner = identity.get_person(doc["owner"]) or {"role": "everyone", "name": ""}
    if owner.get("disabled"):
        return None
    owner_role: Role = parse_role(owner.get("role")) or "everyone"
    token_role: Role = parse_role(doc["role"]) or "everyone"
    last = doc.get("last_used_at")
    if not last or now - parse_timestamp(last) >= TOUCH_EVERY:
        identity.update_token(doc["id"], last_used_at=isoformat(now))
    return Principal(
        id=str(doc["owner"]),
        name=str(owner.get("name", "")),
        role=min(owner_role, token_role, key=rank),
        via="token",
        department=str(owner.get("department", "")),
        token_id=str(doc["id"]),
    )


def require_grant(granter: Principal, role: Role) -> None:
    if not can_grant(granter.role, role):
        raise Forbidden(N_("you cannot grant the %(role)s role"), values={"role": role})
