"""The pipeline one text passes through: language, sentiment, complaint, departments, risk terms,
severity with its reasons, and the cluster key (compiled by mypyc: infra/native.py)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Final, NamedTuple

from chalicelib.records import Mention
from chalicelib.triage import language, problems, sentiment
from chalicelib.triage.complaint import complaint_of
from chalicelib.triage.identity import cluster_key, sketch
from chalicelib.triage.severity import Severity, Thresholds, assess
from chalicelib.triage.taxonomy import Taxonomy, default_taxonomy
from chalicelib.triage.tokens import tokenize, unescape, word_forms

FALLBACK_DEPARTMENT: Final = "customer-care"
DEFAULT_THRESHOLDS: Final = Thresholds()


class Triage(NamedTuple):  # built for every mention: a tuple is cheaper than a frozen dataclass
    lang: str
    sentiment_score: float
    sentiment_label: str
    sentiment_reason: str
    complaint: str  # why it is a complaint ("" when it is not)
    departments: tuple[str, ...]
    department_terms: Mapping[str, tuple[str, ...]]
    risks: Mapping[str, tuple[str, ...]]
    severity: Severity
    kudos: bool
    cluster_key: str
    sketch: tuple[int, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "lang": self.lang,
            "sentiment": {
                "score": self.sentiment_score,
                "label": self.sentiment_label,
                "reason": self.sentiment_reason,
            },
            "departments": list(self.departments),
            "department_terms": {k: list(v) for k, v in self.department_terms.items()},
            "risk_terms": {k: list(v) for k, v in self.risks.items()},
            "severity": {
                "level": self.severity.level,
                "points": self.severity.points,
                "reasons": list(self.severity.reasons),
                "summary": self.severity.summary,
            },
            "kudos": self.kudos,
            "complaint": {"is": bool(self.complaint), "reason": self.complaint},
            "cluster_key": self.cluster_key,
            "sketch": [f"{h:08x}" for h in self.sketch],
        }


def triage_text(  # noqa: PLR0913 (keyword-only: what triage reads of a post besides its text)
    text: str,
    *,
    identity: str,
    lang_hint: str = "",
    reach: int = 0,
    engagement: Mapping[str, int] | None = None,
    urls: tuple[str, ...] = (),
    watched_author: bool = False,
    similar_recent: int = 0,
    taxonomy: Taxonomy | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Triage:
    tax = taxonomy or default_taxonomy()
    text = unescape(text)  # read as typed: "&lt;3" is a heart (most posts hold no "&" and pass untouched)
    lowered = text.lower()
    tokens = tokenize(lowered)  # one tokenisation for every step
    words = set(tokens)
    lang = language.detect(text, lang_hint, words=words)
    if lang in {"en", "und"}:
        forms = word_forms(lowered, words)
        reported = problems.problem_of(lowered, forms)  # read once, for sentiment and the complaint
        feeling = sentiment.analyse(text, words=words, lowered=lowered, tokens=tokens, reported=reported)
    else:  # VADER reads English; other languages wait for the Comprehend backend or a person
        # Shown and routed as unscored, never as neutral: an angry post in Hebrew is not calm.
        forms, reported = words, ("", "")
        feeling = sentiment.Sentiment(0.0, "unscored", f"unscored: language '{lang}' is not scored here")
    grievance = complaint_of(feeling=feeling, problem=reported, lowered=lowered, forms=forms, tokens=tokens)
    found = tax.scan(text, tokens=tokens, words=words)
    if feeling.label == "negative":  # a complaint goes somewhere, named or not ("still sitting here": operations)
        hits = tax.complaint_departments(text, found, tokens=tokens, fallback=FALLBACK_DEPARTMENT)
    else:
        hits = tax.departments(text, found, tokens=tokens)
    departments = tuple([h.department for h in hits])
    terms = {h.department: h.terms for h in hits}
    risks = tax.risks(text, found)
    text_sketch = sketch(text, tokens=tokens)
    severity = assess(
        sentiment_label=feeling.label,
        sentiment_score=feeling.score,
        reach=reach,
        engagement=engagement or {},
        risks=risks,
        watched_author=watched_author,
        similar_recent=similar_recent,
        thresholds=thresholds,
    )
    kudos = feeling.label == "positive" and bool(hits)
    key = cluster_key(identity=identity, text=text, urls=urls, text_sketch=text_sketch)
    # Its fields in their order (Triage's), as a tuple: Triage(lang=..., ...) runs the NamedTuple's __new__,
    # interpreted Python called with keywords (half a µs a post, a hundredth of the pipeline).
    score, label, reason = feeling.score, feeling.label, feeling.reason
    return tuple.__new__(
        Triage, (lang, score, label, reason, grievance, departments, terms, risks, severity, kudos, key, text_sketch)
    )


def triage_for(
    mention: Mention,
    *,
    taxonomy: Taxonomy | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    similar_recent: int = 0,
) -> Triage:
    """The triage of a mention's text with everything the mention knows about its author."""
    tax = taxonomy or default_taxonomy()
    return triage_text(
        mention.text,
        identity=mention.identity,
        lang_hint=mention.lang,
        reach=mention.author.followers,
        engagement=mention.engagement,
        urls=(mention.url,) if mention.url else (),
        watched_author=bool(mention.author.handle) and mention.author.handle.lower() in tax.watched,
        similar_recent=similar_recent,
        taxonomy=tax,
        thresholds=thresholds,
    )


def triage_mention(
    mention: Mention, *, taxonomy: Taxonomy | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> Mention:
    """The mention with its triage recorded on it (an ids-only mention waits for its text)."""
    if not mention.text:
        return mention
    t = triage_for(mention, taxonomy=taxonomy, thresholds=thresholds)
    return replace(
        mention,
        lang=mention.lang or (t.lang if t.lang != "und" else ""),
        sentiment_label=t.sentiment_label,
        sentiment_score=t.sentiment_score,
        departments=t.departments,
        risk_terms=tuple(term for terms in t.risks.values() for term in terms),
        severity=t.severity.level,
        severity_reasons=t.severity.reasons,
        kudos=t.kudos,
        complaint=bool(t.complaint),
        cluster_key=t.cluster_key,
    )


def triage_mentions(
    mentions: Sequence[Mention], *, taxonomy: Taxonomy | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> list[Mention]:
    return [triage_mention(m, taxonomy=taxonomy, thresholds=thresholds) for m in mentions]
