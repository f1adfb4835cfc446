"""A small sentiment model learned from people, for the posts VADER is unsure about.

GoEmotions (Demszky et al., ACL 2020; Google Research; CC BY 4.0: goemotions-LICENSE.md beside
this file) is 58k Reddit comments people labelled with emotions; `make model`
(bench/train_sentiment.py) fits a logistic regression over their words and word pairs and keeps
the 4,000 that weigh most (goemotions.json, 125 KB). Reading a post is a dictionary lookup
per word and pair and a softmax: pure Python, nothing downloaded, the file read on first use."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib.resources import files
from itertools import pairwise
from pathlib import Path
from typing import Final, NamedTuple

from chalicelib.triage.tokens import tokenize

# Not __file__: compiled (infra/native.py), a module's __file__ names another folder.
MODEL_PATH: Final = Path(str(files("chalicelib.triage") / "goemotions.json"))


class Model(NamedTuple):
    classes: tuple[str, ...]
    bias: tuple[float, float, float]
    words: dict[str, tuple[float, float, float]]  # a word -> its weight per class
    pairs: dict[str, dict[str, tuple[float, float, float]]]  # first word -> second word -> weights
    known: frozenset[str]  # the words with a weight
    openers: frozenset[str]  # the first words of the pairs with a weight


_NEGATIONS: Final = frozenset({"not", "no", "never", "nothing", "nobody", "none", "cannot", "without", "nor"})
_CONTRACTED: Final = frozenset(
    {"don", "doesn", "didn", "isn", "wasn", "aren", "weren", "haven", "hasn", "won", "can", "couldn"}
)
NEGATED_WORDS: Final = 3  # a negation's reach: "not bad at all" is not "bad"


_NEGATION_FORMS: Final = _NEGATIONS | {c + "nt" for c in _CONTRACTED}


def _words(tokens: list[str], lowered: str | None = None) -> list[str]:
    """The tokens the model reads: no handles, and the few words after a negation marked as
    negated ("not bad": "bad" counts as "~bad", which the model learned apart). `lowered`, the
    text, when the caller has it: most posts hold no negation and skip the marking."""
    if lowered is not None and "n't" not in lowered and _NEGATION_FORMS.isdisjoint(tokens):
        return [t for t in tokens if t[0] != "@"]
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
    return words


def features(lowered_or_tokens: str | list[str]) -> list[str]:
    """A post's words and adjacent word pairs, as the model was trained on them: triage's own
    tokens of the lower-cased text (see _words)."""
    tokens = tokenize(lowered_or_tokens.lower()) if isinstance(lowered_or_tokens, str) else lowered_or_tokens
    words = _words(tokens)
    return words + [f"{a} {b}" for a, b in pairwise(words)]


@lru_cache(maxsize=1)
def model() -> Model:
    doc = json.loads(MODEL_PATH.read_text(encoding="utf-8"))
    words: dict[str, tuple[float, float, float]] = {}
    pairs: dict[str, dict[str, tuple[float, float, float]]] = {}
    for feature, (w0, w1, w2) in doc["weights"].items():
        first, _, second = feature.partition(" ")
        if second:
            pairs.setdefault(first, {})[second] = (w0, w1, w2)
        else:
            words[feature] = (w0, w1, w2)
    b0, b1, b2 = doc["bias"]
    return Model(tuple(doc["classes"]), (b0, b1, b2), words, pairs, frozenset(words), frozenset(pairs))


def probabilities(tokens: list[str], *, lowered: str | None = None) -> dict[str, float]:
    """Class -> probability for a post's tokens: each word and each pair counted once, as in
    training; pairs are looked up word by word (no strings built for the many that are not kept)."""
    m = model()
    s0, s1, s2 = m.bias
    words = _words(tokens, lowered)
    present = set(words)
    for word in m.known & present:  # the few of its words the model knows, found by set intersection
        w = m.words[word]
        s0, s1, s2 = s0 + w[0], s1 + w[1], s2 + w[2]
    if not m.openers.isdisjoint(present):
        seen: set[tuple[str, str]] = set()
        for first, second in pairwise(words):
            following = m.pairs.get(first)
            if following is not None:
                w2 = following.get(second)
                if w2 is not None and (first, second) not in seen:
                    seen.add((first, second))
                    s0, s1, s2 = s0 + w2[0], s1 + w2[1], s2 + w2[2]
    top = max(s0, s1, s2)
    e0, e1, e2 = math.exp(s0 - top), math.exp(s1 - top), math.exp(s2 - top)
    total = e0 + e1 + e2
    return dict(zip(m.classes, (e0 / total, e1 / total, e2 / total), strict=True))


def read(tokens: list[str], *, sure: float, lowered: str | None = None) -> tuple[str, float] | None:
    """The model's label and its probability when it is at least `sure`, else None."""
    probs = probabilities(tokens, lowered=lowered)
    label = max(probs, key=probs.__getitem__)
    return (label, probs[label]) if probs[label] >= sure else None
