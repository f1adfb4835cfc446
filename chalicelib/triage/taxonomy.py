"""Departments and risk terms, matched as whole words or phrases, compiled once per process.

The taxonomy is data: per department, phrases, hashtags, handles and product names (and the
words that only imply it, read when a complaint names no topic), plus a risk lexicon in three
tiers. The default ships in taxonomy.json; admins store their own in the
config table and `compile_taxonomy` builds the matcher from either."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final, NamedTuple

from chalicelib.errors import InvalidPayload
from chalicelib.triage import sentiment
from chalicelib.triage.tokens import spell, tokenize

# Not __file__: compiled (infra/native.py), a module's __file__ names another folder.
DEFAULT_PATH: Final = Path(str(files("chalicelib.triage") / "taxonomy.json"))
RISK_TIERS: Final = ("critical", "high", "watch")
_RISK_KEYS: Final = tuple((tier, f"risk:{tier}") for tier in RISK_TIERS)


class DepartmentHit(NamedTuple):
    department: str
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Taxonomy:
    names: Mapping[str, str]
    priority: tuple[str, ...]
    # Every term of every department and risk tier, looked up by the text's word n-grams: one
    # tokenisation and a few dict lookups per word, whatever the size of the taxonomy.
    owners: Mapping[str, tuple[str, ...]]  # normalised term -> departments and "risk:<tier>"
    longest: int  # words in the longest phrase
    openers: frozenset[str]  # first words of the multi-word phrases
    prefixes: frozenset[str]  # the phrases' first two words, first three words, ...
    single: frozenset[str]  # the one-word terms
    rank: Mapping[str, int]  # department -> its place in the priority order
    implied: Mapping[str, str]  # word -> the department it implies when a complaint names no topic
    watched: frozenset[str] = frozenset()  # handles (no @, lower case) whose posts weigh more
    vocabulary: frozenset[str] = frozenset()  # the words hashtags are spelled out in: the departments' own too

    def scan(  # noqa: C901 (per mention, a loop over tokens: inlined, not split, for speed)
        self, text: str, *, tokens: list[str] | None = None, words: set[str] | None = None
    ) -> dict[str, set[str]]:
        """Owner (department slug or risk:<tier>) -> the distinct terms of it found in the text
        (`words`: the tokens' set, when the caller has it)."""
        toks = tokenize(text.lower()) if tokens is None else tokens
        present = set(toks) if words is None else words
        found: dict[str, set[str]] = {}
        owners = self.owners
        for word in present & self.single:  # the few words that are terms, not every word
            for owner in owners[word]:
                found.setdefault(owner, set()).add(word)
        if "#" in text:  # a tag names a topic too ("#delay", "#lostbag", "#HourDelay"); risks stay as listed
            for word in hashtag_words(toks, self.vocabulary) & self.single:
                for owner in owners[word]:
                    if not owner.startswith("risk:"):
                        found.setdefault(owner, set()).add(word)
        openers, prefixes = self.openers, self.prefixes
        if openers.isdisjoint(present):  # no phrase can start anywhere
            return found
        for i, word in enumerate(toks):
            if word in openers:
                term = word
                for following in toks[i + 1 : i + self.longest]:
                    term = f"{term} {following}"
                    for owner in owners.get(term, ()):
                        found.setdefault(owner, set()).add(term)
                    if term not in prefixes:  # no longer phrase starts this way
                        break
        return found

    def departments(
        self, text: str, found: Mapping[str, set[str]] | None = None, *, tokens: list[str] | None = None
    ) -> list[DepartmentHit]:
        """Departments a text is about, the one it is most about first: the most words matched
        (a phrase counts its words: "customer service" says more than "service"), then the one
        named first (people lead with what went wrong: "lost my bag, on hold two hours"), then
        the priority order."""
        scanned = self.scan(text, tokens=tokens) if found is None else found
        hits = [
            DepartmentHit(d, _maximal(t) if len(t) > 1 else tuple(t))
            for d, t in scanned.items()
            if not d.startswith("risk:")
        ]
        if len(hits) > 1:
            toks = tokenize(text.lower()) if tokens is None else tokens
            rank = self.rank
            hits.sort(
                key=lambda h: (
                    -sum(term.count(" ") + 1 for term in h.terms),
                    min(_first_at(term, toks) for term in h.terms),
                    rank.get(h.department, 99),
                )
            )
        return hits

    def complaint_departments(
        self, text: str, found: Mapping[str, set[str]] | None = None, *, tokens: list[str] | None = None, fallback: str
    ) -> list[DepartmentHit]:
        """Where a complaint goes: the departments it names, else the one its words imply, else
        `fallback` (customer care answers a complaint with no topic)."""
        hits = self.departments(text, found, tokens=tokens)
        if hits:
            return hits
        implied = self.implied_by(tokenize(text.lower()) if tokens is None else tokens)
        return [implied if implied is not None else DepartmentHit(fallback, ())]

    def implied_by(self, tokens: list[str]) -> DepartmentHit | None:
        """The department a complaint that names no department's topic is still about, by the
        words that imply one ("still sitting here, no flight until Monday": the flight itself,
        operations'), the one implied first; None when nothing does."""
        implied = self.implied
        if not implied:
            return None
        for token in tokens:
            department = implied.get(token)
            if department is not None:
                return DepartmentHit(department, tuple(sorted({t for t in tokens if implied.get(t) == department})))
        return None

    def risks(self, text: str, found: Mapping[str, set[str]] | None = None) -> dict[str, tuple[str, ...]]:
        scanned = self.scan(text) if found is None else found
        return {tier: tuple(sorted(scanned[key])) for tier, key in _RISK_KEYS if key in scanned}


_SPACES: Final = re.compile(r"\s+")


def hashtag_words(tokens: list[str], vocabulary: frozenset[str]) -> set[str]:
    """The words of a text's hashtags: each tag without its sign, and spelled out when known
    words cover all of it ("#lostbag": lost, bag; "#filthyplane": filthy, plane)."""
    words: set[str] = set()
    for token in tokens:
        if token[0] == "#" and len(token) > 1:
            words.update(_spelled(token[1:], vocabulary))
    return words


@lru_cache(maxsize=4096)
def _spelled(tag: str, vocabulary: frozenset[str]) -> tuple[str, ...]:
    return (tag, *spell(tag, vocabulary))


def forget() -> None:
    """Drop the remembered hashtag spellings."""
    _spelled.cache_clear()


def _first_at(term: str, tokens: list[str]) -> int:
    """Where a term first starts among the tokens (len(tokens) if it does not)."""
    if " " not in term:
        return tokens.index(term) if term in tokens else len(tokens)
    words = term.split()
    first, n = words[0], len(words)
    for i, token in enumerate(tokens):
        if token == first and tokens[i : i + n] == words:
            return i
    return len(tokens)


def _maximal(terms: set[str]) -> tuple[str, ...]:
    """ "hours on hold" counts once, not also as "on hold" and "hold"."""
    return tuple(sorted(t for t in terms if not any(t != o and f" {t} " in f" {o} " for o in terms)))


def _strings(value: Any, path: str) -> list[str]:
    """A list of words or phrases, or the problem that says where it is not."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidPayload(f"{path}: a list of strings")
    return value


def _add_department(slug: str, spec: Any, *, owners: dict[str, list[str]], implied: dict[str, str]) -> None:
    """One department's terms into `owners` and its implied words into `implied`."""
    if not isinstance(spec, dict):
        raise InvalidPayload(f"departments.{slug}: an object")
    kinds = ("phrases", "hashtags", "handles", "products")
    terms = [t for key in kinds for t in _strings(spec.get(key), f"departments.{slug}.{key}")]
    if not terms:
        raise InvalidPayload(f"departments.{slug}: at least one phrase, hashtag, handle or product")
    for term in terms:
        owners.setdefault(_SPACES.sub(" ", term.strip().lower()), []).append(slug)
    for given in _strings(spec.get("implied"), f"departments.{slug}.implied"):
        word = given.strip().lower()
        if not word or " " in word:
            raise InvalidPayload(f"departments.{slug}.implied: single words ('{given}' is not one)")
        if implied.setdefault(word, slug) != slug:
            raise InvalidPayload(f"departments.{slug}.implied: '{word}' already implies {implied[word]}")


def compile_taxonomy(doc: Any) -> Taxonomy:
    if not isinstance(doc, Mapping):
        raise InvalidPayload("a taxonomy is a JSON object: {departments, risk, priority, watched}")
    departments = doc.get("departments")
    if not isinstance(departments, dict) or not departments:
        raise InvalidPayload(
            "a taxonomy needs departments: {slug: {name, phrases, hashtags, handles, products, implied}}"
        )
    owners: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    implied: dict[str, str] = {}
    for slug, spec in departments.items():
        _add_department(str(slug), spec, owners=owners, implied=implied)
        names[str(slug)] = str(spec.get("name") or slug)
    risk = doc.get("risk") or {}
    if not isinstance(risk, dict):
        raise InvalidPayload("risk: an object of tiers (critical, high, watch)")
    for tier in RISK_TIERS:
        for term in _strings(risk.get(tier), f"risk.{tier}"):
            owners.setdefault(_SPACES.sub(" ", str(term).strip().lower()), []).append(f"risk:{tier}")
    priority = tuple(_strings(doc.get("priority"), "priority")) or tuple(names)
    longest = max((len(t.split()) for t in owners), default=1)
    openers = frozenset(t.split()[0] for t in owners if " " in t)
    watched_doc = doc.get("watched") or {}
    handles = watched_doc.get("handles", []) if isinstance(watched_doc, dict) else []
    if not isinstance(handles, list) or not all(isinstance(h, str) for h in handles):
        raise InvalidPayload("watched.handles: a list of handles")
    return Taxonomy(
        watched=frozenset(h.strip().lstrip("@").lower() for h in handles if h.strip()),
        names=names,
        priority=priority,
        owners={k: tuple(v) for k, v in owners.items() if k},
        longest=longest,
        openers=openers,
        prefixes=frozenset(" ".join(t.split()[:n]) for t in owners if " " in t for n in range(2, len(t.split()))),
        single=frozenset(t for t in owners if t and " " not in t),
        rank={d: i for i, d in enumerate(priority)},
        implied=implied,
        vocabulary=sentiment.vocabulary()
        | frozenset(w for t in owners if not t.startswith("#") for w in t.split() if w.isalpha() and len(w) > 1),
    )


@lru_cache(maxsize=1)
def default_taxonomy() -> Taxonomy:
    return compile_taxonomy(json.loads(DEFAULT_PATH.read_text(encoding="utf-8")))
