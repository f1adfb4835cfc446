"""Slack: an employee mentions the app, or flags a message with the "Report to sharedwatch"
message shortcut; either becomes a report.

Requests are signed with Slack's v0 scheme: X-Slack-Signature = "v0=" + hex HMAC-SHA256 of
"v0:{X-Slack-Request-Timestamp}:{raw body}" with the app's signing secret, and a timestamp more
than five minutes off is refused (replays)."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from chalicelib.bodies import load_json
from chalicelib.errors import InvalidPayload, MalformedBody, PayloadTooLarge, VerificationFailed
from chalicelib.records import Report
from chalicelib.triage.identity import key_for

TOLERANCE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12
MAX_SIGNATURE_CHARS = 100
TEXT_LIMIT = 40_000  # Slack's own limit for a message's text: a longer one is not a Slack message
SHORTCUT_CALLBACK = "report_to_sharedwatch"
_MENTION = re.compile(r"<@[A-Z0-9]+>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")
_BARE_LINK = re.compile(r"(?<![<|])\bhttps?://[^\s<>|]{1,2000}")
_URGENT = re.compile(r"\b(urgent|asap|crisis|emergency)\b", re.IGNORECASE)


def verify(headers: Mapping[str, str], body: bytes, *, secrets: Sequence[str], now: datetime) -> None:
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        raise VerificationFailed("missing header: x-slack-request-timestamp and x-slack-signature are required")
    # Lengths first: int() of 5,000 digits raised ValueError (a 500) before the signature was read.
    if len(timestamp) > MAX_TIMESTAMP_DIGITS or not (timestamp.isascii() and timestamp.isdigit()):
        raise VerificationFailed(f"x-slack-request-timestamp: Unix seconds, at most {MAX_TIMESTAMP_DIGITS} digits")
    if len(signature) > MAX_SIGNATURE_CHARS:
        raise VerificationFailed(f"x-slack-signature: at most {MAX_SIGNATURE_CHARS} characters (v0= and 64 hex)")
    if abs(now.timestamp() - int(timestamp)) > TOLERANCE_SECONDS:
        raise VerificationFailed("x-slack-request-timestamp is more than five minutes off: a replay is refused")
    base = b"v0:" + timestamp.encode() + b":" + body
    for secret in secrets:
        expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
        if hmac.compare_digest(expected, signature.strip()):
            return
    raise VerificationFailed("signature does not match")


def _clean(text: str) -> tuple[str, tuple[str, ...]]:
    links = tuple(dict.fromkeys(_LINK.findall(text)))
    plain = _LINK.sub(lambda m: m.group(1), _MENTION.sub("", text))
    return " ".join(plain.split()), links


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _permalink(channel: str, ts: str) -> str:
    return f"https://slack.com/archives/{channel}/p{ts.replace('.', '')}" if channel and ts else ""


def _report(*, team: str, channel: str, ts: str, user: str, text: str, received_at: datetime, note: str) -> Report:
    if len(text) > TEXT_LIMIT:
        raise PayloadTooLarge(f"the message's text is {len(text)} characters, at most {TEXT_LIMIT} (Slack's own limit)")
    cleaned, links = _clean(text)
    permalink = _permalink(channel, ts)
    return Report(
        # One report per Slack message, however often it is flagged or redelivered.
        report_id="s" + key_for("report-slack", f"{team}:{channel}:{ts}")[:15],
        channel="slack",
        text=cleaned or f"Flagged in Slack without a note ({note})",
        received_at=received_at,
        urls=tuple(u for u in (*links, permalink) if u),
        urgency="urgent" if _URGENT.search(text) else "normal",
        # Where to answer them: an ephemeral receipt in this channel, a DM with the outcome. A Slack
        # user, not an address: the report is nobody's own (a chat user acts as a person only
        # through a verified address, never by filing).
        reporter_email=f"slack:{team}/{user}/{channel}" if user else "",
        subject=note,
    )


def parse_event(body: bytes, *, received_at: datetime) -> tuple[str, Report | None]:
    """("challenge", None) for url_verification; ("", report) for an app mention; ("", None) for
    events that are not reports."""
    doc: Any = load_json(body)
    if not isinstance(doc, dict):
        raise InvalidPayload("expected a Slack Events API object")
    if doc.get("type") == "url_verification":
        challenge = doc.get("challenge")
        if not isinstance(challenge, str) or not challenge:
            raise InvalidPayload("url_verification without a challenge")
        return challenge, None
    event = doc.get("event")
    if doc.get("type") != "event_callback" or not isinstance(event, dict) or event.get("type") != "app_mention":
        return "", None
    return "", _report(
        team=str(doc.get("team_id") or event.get("team") or ""),
        channel=str(event.get("channel") or ""),
        ts=str(event.get("ts") or ""),
        user=str(event.get("user") or ""),
        text=str(event.get("text") or ""),
        received_at=received_at,
        note="mentioned the app in Slack",
    )


def parse_shortcut(body: bytes, *, received_at: datetime) -> Report | None:
    """A message shortcut posts application/x-www-form-urlencoded with one field, payload."""
    try:
        field = parse_qs(body.decode("utf-8"), strict_parsing=True, max_num_fields=20)["payload"][0]
    except (KeyError, ValueError, UnicodeDecodeError) as exc:
        raise MalformedBody("expected a form with a JSON payload field (a Slack interaction)") from exc
    payload = load_json(field)
    if not isinstance(payload, dict):
        raise InvalidPayload("the payload is not an object")
    if payload.get("type") != "message_action" or payload.get("callback_id") != SHORTCUT_CALLBACK:
        return None
    message, channel, team, user = (_object(payload.get(k)) for k in ("message", "channel", "team", "user"))
    return _report(
        team=str(team.get("id") or ""),
        channel=str(channel.get("id") or ""),
        ts=str(message.get("ts") or payload.get("message_ts") or ""),
        user=str(user.get("id") or ""),
        text=str(message.get("text") or ""),
        received_at=received_at,
        note="flagged a Slack message",
    )


def command_report(*, team: str, user: str, channel: str, text: str, key: str, received_at: datetime) -> Report:
    """A report typed into `/sharedwatch report ...` or the report modal: one per command (the
    trigger or view id), so Slack's retry of the same request stores one."""
    report = _report(
        team=team, channel="", ts="", user=user, text=text[:3000], received_at=received_at, note="reported in Slack"
    )
    bare = tuple(u.rstrip(".,;)") for u in _BARE_LINK.findall(text))  # Slack sends typed links unescaped
    return replace(
        report,
        urls=tuple(dict.fromkeys((*report.urls, *bare)))[:10],
        report_id="s" + key_for("report-slack-command", f"{team}:{user}:{key or text}")[:15],
        reporter_email=f"slack:{team}/{user}/{channel}",
    )
