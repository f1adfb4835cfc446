"""Chat installs: one row per Slack workspace that installed the app (its bot token sealed: KMS
on AWS, the local key in the local stack), in the identity table beside the other secrets."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.exceptions import PutError

from chalicelib import credentials
from chalicelib.clock import isoformat
from chalicelib.errors import ConfigurationMissing
from chalicelib.store import identity
from chalicelib.store.models import IdentityModel

INSTALLS = "chat-install"


def save_slack_install(*, team: str, token: str, bot_user: str, team_name: str, by: str, now: datetime) -> None:
    doc = {
        "team": team,
        "team_name": team_name[:120],
        "bot_user": bot_user,
        "token": credentials.seal(token),
        "installed_by": by[:120],
        "installed_at": isoformat(now),
    }
    IdentityModel(INSTALLS, f"slack|{team}", doc=doc).save()


def slack_install(team: str) -> dict[str, Any] | None:
    try:
        return dict(IdentityModel.get(INSTALLS, f"slack|{team}").doc)
    except IdentityModel.DoesNotExist:
        return None


def slack_token(team: str) -> str:
    found = slack_install(team)
    if found is None:
        raise ConfigurationMissing(f"the Slack app is not installed in workspace {team[:20]!r}")
    return credentials.unseal(str(found["token"]))


def slack_installs() -> list[dict[str, Any]]:
    """Every install, without its sealed token."""
    return [{k: v for k, v in dict(row.doc).items() if k != "token"} for row in IdentityModel.query(INSTALLS)]


def first_use(key: str, *, expires_at: datetime) -> bool:
    """True the first time `key` is seen (a conditional put), False after: a replayed signed
    request, a redelivered activity."""
    try:
        IdentityModel(f"replay|{identity.digest(key)}", "-", expires_at=expires_at).save(
            condition=IdentityModel.pk.does_not_exist()
        )
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
