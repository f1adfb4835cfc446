"""triage_ratio and triage_per_core: the whole pipeline (language, sentiment, taxonomy, risk,
severity, MinHash sketch and cluster key) against VADER alone on the same 14,640 texts, same run,
one core, triage compiled by mypyc when it is built, as it is deployed (infra/native.py; the note
says which); triage_ratio_s140 and triage_per_core_s140 the same on Sentiment140's 498
hand-labelled test tweets (general posts, not to an airline), read 20 times over. Interleaved
rounds; the best of each is taken (the machine is shared). Each round starts from a process that
has read nothing: what triage remembers of words and links is dropped first, or the rounds after
the first would read only words already seen."""

from __future__ import annotations

import time

from bench import airline
from bench.harness import Figure, scaled

NEEDS = (airline.TWEETS,)
ROUNDS = scaled(7, 1)  # the best of each: the machine is shared, interference only ever adds time


def run() -> list[Figure]:
    if not airline.available():
        return []
    from bench.eval_triage import s140

    rows = airline.rows()
    figures = _measure([r["text"] for r in rows], [f"x:{r['tweet_id']}" for r in rows], suffix="")
    general = [text for text, _ in s140()]
    if general:
        figures += _measure(general, [f"x:s{n}" for n in range(len(general))], suffix="_s140", repeats=S140_REPEATS)
    return figures


S140_REPEATS = scaled(20, 2)  # 498 tweets are too few to time alone: read 20 times, each a first reading


def _measure(texts: list[str], identities: list[str], *, suffix: str, repeats: int = 1) -> list[Figure]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from chalicelib.triage import forget, triage_text

    analyzer = SentimentIntensityAnalyzer()
    triage_text("warm up", identity="x:0")
    vader_best = pipeline_best = float("inf")
    pairs = list(zip(texts, identities, strict=True))
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(repeats):
            for text in texts:
                analyzer.polarity_scores(text)
        vader_best = min(vader_best, time.perf_counter() - started)
        started = time.perf_counter()
        for _ in range(repeats):
            forget()  # each reading a first one, as a new process's: no word or link seen before
            for text, identity in pairs:
                triage_text(text, identity=identity)
        pipeline_best = min(pipeline_best, time.perf_counter() - started)
    count = len(texts) * repeats
    per_second = count / pipeline_best
    from infra import native

    how = "compiled by mypyc" if native.built() else "plain Python"
    corpus = f"Sentiment140 texts ({len(texts)}, {repeats} times)" if suffix else "airline texts"
    return [
        Figure(
            f"triage_ratio{suffix}",
            round(pipeline_best, 3),
            "s",
            round(vader_best, 3),
            round(pipeline_best / vader_best, 3),
            "<= 1.3",
            f"{count} {corpus}, triage {how}; VADER alone {count / vader_best:.0f}/s",
        ),
        Figure(
            f"triage_per_core{suffix}",
            round(per_second),
            "1/s",
            20000.0,
            round(per_second / 20000, 3),
            ">= 1.0",
            f"mentions triaged per second on one core ({corpus}, {how}); target 20,000",
        ),
    ]
