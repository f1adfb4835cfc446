"""Pure typed records: what every source and intake channel produces, and what routing reads."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Urgency = Literal["low", "normal", "urgent"]
URGENCIES: tuple[Urgency, ...] = ("low", "normal", "urgent")
ReportStatus = Literal["received", "quarantined"]
REPORT_STATUSES: tuple[ReportStatus, ...] = ("received", "quarantined")
Channel = Literal["web", "email", "slack", "teams"]
CHANNELS: tuple[Channel, ...] = ("web", "email", "slack", "teams")
# How a report's address was shown to be its sender's: then the report is theirs (it is in their
# GET /api/me/reports). Empty: the address was typed by whoever filed it (anyone can type a
# colleague's), so the report is nobody's own until the link mailed to that address is followed.
Proof = Literal["", "signed in", "company mail", "confirmation link"]
PROOFS: tuple[Proof, ...] = ("", "signed in", "company mail", "confirmation link")


@dataclass(frozen=True, slots=True)
class Author:
    handle: str = ""
    name: str = ""
    followers: int = 0
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Mention:
    mention_id: str  # deterministic: derived from identity, so redeliveries collapse
    identity: str  # "x:1893021" or a canonical URL
    source: str  # the source slug that delivered it first
    platform: str
    external_id: str
    url: str
    text: str
    author: Author
    published_at: datetime
    received_at: datetime
    lang: str = ""
    brand: str = ""
    region: str = ""  # where the author or post is, as the source says it (e.g. "us", "uk")
    engagement: dict[str, int] = field(default_factory=dict)
    delivery_id: str = ""
    raw: str = ""  # the payload as received, size-capped
    # The platform sent ids only (Instagram mentions, Meta's changed_fields): the text is to be
    # fetched from its API later.
    needs_enrichment: bool = False
    # Triage, filled in at the edge before storing (chalicelib.triage.triage_mention).
    sentiment_label: str = ""
    sentiment_score: float = 0.0
    departments: tuple[str, ...] = ()
    risk_terms: tuple[str, ...] = ()
    severity: str = ""
    severity_reasons: tuple[str, ...] = ()
    kudos: bool = False
    complaint: bool = False  # a customer reporting a problem, politely or not (triage/complaint.py)
    cluster_key: str = ""
    drill: str = ""  # the drill that sent it: shown as DRILL, never counted in baselines or ledgers

    kind: Literal["mention"] = "mention"

    def routing_fields(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "source": self.source,
            "platform": self.platform,
            "text": self.text,
            "lang": self.lang,
            "brand": self.brand,
            "region": self.region,
            "reach": self.author.followers,
            "sentiment": self.sentiment_label,
            "sentiment_score": self.sentiment_score,
            "severity": self.severity or "low",
            "departments": self.departments,
            "department": self.departments[0] if self.departments else "",
            "kudos": self.kudos,
            "complaint": self.complaint,
            "risk": bool(self.risk_terms),
        }


@dataclass(frozen=True, slots=True)
class Report:
    report_id: str  # the tracking id the reporter sees
    channel: Channel
    text: str
    received_at: datetime
    urls: tuple[str, ...] = ()
    platform: str = ""
    department: str = ""
    urgency: Urgency = "normal"
    reporter_email: str = ""  # empty when anonymous: no identity is kept anywhere
    reporter_proof: Proof = ""  # how reporter_email was shown to be the sender's ("": it was not)
    subject: str = ""
    status: ReportStatus = "received"
    quarantine_reason: str = ""
    drill: str = ""  # the drill that sent it (a marker only the app can sign)
    language: str = ""  # the reporter's language when they filed it: their receipts and outcomes are in it
    # Triage of the report's own text, as a mention's (chalicelib.triage.triage_report).
    sentiment_label: str = ""
    sentiment_score: float = 0.0
    departments: tuple[str, ...] = ()  # what the text is about (`department` is the reporter's)
    risk_terms: tuple[str, ...] = ()
    severity: str = ""
    severity_reasons: tuple[str, ...] = ()

    kind: Literal["report"] = "report"

    @property
    def urgency_counts(self) -> bool:
        """Whether "urgent" may page anyone: a public form can be sent by anybody, so from the web
        only a signed-in reporter's (or the app's own drill's) urgency routes; mail and Slack
        reach us authenticated (unauthenticated mail is quarantined)."""
        return self.channel != "web" or self.reporter_proof == "signed in" or bool(self.drill)

    @property
    def routed_urgency(self) -> Urgency:
        """The urgency routing reads: as recorded, except an "urgent" that does not count (normal)."""
        return "normal" if self.urgency == "urgent" and not self.urgency_counts else self.urgency

    @property
    def anonymous(self) -> bool:
        return not self.reporter_email

    @property
    def owner(self) -> str:
        """Whose own report this is ("" for nobody's: anonymous, or an address not shown to be the sender's)."""
        return self.reporter_email if self.reporter_proof else ""

    def routing_fields(self) -> dict[str, Any]:
        urgency = self.routed_urgency
        # An urgent report is as severe as a high mention until triage of its story says more;
        # its text's own triage may say more already.
        by_urgency = "high" if urgency == "urgent" else "medium" if urgency == "normal" else "low"
        departments = tuple(dict.fromkeys(d for d in (self.department, *self.departments) if d))
        return {
            "kind": self.kind,
            "source": self.channel,
            "channel": self.channel,
            "platform": self.platform,
            "text": self.text,
            "department": departments[0] if departments else "",
            "departments": departments,
            "urgency": urgency,
            "sentiment": self.sentiment_label,
            "sentiment_score": self.sentiment_score,
            "risk": bool(self.risk_terms),
            "severity": _more_severe(by_urgency, self.severity or "low"),
        }


Signal = Mention | Report
_LEVELS = ("low", "medium", "high", "critical")


def _more_severe(level: str, other: str) -> str:
    rank = {name: i for i, name in enumerate(_LEVELS)}
    return level if rank.get(level, 0) >= rank.get(other, 0) else other


def delivery_key(what: str) -> str:
    """A delivery's id in the delivery log (store/models.DeliveryModel): the same message to the
    same audience always gets the same id, so it is claimed and sent once. The hash is
    triage.identity.key_for's in the "delivery" namespace, which made every id stored so far."""
    digest = hashlib.sha256(f"delivery\x00{what}".encode()).digest()
    return base64.b32encode(digest[:15]).decode().lower()


@dataclass(frozen=True, slots=True)
class Notification:
    """One message for one stakeholder group about one stored signal."""

    delivery_id: str
    group: str
    subject: str
    email: str
    sms: str
    reasons: tuple[str, ...]
    item_kind: str  # mention | report | bundle | incident | alarm | digest
    item_id: str
    severity: str = ""
    incident_id: str = ""
    # The one language of this version of the message ("": one message for every member); a
    # member's subscription filter takes theirs (policy/noise.member_filter).
    lang: str = ""
    # The single notices this one stands for (a bundle's: each story's own delivery id for the
    # group): claimed with it, so a retry that plans them one by one finds them told.
    covers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IngestResult:
    received: int
    stored: int
    duplicates: int
    ids: tuple[str, ...] = ()
    sources_added: int = 0  # duplicates from a source the stored mention did not have yet
