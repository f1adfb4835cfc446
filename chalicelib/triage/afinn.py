"""AFINN-165 (Finn Årup Nielsen, ODbL 1.0; afinn-en-165.txt and afinn-LICENSE.md beside this
file), a lexicon rated by one person on -5..+5 from tweets: the second opinion sentiment asks where
VADER is unsure (sentiment.AFINN_NEGATIVE_AT says how negative is clearly negative)."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path
from typing import Final

# Not __file__: compiled (infra/native.py), a module's __file__ names another folder.
_PACKAGE: Final = Path(str(files("chalicelib.triage")))


def _read_afinn() -> tuple[dict[str, int], dict[str, tuple[tuple[re.Pattern[str], tuple[str, ...], int], ...]]]:
    """AFINN's words, and its few phrases by their first word."""
    words: dict[str, int] = {}
    phrases: dict[str, list[tuple[re.Pattern[str], tuple[str, ...], int]]] = {}
    for line in _PACKAGE.joinpath("afinn-en-165.txt").read_text(encoding="utf-8").splitlines():
        term, _, value = line.rpartition("\t")
        parts = tuple(term.split())
        if len(parts) == 1:
            words[term] = int(value)
        elif parts:
            # "(?<!\w)" + the phrase, looked behind from after its first letter: searched from each one
            phrase = r"\s+".join(map(re.escape, parts))
            pattern = re.compile(
                re.escape(parts[0][0]) + r"(?<!\w.)" + phrase.removeprefix(re.escape(parts[0][0])) + r"(?!\w)"
            )
            phrases.setdefault(parts[0], []).append((pattern, parts, int(value)))
    return words, {first: tuple(found) for first, found in phrases.items()}


_AFINN_WORDS, _AFINN_PHRASES = _read_afinn()
_AFINN_TERMS: Final = frozenset(_AFINN_WORDS)
_AFINN_OPENERS: Final = frozenset(_AFINN_PHRASES)
_NEGATORS: Final = frozenset({"not", "no", "never", "without", "nothing"})


# The two words after a negation. Every negation but "without" starts with an n: one pattern that
# starts with that letter lets the regex engine skip to each n (three times faster than one
# alternation of them all, which tries every position).
_NEGATED: Final = re.compile(r"n(?:(?<=\bn)(?:ot|o|ever|othing)|'t)\s+(\w+)(?:\s+(\w+))?")
_WITHOUT: Final = re.compile(r"w(?<!\w.)ithout\s+(\w+)(?:\s+(\w+))?")  # "(?<!\w)without": searched from each w


def _negated(lowered: str) -> set[str]:
    out = {w for m in _NEGATED.finditer(lowered) for w in m.groups() if w}
    if "without" in lowered:
        out.update(w for m in _WITHOUT.finditer(lowered) for w in m.groups() if w)
    return out


def score(lowered: str, words: set[str]) -> int:
    """AFINN-165's sum over a text's distinct words; a phrase it lists ("fed up", "does not
    work") counts instead of its words. AFINN knows no negation: a word a negation stands
    before ("not bad", "no worries", "not a problem") counts nothing."""
    found = words & _AFINN_TERMS
    if found and ("n't" in lowered or not words.isdisjoint(_NEGATORS)):
        found -= _negated(lowered)  # the next two words
    total = sum(_AFINN_WORDS[w] for w in found)
    for first in words & _AFINN_OPENERS:
        for pattern, parts, value in _AFINN_PHRASES[first]:
            if pattern.search(lowered):
                total += value - sum(_AFINN_WORDS.get(p, 0) for p in set(parts) & words)
    return total
