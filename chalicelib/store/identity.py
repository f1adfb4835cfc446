"""People, sessions, sign-in links, sign-ins in flight, personal API tokens and attempt counters,
in the identity table. Every secret is stored as its SHA-256: a copy of the table signs no one in."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.clock import isoformat
from chalicelib.store.models import IdentityModel

PEOPLE = "people"
TOKENS = "tokens"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _conditional_failed(exc: PutError | UpdateError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


# People ---------------------------------------------------------------------------------------


def get_person(email: str) -> dict[str, Any] | None:
    try:
        return dict(IdentityModel.get(PEOPLE, email).doc)
    except IdentityModel.DoesNotExist:
        return None


def list_people() -> list[dict[str, Any]]:
    return [dict(row.doc) for row in IdentityModel.query(PEOPLE)]


def put_person(doc: dict[str, Any]) -> dict[str, Any] | None:
    """Save a person; the previous record (for the audit trail), or None when new."""
    before = get_person(doc["email"])
    # On the department index while active (a directory person's row is written by store/directory.py).
    department = str(doc.get("department") or "") if not doc.get("disabled") else ""
    IdentityModel(PEOPLE, doc["email"], doc=doc, dept=department or None).save()
    return before


def delete_person(email: str) -> dict[str, Any] | None:
    before = get_person(email)
    if before is not None:
        IdentityModel(PEOPLE, email).delete()
    return before


# Sessions -------------------------------------------------------------------------------------


def create_session(*, session_id: str, doc: dict[str, Any], expires_at: datetime) -> None:
    # The person's list of sessions first: a session is never out of reach of ending it at once.
    IdentityModel(f"creds|{doc['email']}", f"session|{digest(session_id)}", doc={}, expires_at=expires_at).save()
    IdentityModel(f"session|{digest(session_id)}", doc=doc, expires_at=expires_at).save(
        condition=IdentityModel.pk.does_not_exist()
    )


def end_sessions_of(email: str) -> int:
    """End every session of a person (deactivated, deleted, renamed): how many there were."""
    ended = 0
    for row in IdentityModel.query(f"creds|{email}", consistent_read=True):
        if row.sk.startswith("session|"):
            IdentityModel(row.sk, "-").delete()
            row.delete()
            ended += 1
    return ended


def load_session(session_id: str) -> dict[str, Any] | None:
    try:
        return dict(IdentityModel.get(f"session|{digest(session_id)}", "-").doc)
    except IdentityModel.DoesNotExist:
        return None


def load_session_and_person(session_id: str, email: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """A session and the person it names, in one BatchGetItem (the cookie names the person, so
    both keys are known before either is read; the person is read now, so a role taken away or
    a deactivation counts at once)."""
    session_pk = f"session|{digest(session_id)}"
    rows = {(row.pk, row.sk): dict(row.doc) for row in IdentityModel.batch_get([(session_pk, "-"), (PEOPLE, email)])}
    return rows.get((session_pk, "-")), rows.get((PEOPLE, email))


def touch_session(session_id: str, *, at: datetime) -> None:
    _amend(f"session|{digest(session_id)}", "-", seen_at=isoformat(at))


def end_session(session_id: str) -> None:
    IdentityModel(f"session|{digest(session_id)}", "-").delete()


# A person's own choice of language and zone (on /me) ------------------------------------------


def get_choice(email: str) -> dict[str, str]:
    """The language and zone a person chose for themselves ({} when they have not)."""
    try:
        doc = IdentityModel.get(f"choice|{email}", "-").doc
    except IdentityModel.DoesNotExist:
        return {}
    return {k: str(doc[k]) for k in ("language", "zone") if doc.get(k)}


def save_choice(email: str, *, language: str, zone: str) -> dict[str, str]:
    """Keep a person's choice and put it on each of their open sessions (what every request
    reads, so the choice costs no extra read per page); the choice before it is returned."""
    before = get_choice(email)
    IdentityModel(f"choice|{email}", "-", doc={"language": language, "zone": zone}).save()
    for row in IdentityModel.query(f"creds|{email}", consistent_read=True):
        if row.sk.startswith("session|"):
            _amend(row.sk, "-", chosen_language=language, chosen_zone=zone)
    return before


# Sign-in links and sign-ins in flight ---------------------------------------------------------


def save_link(*, token: str, doc: dict[str, Any], expires_at: datetime) -> None:
    IdentityModel(f"link|{digest(token)}", doc=doc, expires_at=expires_at).save()


def peek_link(token: str, *, now: datetime) -> dict[str, Any] | None:
    try:
        row = IdentityModel.get(f"link|{digest(token)}", "-", consistent_read=True)
    except IdentityModel.DoesNotExist:
        return None
    if row.uses or (row.expires_at is not None and row.expires_at <= now):
        return None
    return dict(row.doc)


def take_link(token: str, *, now: datetime) -> dict[str, Any] | None:
    return _take_once(f"link|{digest(token)}", now=now)


def save_flow(*, state: str, doc: dict[str, Any], expires_at: datetime) -> None:
    IdentityModel(f"oidc|{digest(state)}", doc=doc, expires_at=expires_at).save()


def take_flow(state: str, *, now: datetime) -> dict[str, Any] | None:
    return _take_once(f"oidc|{digest(state)}", now=now)


def _take_once(pk: str, *, now: datetime) -> dict[str, Any] | None:
    """The record, once: a conditional mark makes a second use (or a race) find nothing."""
    row = IdentityModel(pk, "-")
    try:
        row.update(
            actions=[IdentityModel.uses.add(1)],
            condition=IdentityModel.pk.exists() & IdentityModel.uses.does_not_exist(),
        )
    except UpdateError as exc:
        if _conditional_failed(exc):
            return None
        raise
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return dict(row.doc)


# Personal API tokens --------------------------------------------------------------------------


def save_token(doc: dict[str, Any], *, expires_at: datetime) -> None:
    # Kept a day past expiry so a listing can still say "expired" before TTL removes it.
    IdentityModel(TOKENS, doc["id"], doc=doc, expires_at=expires_at + timedelta(days=1)).save(
        condition=IdentityModel.sk.does_not_exist()
    )


def get_token(token_id: str) -> dict[str, Any] | None:
    try:
        return dict(IdentityModel.get(TOKENS, token_id).doc)
    except IdentityModel.DoesNotExist:
        return None


def list_tokens() -> list[dict[str, Any]]:
    return [dict(row.doc) for row in IdentityModel.query(TOKENS)]


def update_token(token_id: str, **fields: Any) -> None:
    _amend(TOKENS, token_id, **fields)


def revoke_tokens_of(email: str, *, at: str) -> int:
    """Revoke every live personal token of a person: how many. (Tokens are a few per person who
    automates something; one partition holds them all.)"""
    revoked = 0
    for doc in list_tokens():
        if doc.get("owner") == email and not doc.get("revoked_at"):
            update_token(str(doc["id"]), revoked_at=at)
            revoked += 1
    return revoked


def _amend(pk: str, sk: str, **fields: Any) -> None:
    """Set fields of a record's document, only while it exists (a session signed out, a token
    removed, stays gone)."""
    try:
        row = IdentityModel.get(pk, sk)
    except IdentityModel.DoesNotExist:
        return
    row.doc = {**row.doc, **fields}
    try:
        row.save(condition=IdentityModel.pk.exists())
    except PutError as exc:
        if not _conditional_failed(exc):
            raise


# Attempt counters -----------------------------------------------------------------------------


def _window(scope: str, key: str, window: timedelta, now: datetime) -> tuple[str, int, int]:
    """(partition, window start, window seconds) of this window's counter for (scope, key)."""
    seconds = int(window.total_seconds())
    return f"rate|{scope}|{digest(key)[:32]}", int(now.timestamp()) // seconds * seconds, seconds


def count_attempt(*, scope: str, key: str, window: timedelta, now: datetime) -> int:
    """Add one to this window's counter for (scope, key) and return the new count."""
    pk, start, seconds = _window(scope, key, window, now)
    row = IdentityModel(pk, str(start))
    row.update(
        actions=[
            IdentityModel.uses.add(1),
            IdentityModel.expires_at.set(datetime.fromtimestamp(start + 2 * seconds, tz=now.tzinfo)),
        ]
    )
    return int(row.uses or 0)


def attempts(*, scope: str, key: str, window: timedelta, now: datetime) -> int:
    pk, start, _ = _window(scope, key, window, now)
    try:
        return int(IdentityModel.get(pk, str(start)).uses or 0)
    except IdentityModel.DoesNotExist:
        return 0
