"""The /report form: stateless CSRF tokens, a honeypot, and validation that keeps what the
employee typed so a mistake loses nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.errors import Forbidden, InvalidPayload
from chalicelib.i18n import ENGLISH, N_, Reader
from chalicelib.records import URGENCIES, Report
from chalicelib.triage.identity import key_for, normalize_platform

TOKEN_TTL_SECONDS = 4 * 3600
TEXT_LIMIT = 5000
HONEYPOT = "website"
PLATFORMS = ("x", "facebook", "instagram", "tiktok", "linkedin", "youtube", "reddit", "news", "review-site", "other")
# How the form names them: brands as they are, the rest translated where shown.
PLATFORM_NAMES = {
    "x": "X",
    "facebook": "Facebook",
    "instagram": "Instagram",
    "tiktok": "TikTok",
    "linkedin": "LinkedIn",
    "youtube": "YouTube",
    "reddit": "Reddit",
    "news": N_("News"),
    "review-site": N_("Review site"),
    "other": N_("Other"),
}
URGENCY_NAMES = {"low": N_("low"), "normal": N_("normal"), "urgent": N_("urgent")}
_URL = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def issue_token(*, key: bytes, now: datetime) -> str:
    """A form token: a random nonce and the time it was issued, signed with the app's key.
    The nonce also makes the tracking id, so a double submit stores one report."""
    return token_with_nonce(key=key, nonce=os.urandom(12), now=now)


def token_with_nonce(*, key: bytes, nonce: bytes, now: datetime) -> str:
    """A form token around a given nonce (12 bytes): the drill runner fixes it per step, so a
    step's report sent twice is one report, as a double submit is."""
    payload = nonce[:12] + struct.pack(">Q", int(now.timestamp()))
    return f"{_b64(payload)}.{_b64(hmac.new(key, payload, hashlib.sha256).digest()[:16])}"


def check_token(token: str, *, key: bytes, now: datetime, reader: Reader = ENGLISH) -> bytes:
    """The nonce of a valid token; Forbidden (in the reader's language) when it is missing,
    forged or expired."""
    try:
        payload_text, signature_text = token.split(".", 1)
        payload, signature = _unb64(payload_text), _unb64(signature_text)
    except (ValueError, TypeError):
        refused = Forbidden(reader.gettext("the form token is missing or malformed: reload the form and send it again"))
        raise refused.for_reader(reader) from None
    expected = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    if len(payload) != 20 or not hmac.compare_digest(expected, signature):
        raise Forbidden(reader.gettext("the form token is not valid: reload the form and send it again")).for_reader(
            reader
        )
    (issued,) = struct.unpack(">Q", payload[12:])
    if not 0 <= now.timestamp() - issued <= TOKEN_TTL_SECONDS:
        expired = reader.gettext("the form has expired: reload it and send it again (your text is kept below)")
        raise Forbidden(expired).for_reader(reader)
    return payload[:12]


def tracking_id_for(nonce: bytes) -> str:
    return "r" + key_for("report-form", nonce.hex())[:15]


@dataclass(frozen=True, slots=True)
class FormInput:
    text: str = ""
    url: str = ""
    platform: str = ""
    department: str = ""
    urgency: str = "normal"
    email: str = ""
    anonymous: bool = False
    honeypot: str = ""
    token: str = ""
    drill: str = ""  # a drill's signed mark: the drill runner's, or a watchfulness exercise's link
    session_csrf: str = ""  # the form was shown to a signed-in person: their session's CSRF token

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> FormInput:
        return cls(
            text=fields.get("text", ""),
            url=fields.get("url", ""),
            platform=fields.get("platform", ""),
            department=fields.get("department", ""),
            urgency=fields.get("urgency", "normal") or "normal",
            email=fields.get("email", ""),
            anonymous=fields.get("anonymous", "") not in ("", "0", "false", "off"),
            honeypot=fields.get(HONEYPOT, ""),
            token=fields.get("csrf", ""),
            drill=fields.get("drill", "")[:40],
            session_csrf=fields.get("session_csrf", "")[:64],
        )


PREFILL_URL_LIMIT = 2000


def prefilled(query: Mapping[str, str]) -> FormInput:
    """The form as `/report?url=...&text=...` opens it (the bookmarklet, a shared link): what it
    brings is shown to be checked and sent, never sent by itself; validated when sent."""
    return FormInput(
        text=query.get("text", "")[:TEXT_LIMIT],
        url=" ".join(query.get("url", "")[:PREFILL_URL_LIMIT].split()),
        department=query.get("department", "")[:64],
        drill=query.get("drill", "")[:40],  # a watchfulness exercise's link; checked when sent
    )


def shared(*, title: str, text: str, url: str) -> FormInput:
    """The form a Web Share Target opens: Android sends the page's title, and its link in `url`
    or (often) inside `text`; the links go to the links field, the words to the text."""
    found = _URL.findall(text)
    links = [u for u in [*url.split(), *found] if _URL.fullmatch(u)]
    words = re.sub(r"[ \t]+", " ", _URL.sub(" ", text)) if found else text
    body = "\n".join(part for part in (" ".join(title.split()), words.strip()) if part)
    return prefilled({"text": body, "url": " ".join(dict.fromkeys(links))})


