"""Records to models and back, including from the raw images a DynamoDB Stream carries."""

from __future__ import annotations

import base64
import json
import zlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

from chalicelib.policy.search import inbox_keys, mention_terms, report_terms
from chalicelib.records import PROOFS, Author, Mention, Proof, Report, Urgency
from chalicelib.store.models import MentionModel, ReportModel


def mention_to_model(m: Mention) -> MentionModel:
    """The model of the item `mention_item` writes (one definition of what a mention stores)."""
    return MentionModel.from_raw_data(mention_item(m))


def _inbox(m: Mention) -> tuple[str, str, str]:
    hour, key = inbox_keys(received_at=m.received_at.astimezone(UTC), item_id=m.mention_id)
    fields = {**m.routing_fields(), "author": m.author.handle}
    return hour, key, mention_terms(fields)


def _utc(at: datetime) -> str:
    # PynamoDB's UTCDateTimeAttribute format, so either path reads what the other wrote.
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f+0000")


# Left out of a mention's item while they hold their default (the model and the readers below
# read the default back): every byte of an item counts towards its write units, and most posts
# have no url, region, risk term, enrichment or praise.
_DEFAULTS: dict[str, dict[str, Any]] = {
    "platform": {"S": ""},
    "external_id": {"S": ""},
    "url": {"S": ""},
    "author_handle": {"S": ""},
    "author_name": {"S": ""},
    "author_verified": {"BOOL": False},
    "lang": {"S": ""},
    "brand": {"S": ""},
    "region": {"S": ""},
    "needs_enrichment": {"BOOL": False},
    "departments": {"L": []},
    "risk_terms": {"L": []},
    "severity_reasons": {"L": []},
    "kudos": {"BOOL": False},
    "complaint": {"BOOL": False},
    "cluster_key": {"S": ""},
}


def _raw_dictionary(m: Mention) -> bytes:
    """What a payload usually repeats of its own mention, as zlib's preset dictionary: a post's
    payload is mostly its text, ids, author and times (about 290 bytes compress to about 45
    against it, to 230 without). Built only from fields stored beside it, in the form they are
    stored (the time in UTC), so reading it back needs nothing else."""
    fields = {
        "id": m.external_id,
        "platform": m.platform,
        "url": m.url,
        "author": {"handle": m.author.handle, "name": m.author.name},
        "published_at": m.published_at.astimezone(UTC).isoformat(),
        "brand": m.brand,
        "lang": m.lang,
        "region": m.region,
        "text": m.text,
    }
    return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()


def pack_raw(m: Mention) -> bytes:
    packer = zlib.compressobj(9, zdict=_raw_dictionary(m))
    return packer.compress(m.raw.encode()) + packer.flush()


def unpack_raw(m: Mention, packed: bytes | str) -> str:
    """The payload `pack_raw` stored (a stream image's binary arrives base64-encoded)."""
    unpacker = zlib.decompressobj(zdict=_raw_dictionary(m))
    blob = base64.b64decode(packed) if isinstance(packed, str) else bytes(packed)
    return (unpacker.decompress(blob) + unpacker.flush()).decode()


def mention_item(m: Mention) -> dict[str, Any]:
    """A mention's DynamoDB item, built directly: ingest serialises every mention of every
    batch, and PynamoDB's model round trip is 5x slower (a unit test holds the readers of both
    to the same mention). Defaults are left out and the payload is stored packed (`pack_raw`),
    so a post's item is under 1 KB, one write unit, where it took two."""
    item = {
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
        **({"rawz": {"B": pack_raw(m)}} if m.raw else {}),
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
    return {k: v for k, v in item.items() if _DEFAULTS.get(k) != v}


def _number(value: float) -> str:
    # PynamoDB's NumberAttribute serialises with json.dumps, so a float 0.0 is "0.0".
    return json.dumps(value)


def mention_from_model(row: MentionModel) -> Mention:
    engagement = row.engagement if isinstance(row.engagement, dict) else {}
    mention = Mention(
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
        raw=row.raw or "",
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
    return replace(mention, raw=unpack_raw(mention, row.rawz)) if row.rawz else mention


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
    mention = Mention(
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
    packed = image.get("rawz", {}).get("B")
    return replace(mention, raw=unpack_raw(mention, packed)) if packed else mention


def report_from_image(image: dict[str, Any]) -> Report:
    return report_from_model(ReportModel.from_raw_data(image))
