"""Sentiment: VADER with customer-service language written from the domain, and second opinions
where it is unsure.

Plain VADER reads a polite request for help ("please help, thanks!") as positive and misses a
complaint made of facts ("3 hours on the tarmac, no update"). Corrections written from the domain,
none fitted to labelled data: service-failure words and problem phrasing VADER lacks, politeness
that does not count as praise in a request or a report of a problem, a higher positive line for
posts addressed to someone or sharing a link. Where VADER is still unsure, AFINN's lexicon and
then a small model trained on GoEmotions (goemotions.py) have their say. `make eval` keeps a table
of every correction: how often it fired on three corpora and how often people agreed."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final, Literal, NamedTuple, cast

from chalicelib.triage import afinn, goemotions, problems, vader
from chalicelib.triage.tokens import LINK, Phrases, spell, tokenize, word_set

Label = Literal["negative", "neutral", "positive", "unscored"]

# The lines below were each chosen by a `make eval` sweep (the figure named beside each); what
# they measured, and how often people agreed with each correction, is written once, in
# docs/triage.md's tables generated from bench/results.json (`python -m bench.docs`).

# "Clearly positive" for a post addressed to someone (an @handle in it) or sharing a link: courtesy and mild approval
# inflate posts to a company ("@brand great, can you check my refund") and promotional copy the links people share. A
# post that only speaks for its author keeps VADER's own line. Below the line AFINN and the GoEmotions model have their
# say (sentiment_positive_line: where general tweets, Sentiment140, score best).
POSITIVE_AT: Final = 0.60
PLAIN_POSITIVE_AT: Final = 0.05
NEGATIVE_AT: Final = -0.05
# "Clearly negative" for a post sharing a link: its words are mostly the linked page's headline
# ("Google earnings fall short", "RT @verge: Microsoft cuts ..."), news rather than the poster's
# feeling, as promotional copy inflates the positives. Between this line and NEGATIVE_AT VADER
# is unsure, as it is under the positive line: AFINN and the GoEmotions model have their say,
# else the post is neutral (sentiment_link_negative_line).
LINK_NEGATIVE_AT: Final = -0.30
# A shared link under its page's title ("Microsoft Giving Away Free Windows Phones http://...",
# "Some iPhone 4S Users Complain of Yellow Tint to Screen http://..."): the publisher's words,
# not the poster's feeling, so neutral unless VADER reads it strongly either way. A title is most
# of a post's longer words capitalised (HEADLINE_TITLED), not shouted (sentiment_headline_line).
HEADLINE_SURE: Final = 0.8
HEADLINE_TITLED: Final = 0.7
HEADLINE_WORDS: Final = 4
# A handle is a name, not a word: VADER read "@united" as "united" (+1.8), so every post to
# United Airlines started out positive; "@Glad", "@Best_Buy" the same. Handles are left out of
# what VADER reads (they still mark a post as addressed to someone: POSITIVE_AT).
_HANDLE: Final = re.compile(r"@(?<!\w@)\w+")  # "(?<!\w)@", looking behind from after the "@": searched from each "@"
_ASCII_HANDLE: Final = re.compile(_HANDLE.pattern, re.ASCII)  # the same handles in an ASCII text, \w by table


def _handle(text: str) -> re.Pattern[str]:  # the ASCII twin for an ASCII text (most posts)
    return _ASCII_HANDLE if text.isascii() else _HANDLE


# A second opinion where VADER is unsure: AFINN-165 (Finn Årup Nielsen, ODbL 1.0;
# afinn-en-165.txt and afinn-LICENSE.md beside this file), a lexicon rated by one person on -5..+5
# from tweets. Clearly negative by it (a sum of -2 or less: one "bad", "waste" or "fed up") makes
# a post VADER reads neutral or mildly positive (under POSITIVE_AT) negative. People mostly agreed
# with its negatives and mostly did not with its positives (the rule table in docs/triage.md), so
# it never makes a post positive. A negated word counts nothing.
AFINN_NEGATIVE_AT: Final = -2
# Where VADER is still unsure after AFINN, a model learned from people decides when it is this
# sure (goemotions.py: GoEmotions, CC BY 4.0; sentiment_learned_sure, the rule table).
LEARNED_SURE: Final = 0.70
# A request ("can you...", "please...", a question) is praise only when strongly put: "@brand great
# app, can you add dark mode?" asks for something, and people rate most such posts neutral. With
# the courtesy words already discounted (sentiment_request_line).
REQUEST_POSITIVE_AT: Final = 0.85
STRONG_PRAISE_AT: Final = 0.60  # praise that outweighs a reported failure ("delayed, but the crew was amazing")

# Valences on VADER's -4..+4 scale for words it does not know or underweights in this domain.
DOMAIN_LEXICON: dict[str, float] = {
    "delayed": -1.6,
    "delay": -1.4,
    "delays": -1.5,
    "late": -1.2,
    "cancelled": -1.9,
    "canceled": -1.9,
    "cancellation": -1.7,
    "cancel": -1.2,
    "stranded": -2.4,
    "stuck": -1.9,
    "lost": -1.6,
    "missing": -1.5,
    "damaged": -2.0,
    "broken": -1.8,
    "rude": -2.4,
    "unhelpful": -2.2,
    "overbooked": -1.8,
    "bumped": -1.5,
    "refund": -0.8,
    "compensation": -0.6,
    "voucher": -0.3,
    "hold": -0.9,
    "waiting": -1.0,
    "waited": -1.2,
    "wait": -0.8,
    # Not "hours", "hour", "hrs": opening hours, "24 hours", "an hour ago" are everyday; a wait of
    # hours is problems.py's ("waited 3 hours", "2 hrs late").
    "tarmac": -0.8,
    "diverted": -1.2,
    "misconnect": -1.6,
    "missed": -1.3,
    "nobody": -1.0,
    "ignored": -1.8,
    "unacceptable": -2.6,
    "disappointed": -2.2,
    "disappointing": -2.2,
    "worst": -3.1,
    "never": -0.9,
    "again": -0.3,
    "fail": -2.0,
    "fees": -0.8,
    "fee": -0.7,
    "charged": -1.0,
    "overcharged": -2.2,
    "dirty": -1.9,
    "cramped": -1.5,
    "useless": -2.3,
    "incompetent": -2.6,
    "joke": -1.2,
    "ridiculous": -2.2,
    "lawsuit": -2.0,
    "sue": -1.8,
    "boycott": -2.2,
    "injury": -2.4,
    "injured": -2.4,
    "unsafe": -2.5,
    "discrimination": -2.8,
    "breach": -2.0,
    "poisoning": -2.8,
    "recall": -1.2,
    "wasted": -2.0,
    "wtf": -2.5,
    "zero": -0.8,
    "denied": -1.8,
    "downgraded": -1.8,
    "lying": -2.5,
    "liars": -2.6,
    "nothappy": -2.2,
    # Praise the domain uses that VADER underrates.
    "upgrade": 1.2,
    "upgraded": 1.6,
    "smooth": 1.3,
    "ontime": 1.2,
    "early": 0.6,
    "kudos": 2.4,
    "shoutout": 1.8,
    "appreciate": 2.0,
    "appreciated": 2.0,
    "helpful": 2.0,
    "lifesaver": 2.6,
}
# Words VADER scores positive that, in a message to a company, are mostly courtesy.
COURTESY: Final = {"please", "thanks", "thank", "thx", "ty", "help", "helping", "hope", "kindly"}
NEGATIONS: Final = frozenset(
    {
        "not",
        "no",
        "never",
        "cannot",
        "can't",
        "cant",
        "couldn't",
        "couldnt",
        "won't",
        "wont",
        "didn't",
        "didnt",
        "isn't",
        "isnt",
        "doesn't",
        "doesnt",
        "wasn't",
        "wasnt",
        "haven't",
        "havent",
        "hasn't",
        "hasnt",
        "aren't",
        "arent",
        "weren't",
    }
)
GRATITUDE: Final = frozenset({"thanks", "thank", "thx", "ty", "appreciate", "appreciated", "grateful", "kudos"})
# Cues read from the text's words before VADER runs (set lookups: cheap next to VADER itself).
REQUEST_WORDS: Final = frozenset({"please", "pls", "plz", "why", "kindly"})
REQUEST_PHRASES: Final = (
    "can you",
    "could you",
    "would you",
    "will you",
    "can u",
    "could u",
    "can someone",
    "can anyone",
    "how do",
    "how can",
    "how long",
    "is there",
    "do you",
)
_REQUEST_PHRASES: Final = Phrases(REQUEST_PHRASES)  # one scan, not one per phrase
PROBLEM_WORDS: Final = NEGATIONS | {"nobody", "still", "again", "yet"}
# Emoji read as the word people mean by them (VADER scores the words; it reads most emoji as
# their Unicode names, which carry no valence: a post of angry faces scored neutral). Only the
# unambiguous ones: 😭 and 🔥 say opposite things in different posts and are left out.
EMOJI_WORDS: dict[str, str] = {
    "😡": "furious",
    "🤬": "furious",
    "😠": "angry",
    "😤": "annoyed",
    "🙄": "annoyed",
    "😒": "annoyed",
    "😞": "disappointed",
    "😔": "disappointed",
    "☹": "sad",
    "🙁": "sad",
    "😢": "sad",
    "😩": "ugh",
    "😫": "ugh",
    "🤮": "disgusting",
    "🤢": "sick",
    "💩": "crap",
    "👎": "bad",
    "💔": "broken",
    "😱": "scared",
    "😨": "scared",
    "👍": "good",
    "👌": "good",
    "👏": "great",
    "🙌": "yay",
    "🎉": "celebrate",
    "🥳": "celebrate",
    "😀": "happy",
    "😃": "happy",
    "😄": "happy",
    "😁": "happy",
    "😊": "happy",
    "🙂": "happy",
    "☺": "happy",
    "😍": "love",
    "🥰": "love",
    "😘": "love",
    "❤": "love",
    "💕": "love",
    "💖": "love",
    "💙": "love",
    "😂": "haha",
    "🤣": "haha",
    "😎": "cool",
    "🙏": "thanks",
}
_EMOJI: Final = re.compile("|".join(re.escape(e) for e in sorted(EMOJI_WORDS, key=len, reverse=True)))
_EMOJI_SPAN: Final = re.compile(f"[{re.escape(min(EMOJI_WORDS)[0])}-{re.escape(max(EMOJI_WORDS)[0])}]")  # first letters


def read_emoji(text: str) -> str:
    """The text with the emoji above spelled as their words (each one counts, as a word would)."""
    if text.isascii() or _EMOJI_SPAN.search(text) is None:  # one range tested a character, not 44 emoji: none
        return text.replace("\ufe0f", "")
    return _EMOJI.sub(lambda m: f" {EMOJI_WORDS[m.group(0)]} ", text.replace("\ufe0f", ""))


class Sentiment(NamedTuple):
    score: float  # -1..1
    label: Label
    reason: str
    cue: str = ""  # the service failure or problem it reports, if any (the complaint signal reads it)


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    analyzer = vader.analyzer_class()()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


@lru_cache(maxsize=1)
def _courtesy_free() -> Any:
    """A second analyzer for requests: courtesy words carry no valence there."""
    analyzer = vader.analyzer_class()()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    for word in COURTESY:
        analyzer.lexicon.pop(word, None)
    return analyzer


def lexicon_valence(word: str) -> float:
    """A word's valence in the lexicon VADER reads here (its own and the domain's; 0 if unknown)."""
    return float(_analyzer().lexicon.get(word, 0.0))


def label_for(score: float, *, inflated: bool = True) -> Label:
    """`inflated`: addressed to someone or sharing a link (see POSITIVE_AT)."""
    if score >= (POSITIVE_AT if inflated else PLAIN_POSITIVE_AT):
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


# "Can't wait to/for/until..." is eagerness, not a negated complaint ("can't wait for Ice Cream
# Sandwich", "can't wait to fly with you again"); VADER negated "wait" and the negation made it a
# problem report. Read as "excited". "I can't wait any longer" stays as it is.
_EAGER: Final = re.compile(
    r"\b(?:can[’']?t|cannot|can not)\s+wait\b(?=\s*(?:(?:to|for|till?|until)\b|'til\b|!))", re.IGNORECASE
)


# "Why" asked of someone, not told of ("explain why...", "no wonder why...", "I know why...") and
# not a suggestion ("why not send a card?"): on Sanders' brand tweets the rule agreed with people
# 26% of the time before, mostly on those.
_WHY: Final = re.compile(r"(?:([\w']+)\W+)?\bwhy\b(?:\W+([\w']+))?")
_TELLS_WHY: Final = word_set(
    "know knows knew wonder wondering wondered explain explains explaining curious see understand tell told ask "
    "asked asking idea reason reasons that's thats is me us them figure guess matter care clue question learn out "
    "sure"
)


def asks_why(lowered: str) -> bool:
    """Whether the text asks someone why (see _WHY): a "why" not after a word that tells of one
    and not followed by "not"."""
    for found in _WHY.finditer(_HANDLE.sub(" ", lowered) if "@" in lowered else lowered):
        if found.group(2) != "not" and found.group(1) not in _TELLS_WHY:
            return True
    return False


def expresses_eagerness(text: str) -> bool:
    """Whether the text says "can't wait to/for/until..." (see _EAGER)."""
    return _EAGER.search(text) is not None


_QUESTION_ONLY: Final = re.compile(r"^[^.!]*\?\s*(\S+\s*)?$")


# Only tags long enough to be a verdict (#nothappy, #worstairlineever): short ones are names and
# slogans (#DieIn is a protest, not "die"; people rated 145 of its 179 copies neutral).
_HASHTAG: Final = re.compile(r"#(\w{8,30})")
_COMMON: Final = (
    "the",
    "a",
    "an",
    "and",
    "or",
    "to",
    "of",
    "for",
    "in",
    "on",
    "at",
    "my",
    "your",
    "our",
    "is",
    "was",
    "are",
    "be",
    "been",
    "not",
    "no",
    "never",
    "ever",
    "again",
    "very",
    "so",
    "too",
    "this",
    "that",
    "it",
    "i",
    "you",
    "we",
    "they",
    "he",
    "she",
    "me",
    "us",
    "them",
    "do",
    "does",
    "did",
    "done",
    "can",
    "cant",
    "dont",
    "wont",
    "just",
    "still",
    "yet",
    "now",
    "airline",
    "airlines",
    "flight",
    "flights",
    "fly",
    "flying",
    "travel",
    "customer",
    "service",
    "crew",
    "plane",
    "seat",
    "bag",
    "bags",
    "time",
    "hour",  # weighs nothing now (DOMAIN_LEXICON), still a word hashtags are spelled in ("#HourDelay")
    "hours",
    "day",
    "happy",
    "sad",
    "fail",
    "win",
    "love",
    "hate",
    "worst",
    "best",
    "good",
    "bad",
    "great",
    "thanks",
    "thank",
    "help",
)


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """The words a hashtag is spelled out in: VADER's, AFINN's domain words and common ones."""
    words = {w for w in _analyzer().lexicon if w.isalpha() and len(w) > 1}
    return frozenset(words | set(_COMMON) | set(DOMAIN_LEXICON))


@lru_cache(maxsize=4096)
def segment(tag: str) -> str:
    """'worstairlineever' -> 'worst airline ever' when known words cover all of it; else ''."""
    return " ".join(spell(tag, vocabulary()))


def expand_hashtags(text: str) -> str:
    """Hashtags are where posts to a company put their verdict (#nothappy, #worstairlineever):
    spell out the ones VADER would read as a single unknown word."""
    if "#" not in text:
        return text
    return _HASHTAG.sub(lambda m: segment(m.group(1).lower()) or m.group(0), text)


def forget() -> None:
    """Drop the remembered token forms and hashtag spellings."""
    vader.forget()
    segment.cache_clear()


def _problem_said(lowered: str, words: set[str], reported: tuple[str, str] | None) -> str:
    """The words of the problem the text reports: the caller's reading, else read now."""
    return problems.problem_in(lowered, words) if reported is None else reported[1]


def _reread(text: str, lowered: str, words: set[str]) -> str:
    """The text as meant where a phrase says otherwise than its words: "can't wait to" is
    eagerness. (Hours weigh nothing: "what are your opening hours?" needs no rereading.)"""
    if "wait" in words and expresses_eagerness(lowered):
        text = _EAGER.sub("excited ", text)
    return text


def analyse(  # noqa: C901 (one ladder of cues, each returning, read top to bottom; per mention)
    text: str,
    *,
    words: set[str] | None = None,
    lowered: str | None = None,
    tokens: list[str] | None = None,
    reported: tuple[str, str] | None = None,
) -> Sentiment:
    """One VADER pass, with the analyzer chosen by cheap cues read first (`tokens` and `words`:
    the text's tokens and their set, `lowered` the text in lower case, `reported` the problem it
    reports, problems.problem_of's reading, when the caller has them)."""
    spelled = read_emoji(text)
    if spelled != text:  # the emoji's words are cues too ("🙏" thanks)
        text, words, lowered, tokens = spelled, None, None, None
    if lowered is None:
        lowered = text.lower()
    if words is None:
        tokens = tokenize(lowered)
        words = set(tokens)
    reread = _reread(text, lowered, words)
    if reread != text:
        text = reread
        lowered = text.lower()
        tokens = tokenize(lowered)
        words = set(tokens)
    failure = problems.failure_cue(lowered, words)
    asks = (
        ("?" in text and ("http" not in lowered or "?" in LINK.sub(" ", text)))  # not a link's query
        or not words.isdisjoint(REQUEST_WORDS)
        or bool(_REQUEST_PHRASES.first(lowered, words))
    )
    request = asks or not words.isdisjoint(PROBLEM_WORDS)
    analyzer = _courtesy_free() if (failure or request) else _analyzer()
    compound = analyzer.compound(expand_hashtags(_handle(text).sub(" ", text) if "@" in text else text))
    if failure and NEGATIVE_AT < compound < STRONG_PRAISE_AT and not _QUESTION_ONLY.match(text.strip()):
        # A service failure reported without strong praise is a complaint, however politely put.
        return Sentiment(
            round(min(compound, NEGATIVE_AT), 3),
            "negative",
            f"negative: reports a service failure ('{failure}')",
            failure,
        )
    problem = "" if failure or compound >= STRONG_PRAISE_AT else _problem_said(lowered, words, reported)
    if problem and compound > NEGATIVE_AT:
        # Something did not happen or does not work ("your site is down", "still haven't received
        # my refund"): a complaint, however politely put, without strong praise beside it.
        return Sentiment(
            round(min(compound, NEGATIVE_AT), 3), "negative", f"negative: reports a problem ('{problem}')", problem
        )
    cue = failure or problem
    inflated = ("@" in text and _handle(text).search(text) is not None) or "http" in lowered
    if (
        not (failure or request)
        and 0 < compound < (POSITIVE_AT if inflated else PLAIN_POSITIVE_AT)
        and not words.isdisjoint(GRATITUDE)
    ):
        # Thanks with nothing asked and nothing wrong is a thank-you, however short ("@brand thanks").
        return Sentiment(round(compound, 3), "positive", "positive: thanks, with nothing asked or reported", cue)
    line = REQUEST_POSITIVE_AT if asks else POSITIVE_AT
    # A shared link's words are a headline's, unless the post also asks or reports (its own words).
    shares_link = "http" in lowered and not (failure or request)
    floor = LINK_NEGATIVE_AT if shares_link else NEGATIVE_AT
    label = label_for(compound, inflated=inflated)
    if shares_link and label != "neutral" and abs(compound) < HEADLINE_SURE and reads_as_headline(text):
        why = f"a headline shared, the publisher's words (score {compound:+.2f})"
        return Sentiment(round(compound, 3), "neutral", f"neutral: {why}", cue)
    shared = label == "negative" and compound > floor  # a shared headline's mild negativity
    if shared:
        label = "neutral"  # unless AFINN or the model below read it negative
    mild_request = asks and label == "positive" and compound < line
    if mild_request:
        label = "neutral"  # a request mildly put: AFINN and the model below have their say
    if floor < compound < line:  # VADER unsure (neutral, mildly positive, a headline's mildly negative)
        second = afinn.score(lowered, words)
        if second <= AFINN_NEGATIVE_AT:
            return Sentiment(
                round(min(compound, NEGATIVE_AT), 3), "negative", f"negative: AFINN reads it {second:+d}", cue
            )
        read = tokenize(lowered) if tokens is None else tokens
        if failure or request:  # courtesy in a request is not praise, to the model either
            read = [t for t in read if t not in COURTESY]
        learned = goemotions.read(read, sure=LEARNED_SURE, lowered=lowered)
        if learned is not None and learned[0] != label:
            said, sure = cast(Label, learned[0]), learned[1]
            score = min(compound, NEGATIVE_AT) if said == "negative" else compound
            return Sentiment(
                round(score, 3),
                said,
                f"{said}: the GoEmotions model reads it so ({sure:.0%}; VADER {compound:+.2f})",
                cue,
            )
    why = _why(compound, mild_request=mild_request, shared=shared, discounted=bool(failure or request))
    return Sentiment(round(compound, 3), label, f"{label}: {why}", cue)


_HEADLINE_SKIP: Final = re.compile(r"https?://\S+|@\w+|#\w+|R(?<!\w.)T\b|v(?<!\w.)ia\b")  # no title's (as _NOISE)
_HEADLINE_WORD: Final = re.compile(r"[A-Za-z][a-z'A-Z]{3,}")  # four letters or more: "a", "of", "the" lower in titles


@lru_cache(maxsize=1)
def _emoticons() -> frozenset[str]:
    """VADER's faces (":/", ":-(", "<3"): its entries with no letter in them."""
    return frozenset(w for w in _analyzer().lexicon if not any(c.isalpha() for c in w))


def reads_as_headline(text: str) -> bool:
    """Whether a post reads as a page's title (see HEADLINE_SURE): of its words of four letters
    or more, outside links, handles and hashtags, at least HEADLINE_WORDS, most capitalised, not
    shouted, and no face beside them."""
    words = _HEADLINE_WORD.findall(_HEADLINE_SKIP.sub(" ", text))
    if (
        len(words) < HEADLINE_WORDS
        or _emoticons().intersection(text.split())
        or (not text.isascii() and _EMOJI.search(text))  # every emoji is beyond ASCII: no search of a plain text
    ):
        return False  # too short for a title, or a face: the poster's own feeling ("... Outlet! :/")
    titled = sum(1 for w in words if w[0].isupper() and not w.isupper())
    return titled >= HEADLINE_TITLED * len(words)


def _why(compound: float, *, mild_request: bool, shared: bool, discounted: bool) -> str:
    """Why VADER's score stands as the label (or, under a line, does not)."""
    if mild_request:
        return f"a request, not strong praise (score {compound:+.2f})"
    if shared:
        return f"a shared link's mild negativity, a headline's (score {compound:+.2f})"
    if discounted:
        return "courtesy discounted in a request or problem report"
    return f"score {compound:+.2f}"
