"""Signed, single-purpose approval links for holding statements: one approver's role, one
incident, one language, one revision. Editing the statement makes a new revision, so every link
minted for an earlier one stops working (an edit voids earlier approvals, links included).

token = <incident id>.<lang>.<revision>.<role>.<expiry, base36 seconds>.<HMAC-SHA256, 96 bits>"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.errors import NotFound
from chalicelib.i18n import N_
from chalicelib.policy.tokens import base36, check, sign

LIFETIME = timedelta(days=2)
_SHAPE = re.compile(
    r"^(i[a-z0-9]{15})\.([a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\.([0-9]{1,6})\.([a-z0-9][a-z0-9-]{0,62})"
    r"\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})$"
)


@dataclass(frozen=True, slots=True)
class Approval:
    incident_id: str
    lang: str
    revision: int
    role: str
    expires_at: datetime


PURPOSE = "approval-link"


def mint(*, key: bytes, incident_id: str, lang: str, revision: int, role: str, now: datetime) -> str:
    payload = f"{incident_id}.{lang}.{revision}.{role}.{base36(int((now + LIFETIME).timestamp()))}"
    return f"{payload}.{sign(key, PURPOSE, payload)}"


def verify(token: str, *, key: bytes, now: datetime) -> Approval:
    found = _SHAPE.match(token)
    if not found:
        raise NotFound(N_("this link is not a valid sharedwatch approval link"))
    incident_id, lang, revision, role, expiry, signature = found.groups()
    expires_at = check(
        f"{incident_id}.{lang}.{revision}.{role}.{expiry}",
        signature,
        key=key,
        purpose=PURPOSE,
        expiry=expiry,
        now=now,
        invalid="this link is not a valid sharedwatch approval link",
        expired="this approval link has expired; approve from the incident's page",
    )
    return Approval(incident_id, lang, int(revision), role, expires_at)
