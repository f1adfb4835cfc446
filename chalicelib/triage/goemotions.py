"""A small sentiment model learned from people, for the posts VADER is unsure about.

GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0: goemotions-LICENSE.md beside
this file) is 58k Reddit comments people labelled with emotions; `make model`
(bench/train_sentiment.py) fits a logistic regression over their words and word pairs and keeps
the 4,000 that weigh most (goemotions.json, about 150 KB). Reading a post is a dictionary lookup
per word and pair and a softmax: pure Python, nothing downloaded, the file read on first use."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import NamedTuple

from chalicelib.triage.tokens import tokenize

MODEL_PATH = Path(__file__).with_name("goemotions.json")


class Model(NamedTuple):
    classes: tuple[str, ...]
    bias: tuple[float, ...]
    weights: dict[str, tuple[float, ...]]


_NEGATIONS = frozenset({"not", "no", "never", "nothing", "nobody", "none", "cannot", "without", "nor"})
NEGATED_WORDS = 3  # a negation's reach: "not bad at all" is not "bad"


def features(lowered_or_tokens: str | list[str]) -> list[str]:
    """A post's words (no handles) and its adjacent word pairs, as the model was trained on them:
    triage's own tokens of the lower-cased text, the few words after a negation marked as negated
    ("not bad": "bad" counts as "~bad", which the model learned apart)."""
    tokens = tokenize(lowered_or_tokens.lower()) if isinstance(lowered_or_tokens, str) else lowered_or_tokens
    words: list[str] = []
    reach = 0
    for t in tokens:
        if t[0] == "@":
            continue
        if t in _NEGATIONS or t.endswith("n't") or (t.endswith("nt") and t[:-2] in _CONTRACTED):
            words.append(t)
            reach = NEGATED_WORDS
        elif reach:
            words.append("~" + t)
            reach -= 1
        else:
            words.append(t)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


_CONTRACTED = frozenset(
    {"don", "doesn", "didn", "isn", "wasn", "aren", "weren", "haven", "hasn", "won", "can", "couldn"}
)


@lru_cache(maxsize=1)
def model() -> Model:
    doc = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    return Model(
        tuple(doc["classes"]),
        tuple(float(b) for b in doc["bias"]),
        {feature: tuple(w) for feature, w in doc["weights"].items()},
    )


def probabilities(tokens: list[str]) -> dict[str, float]:
    """Class -> probability for a post's tokens (its words read once each, as in training)."""
    m = model()
    scores = list(m.bias)
    weights = m.weights
    for feature in set(features(tokens)):
        w = weights.get(feature)
        if w is not None:
            for i, value in enumerate(w):
                scores[i] += value
    top = max(scores)
    exps = [math.exp(s - top) for s in scores]
    total = sum(exps)
    return {c: e / total for c, e in zip(m.classes, exps, strict=True)}


def read(tokens: list[str], *, sure: float) -> tuple[str, float] | None:
    """The model's label and its probability when it is at least `sure`, else None."""
    probs = probabilities(tokens)
    label = max(probs, key=probs.__getitem__)
    return (label, probs[label]) if probs[label] >= sure else None
