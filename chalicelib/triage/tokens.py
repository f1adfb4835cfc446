"""The one tokenisation every triage step reads: lower-case words, hashtags and handles with
their sign ("#fail", "@delta"), "wi-fi" and "can't" whole, links left out (their pieces are
neither words nor topics, and a repost's copy of a link may differ)."""

from __future__ import annotations

import html
import re
from typing import Final

TOKEN: Final = re.compile(r"[#@]?\w++(?:[-']\w++)*+")  # possessive: nothing to give back, less to try
# A text all in ASCII (most posts) is tokenised without the pattern's scan: every character no
# token holds (not a letter, digit, "_", "#", "@", "-" or "'") becomes a space in one bytes
# translation, and a piece between spaces is a token when it is all letters and digits; only
# the rest ("#fail", "can't", "--", "a_b") go through the pattern, in its ASCII form. The same
# tokens: the pattern matches none of the characters made spaces.
ASCII_TOKEN: Final = re.compile(TOKEN.pattern, re.ASCII)
_NOT_IN_TOKENS: Final = bytes(c for c in range(128) if not (chr(c).isalnum() or chr(c) in "_#@-'"))
_SPACED: Final = bytes.maketrans(_NOT_IN_TOKENS, b" " * len(_NOT_IN_TOKENS))
LINK: Final = re.compile(r"https?://\S+")


def word_set(words: str) -> frozenset[str]:
    """A set of words written out as one string, separated by spaces (long lists stay readable)."""
    return frozenset(words.split())


def tokenize(lowered: str) -> list[str]:
    """The words of an already lower-cased text."""
    text = LINK.sub(" ", lowered) if "http" in lowered else lowered
    if not text.isascii():
        return TOKEN.findall(text)
    tokens: list[str] = []
    for piece in text.encode().translate(_SPACED).decode().split():
        if piece.isalnum():
            tokens.append(piece)
        else:
            tokens.extend(ASCII_TOKEN.findall(piece))
    return tokens


# Character references, with their semicolon (html.unescape alone would also read "&not" in
# "&notice" as "¬"): X escapes "&", "<" and ">" in every post's text, feeds and export tools
# send "&#39;" and "&quot;", and "&lt;3" is a heart.
_ENTITY: Final = re.compile(r"&(?:[a-z]{2,8}|#\d{1,7}|#x[0-9a-f]{1,6});", re.IGNORECASE)


def unescape(text: str) -> str:
    """The text as its author typed it, whatever way in escaped it for HTML on the way."""
    return _ENTITY.sub(lambda m: html.unescape(m.group(0)), text) if "&" in text else text


class Phrases:
    """Fixed phrases found by one scan of a lower-cased text, tried only when its words hold a
    phrase's last word in one of its forms ("no answers", "how does"): most posts hold none and
    are spared the scan. `also`: longer forms a phrase matches inside ("no info" in "no
    information")."""

    __slots__ = ("_ends", "_pattern")

    def __init__(self, phrases: tuple[str, ...], *, also: tuple[str, ...] = ()) -> None:
        self._pattern = re.compile("|".join(map(re.escape, phrases)))
        self._ends = frozenset(p.split()[-1] + end for p in phrases for end in ("", "s", "es")) | frozenset(also)

    def first(self, lowered: str, words: set[str] | frozenset[str]) -> str:
        """The first phrase in the text ("" if none)."""
        if words.isdisjoint(self._ends):
            return ""
        found = self._pattern.search(lowered)
        return found.group(0) if found else ""


SPELLED_LONGEST: Final = 15  # the longest word a hashtag is spelled in
# Each vocabulary's words' beginnings, up to SPELLED_LONGEST letters (a process spells in two).
_BEGINNINGS: Final[dict[frozenset[str], frozenset[str]]] = {}


def _beginnings(vocabulary: frozenset[str]) -> frozenset[str]:
    found = _BEGINNINGS.get(vocabulary)
    if found is None:
        if len(_BEGINNINGS) >= 4:  # bounded, though each caller spells in the one vocabulary
            _BEGINNINGS.clear()
        found = frozenset([w[:end] for w in vocabulary for end in range(1, min(len(w), SPELLED_LONGEST) + 1)])
        _BEGINNINGS[vocabulary] = found
    return found


def spell(tag: str, vocabulary: frozenset[str]) -> list[str]:
    """A hashtag's words ("worstairlineever" -> worst, airline, ever): the fewest known words that
    spell all of it, when that takes more than one; else none."""
    n = len(tag)
    beginnings = _beginnings(vocabulary)
    best: list[list[str] | None] = [[]] + [None] * n  # fewest words spelling tag[:i]
    for start in range(n):  # only from where known words reach: most of an unknown tag is not
        prefix = best[start]
        if prefix is None:
            continue
        for end in range(start + 1, min(n, start + SPELLED_LONGEST) + 1):
            piece = tag[start:end]
            if piece not in beginnings:
                break  # no known word starts so: none longer from here either
            if piece in vocabulary and (end - start > 1 or piece in {"a", "i"}):
                known = best[end]
                if known is None or len(prefix) + 1 < len(known):
                    best[end] = [*prefix, piece]
    words = best[n]
    return words if words and len(words) > 1 else []


