"""The one way in for mentions, whichever door they came through (a webhook, a pull target,
any future source): triage, the language backends, storage at the floor and the metrics (the
router counts what was new and runs the live spike check, from the stream). Sources only verify and parse; employee
reports are stored through `take_report` with their metrics."""

from __future__ import annotations

from collections.abc import Sequence

from chalicelib.comprehend import score_foreign
from chalicelib.observability import emit_counts, logger
from chalicelib.records import IngestResult, Mention, Report
from chalicelib.store.config import current_taxonomy
from chalicelib.store.ingest import ingest_mentions, store_report
from chalicelib.triage import severity_thresholds, triage_mentions, triage_report


def ingest(mentions: Sequence[Mention], *, source: str, way: str) -> IngestResult:
    """Triage, score and store a source's mentions; `way` is "push" or "pull" (for metrics).
    Raises StoreUnavailable when DynamoDB keeps failing: the sender or the poller retries."""
    taxonomy, _ = current_taxonomy()
    triaged = triage_mentions(mentions, taxonomy=taxonomy, thresholds=severity_thresholds())
    result = ingest_mentions(score_foreign(triaged))
    emit_counts(
        {"MentionsReceived": result.received, "MentionsStored": result.stored, "MentionDuplicates": result.duplicates},
        dimensions={"source": source, "way": way},
    )
    logger.info(
        "mentions ingested",
        extra={
            "source": source,
            "way": way,
            "received": result.received,
            "stored": result.stored,
            "duplicates": result.duplicates,
        },
    )
    return result


def take_report(report: Report) -> bool:
    """Triage an employee's report's text and store it once (False: this tracking id was stored
    before)."""
    stored = store_report(report if report.severity else triaged(report))
    emit_counts({"ReportsReceived": 1, "ReportsStored": int(stored)}, dimensions={"channel": report.channel})
    logger.info("report taken", extra={"channel": report.channel, "stored": stored, "status": report.status})
    return stored


def triaged(report: Report) -> Report:
    """The report with its own text triaged as a mention's is, with the current taxonomy."""
    taxonomy, _ = current_taxonomy()
    return triage_report(report, taxonomy=taxonomy, thresholds=severity_thresholds())
