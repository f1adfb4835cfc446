"""Records to models and back, including from the raw images a DynamoDB Stream carries."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from chalicelib.policy.search import inbox_keys, mention_terms, report_terms
from chalicelib.records import PROOFS, Author, Mention, Proof, Report, Urgency
from chalicelib.store.models import MentionModel, ReportModel


def mention_to_model(m: Mention) -> MentionModel:
    inbox_day, inbox_key, terms = _inbox(m)
    return MentionModel(
        mention_id=m.mention_id,
        identity=m.identity,
        source=m.source,
        sources={m.source},
        platform=m.platform,
        external_id=m.external_id,
        url=m.url,
        text=m.text,
        author_handle=m.author.handle,
        author_name=m.author.name,
        author_followers=m.author.followers,
        author_verified=m.author.verified,
        published_at=m.published_at,
        received_at=m.received_at,
        lang=m.lang,
        brand=m.brand,
        region=m.region,
        engagement=dict(m.engagement),
        delivery_id=m.delivery_id,
        raw=m.raw,
        needs_enrichment=m.needs_enrichment,
        sentiment_label=m.sentiment_label,
        sentiment_score=m.sentiment_score,
        departments=list(m.departments),
        risk_terms=list(m.risk_terms),
        severity=m.severity,
        severity_reasons=list(m.severity_reasons),
        kudos=m.kudos,
        complaint=m.complaint,
        cluster_key=m.cluster_key,
        drill=m.drill or None,
        inbox_day=inbox_day,
        inbox_key=inbox_key,
        terms=terms,
    )


def _inbox(m: Mention) -> tuple[str, str, str]:
    hour, key = inbox_keys(received_at=m.received_at.astimezone(UTC), item_id=m.mention_id)
    fields = {**m.routing_fields(), "author": m.author.handle}
    return hour, key, mention_terms(fields)


def _utc(at: datetime) -> str:
    # PynamoDB's UTCDateTimeAttribute format, so either path reads what the other wrote.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


def mention_item(m: Mention) -> dict[str, Any]:
    """The same DynamoDB item as `mention_to_model(m).serialize()`, built directly: ingest
    serialises every mention of every batch, and PynamoDB's model round trip is 5x slower.
    A unit test holds the two to the same output."""
    return {
        "mention_id": {"S": m.mention_id},
        "identity": {"S": m.identity},
        "source": {"S": m.source},
        "sources": {"SS": [m.source]},
        "platform": {"S": m.platform},
        "external_id": {"S": m.external_id},
        "url": {"S": m.url},
        "text": {"S": m.text},
        "author_handle": {"S": m.author.handle},
        "author_name": {"S": m.author.name},
        "author_followers": {"N": str(m.author.followers)},
        "author_verified": {"BOOL": m.author.verified},
        "published_at": {"S": _utc(m.published_at)},
        "received_at": {"S": _utc(m.received_at)},
        "lang": {"S": m.lang},
        "brand": {"S": m.brand},
        "region": {"S": m.region},
        "engagement": {"S": json.dumps(m.engagement)},
        "delivery_id": {"S": m.delivery_id},
        "raw": {"S": m.raw},
        "needs_enrichment": {"BOOL": m.needs_enrichment},
        "sentiment_label": {"S": m.sentiment_label},
        "sentiment_score": {"N": _number(m.sentiment_score)},
        "departments": {"L": [{"S": d} for d in m.departments]},
        "risk_terms": {"L": [{"S": t} for t in m.risk_terms]},
        "severity": {"S": m.severity},
        "severity_reasons": {"L": [{"S": r} for r in m.severity_reasons]},
        "kudos": {"BOOL": m.kudos},
        "complaint": {"BOOL": m.complaint},
        "cluster_key": {"S": m.cluster_key},
        **({"drill": {"S": m.drill}} if m.drill else {}),
        **dict(zip(("inbox_day", "inbox_key", "terms"), ({"S": v} for v in _inbox(m)), strict=True)),
    }


def _number(value: float) -> str:
    # PynamoDB's NumberAttribute serialises with json.dumps, so a float 0.0 is "0.0".
    return json.dumps(value)


def mention_from_model(row: MentionModel) -> Mention:
    engagement = row.engagement if isinstance(row.engagement, dict) else {}
    return Mention(
        mention_id=row.mention_id,
        identity=row.identity,
        source=row.source,
        platform=row.platform,
        external_id=row.external_id,
        url=row.url,
        text=row.text,
        author=Author(
            handle=row.author_handle,
            name=row.author_name,
            followers=int(row.author_followers),
            verified=bool(row.author_verified),
        ),
        published_at=row.published_at,
        received_at=row.received_at,
        lang=row.lang,
        brand=row.brand,
        region=row.region or "",
        engagement={str(k): int(v) for k, v in engagement.items()},
        delivery_id=row.delivery_id,
        raw=row.raw,
        needs_enrichment=bool(row.needs_enrichment),
        sentiment_label=row.sentiment_label,
        sentiment_score=float(row.sentiment_score),
        departments=tuple(str(d) for d in row.departments or ()),
        risk_terms=tuple(str(t) for t in row.risk_terms or ()),
        severity=row.severity,
        severity_reasons=tuple(str(r) for r in row.severity_reasons or ()),
        kudos=bool(row.kudos),
        complaint=bool(row.complaint),
        cluster_key=row.cluster_key,
        drill=row.drill or "",
    )


def report_to_model(r: Report, *, retention_days: int) -> ReportModel:
    inbox_day, inbox_key = inbox_keys(received_at=r.received_at.astimezone(UTC), item_id=r.report_id)
    return ReportModel(
        report_id=r.report_id,
        channel=r.channel,
        text=r.text,
        urls=list(r.urls),
        platform=r.platform,
        department=r.department,
        urgency=r.urgency,
        reporter_email=r.reporter_email,
        reporter_proof=r.reporter_proof or None,
        subject=r.subject,
        status=r.status,
        quarantine_reason=r.quarantine_reason,
        drill=r.drill or None,
        language=r.language or None,
        sentiment=r.sentiment_label or None,
        sentiment_score=r.sentiment_score if r.sentiment_label else None,
        text_departments=list(r.departments) or None,
        risk_terms=list(r.risk_terms) or None,
        severity=r.severity or None,
        severity_reasons=list(r.severity_reasons) or None,
        received_at=r.received_at,
        expires_at=r.received_at + timedelta(days=retention_days),
        inbox_day=inbox_day,
        inbox_key=inbox_key,
        terms=report_terms(r.routing_fields(), owner=r.owner, status=r.status),
    )


def proof_of(value: str | None) -> Proof:
    """A stored proof, or none for a value this version does not know."""
    return next((p for p in PROOFS if p == value), "")


def report_from_model(row: ReportModel) -> Report:
    return Report(
        report_id=row.report_id,
        channel=cast(Literal["web", "email", "slack", "teams"], row.channel),
        text=row.text,
        received_at=row.received_at,
        urls=tuple(str(u) for u in row.urls or ()),
        platform=row.platform,
        department=row.department,
        urgency=cast(Urgency, row.urgency),
        reporter_email=row.reporter_email,
        reporter_proof=proof_of(row.reporter_proof),
        subject=row.subject,
        status=cast(Literal["received", "quarantined"], row.status),
        quarantine_reason=row.quarantine_reason,
        drill=row.drill or "",
        language=row.language or "",
        sentiment_label=row.sentiment or "",
        sentiment_score=float(row.sentiment_score or 0.0),
        departments=tuple(str(d) for d in row.text_departments or ()),
        risk_terms=tuple(str(t) for t in row.risk_terms or ()),
        severity=row.severity or "",
        severity_reasons=tuple(str(r) for r in row.severity_reasons or ()),
    )


def _s(image: dict[str, Any], name: str) -> str:
    return str(image.get(name, {}).get("S", ""))


def _strings(image: dict[str, Any], name: str) -> tuple[str, ...]:
    return tuple(str(v.get("S", "")) for v in image.get(name, {}).get("L", []))


def _when(text: str) -> datetime:
    # PynamoDB's UTCDateTimeAttribute format ("…T10:00:00.000000+0000"), as _utc writes it.
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z").astimezone(UTC)


def mention_from_image(image: dict[str, Any]) -> Mention:
    """A mention from a stream record's image, read directly: the router reads one per record,
    and PynamoDB's model round trip costs several times more (a unit test holds the two equal)."""
    try:
        engagement = json.loads(_s(image, "engagement") or "{}")
    except ValueError:
        engagement = {}
    return Mention(
        mention_id=_s(image, "mention_id"),
        identity=_s(image, "identity"),
        source=_s(image, "source"),
        platform=_s(image, "platform"),
        external_id=_s(image, "external_id"),
        url=_s(image, "url"),
        text=_s(image, "text"),
        author=Author(
            handle=_s(image, "author_handle"),
            name=_s(image, "author_name"),
            followers=int(float(image.get("author_followers", {}).get("N", "0"))),
            verified=bool(image.get("author_verified", {}).get("BOOL", False)),
        ),
        published_at=_when(_s(image, "published_at")),
        received_at=_when(_s(image, "received_at")),
        lang=_s(image, "lang"),
        brand=_s(image, "brand"),
        region=_s(image, "region"),
        engagement={str(k): int(v) for k, v in engagement.items()} if isinstance(engagement, dict) else {},
        delivery_id=_s(image, "delivery_id"),
        raw=_s(image, "raw"),
        needs_enrichment=bool(image.get("needs_enrichment", {}).get("BOOL", False)),
        sentiment_label=_s(image, "sentiment_label"),
        sentiment_score=float(image.get("sentiment_score", {}).get("N", "0")),
        departments=_strings(image, "departments"),
        risk_terms=_strings(image, "risk_terms"),
        severity=_s(image, "severity"),
        severity_reasons=_strings(image, "severity_reasons"),
        kudos=bool(image.get("kudos", {}).get("BOOL", False)),
        complaint=bool(image.get("complaint", {}).get("BOOL", False)),
        cluster_key=_s(image, "cluster_key"),
        drill=_s(image, "drill"),
    )


def report_from_image(image: dict[str, Any]) -> Report:
    return report_from_model(ReportModel.from_raw_data(image))
