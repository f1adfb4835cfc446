"""Signed, expiring, single-purpose action links: `/ack/<token>` acknowledges (or resolves)
one incident on behalf of the group that was told. Short enough for an SMS.

token = <incident id>.<action><channel>.<group>.<expiry, base36 seconds>.<HMAC-SHA256, 96 bits, base64url>

The channel (e: email, s: SMS) says where the link was sent, so an acknowledgement through it
records the group and the channel it reached; links minted before channels carry none."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from chalicelib.errors import LinkExpired, NotFound
from chalicelib.i18n import N_

Action = Literal["acknowledge", "resolve"]
_CODES: dict[Action, str] = {"acknowledge": "a", "resolve": "r"}
_ACTIONS: dict[str, Action] = {code: action for action, code in _CODES.items()}
LIFETIME = timedelta(days=7)
Channel = Literal["email", "sms", ""]
_CHANNEL_CODES: dict[str, str] = {"email": "e", "sms": "s", "": ""}
_CHANNELS: dict[str, Channel] = {"e": "email", "s": "sms", "": ""}
_SHAPE = re.compile(
    r"^(i[a-z0-9]{15})\.([ar])([es]?)\.([a-z0-9][a-z0-9-]{0,62})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{16})$"
)


@dataclass(frozen=True, slots=True)
class Grant:
    incident_id: str
    action: Action
    group: str
    expires_at: datetime
    channel: Channel = ""


PURPOSE = "action-link"


def base36(n: int) -> str:
    """A number in the fewest URL-safe characters (expiry times in links)."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def sign(key: bytes, purpose: str, payload: str) -> str:
    """A link's signature. The purpose is part of what is signed, so a link minted for one use
    (an action, an approval) never verifies for another."""
    digest = hmac.new(key, f"sharedwatch-{purpose}|{payload}".encode(), hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def check(
    payload: str, signature: str, *, key: bytes, purpose: str, expiry: str, now: datetime, invalid: str, expired: str
) -> datetime:
    """When a signed link expires; NotFound(`invalid`) when it is not ours, LinkExpired(`expired`)
    when it is late."""
    if not hmac.compare_digest(signature, sign(key, purpose, payload)):
        raise NotFound(invalid)
    expires_at = datetime.fromtimestamp(int(expiry, 36), tz=UTC)
    if now >= expires_at:
        raise LinkExpired(expired)
    return expires_at


def mint(*, key: bytes, incident_id: str, action: Action, group: str, now: datetime, channel: Channel = "") -> str:
    expiry = base36(int((now + LIFETIME).timestamp()))
    payload = f"{incident_id}.{_CODES[action]}{_CHANNEL_CODES[channel]}.{group}.{expiry}"
    return f"{payload}.{sign(key, PURPOSE, payload)}"


def verify(token: str, *, key: bytes, now: datetime) -> Grant:
    """The grant a token carries; NotFound when it is not one of ours, LinkExpired when late."""
    match = _SHAPE.match(token)
    if not match:
        raise NotFound(N_("this link is not a valid sharedwatch link"))
    incident_id, code, channel, group, expiry, signature = match.groups()
    expires_at = check(
        f"{incident_id}.{code}{channel}.{group}.{expiry}",
        signature,
        key=key,
        purpose=PURPOSE,
        expiry=expiry,
        now=now,
        invalid="this link is not a valid sharedwatch link",
        expired="this link has expired; the incident can still be handled from the admin API",
    )
    return Grant(
        incident_id=incident_id, action=_ACTIONS[code], group=group, expires_at=expires_at, channel=_CHANNELS[channel]
    )
