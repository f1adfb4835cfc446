"""Mail to the reports address, as SES delivers it: an SNS notification carrying the receipt
verdicts and the raw message. Spoofed or outside mail is stored quarantined, never routed."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import html
import re
from collections.abc import Sequence
from datetime import datetime
from email.message import Message
from email.utils import parseaddr
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.records import Report
from chalicelib.triage.identity import key_for

TEXT_LIMIT = 20_000
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.IGNORECASE)
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)
_URGENT = re.compile(r"\b(urgent|asap|crisis|emergency)\b", re.IGNORECASE)


def _verdict(receipt: dict[str, Any], name: str) -> str:
    value = receipt.get(name) or {}
    return str(value.get("status", "")).upper() if isinstance(value, dict) else ""


def quarantine_reason(receipt: dict[str, Any], sender: str, allowed_domains: Sequence[str]) -> str:
    """Empty when the mail may be routed; else why it may not."""
    for name in ("spamVerdict", "virusVerdict"):
        if _verdict(receipt, name) == "FAIL":
            return f"{name} is FAIL"
    if _verdict(receipt, "dmarcVerdict") == "FAIL":
        return "DMARC verdict is FAIL"
    if "PASS" not in (_verdict(receipt, "spfVerdict"), _verdict(receipt, "dkimVerdict")):
        return "neither SPF nor DKIM passed"
    domain = sender.rpartition("@")[2].lower()
    if domain not in allowed_domains:
        return f"sender domain {domain or '(none)'} is not a company domain"
    return ""


def sender_authenticated(receipt: dict[str, Any], sender: str, envelope: str) -> bool:
    """Whether the mail shows that its From address sent it, so the report is that person's own:
    DMARC passed (the From domain is the one SPF or DKIM authenticated) and the From address is
    the envelope sender SPF checked. Within the company domain, the company's own mail system
    (which signs it) keeps one employee from sending as another. Otherwise the receipt asks the
    address to confirm, as it does for the web form."""
    return _verdict(receipt, "dmarcVerdict") == "PASS" and bool(sender) and sender == envelope.strip().lower()


def _charset(name: str | None) -> str:
    label = (name or "utf-8").lower()
    # Mail labelled GB2312 routinely carries GBK/GB18030 characters.
    return "gb18030" if label in {"gb2312", "gbk", "x-gbk"} else label


def _decode_bytes(data: bytes, charset: str | None) -> str:
    try:
        return data.decode(_charset(charset), errors="replace")
    except LookupError:
        return data.decode("utf-8", errors="replace")


def decode_header_value(value: str) -> str:
    """An RFC 2047 header as text, whatever charset it claims (and however wrongly)."""
    try:
        parts = email.header.decode_header(value)
    except ValueError:
        return value
    return "".join(_decode_bytes(text, charset) if isinstance(text, bytes) else text for text, charset in parts).strip()


def _decode(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode_bytes(payload, part.get_content_charset())


def body_text(message: Message) -> str:
    plain: list[str] = []
    rich: list[str] = []
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(_decode(part))
        elif ctype == "text/html":
            rich.append(html.unescape(_TAG.sub(" ", _decode(part))))
    text = "\n".join(plain) if any(p.strip() for p in plain) else "\n".join(rich)
    return re.sub(r"[ \t]+", " ", re.sub(r"\n{3,}", "\n\n", text)).strip()


def parse_notification(
    notification: dict[str, Any], *, allowed_domains: Sequence[str], received_at: datetime
) -> Report:
    if notification.get("notificationType") != "Received":
        raise InvalidPayload(f"not an SES receipt notification: {notification.get('notificationType')!r}")
    mail = notification.get("mail") or {}
    receipt = notification.get("receipt") or {}
    content = notification.get("content")
    if not isinstance(content, str) or not mail.get("messageId"):
        raise InvalidPayload("the SES notification carries no message content (use the SNS action with content)")
    encoding = str((receipt.get("action") or {}).get("encoding", "UTF8")).upper()
    raw = base64.b64decode(content) if encoding == "BASE64" else content.encode("utf-8", errors="replace")
    message = email.message_from_bytes(raw, policy=email.policy.compat32)
    sender = parseaddr(str(message.get("From", "")))[1].lower() or str(mail.get("source", "")).lower()
    subject = decode_header_value(str(message.get("Subject", "")))
    text = body_text(message)[:TEXT_LIMIT] or subject or "(empty message)"
    reason = quarantine_reason(receipt, sender, allowed_domains)
    owned = not reason and sender_authenticated(receipt, sender, str(mail.get("source", "")))
    return Report(
        report_id="e" + key_for("report-email", str(mail["messageId"]))[:15],
        channel="email",
        text=text,
        received_at=received_at,
        urls=tuple(dict.fromkeys(_URL.findall(text)))[:20],
        urgency="urgent" if _URGENT.search(subject) else "normal",
        reporter_email=sender,
        reporter_proof="company mail" if owned else "",
        subject=subject[:300],
        status="quarantined" if reason else "received",
        quarantine_reason=reason,
    )
