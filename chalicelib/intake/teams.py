"""Teams: "Report to sharedwatch" on any message (a message extension's action command) becomes
a report. The message arrives as HTML; its text and links are taken, nothing else."""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

from chalicelib.errors import InvalidPayload
from chalicelib.records import Report
from chalicelib.triage.identity import key_for

COMMAND = "reportToSharedwatch"
_TAG = re.compile(r"<[^>]{0,2000}>")
_HREF = re.compile(r"""href=["'](https?://[^"'\s>]{1,2000})["']""", re.IGNORECASE)
_URGENT = re.compile(r"\b(urgent|asap|crisis|emergency)\b", re.IGNORECASE)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_message_action(value: Any, *, conversation: str, reporter_email: str, received_at: datetime) -> Report | None:
    """The invoke's value ({commandId, commandContext, messagePayload, data}); None when it is not
    our command. One report per Teams message, however often it is reported."""
    doc = _object(value)
    if doc.get("commandId") != COMMAND:
        return None
    message = _object(doc.get("messagePayload"))
    content = str(_object(message.get("body")).get("content") or "")[:20_000]
    message_id = str(message.get("id") or "")
    if not message_id:
        raise InvalidPayload("value.messagePayload.id: the reported message")
    links = list(dict.fromkeys(_HREF.findall(content)))
    text = " ".join(html.unescape(_TAG.sub(" ", content)).split())
    note = " ".join(str(_object(doc.get("data")).get("note") or "").split())[:500]
    link = str(message.get("linkToMessage") or "")
    urls = tuple(u for u in (*links, link) if u.startswith("https://"))[:10]
    return Report(
        report_id="t" + key_for("report-teams", f"{conversation}:{message_id}")[:15],
        channel="teams",
        text=(f"{note} — " if note else "") + (text[:3000] or "Flagged in Teams without text"),
        received_at=received_at,
        urls=urls,
        urgency="urgent" if _URGENT.search(f"{note} {text}") else "normal",
        reporter_email=reporter_email,
        subject="flagged a Teams message",
    )
