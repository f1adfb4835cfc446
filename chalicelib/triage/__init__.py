"""Pure triage: no boto3, no Chalice. `triage_text` is the whole pipeline for one text: language,
sentiment, departments, risk terms, severity with its reasons, and the cluster key."""

from __future__ import annotations

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

__all__ = [
    "DEFAULT_THRESHOLDS",
    "FALLBACK_DEPARTMENT",
    "Triage",
    "forget",
    "severity_thresholds",
    "triage_for",
    "triage_mention",
    "triage_mentions",
    "triage_text",
]


def forget() -> None:
    """Drop what this process remembers of the words, hashtags and links it has read, as a new
    process starts (a benchmark's rounds each start from here, or a replay would be flattered)."""
    from chalicelib.triage import identity, taxonomy

    sentiment.forget()
    identity.forget()
    taxonomy.forget()


def severity_thresholds() -> Thresholds:
    from chalicelib.settings import get_settings

    return Thresholds.parse(get_settings().severity_thresholds)
