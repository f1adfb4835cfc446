"""The social media policy and its acknowledgements, as configuration rows: the current version
(kind "social-policy", key "current"), every version kept (kind "social-policy-version", key
its zero-padded number) and one acknowledgement per person (kind "policy-ack", key their
address), so the reminders read every acknowledgement in one Query."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.errors import Conflict
from chalicelib.i18n import N_
from chalicelib.store.models import ConfigModel

KIND, VERSIONS, ACKS = "social-policy", "social-policy-version", "policy-ack"


def current() -> dict[str, Any] | None:
    try:
        return dict(json.loads(ConfigModel.get(KIND, "current").body))
    except ConfigModel.DoesNotExist:
        return None


def save(version: dict[str, Any], *, previous: dict[str, Any] | None, now: datetime) -> None:
    """The new version as current, and kept, in one transaction conditional on the current one
    still being `previous` (another admin's save in between is a 409)."""
    body = json.dumps(version)
    row = ConfigModel(kind=KIND, key="current", body=body, updated_at=now)
    kept = ConfigModel(kind=VERSIONS, key=f"{int(version['version']):06d}", body=body, updated_at=now)
    condition = ConfigModel.key.does_not_exist() if previous is None else ConfigModel.body == json.dumps(previous)
    try:
        # The model's own (cached) connection: a new one would build a botocore client per write.
        with TransactWrite(connection=ConfigModel._get_connection().connection) as tx:
            tx.save(row, condition=condition)
            tx.save(kept, condition=ConfigModel.key.does_not_exist())
    except TransactWriteError as exc:
        if not any(r and r.code == "ConditionalCheckFailed" for r in exc.cancellation_reasons):
            raise
        raise Conflict(N_("the policy changed since you opened it: reload it and make your edit again")) from None


def versions() -> list[dict[str, Any]]:
    return [dict(json.loads(r.body)) for r in ConfigModel.query(VERSIONS, scan_index_forward=False)]


def acknowledgement(email: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(ConfigModel.get(ACKS, email.lower()[:254]).body))
    except ConfigModel.DoesNotExist:
        return None


def acknowledge(email: str, *, version: int, now: datetime) -> None:
    doc = {"email": email.lower()[:254], "version": version, "at": now.isoformat()}
    ConfigModel(kind=ACKS, key=doc["email"], body=json.dumps(doc), updated_at=now).save()


def acknowledgements() -> dict[str, dict[str, Any]]:
    """Every acknowledgement by address: one Query."""
    return {r.key: dict(json.loads(r.body)) for r in ConfigModel.query(ACKS)}
