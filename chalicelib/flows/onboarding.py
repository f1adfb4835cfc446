"""Onboarding (docs/training.md): the social media policy saved as a new version by an admin,
acknowledged by each signed-in person, and the weekly reminder to everyone who has not yet
acknowledged the current version (the schedule runs it daily; the delivery log sends each
person's reminder once a period, so running it again sends nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.errors import Conflict, NotFound
from chalicelib.i18n import N_, Reader
from chalicelib.notify.mail import send_mail
from chalicelib.policy import onboarding
from chalicelib.settings import get_settings
from chalicelib.store import identity
from chalicelib.store import onboarding as stored


def save(doc: Any, *, by: str, now: datetime) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """An admin's edit as the next version: (the version before, the new one)."""
    before = stored.current()
    version = onboarding.new_version(doc, current=before, by=by, now=now)
    if version["edited"] != int((before or {}).get("version") or 0):
        raise Conflict(
            N_("you edited version %(edited)s, the policy is at version %(version)s"),
            values={"edited": version["edited"], "version": version["version"] - 1},
        )
    stored.save(version, previous=before, now=now)
    return before, version


def acknowledge(email: str, *, version: int, now: datetime) -> dict[str, Any]:
    """A person has read this version (the page they read names it: a newer one is a 409)."""
    policy = stored.current()
    if policy is None:
        raise NotFound(N_("there is no social media policy yet"))
    if version != policy["version"]:
        raise Conflict(
            N_("the policy is now at version %(version)s: read it again, then acknowledge"),
            values={"version": policy["version"]},
        )
    stored.acknowledge(email, version=version, now=now)
    return policy


def remind(*, now: datetime) -> int:
    """A reminder to each active person who owes the current version an acknowledgement, once
    per period; returns how many were sent now."""
    policy = stored.current()
    if policy is None:
        return 0
    due = onboarding.owing(identity.list_people(), stored.acknowledgements(), version=int(policy["version"]))
    link = f"{get_settings().public_base_url}/policy"
    sent = 0
    for person in due:
        email = str(person["email"]).lower()
        reader = Reader.of(str(person.get("language") or ""))
        subject = reader.gettext("Please read our social media policy")
        body = reader.gettext(
            "Our social media policy (%(title)s, version %(version)s) is waiting for you to read and "
            "acknowledge it: %(link)s\n\nIt also shows the three ways to report something you saw."
        ) % {"title": policy["title"], "version": policy["version"], "link": link}
        if send_mail(
            delivery_id=onboarding.reminder_id(identity.digest(email), version=int(policy["version"]), now=now),
            to=email,
            subject=subject,
            body=body,
            item_id=f"policy-v{policy['version']}",
            kind="policy",
        ):
            sent += 1
    return sent