def word_forms(lowered: str, words: set[str]) -> set[str]:
    """The text's words with the words inside its hashtags and hyphenations ("#crash",
    "dm-still": crash, dm, still), as Ways reads them; `words` itself when there are none."""
    if "#" not in lowered and "-" not in lowered:
        return words
    forms = set(words)
    for word in words:
        if word[0] == "#":
            forms.add(word[1:])
        if "-" in word:
            forms.update(word.split("-"))
    return forms


class Ways:
    """Regular expressions over a lower-cased text, each tried only where the text's words allow
    it. A way is (a label, the words it cannot match without, its pattern, its reach): the
    pattern starts a word or a handle and ends a word; the words are written as
    tokenize gives them, in groups separated by "|", and a way needs one word of each group
    ("delivered shipped | not never": a delivery and a negation); the reach is the most words a
    match can start before a word of its first group. Most posts hold none of the words and are
    spared every pattern. The rest are not searched end to end (a search tries each alternative at
    each character: a few µs a post): a way is matched only where a word starts, from its reach
    before each place a word of its first group appears, which finds what a search finds."""

    __slots__ = ("_by_word", "_compiled", "_needs", "_read", "_ways")

    def __init__(self, ways: tuple[tuple[str, str, str, int], ...]) -> None:
        self._ways: list[tuple[str, str, frozenset[str], tuple[frozenset[str], ...], int]] = []
        self._compiled: list[re.Pattern[str] | None] = []  # each compiled when first tried (cold starts)
        by_word: dict[str, list[int]] = {}
        for order, (label, needs, pattern, reach) in enumerate(ways):
            groups = [frozenset(group.split()) for group in needs.split("|")]
            self._ways.append((label, pattern, groups[0], tuple(groups[1:]), reach))
            self._compiled.append(None)
            for word in groups[0]:
                by_word.setdefault(word, []).append(order)
        self._by_word = {word: tuple(orders) for word, orders in by_word.items()}
        self._needs = frozenset(by_word)
        self._read = self._needs.union(*(group for way in self._ways for group in way[3]))  # every word it reads

    def first(self, lowered: str, forms: set[str]) -> tuple[str, str]:
        """The label and the words of the first way, in the order given, found in the text; ("",
        "") when none is. `forms`: the text's words as word_forms gives them."""
        read = forms & self._read  # the few words that matter, looked up once
        present = read & self._needs
        if not present:
            return "", ""
        if len(present) == 1:  # most often: its ways are in order already
            orders = self._by_word[next(iter(present))]
        else:
            merged: set[int] = set()
            for word in present:
                merged.update(self._by_word[word])
            orders = tuple(sorted(merged))
        for order in orders:
            label, _, anchors, also, reach = self._ways[order]
            if not _has_each(read, also):
                continue
            pattern = self._pattern(order)
            first: re.Match[str] | None = None  # the leftmost match, as a search finds it
            for anchor in present:  # a set: its order follows the process's string hashes
                if anchor in anchors:
                    found = _anchored(pattern, lowered, anchor, reach)
                    if found is not None and (first is None or found.start() < first.start()):
                        first = found
            if first is not None:
                return label, first.group(0)
        return "", ""

    def _pattern(self, order: int) -> re.Pattern[str]:
        """The way's pattern, compiled when first tried (a cold start compiles none it does not try)."""
        pattern = self._compiled[order]
        if pattern is None:
            pattern = re.compile(r"(?:\b|(?=@))(?:" + self._ways[order][1] + r")\b")
            self._compiled[order] = pattern
        return pattern


def _anchored(pattern: re.Pattern[str], lowered: str, anchor: str, reach: int) -> re.Match[str] | None:
    """The pattern's leftmost match starting within `reach` words before a place `anchor` appears."""
    at = lowered.find(anchor)
    while at >= 0:
        found = _match_from(pattern, lowered, _words_back(lowered, at, reach), at)
        if found is not None:
            return found
        at = lowered.find(anchor, at + 1)
    return None


def _has_each(forms: set[str], groups: tuple[frozenset[str], ...]) -> bool:
    """Whether the words hold one of each group."""
    for group in groups:  # noqa: SIM110 (a loop: mypyc builds no generator for it)
        if forms.isdisjoint(group):
            return False
    return True


def _words_back(lowered: str, at: int, reach: int) -> int:
    """Where the word `reach` words before `at` starts (0 if the text starts first)."""
    start = at
    for _ in range(reach):  # back a word: to the start of the one before the space before `start`
        space = lowered.rfind(" ", 0, start)
        if space < 0:
            return 0
        start = lowered.rfind(" ", 0, space) + 1
    return start


def _match_from(pattern: re.Pattern[str], lowered: str, start: int, at: int) -> re.Match[str] | None:
    """The pattern's first match starting where a word or a handle starts, from `start` up to `at`."""
    word_before = start > 0 and _is_word(lowered[start - 1])
    for position in range(start, at + 1):
        char = lowered[position]
        word = _is_word(char)
        if (word and not word_before) or char == "@":  # where a word or a handle starts
            found = pattern.match(lowered, position)
            if found is not None:
                return found
        word_before = word
    return None


def _is_word(char: str) -> bool:
    return char.isalnum() or char == "_"
