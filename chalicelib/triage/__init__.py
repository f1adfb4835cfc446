"""Pure triage: no boto3, no Chalice. `triage_text` is the whole pipeline for one text: language,
sentiment, departments, risk terms, severity with its reasons, and the cluster key."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.records import Report
from chalicelib.triage import sentiment
from chalicelib.triage.pipeline import (
    DEFAULT_THRESHOLDS,
    FALLBACK_DEPARTMENT,
    Triage,
    triage_for,
    triage_mention,
    triage_mentions,
    triage_text,
)
from chalicelib.triage.severity import Thresholds
from chalicelib.triage.taxonomy import Taxonomy

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FALLBACK_DEPARTMENT",
    "Triage",
    "forget",
    "severity_thresholds",
    "triage_for",
    "triage_mention",
    "triage_mentions",
    "triage_report",
    "triage_text",
]


def forget() -> None:
    """Drop what this process remembers of the words, hashtags, links and language answers it has
    read, as a new process starts (a benchmark's rounds each start from here, or a replay would be flattered)."""
    from chalicelib.triage import identity, language, taxonomy

    sentiment.forget()
    language.forget()
    identity.forget()
    taxonomy.forget()


def severity_thresholds() -> Thresholds:
    from chalicelib.settings import get_settings

    return Thresholds.parse(get_settings().severity_thresholds)


def triage_report(
    report: Report, *, taxonomy: Taxonomy | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Report:
    """The report with its own text triaged as a mention's is (sentiment, departments, risk terms,
    severity with its reasons); it has no author, reach or engagement, so those add nothing."""
    t = triage_text(
        report.text,
        identity=f"report:{report.report_id}",
        urls=report.urls,
        taxonomy=taxonomy,
        thresholds=thresholds,
    )
    return replace(
        report,
        sentiment_label=t.sentiment_label,
        sentiment_score=t.sentiment_score,
        departments=t.departments,
        risk_terms=tuple(term for terms in t.risks.values() for term in terms),
        severity=t.severity.level,
        severity_reasons=t.severity.reasons,
    )
