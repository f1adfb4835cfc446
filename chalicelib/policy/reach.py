"""Reaching people, not topics: who gets a brief, a stakeholder update or a statement on which
channel, how the recipients are cut into SES calls, and what the reads add up to. Pure: the
sending is notify/people_mail.py, the storing store/reach.py.

A person is reached on the channels they have (policy/directory.channels: email with an
address, SMS with a phone they chose), minus an address SES reported bouncing or complaining
(suppressed). Mail goes in batches of at most 50 destinations per SendBulkTemplatedEmail call,
one template per language, so each person reads the headings and the button in their own
language and the times in their own zone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.i18n import supported
from chalicelib.policy.directory import channels

SES_BATCH = 50  # SendBulkTemplatedEmail takes at most 50 destinations a call
DEFAULT_REMINDER_MINUTES = 60
NO_DEPARTMENT = "-"  # the department of people the directory gives none


@dataclass(frozen=True, slots=True)
class Message:
    """A brief, a stakeholder update or a statement, as it is sent to people. Section headings
    are catalogue msgids (each reader gets them in their language); the texts are as approved."""

    incident_id: str
    message_id: str
    kind: str  # brief | update | statement
    title: str
    sections: tuple[tuple[str, str], ...]
    sms: str
    drill: bool = False


@dataclass(frozen=True, slots=True)
class Recipient:
    person_id: str
    email: str  # "" when mail is not a channel for them
    phone: str  # "" when SMS is not
    department: str
    language: str  # a shipped language (the catalogues'), English otherwise
    zone: str
    name: str = ""

    def short(self) -> dict[str, str]:
        """What a delivery row keeps of a recipient (to send again, or to remind)."""
        return {
            "id": self.person_id,
            "email": self.email,
            "phone": self.phone,
            "dept": self.department,
            "lang": self.language,
            "zone": self.zone,
            "name": self.name,
        }

    @classmethod
    def of(cls, short: Mapping[str, Any]) -> Recipient:
        return cls(
            person_id=str(short["id"]),
            email=str(short.get("email") or ""),
            phone=str(short.get("phone") or ""),
            department=str(short.get("dept") or NO_DEPARTMENT),
            language=str(short.get("lang") or "en"),
            zone=str(short.get("zone") or "UTC"),
            name=str(short.get("name") or ""),
        )


def recipients(
    people: Iterable[Mapping[str, Any]], *, suppressed: frozenset[str] = frozenset(), only: frozenset[str] | None = None
) -> list[Recipient]:
    """The active people (of `only`, addresses, when a group names its people) with a channel
    left, each once: a suppressed address loses the mail channel, and a person left with none
    is not a recipient."""
    found: dict[str, Recipient] = {}
    for doc in people:
        person_id = str(doc.get("id") or "")
        mail = str(doc.get("email") or "").lower()
        if not person_id or doc.get("disabled") or person_id in found:
            continue
        if only is not None and mail not in only:
            continue
        have = channels(doc)
        email = mail if "email" in have and mail not in suppressed else ""
        phone = str(doc.get("phone") or "") if "sms" in have else ""
        if not email and not phone:
            continue
        found[person_id] = Recipient(
            person_id=person_id,
            email=email,
            phone=phone,
            department=str(doc.get("department") or "") or NO_DEPARTMENT,
            language=supported(str(doc.get("language") or "")),
            zone=str(doc.get("timezone") or "UTC"),
            name=str(doc.get("name") or "")[:120],
        )
    return sorted(found.values(), key=lambda r: r.person_id)


@dataclass(frozen=True, slots=True)
class Batch:
    channel: str  # "email" | "sms"
    language: str
    number: int  # the batch's place in the send: part of its delivery id
    people: tuple[Recipient, ...]


def batches(people: Sequence[Recipient], *, size: int = SES_BATCH) -> list[Batch]:
    """Mail by language in batches of `size` (one SES call each), SMS in batches of `size` (a
    publish each, one delivery row a batch). Deterministic: the same people give the same
    batches, so a send repeated after a failure claims the same delivery rows."""
    out: list[Batch] = []
    for channel in ("email", "sms"):
        by_language: dict[str, list[Recipient]] = {}
        for r in people:
            if (r.email if channel == "email" else r.phone) != "":
                by_language.setdefault(r.language if channel == "email" else "-", []).append(r)
        for language in sorted(by_language):
            group = by_language[language]
            for i in range(0, len(group), size):
                out.append(Batch(channel, language, len(out), tuple(group[i : i + size])))
    return out


def sent_by_department(people: Iterable[Recipient]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in people:
        counts[r.department] = counts.get(r.department, 0) + 1
    return counts


# Reads ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rate:
    department: str
    sent: int
    read: int

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.sent) if self.sent else 0


@dataclass(frozen=True, slots=True)
class Reach:
    """One message's reach, folded from its aggregate item."""

    message_id: str
    kind: str
    title: str
    sent_at: datetime
    drill: bool
    departments: tuple[Rate, ...]
    sent: int
    read: int
    by_minute: Mapping[int, int] = field(default_factory=dict)  # reads in each minute after sending
    reminded: int = 0

    @property
    def percent(self) -> int:
        return round(100 * self.read / self.sent) if self.sent else 0

    def minutes_to(self, fraction: float) -> int | None:
        """Minutes from sending until this fraction of the recipients had read it; None if not yet."""
        return minutes_to(self.by_minute, sent=self.sent, fraction=fraction)


