"""Signed, expiring, single-purpose links that make a report its sender's own: the receipt of a
report filed with a typed address carries one, to that address only. Following it (a GET shows a
button, the POST records) shows the address's owner sent it; nobody else receives the link.

token = <report id>.<expiry, base36 seconds>.<HMAC-SHA256, 96 bits, base64url>

The address is signed with the rest without being in the link: a token verifies only against the
address the report was filed with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.errors import NotFound
from chalicelib.policy.tokens import base36, check, sign

LIFETIME = timedelta(days=7)
PURPOSE = "report-confirm"
_SHAPE = re.compile(r"^([a-z][a-z2-7]{15})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})$")
INVALID = "this link is not a valid sharedwatch confirmation link"


@dataclass(frozen=True, slots=True)
class Confirmation:
    report_id: str
    email: str
    expires_at: datetime


def _payload(report_id: str, email: str, expiry: str) -> str:
    return f"{report_id}|{email.strip().lower()}|{expiry}"


def mint(*, key: bytes, report_id: str, email: str, now: datetime) -> str:
    expiry = base36(int((now + LIFETIME).timestamp()))
    return f"{report_id}.{expiry}.{sign(key, PURPOSE, _payload(report_id, email, expiry))}"


def report_of(token: str) -> str:
    """The report a token names (before it is verified: to read the address it must match)."""
    found = _SHAPE.match(token)
    if not found:
        raise NotFound(INVALID)
    return found.group(1)


def verify(token: str, *, key: bytes, email: str, now: datetime) -> Confirmation:
    """NotFound when the token is not ours or not for this address, LinkExpired when late."""
    found = _SHAPE.match(token)
    if not found or not email:
        raise NotFound(INVALID)
    report_id, expiry, signature = found.groups()
    expires_at = check(
        _payload(report_id, email, expiry),
        signature,
        key=key,
        purpose=PURPOSE,
        expiry=expiry,
        now=now,
        invalid=INVALID,
        expired="this confirmation link has expired; the report stays out of your reports",
    )
    return Confirmation(report_id, email.strip().lower(), expires_at)