def validate(form: FormInput, *, reader: Reader = ENGLISH) -> dict[str, str]:
    """Problems by field name, in the reader's language; empty when the report can be stored."""
    problems: dict[str, str] = {}
    text = form.text.strip()
    if not text:
        problems["text"] = reader.gettext("Tell us what you saw.")
    elif len(text) > TEXT_LIMIT:
        problems["text"] = reader.ngettext(
            "Please keep it under %(limit)s characters (%(num)s now).",
            "Please keep it under %(limit)s characters (%(num)s now).",
            len(text),
            limit=reader.number(TEXT_LIMIT),
        )
    elif "\x00" in text:
        problems["text"] = reader.gettext("The text contains binary data.")
    urls = form.url.split()
    if len(urls) > 10 or any(not _URL.fullmatch(u) for u in urls):
        problems["url"] = reader.gettext("Links must start with http:// or https:// (up to 10, separated by spaces).")
    if form.urgency not in URGENCIES:
        problems["urgency"] = reader.gettext("Choose low, normal or urgent.")
    if form.platform and normalize_platform(form.platform) not in PLATFORMS:
        problems["platform"] = reader.gettext("Choose a platform from the list.")
    if len(form.department) > 64:
        problems["department"] = reader.gettext("Keep the department under 64 characters.")
    if form.email and not form.anonymous and not _EMAIL.match(form.email.strip()):
        problems["email"] = reader.gettext("That does not look like an email address.")
    return problems


def to_report(
    form: FormInput,
    *,
    tracking_id: str,
    received_at: datetime,
    drill: str = "",
    signed_in_as: str = "",
    language: str = "",
) -> Report:
    """The report a form files. Its address is the sender's own only when they are signed in as
    it (`signed_in_as`, from the session the form was sent with): a typed address is anyone's."""
    problems = validate(form)
    if problems:
        raise InvalidPayload("; ".join(f"{k}: {v}" for k, v in problems.items()), extra={"errors": problems})
    text = form.text.strip()
    email = "" if form.anonymous else form.email.strip().lower()
    return Report(
        report_id=tracking_id,
        channel="web",
        text=text,
        received_at=received_at,
        urls=tuple(dict.fromkeys(form.url.split() + _URL.findall(text))),
        platform=normalize_platform(form.platform),
        department=form.department.strip(),
        urgency=form.urgency,  # type: ignore[arg-type]  # validated above
        reporter_email=email,
        reporter_proof="signed in" if email and email == signed_in_as.strip().lower() else "",
        drill=drill,
        language=language,
    )


def is_bot(form: FormInput) -> bool:
    return bool(form.honeypot.strip())


SENTIMENT_NAMES = {
    "negative": N_("negative"),
    "neutral": N_("neutral"),
    "positive": N_("positive"),
    "unscored": N_("unscored"),
}
SEVERITY_NAMES = {"low": N_("low"), "medium": N_("medium"), "high": N_("high"), "critical": N_("critical")}
# The reasons chalicelib.triage.severity gives a report's text (it has no author, reach or
# engagement); any other is shown as it comes.
_REASON_NAMES = {"negative": N_("negative"), "strongly negative": N_("strongly negative")}
_REASON_TERM = re.compile(r"^risk term '(?P<term>.*)'$")
_REASON_PRESS = re.compile(r"^press interest \('(?P<term>.*)'\)$")


def _reason(reason: str, *, reader: Reader) -> str:
    if reason in _REASON_NAMES:
        return reader.gettext(_REASON_NAMES[reason])
    if found := _REASON_TERM.match(reason):
        return reader.gettext("risk term '%(term)s'", term=found["term"])
    if found := _REASON_PRESS.match(reason):
        return reader.gettext("press interest ('%(term)s')", term=found["term"])
    return reason


def first_reading(report: Report, *, reader: Reader = ENGLISH) -> str:
    """The triage of a report's own text as its receipt and status page say it, in the reader's
    language; "" for a report stored before reports were triaged."""
    if not report.severity:
        return ""
    label = report.sentiment_label or "unscored"
    reading = reader.gettext(
        "%(sentiment)s, severity %(severity)s",
        sentiment=reader.gettext(SENTIMENT_NAMES.get(label, label)),
        severity=reader.gettext(SEVERITY_NAMES.get(report.severity, report.severity)),
    )
    if report.severity_reasons:
        reasons = reader.list([_reason(r, reader=reader) for r in report.severity_reasons])
        reading = reader.gettext("%(reading)s (%(reasons)s)", reading=reading, reasons=reasons)
    if report.departments:
        about = reader.list(list(report.departments))
        reading = reader.gettext("%(reading)s; about %(departments)s", reading=reading, departments=about)
    return reading
