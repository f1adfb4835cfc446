"""Language: the platform's own tag when it sent one, else a fast guess from the script and
the commonest words of a few languages. VADER reads English; the rest is marked so a
configured Amazon Comprehend backend (off by default) or a person can take it."""

from __future__ import annotations

import re

_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOPWORDS = {
    "en": {
        "the",
        "and",
        "to",
        "of",
        "is",
        "you",
        "my",
        "for",
        "in",
        "it",
        "on",
        "this",
        "with",
        "was",
        "not",
        "your",
        "me",
        "i",
        "are",
        "have",
        "that",
        "be",
        "at",
        "just",
        "so",
        "but",
        "we",
        "no",
        "can",
        "flight",
        # English words other languages' lists hold too ("a", "do" are Portuguese): without them
        # "need a good book suggestion?" reads as Portuguese and goes unscored.
        "a",
        "an",
        "do",
        "what",
        "will",
        "get",
        "if",
        "they",
        "from",
        "would",
        "there",
    },
    "es": {
        "el",
        "la",
        "de",
        "que",
        "y",
        "en",
        "los",
        "se",
        "del",
        "las",
        "por",
        "un",
        "para",
        "con",
        "una",
        "es",
        "mi",
        "muy",
        "pero",
        "vuelo",
        "no",
        "lo",
    },
    "fr": {
        "le",
        "la",
        "les",
        "de",
        "des",
        "et",
        "est",
        "un",
        "une",
        "pour",
        "pas",
        "je",
        "vous",
        "dans",
        "mon",
        "avec",
        "sur",
        "vol",
        "que",
        "qui",
        "du",
    },
    "de": {
        "der",
        "die",
        "das",
        "und",
        "ist",
        "nicht",
        "ich",
        "mit",
        "ein",
        "eine",
        "zu",
        "auf",
        "den",
        "von",
        "für",
        "sie",
        "es",
        "mein",
        "flug",
        "wir",
    },
    "pt": {
        "o",
        "a",
        "de",
        "que",
        "e",
        "do",
        "da",
        "em",
        "um",
        "para",
        "com",
        "não",
        "uma",
        "os",
        "no",
        "se",
        "voo",
        "meu",
        "muito",
        "mas",
    },
    "it": {
        "il",
        "di",
        "che",
        "e",
        "la",
        "per",
        "un",
        "non",
        "sono",
        "mi",
        "con",
        "del",
        "una",
        "ho",
        "volo",
        "ma",
        "anche",
        "della",
    },
    "nl": {
        "de",
        "het",
        "een",
        "en",
        "van",
        "is",
        "niet",
        "ik",
        "op",
        "te",
        "dat",
        "die",
        "voor",
        "met",
        "mijn",
        "vlucht",
        "zijn",
        "maar",
    },
}
_SCRIPTS = (
    (re.compile(r"[\u3040-\u30ff]"), "ja"),
    (re.compile(r"[\uac00-\ud7af]"), "ko"),
    (re.compile(r"[\u4e00-\u9fff]"), "zh"),
    (re.compile(r"[\u0400-\u04ff]"), "ru"),
    (re.compile(r"[\u0600-\u06ff]"), "ar"),
    (re.compile(r"[\u0590-\u05ff]"), "he"),
    (re.compile(r"[\u0e00-\u0e7f]"), "th"),
    (re.compile(r"[\u0900-\u097f]"), "hi"),
    (re.compile(r"[\u0370-\u03ff]"), "el"),
)


_LATIN = re.compile(r"[A-Za-z]")
# A script is the text's language only when its letters are at least this share of the Latin
# ones: one kaomoji (¯\_(ツ)_/¯) or a quoted foreign word does not make an English post foreign.
SCRIPT_SHARE = 0.25


def _script(text: str) -> str:
    counts = [(len(pattern.findall(text)), lang) for pattern, lang in _SCRIPTS]
    count, lang = max(counts)
    if not count or count < SCRIPT_SHARE * len(_LATIN.findall(text)):
        return ""
    return "ja" if lang == "zh" and counts[0][0] else lang  # kana among the han: Japanese


_LANGUAGES_OF: dict[str, tuple[str, ...]] = {}
for _lang, _stop in _STOPWORDS.items():
    for _w in _stop:
        _LANGUAGES_OF[_w] = (*_LANGUAGES_OF.get(_w, ()), _lang)
_ANY_STOPWORD = frozenset(_LANGUAGES_OF)
_NOT_ENGLISH = _ANY_STOPWORD - _STOPWORDS["en"]


def detect(text: str, hint: str = "", *, words: set[str] | None = None) -> str:
    """The platform's tag, else the script, else the language with the most of its distinct
    stopwords in the text (English when none: short posts to a brand mostly are). `words`: the
    text's lower-case tokens, when the caller has them."""
    if hint:
        return hint.lower().split("-")[0][:8]
    ascii_only = text.isascii()
    if not ascii_only:
        script = _script(text)
        if script:
            return script
    if words is None:
        words = {w.lower() for w in _WORD.findall(text)}
    if not words:
        return "und"
    if words.isdisjoint(_NOT_ENGLISH):  # English has all the stopwords there are: it wins (ties too)
        return (
            "en" if ascii_only or not words.isdisjoint(_STOPWORDS["en"]) or all(w.isascii() for w in words) else "und"
        )
    scores = dict.fromkeys(_STOPWORDS, 0)
    for w in words & _ANY_STOPWORD:  # a handful of words, whatever the text's length
        for lang in _LANGUAGES_OF[w]:
            scores[lang] += 1
    best = max(scores, key=scores.__getitem__)  # the first of equals: English before the rest
    if scores[best] == 0 or (scores[best] == 1 and ascii_only):  # one "no" or "per" is not a language
        return "en" if all(w.isascii() for w in words) else "und"
    return best
