"""The one tokenisation every triage step reads: lower-case words, hashtags and handles with
their sign ("#fail", "@delta"), "wi-fi" and "can't" whole, links left out (their pieces are
neither words nor topics, and a repost's copy of a link may differ)."""

from __future__ import annotations

import html
import re

TOKEN = re.compile(r"[#@]?\w++(?:[-']\w++)*+")  # possessive: nothing to give back, less to try
LINK = re.compile(r"https?://\S+")


def tokenize(lowered: str) -> list[str]:
    """The words of an already lower-cased text."""
    return TOKEN.findall(LINK.sub(" ", lowered) if "http" in lowered else lowered)


# Character references, with their semicolon (html.unescape alone would also read "&not" in
# "&notice" as "¬"): X escapes "&", "<" and ">" in every post's text, feeds and export tools
# send "&#39;" and "&quot;", and "&lt;3" is a heart.
_ENTITY = re.compile(r"&(?:[a-z]{2,8}|#\d{1,7}|#x[0-9a-f]{1,6});", re.IGNORECASE)


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


def spell(tag: str, vocabulary: frozenset[str]) -> list[str]:
    """A hashtag's words ("worstairlineever" -> worst, airline, ever): the fewest known words that
    spell all of it, when that takes more than one; else none."""
    n = len(tag)
    best: list[list[str] | None] = [[]] + [None] * n  # fewest words spelling tag[:i]
    for start in range(n):  # only from where known words reach: most of an unknown tag is not
        prefix = best[start]
        if prefix is None:
            continue
        for end in range(start + 1, min(n, start + 15) + 1):
            piece = tag[start:end]
            if piece in vocabulary and (end - start > 1 or piece in {"a", "i"}):
                known = best[end]
                if known is None or len(prefix) + 1 < len(known):
                    best[end] = [*prefix, piece]
    words = best[n]
    return words if words and len(words) > 1 else []
