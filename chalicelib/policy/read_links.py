"""Signed, expiring one-tap "I've read it" links: each bound to one person and one message (a
brief, a stakeholder update, a statement). Following it shows a button (a GET never records:
mail scanners and link previews open links); only the POST records the read.

token = <incident id>.<message id>.<person id>.<department>.<expiry, base36 s>.<HMAC-SHA256, 96 bits>

Everything in the token is signed, so another person's id or department cannot be put in. The
message was sent LIFETIME before the expiry: a read's minute after sending is known without a
read of the store (a reminder's links keep the message's expiry, so its reads count from the
first sending too)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.errors import NotFound
from chalicelib.policy.tokens import base36, check, sign

LIFETIME = timedelta(days=7)
PURPOSE = "read-confirm"
INVALID = "this link is not a valid sharedwatch read confirmation link"
EXPIRED = "this read confirmation link has expired"
_SHAPE = re.compile(
    r"^(i[a-z0-9]{15})\.([a-z2-7]{24})\.([0-9a-f]{32})\.([a-z0-9-]{1,63})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})$"
)


@dataclass(frozen=True, slots=True)
class Read:
    incident_id: str
    message_id: str
    person_id: str
    department: str
    sent_at: datetime
    expires_at: datetime


def expiry_for(sent_at: datetime) -> str:
    return base36(int((sent_at + LIFETIME).timestamp()))


def mint(*, key: bytes, incident_id: str, message_id: str, person_id: str, department: str, expiry: str) -> str:
    """A person's link for a message; `expiry` is the message's (expiry_for its sending)."""
    payload = f"{incident_id}.{message_id}.{person_id}.{department}.{expiry}"
    return f"{payload}.{sign(key, PURPOSE, payload)}"


def verify(token: str, *, key: bytes, now: datetime) -> Read:
    """NotFound when the token is not ours (forged, altered, another person's changed), LinkExpired when late."""
    found = _SHAPE.match(token[:300])
    if not found:
        raise NotFound(INVALID)
    incident_id, message_id, person_id, department, expiry, signature = found.groups()
    expires_at = check(
        f"{incident_id}.{message_id}.{person_id}.{department}.{expiry}",
        signature,
        key=key,
        purpose=PURPOSE,
        expiry=expiry,
        now=now,
        invalid=INVALID,
        expired=EXPIRED,
    )
    sent_at = datetime.fromtimestamp(int(expiry, 36), tz=UTC) - LIFETIME
    return Read(incident_id, message_id, person_id, department, sent_at, expires_at)
