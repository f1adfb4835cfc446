"""Complaints: a customer reporting a problem, politely or not, apart from how they feel about it
("still no refund, please help" is polite and a complaint; "worst airline ever" is a complaint
with no problem named). Written from the domain: service-failure words and the ways people say
something did not happen or does not work, plurals and synonyms included; none fitted to labels.
A problem reported with strong praise beside it ("delayed, but the crew was amazing") is not."""

from __future__ import annotations

from chalicelib.triage.sentiment import STRONG_PRAISE_AT, Sentiment


def complaint_of(*, feeling: Sentiment) -> str:
    """Why this is a complaint ("" when it is not): the problem its reading found (sentiment.py
    reads problems.py's failure words and problem phrasing once, for both signals), or its negativity."""
    if feeling.label == "unscored" or feeling.score >= STRONG_PRAISE_AT:
        return ""  # not read, or praise strong enough to outweigh a problem told beside it
    if feeling.cue:
        return f"reports a problem ('{feeling.cue}')"
    return "negative about it" if feeling.label == "negative" else ""
