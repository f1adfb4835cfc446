"""Signed, single-purpose approval links for holding statements: one approver's role, one
incident, one language, one revision. Editing the statement makes a new revision, so every link
minted for an earlier one stops working (an edit voids earlier approvals, links included).

token = <incident id>.<lang>.<revision>.<role>.<expiry, base36 seconds>.<HMAC-SHA256, 96 bits>"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.errors import LinkExpired, NotFound
from chalicelib.policy.tokens import base36

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


def _signature(key: bytes, payload: str) -> str:
    digest = hmac.new(key, b"sharedwatch-approval-link|" + payload.encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def mint(*, key: bytes, incident_id: str, lang: str, revision: int, role: str, now: datetime) -> str:
    payload = f"{incident_id}.{lang}.{revision}.{role}.{base36(int((now + LIFETIME).timestamp()))}"
    return f"{payload}.{_signature(key, payload)}"


def verify(token: str, *, key: bytes, now: datetime) -> Approval:
    found = _SHAPE.match(token)
    if not found:
        raise NotFound("this link is not a valid sharedwatch approval link")
    incident_id, lang, revision, role, expiry, signature = found.groups()
    payload = f"{incident_id}.{lang}.{revision}.{role}.{expiry}"
    if not hmac.compare_digest(signature, _signature(key, payload)):
        raise NotFound("this link is not a valid sharedwatch approval link")
    expires_at = datetime.fromtimestamp(int(expiry, 36), tz=UTC)
    if now >= expires_at:
        raise LinkExpired("this approval link has expired; approve from the incident's page")
    return Approval(incident_id, lang, int(revision), role, expires_at)