def minutes_to(by_minute: Mapping[int, int], *, sent: int, fraction: float) -> int | None:
    if sent <= 0:
        return None
    need, seen = fraction * sent, 0
    for minute in sorted(by_minute):
        seen += by_minute[minute]
        if seen >= need:
            return minute + 1  # a read in minute m (from m to m+1) counts as m+1 minutes
    return None


def fold(item: Mapping[str, Any], doc: Mapping[str, Any]) -> Reach:
    """A message's aggregate (numbers `s|<dept>`, `r|<dept>`, `m|<minute>`) as rates by department."""
    sent = {k[2:]: int(v) for k, v in item.items() if k.startswith("s|")}
    read = {k[2:]: int(v) for k, v in item.items() if k.startswith("r|")}
    minutes = {int(k[2:]): int(v) for k, v in item.items() if k.startswith("m|") and k[2:].isdigit()}
    rates = tuple(Rate(d, sent.get(d, 0), min(read.get(d, 0), sent.get(d, 0))) for d in sorted(set(sent) | set(read)))
    return Reach(
        message_id=str(doc.get("message_id", "")),
        kind=str(doc.get("kind", "brief")),
        title=str(doc.get("title", "")),
        sent_at=datetime.fromisoformat(str(doc["sent_at"])),
        drill=bool(doc.get("drill")),
        departments=rates,
        sent=sum(sent.values()),
        read=min(sum(read.values()), sum(sent.values())),
        by_minute=minutes,
        reminded=int(item.get("reminded", 0)),
    )


def read_minute(*, sent_at: datetime, now: datetime) -> int:
    """The minute after sending a read falls in (its bucket in the aggregate)."""
    return max(0, int((now - sent_at).total_seconds() // 60))


def reminder_at(*, sent_at: datetime, minutes: int | None, pace: float = 1.0) -> datetime | None:
    """When non-readers are reminded: the plan's delay, else the default; 0 means never. A
    drill's plan runs at its pace (60: a minute in a second), its reminder too."""
    delay = DEFAULT_REMINDER_MINUTES if minutes is None else minutes
    return sent_at + timedelta(minutes=delay / max(pace, 1.0)) if delay > 0 else None


def not_read(people: Iterable[Recipient], readers: frozenset[str]) -> list[Recipient]:
    """Who is reminded: the recipients who have not said they read it."""
    return [r for r in people if r.person_id not in readers]


def suppressions(notification: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(address, why) for each address an SES event notification says must not be mailed again:
    a permanent bounce or a complaint. A transient bounce (a full mailbox) suppresses nothing."""
    kind = str(notification.get("eventType") or notification.get("notificationType") or "")
    found: list[tuple[str, str]] = []
    if kind == "Bounce":
        bounce = notification.get("bounce") if isinstance(notification.get("bounce"), dict) else {}
        assert isinstance(bounce, dict)
        if bounce.get("bounceType") != "Permanent":
            return []
        for r in bounce.get("bouncedRecipients") or []:
            if isinstance(r, dict) and r.get("emailAddress"):
                found.append((str(r["emailAddress"]), f"bounce: {bounce.get('bounceSubType') or 'permanent'}"))
    elif kind == "Complaint":
        complaint = notification.get("complaint") if isinstance(notification.get("complaint"), dict) else {}
        assert isinstance(complaint, dict)
        for r in complaint.get("complainedRecipients") or []:
            if isinstance(r, dict) and r.get("emailAddress"):
                found.append((str(r["emailAddress"]), "complaint"))
    return [(a.strip().lower()[:254], why) for a, why in found if "@" in a]
