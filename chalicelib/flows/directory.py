"""The directory's use cases: people provisioned, changed, deactivated and deleted (by a SCIM
provider, a CSV import or an admin), groups and what they feed, and the provisioning clients.

Deactivating a person (active false, a DELETE, an admin's `disabled`) ends their sessions and
revokes their personal tokens in the same request: a leaver's browser and scripts stop at once,
and reactivating them later brings none of it back. Every change is on the audit trail, as the
SCIM client (or person) that made it."""

from __future__ import annotations

import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from chalicelib import aws
from chalicelib.clock import isoformat, parse_timestamp
from chalicelib.errors import InvalidPayload, NotFound
from chalicelib.flows import groups
from chalicelib.i18n import N_, supported
from chalicelib.observability import logger
from chalicelib.policy.directory import merge, parse_csv, person_key, summary
from chalicelib.policy.noise import member_filter, person_zone
from chalicelib.settings import get_settings
from chalicelib.store import directory, identity
from chalicelib.store.audit import Actor, record
from chalicelib.store.config import load_routing
from chalicelib.store.directory import Stored, Taken

TOUCH_EVERY = timedelta(minutes=1)
_CLIENT_TOKEN = re.compile(r"^sws_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


def departments() -> dict[str, str]:
    """Configured departments, slug -> name (what a directory's department text is matched to)."""
    return {slug: d.name for slug, d in load_routing().departments.items()}


# Provisioning clients --------------------------------------------------------------------------


def client_actor(client: dict[str, Any], *, source_ip: str = "", user_agent: str = "") -> Actor:
    return Actor(
        id=f"scim:{client['name']}", via=f"scim client {client['id']}", source_ip=source_ip, user_agent=user_agent
    )


def _public_client(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "hash"} | {"state": "revoked" if doc.get("revoked_at") else "active"}


def create_client(*, actor: Actor, name: Any, now: datetime) -> tuple[str, dict[str, Any]]:
    """(the bearer token, shown this once; the client's record). One token per provider."""
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 80:
        raise InvalidPayload(N_("name: which provider this is for (Okta, Entra ID...), 1-80 characters"))
    client_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    doc = {
        "id": client_id,
        "name": " ".join(name.split()),
        "hash": identity.digest(secret),
        "created_at": isoformat(now),
        "created_by": actor.id,
        "last_used_at": None,
        "revoked_at": None,
    }
    directory.save_client(doc)
    shown = _public_client(doc)
    record(actor=actor, action="scim-client.create", target=client_id, now=now, after=shown)
    return f"sws_{client_id}_{secret}", shown


def list_clients() -> list[dict[str, Any]]:
    return sorted((_public_client(c) for c in directory.clients()), key=lambda c: c["created_at"], reverse=True)


def revoke_client(*, actor: Actor, client_id: str, now: datetime) -> dict[str, Any]:
    doc = directory.client(client_id)
    if doc is None:
        raise NotFound(N_("no provisioning client %(client_id)s"), values={"client_id": repr(client_id[:12])})
    before = _public_client(doc)
    if not doc.get("revoked_at"):
        doc["revoked_at"] = isoformat(now)
        directory.amend_client(client_id, revoked_at=doc["revoked_at"])
    after = _public_client(doc)
    record(actor=actor, action="scim-client.revoke", target=client_id, now=now, before=before, after=after)
    return after


def client_for(presented: str, *, now: datetime) -> dict[str, Any] | None:
    """The provisioning client a bearer token belongs to, while it is not revoked."""
    match = _CLIENT_TOKEN.match(presented)
    if not match:
        return None
    doc = directory.client(match.group(1))
    if doc is None or not hmac.compare_digest(str(doc["hash"]), identity.digest(match.group(2))):
        return None
    if doc.get("revoked_at"):
        return None
    last = doc.get("last_used_at")
    if not last or now - parse_timestamp(str(last)) >= TOUCH_EVERY:
        directory.amend_client(str(doc["id"]), last_used_at=isoformat(now))
    return doc


# People ----------------------------------------------------------------------------------------


def end_access(email: str, *, actor: Actor, now: datetime, why: str) -> dict[str, int]:
    """End a person's sessions and revoke their personal tokens, now."""
    if "@" not in email:
        return {"sessions": 0, "tokens": 0}
    ended = {"sessions": identity.end_sessions_of(email), "tokens": identity.revoke_tokens_of(email, at=isoformat(now))}
    record(actor=actor, action="person.access-ended", target=email, now=now, after={"why": why, **ended})
    logger.info("access ended", extra={"why": why, **ended})
    return ended


def _landing(key: str, person_id: str) -> Stored | None:
    """Who lives at the key a person is about to take: None, or a person outside the directory
    (an admin gave them a role) whose record this one extends; another directory person is a 409."""
    there = directory.person_at(key)
    if there is not None and there.doc.get("id") and there.doc["id"] != person_id:
        raise Taken(
            N_("another person in the directory already has the address %(key)s"), values={"key": repr(key[:254])}
        )
    return there


def provision(
    *, fields: dict[str, Any], scim: dict[str, Any] | None, actor: Actor, now: datetime, source: str
) -> Stored:
    """A new person in the directory (or a person known by their address, now in it)."""
    person_id = uuid.uuid4().hex
    key = person_key(fields, person_id)
    there = _landing(key, person_id)
    doc = merge(there.doc if there else None, fields) | {
        "id": person_id,
        "email": key if "@" in key else "",
        "scim": scim,
        "source": source,
        "created_at": isoformat(now),
        "updated_at": isoformat(now),
        "updated_by": actor.id,
    }
    new = Stored(key=key, doc=doc)
    new.rev = directory.save_person(new, None, replacing=there)
    record(actor=actor, action="person.provision", target=key, now=now, before=_summary(there), after=summary(doc))
    return new


def _summary(stored: Stored | None) -> dict[str, Any] | None:
    return summary(stored.doc) if stored is not None else None


def change(
    *, before: Stored, fields: dict[str, Any], scim: dict[str, Any] | None, actor: Actor, now: datetime
) -> Stored:
    """A person's directory fields replaced (SCIM PUT or PATCH, a CSV row, an admin's edit)."""
    person_id = str(before.doc["id"])
    key = person_key(fields, person_id)
    there = _landing(key, person_id) if key != before.key else None
    doc = merge(before.doc, fields) | {
        "email": key if "@" in key else "",
        "scim": scim,
        "updated_at": isoformat(now),
        "updated_by": actor.id,
    }
    if there is not None and doc.get("role", "everyone") == "everyone":
        doc["role"] = there.doc.get("role", "everyone")  # the role an admin gave the new address
    new = Stored(key=key, doc=doc)
    new.rev = directory.save_person(new, before, replacing=there)
    deactivated = doc.get("disabled") and not before.doc.get("disabled")
    action = (
        "person.deactivate"
        if deactivated
        else "person.reactivate"
        if before.doc.get("disabled") and not doc.get("disabled")
        else "person.update"
    )
    record(actor=actor, action=action, target=key, now=now, before=summary(before.doc), after=summary(doc))
    if deactivated:
        end_access(before.key, actor=actor, now=now, why="deactivated")
    elif key != before.key:
        end_access(before.key, actor=actor, now=now, why=f"address changed to {key}")
    if deactivated or key != before.key or before.doc.get("disabled") != doc.get("disabled"):
        sync_feeds(directory.groups_of(person_id))
    return new


def remove(*, before: Stored, actor: Actor, now: datetime) -> None:
    """A person out of the directory (SCIM DELETE): their record, keys and memberships gone,
    their sessions and tokens ended."""
    person_id = str(before.doc["id"])
    directory.delete_person(before)
    left = directory.leave_groups(person_id)
    record(actor=actor, action="person.delete", target=before.key, now=now, before=summary(before.doc))
    end_access(before.key, actor=actor, now=now, why="deleted from the directory")
    sync_feeds(left)


# Groups ----------------------------------------------------------------------------------------


def save_group(
    *, before: Stored | None, doc: dict[str, Any], members: dict[str, dict[str, Any]], actor: Actor, now: datetime
) -> Stored:
    group_id = before.key if before else uuid.uuid4().hex
    doc = doc | {"id": group_id, "updated_at": isoformat(now)}
    doc.setdefault("created_at", before.doc.get("created_at") if before else isoformat(now))
    new = Stored(key=group_id, doc=doc)
    new.rev = directory.save_group(new, before, members_now=members)
    record(
        actor=actor,
        action="directory-group.save",
        target=group_id,
        now=now,
        before={"name": before.doc.get("display_name")} if before else None,
        after={"name": doc.get("display_name"), "members": len(members)},
    )
    sync_feeds([group_id], names=[str(before.doc.get("display_name") or "")] if before else ())
    return new


def remove_group(*, before: Stored, actor: Actor, now: datetime) -> None:
    directory.delete_group(before)
    record(actor=actor, action="directory-group.delete", target=before.key, now=now, before=before.doc)
    sync_feeds((), names=[str(before.doc.get("display_name") or "")])


def sync_feeds(group_ids: Iterable[str], *, names: Iterable[str] = ()) -> list[str]:
    """Keep in step every stakeholder group fed from these directory groups (by id, or by the
    names they had): the stakeholder groups it touched."""
    wanted = {n.lower() for n in names if n}
    for group_id in group_ids:
        found = directory.group(group_id)
        if found is not None:
            wanted.add(str(found.doc.get("display_name") or "").lower())
    touched = [
        slug for slug, g in sorted(load_routing().groups.items()) if wanted & {n.lower() for n in g.directory_groups}
    ]
    for slug in touched:
        sync_feed(slug)
    return touched


def fed_people(slug: str) -> list[dict[str, Any]]:
    """The active people of the directory groups a stakeholder group is fed from."""
    group = load_routing().groups.get(slug)
    if group is None:
        return []
    member_ids: dict[str, None] = {}
    for name in group.directory_groups:
        for group_id in directory.group_ids_by_name(name):
            for member_id, doc in directory.members(group_id).items():
                if doc.get("type", "User") == "User":
                    member_ids[member_id] = None
    people = directory.people_by_ids(list(member_ids))
    return [p.doc for p in people if not p.doc.get("disabled") and p.doc.get("email")]


def sync_feed(slug: str) -> dict[str, int]:
    """Subscribe the fed people a stakeholder group lacks (email, their time zone's filter) and
    unsubscribe those the feed added who are no longer in it; what it did."""
    sns = aws.sns()
    arn = get_settings().group_topic_arn(slug)
    group = load_routing().groups.get(slug)
    fallback = (group.zone if group else "", get_settings().zone)
    people = fed_people(slug)
    wanted = {str(p["email"]): person_zone(p, *fallback) for p in people}
    languages = {str(p["email"]): supported(str(p.get("language") or "")) for p in people}
    have = directory.fed(slug)
    for email, zone in wanted.items():
        if email not in have:
            if group is not None:  # the group's messages in their language too
                group = groups.add_language(group, languages[email])
            made = sns.subscribe(
                TopicArn=arn,
                Protocol="email",
                Endpoint=email,
                Attributes={"FilterPolicy": json.dumps(member_filter(zone, languages[email]))},
                ReturnSubscriptionArn=True,
            )
            directory.record_fed(slug, email, str(made["SubscriptionArn"]))
    gone = [e for e in have if e not in wanted]
    for email in gone:
        if have[email].startswith("arn:"):
            sns.unsubscribe(SubscriptionArn=have[email])
        directory.forget_fed(slug, email)
    return {"added": len(set(wanted) - set(have)), "removed": len(gone)}


# CSV import -------------------------------------------------------------------------------------


def import_csv(*, text: str, actor: Actor, now: datetime) -> dict[str, int]:
    """A company without SCIM: a CSV file of its people, imported whole or not at all. Every bad
    row is listed (422) and nothing is written; a row for someone already in the directory
    updates them; `active` false deactivates (and ends their sessions and tokens). New people go
    in batches (10,000 in one request), after every row has been checked."""
    rows, problems = parse_csv(text, departments=departments())
    addresses = [row.person["email"] for row in rows]
    existing = directory.people_at(addresses)
    taken = directory.ids_by_user_names(addresses)
    new: list[Stored] = []
    changed: list[tuple[Stored, dict[str, Any]]] = []
    unchanged = 0
    for row in rows:
        fields = row.person
        before = existing.get(fields["email"])
        person_id = str(before.doc.get("id") or "") if before else ""
        holder = taken.get(fields["user_name"])
        if holder and holder != person_id:
            wrong = ["email: another person in the directory has it as their userName"]
            problems.append({"line": row.line, "email": fields["email"], "problems": wrong})
        elif before is None or not person_id:
            doc = merge(before.doc if before else None, fields) | {
                "id": uuid.uuid4().hex,
                "scim": None,
                "source": "csv",
                "created_at": isoformat(now),
                "updated_at": isoformat(now),
                "updated_by": actor.id,
            }
            new.append(Stored(key=fields["email"], doc=doc))
        elif all(before.doc.get(k) == v for k, v in fields.items()):
            unchanged += 1
        else:
            changed.append((before, fields))
    if problems:
        problems.sort(key=lambda p: int(p["line"]))
        raise InvalidPayload(
            N_("%(count)s row(s) cannot be imported; nothing was imported"),
            values={"count": len(problems)},
            extra={"errors": problems},
        )
    directory.put_new_people(new)
    for before, fields in changed:
        change(before=before, fields=fields, scim=None, actor=actor, now=now)
    counts = {"created": len(new), "updated": len(changed), "unchanged": unchanged}
    record(
        actor=actor,
        action="directory.import",
        target="csv",
        now=now,
        after={**counts, "created_people": [s.key for s in new], "updated_people": [b.key for b, _ in changed]},
    )
    return counts
