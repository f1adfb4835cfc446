"""Where triage's time goes, step by step, on the five corpora bench_triage times: µs a post for
each step (tokens, language, problems, sentiment, complaint, taxonomy, sketch, severity, cluster
key) beside VADER alone and the whole pipeline, the best of five readings, each a first reading
(what triage remembers is dropped first, as bench_triage does) or, with --warm, every word seen
before. Wall-clock, so run it on a quiet machine; a diagnosis, not a figure with a target.

    python -m bench.triage_stages [--warm]

The steps are called as pipeline.triage_text calls them (a Python loop around the compiled
functions: the sum of the steps is a little under the whole pipeline's time)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from bench.bench_triage import CORPORA

STEPS = ("tokens", "language", "problems", "sentiment", "complaint", "taxonomy", "sketch", "severity", "cluster key")
READINGS = 5


def _steps(texts: list[str], spent: list[float]) -> None:
    """One reading of the texts, each step's time added to `spent` (in STEPS' order)."""
    from chalicelib.triage import language, problems, sentiment
    from chalicelib.triage.complaint import complaint_of
    from chalicelib.triage.identity import cluster_key, sketch
    from chalicelib.triage.pipeline import DEFAULT_THRESHOLDS, FALLBACK_DEPARTMENT
    from chalicelib.triage.severity import assess
    from chalicelib.triage.taxonomy import default_taxonomy
    from chalicelib.triage.tokens import tokenize, unescape, word_forms

    clock = time.perf_counter
    tax = default_taxonomy()
    for n, raw in enumerate(texts):
        marks = [clock()]
        text = unescape(raw)
        lowered = text.lower()
        tokens = tokenize(lowered)
        words = set(tokens)
        marks.append(clock())
        lang = language.detect(text, "", words=words)
        marks.append(clock())
        if lang in {"en", "und"}:
            forms = word_forms(lowered, words)
            reported = problems.problem_of(lowered, forms)
            marks.append(clock())
            feeling = sentiment.analyse(text, words=words, lowered=lowered, tokens=tokens, reported=reported)
        else:
            forms, reported = words, ("", "")
            marks.append(clock())
            feeling = sentiment.Sentiment(0.0, "unscored", "unscored")
        marks.append(clock())
        complaint_of(feeling=feeling, problem=reported, lowered=lowered, forms=forms, tokens=tokens)
        marks.append(clock())
        found = tax.scan(text, tokens=tokens, words=words)
        if feeling.label == "negative":
            tax.complaint_departments(text, found, tokens=tokens, fallback=FALLBACK_DEPARTMENT)
        else:
            tax.departments(text, found, tokens=tokens)
        risks = tax.risks(text, found)
        marks.append(clock())
        text_sketch = sketch(text, tokens=tokens)
        marks.append(clock())
        assess(
            sentiment_label=feeling.label,
            sentiment_score=feeling.score,
            reach=0,
            engagement={},
            risks=risks,
            watched_author=False,
            similar_recent=0,
            thresholds=DEFAULT_THRESHOLDS,
        )
        marks.append(clock())
        cluster_key(identity=f"x:{n}", text=text, urls=(), text_sketch=text_sketch)
        marks.append(clock())
        for step in range(len(STEPS)):
            spent[step] += marks[step + 1] - marks[step]


def _best(run: Callable[[], object], readings: int) -> float:
    best = float("inf")
    for _ in range(readings):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main(warm: bool = False) -> None:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from chalicelib.triage import forget, triage_text

    analyzer = SentimentIntensityAnalyzer()
    triage_text("warm up", identity="x:0")
    print(f"µs a post, the best of {READINGS} readings, {'warm' if warm else 'each a first reading'}")
    for suffix, _, read in CORPORA:
        texts = read()[:10_000]
        if not texts:
            continue

        def whole(texts: list[str] = texts) -> None:
            if not warm:
                forget()
            for n, text in enumerate(texts):
                triage_text(text, identity=f"x:{n}")

        vader = _best(lambda texts=texts: [analyzer.polarity_scores(t) for t in texts], READINGS)
        pipeline = _best(whole, READINGS)
        best = [float("inf")] * len(STEPS)
        for _ in range(READINGS):
            if not warm:
                forget()
            spent = [0.0] * len(STEPS)
            _steps(texts, spent)
            best = [min(b, s) for b, s in zip(best, spent, strict=True)]
        per = 1e6 / len(texts)
        steps = ", ".join(f"{name} {t * per:.1f}" for name, t in zip(STEPS, best, strict=True))
        print(
            f"{suffix.removeprefix('_')}: VADER {vader * per:.1f}, triage {pipeline * per:.1f} "
            f"({pipeline / vader:.2f}x); {steps}"
        )


if __name__ == "__main__":
    main(warm="--warm" in sys.argv[1:])
