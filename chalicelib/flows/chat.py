"""What people do from chat: press a card's button (as the person their verified email says they
are, with the console's permission check and audit entry), ask what is open, report something.
The platform entry points (`api/slack.py`, `api/teams.py`) verify the request and say who the
chat user is; this decides what they may do and does it through the incident flow."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.errors import NotFound
from chalicelib.flows import incidents
from chalicelib.notify import platforms
from chalicelib.observability import logger
from chalicelib.policy.access import Role, allows, parse_role
from chalicelib.policy.chat import Action
from chalicelib.settings import get_settings
from chalicelib.store import identity
from chalicelib.store.audit import Actor, record
from chalicelib.store.models import IncidentModel


@dataclass(frozen=True, slots=True)
class ChatUser:
    """Who pressed: the platform's word for their address, and whether the platform verified it."""

    platform: str  # slack | teams
    user_id: str
    email: str
    verified: bool
    name: str = ""


@dataclass(frozen=True, slots=True)
class Person:
    email: str
    name: str
    role: Role

    @property
    def label(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def signin_hint() -> str:
    return f"{get_settings().public_base_url}/signin"


def person_of(user: ChatUser) -> Person | str:
    """The person the chat user is, by verified email; else what to tell them."""
    if not user.email or not user.verified:
        return (
            "sharedwatch acts only as a person it knows, by a verified email address, and "
            f"{user.platform.capitalize()} gave none for you. "
            f"Sign in once at {signin_hint()} and ask an admin to add you."
        )
    doc = identity.get_person(user.email.strip().lower())
    if doc is None:
        return (
            f"sharedwatch does not know {user.email} yet: sign in once at {signin_hint()} and ask an admin for a role."
        )
    if doc.get("disabled"):
        return "Your sharedwatch account is disabled."
    return Person(
        email=str(doc["email"]), name=str(doc.get("name") or ""), role=parse_role(doc.get("role")) or "everyone"
    )


def slack_user(team: str, user_id: str) -> ChatUser:
    """users.info: the profile's email and whether Slack confirmed it (scope users:read.email)."""
    try:
        answer = platforms.slack_call(team, "users_info", user=user_id)
    except platforms.ChatFailed as exc:
        logger.warning("Slack user not read", extra={"error": exc.reason})
        return ChatUser("slack", user_id, "", False)
    user = answer.get("user") or {}
    profile = user.get("profile") or {}
    return ChatUser(
        "slack",
        user_id,
        str(profile.get("email") or ""),
        user.get("is_email_confirmed") is True,
        str(profile.get("real_name") or user.get("name") or ""),
    )


def teams_user(conversation: str, member_id: str, aad_object_id: str) -> ChatUser:
    """The member as Teams' roster knows them: email from the tenant's directory (Entra ID), which
    only the tenant's admins set; a guest or a user outside the tenant has none we trust."""
    try:
        member = platforms.teams_member(conversation, member_id)
    except platforms.ChatFailed as exc:
        logger.warning("Teams member not read", extra={"error": exc.reason})
        return ChatUser("teams", member_id, "", False)
    email = str(member.get("email") or member.get("userPrincipalName") or "")
    object_id = member.get("aadObjectId") or member.get("objectId")  # the REST answer says objectId
    verified = bool(aad_object_id) and object_id == aad_object_id and member.get("userRole") != "guest"
    return ChatUser("teams", member_id, email, verified, str(member.get("name") or ""))


def press(*, user: ChatUser, incident_id: str, action: Action, now: datetime) -> tuple[bool, str]:
    """A card's button, as the person: (whether it was taken, the answer to show them: ephemeral
    in Slack, a message or the refreshed card in Teams). Refusals change nothing."""
    who = person_of(user)
    if isinstance(who, str):
        return False, who
    if not allows(who.role, "incidents.act"):
        return False, f"Your role ({who.role}) does not allow acting on incidents (incidents.act)."
    try:
        before = incidents.load(incident_id)
    except NotFound:
        return False, "That incident is not there any more."
    via = f"{user.platform.capitalize()} button"
    actor = Actor(id=who.email, via=user.platform)
    group = before.owner or ""
    if action in ("acknowledge", "mine"):
        row, changed = incidents.acknowledge(incident_id=incident_id, group=group, by=who.label, via=via, now=now)
        if changed:
            _audit(actor, "incident.acknowledge", incident_id, before.status, row.status, now)
        if action == "mine":
            incidents.add_note(incident_id=incident_id, by=who.label, via=via, note=f"{who.label} took it", now=now)
            record(actor=actor, action="incident.note", target=incident_id, now=now, after={"note": "took it"})
            return True, "It is yours: the card and the timeline say so."
        return True, "Acknowledged: the groups told about it hear it is in hand." if changed else _already(row)
    if action == "not-ours":
        note = f"Not ours, says {who.label}"
        incidents.add_note(incident_id=incident_id, by=who.label, via=via, note=note, now=now)
        record(actor=actor, action="incident.note", target=incident_id, now=now, after={"note": note})
        return True, "Noted on the incident: not yours. Its owner still has it."
    note = "false alarm" if action == "false-alarm" else ""
    row, changed = incidents.resolve(incident_id=incident_id, group=group, by=who.label, via=via, now=now, note=note)
    if changed:
        _audit(actor, "incident.resolve", incident_id, before.status, row.status, now, note=note)
        return True, "Resolved as a false alarm." if note else "Resolved: the groups told about it hear so."
    return True, _already(row)


def _already(row: IncidentModel) -> str:
    return f"Already {row.status}" + (f" by {row.acknowledged_by}." if row.acknowledged_by else ".")


def _audit(actor: Actor, action: str, target: str, before: str, after: str, now: datetime, *, note: str = "") -> None:
    record(
        actor=actor,
        action=action,
        target=target,
        now=now,
        before={"status": before},
        after={"status": after, **({"note": note} if note else {})},
    )


def open_now(user: ChatUser) -> str:
    """ "What is open now", for a person who may read incidents."""
    who = person_of(user)
    if isinstance(who, str):
        return who
    if not allows(who.role, "incidents.read"):
        return f"Your role ({who.role}) does not allow reading incidents (incidents.read)."
    rows = sorted(
        (r for r in IncidentModel.scan() if r.status != "resolved" and not r.drill),
        key=lambda r: r.opened_at,
        reverse=True,
    )
    if not rows:
        return "Nothing is open now."
    base = get_settings().public_base_url
    lines = [f"• [{r.severity}] {r.title[:120]} ({r.status}) {base}/incidents/{r.incident_id}" for r in rows[:10]]
    more = f"\n…and {len(rows) - 10} more" if len(rows) > 10 else ""
    return f"{len(rows)} open:\n" + "\n".join(lines) + more
