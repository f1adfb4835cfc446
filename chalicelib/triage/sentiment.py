"""Sentiment: VADER with customer-service language written from the domain.

Plain VADER reads a polite request for help ("please help, thanks!") as positive and misses a
complaint made of facts ("3 hours on the tarmac, no update"). Two corrections, neither fitted to
any labelled data: a lexicon of service-failure words VADER lacks, and politeness that does not
count as praise when the message is a request or a report of a problem. Thresholds are wider
than VADER's ±0.05 because short posts swing easily."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal, NamedTuple

from chalicelib.triage.tokens import tokenize

Label = Literal["negative", "neutral", "positive"]

POSITIVE_AT = 0.50  # "clearly positive": courtesy and mild approval inflate posts addressed to a company
NEGATIVE_AT = -0.05
STRONG_PRAISE_AT = 0.60  # praise that outweighs a reported failure ("delayed, but the crew was amazing")

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
    "hrs": -0.6,
    "hours": -0.6,
    "hour": -0.4,
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
COURTESY = {"please", "thanks", "thank", "thx", "ty", "help", "helping", "hope", "kindly"}
NEGATIONS = frozenset(
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
GRATITUDE = frozenset({"thanks", "thank", "thx", "ty", "appreciate", "appreciated", "grateful", "kudos"})
# Cues read from the text's words before VADER runs (set lookups: cheap next to VADER itself).
REQUEST_WORDS = frozenset({"please", "pls", "plz", "why", "kindly"})
REQUEST_PHRASES = (
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
PROBLEM_WORDS = NEGATIONS | {"nobody", "still", "again", "yet"}
FAILURE_WORDS = frozenset(
    {
        "delay",
        "delayed",
        "delays",
        "late",
        "cancel",
        "cancelled",
        "canceled",
        "cancellation",
        "cancels",
        "strand",
        "stranded",
        "stuck",
        "lost",
        "missing",
        "damaged",
        "broken",
        "rude",
        "overbooked",
        "bumped",
        "refund",
        "wait",
        "waiting",
        "waited",
        "diverted",
        "missed",
        "ignored",
        "unacceptable",
        "worst",
        "disappoint",
        "disappointed",
        "disappointing",
        "overcharged",
        "dirty",
        "useless",
        "incompetent",
        "ridiculous",
        "nobody",
        "hrs",
        "wasted",
        "denied",
        "wtf",
        "zero",
        "downgrade",
        "downgraded",
        "downgrading",
    }
)
FAILURE_PHRASES = (
    "on hold",
    "no one",
    "never again",
    "hold time",
    "for nothing",
    "no info",
    "no update",
    "no answer",
    "no response",
    "no help",
)


# Token -> (VADER's word for it, lower-cased; whether it is all capitals; whether it can change a
# neighbour's valence), shared by both analyzers.
_FORMS: dict[str, tuple[str, bool, bool]] = {}
_FORMS_KEPT = 200_000  # about 20 MB at most, then it starts over


def _forgotten() -> dict[str, tuple[str, bool, bool]]:
    _FORMS.clear()
    return _FORMS


def forget() -> None:
    """Drop the remembered token forms and hashtag spellings."""
    _FORMS.clear()
    segment.cache_clear()


class Sentiment(NamedTuple):
    score: float  # -1..1
    label: Label
    reason: str


def _fast_class() -> Any:
    """VADER's SentimentIntensityAnalyzer (vaderSentiment 3.3.2, MIT licence) with the same steps
    and the same quirks, computed faster: each word is lower-cased once per text instead of once
    per check (VADER lower-cases the whole sentence again for every negation and idiom check),
    and ASCII text skips the per-character emoji pass (it cannot hold an emoji). A test holds the
    scores equal to VADER's; bench/ measures the speed."""
    import string

    from vaderSentiment.vaderSentiment import (
        B_INCR,
        BOOSTER_DICT,
        C_INCR,
        N_SCALAR,
        NEGATE,
        SPECIAL_CASES,
        SentimentIntensityAnalyzer,
        normalize,
    )

    negate = frozenset(NEGATE)
    punctuation = string.punctuation
    assert B_INCR  # (imported so a change of VADER's constants shows up here)

    def negated(word: str) -> bool:
        return word in negate or "n't" in word

    # Every word of VADER's special-case idioms and multi-word boosters: a window holding none
    # of them cannot match one, and most windows do not (the check then costs four lookups).
    idiom_words = frozenset(w for phrase in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in phrase for w in phrase.split())
    # Words VADER's neighbour checks look for (negations, boosters, idioms, "so"/"this", "least",
    # "no ... or/nor", "without doubt"): a known word with none of them within three words keeps
    # its own valence, and most known words are such.
    changers = (
        negate
        | frozenset(BOOSTER_DICT)
        | idiom_words
        | {"so", "this", "never", "without", "doubt", "least", "no", "or", "nor"}
    )

    def special_idioms(valence: float, low: list[str], i: int) -> float:
        # VADER's _special_idioms_check on the lowered words (i >= 3 whenever it is called).
        w3, w2, w1, w0 = low[i - 3], low[i - 2], low[i - 1], low[i]
        after = low[i + 1 : i + 3]
        if not (w3 in idiom_words or w2 in idiom_words or w1 in idiom_words or w0 in idiom_words) and not any(
            w in idiom_words for w in after
        ):
            return valence
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}", f"{w3} {w2}"):
            if seq in SPECIAL_CASES:
                valence = SPECIAL_CASES[seq]
                break
        n = len(low)
        if n - 1 > i:
            zeroone = f"{w0} {low[i + 1]}"
            if zeroone in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {low[i + 1]} {low[i + 2]}"
            if zeroonetwo in SPECIAL_CASES:
                valence = SPECIAL_CASES[zeroonetwo]
        for n_gram in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
            if n_gram in BOOSTER_DICT:
                valence = valence + BOOSTER_DICT[n_gram]
        return valence

    def negation(valence: float, low: list[str], start_i: int, i: int) -> float:
        # VADER's _negation_check, operator precedence included.
        if start_i == 0:
            if negated(low[i - 1]):
                valence = valence * N_SCALAR
        elif start_i == 1:
            if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                valence = valence * 1.25
            elif low[i - 2] == "without" and low[i - 1] == "doubt":
                pass
            elif negated(low[i - 2]):
                valence = valence * N_SCALAR
        elif (low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this")) or (
            low[i - 1] == "so" or low[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
            pass
        elif negated(low[i - 3]):
            valence = valence * N_SCALAR
        return valence

    class FastAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
        def _prepared(self, text: str) -> str:
            """VADER's emoji pass (ASCII text cannot hold an emoji: skipped), then strip()."""
            if text.isascii():
                return text.strip()
            emojis = self.emojis
            out: list[str] = []
            prev_space = True
            for char in text:
                if char in emojis:
                    if not prev_space:
                        out.append(" ")
                    out.append(emojis[char])
                    prev_space = False
                else:
                    out.append(char)
                    prev_space = char == " "
            return "".join(out).strip()

        def polarity_scores(self, text: str) -> dict[str, float]:
            text = self._prepared(text)
            return dict(self.score_valence(self._valences(text), text))

        def compound(self, text: str) -> float:
            """polarity_scores(text)["compound"], without the pos/neg/neu shares nobody reads."""
            text = self._prepared(text)
            sentiments = self._valences(text)
            if not sentiments:
                return 0.0
            total = float(sum(sentiments))
            emphasis = self._punctuation_emphasis(text)
            if total > 0:
                total += emphasis
            elif total < 0:
                total -= emphasis
            return float(round(normalize(total), 4))

        def _valences(self, text: str) -> list[float]:
            # SentiText._words_and_emoticons, each distinct token stripped and lowered once per
            # process: a stream repeats its words (handles, "flight", "the") all day.
            low: list[str] = []
            upper: list[bool] = []
            changes: list[bool] = []
            forms = _FORMS if len(_FORMS) < _FORMS_KEPT else _forgotten()
            for token in text.split():
                form = forms.get(token)
                if form is None:
                    stripped = token.strip(punctuation)
                    word = token if len(stripped) <= 2 else stripped
                    lowered = word.lower()
                    form = forms[token] = (lowered, word.isupper(), lowered in changers or "n't" in lowered)
                low.append(form[0])
                upper.append(form[1])
                changes.append(form[2])
            caps = sum(upper)
            is_cap_diff = 0 < caps < len(low)  # allcap_differential
            lexicon = self.lexicon
            last = len(low) - 1
            # Words VADER does not know score 0 whatever surrounds them: only the known ones are
            # visited (boosters and "kind of" stay 0, as in VADER).
            sentiments: list[float] = [0] * len(low)
            for i in [i for i, w in enumerate(low) if w in lexicon]:
                lowered = low[i]
                if lowered in BOOSTER_DICT or (i < last and lowered == "kind" and low[i + 1] == "of"):
                    continue
                valence = lexicon[lowered]
                if not any(changes[i - 3 if i > 3 else 0 : i + 3]):  # nothing around it modifies it
                    if is_cap_diff and upper[i]:
                        valence = valence + C_INCR if valence > 0 else valence - C_INCR
                    sentiments[i] = valence
                    continue
                if lowered == "no" and i != last and low[i + 1] in lexicon:
                    valence = 0.0
                if (
                    (i > 0 and low[i - 1] == "no")
                    or (i > 1 and low[i - 2] == "no")
                    or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))
                ):
                    valence = lexicon[lowered] * N_SCALAR
                if is_cap_diff and upper[i]:
                    valence = valence + C_INCR if valence > 0 else valence - C_INCR
                for start_i in range(3):
                    j = i - (start_i + 1)
                    if i > start_i and low[j] not in lexicon:
                        s = 0.0  # scalar_inc_dec
                        if low[j] in BOOSTER_DICT:
                            s = BOOSTER_DICT[low[j]]
                            if valence < 0:
                                s *= -1
                            if is_cap_diff and upper[j]:
                                s = s + C_INCR if valence > 0 else s - C_INCR
                        if start_i == 1 and s != 0:
                            s = s * 0.95
                        if start_i == 2 and s != 0:
                            s = s * 0.9
                        valence = valence + s
                        valence = negation(valence, low, start_i, i)
                        if start_i == 2:
                            valence = special_idioms(valence, low, i)
                if i > 1 and low[i - 1] not in lexicon and low[i - 1] == "least":  # _least_check
                    if low[i - 2] != "at" and low[i - 2] != "very":
                        valence = valence * N_SCALAR
                elif i > 0 and low[i - 1] not in lexicon and low[i - 1] == "least":
                    valence = valence * N_SCALAR
                sentiments[i] = valence
            if "but" in low:
                sentiments = self._but_check(low, sentiments)  # VADER's own, quirks and all (it lowers the words)
            return sentiments

    return FastAnalyzer


@lru_cache(maxsize=1)
def _analyzer() -> Any:
    analyzer = _fast_class()()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    return analyzer


@lru_cache(maxsize=1)
def _courtesy_free() -> Any:
    """A second analyzer for requests: courtesy words carry no valence there."""
    analyzer = _fast_class()()
    analyzer.lexicon.update(DOMAIN_LEXICON)
    for word in COURTESY:
        analyzer.lexicon.pop(word, None)
    return analyzer


def label_for(score: float) -> Label:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


_QUESTION_ONLY = re.compile(r"^[^.!]*\?\s*(\S+\s*)?$")


_HASHTAG = re.compile(r"#(\w{5,30})")
_COMMON = (
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
def _vocabulary() -> frozenset[str]:
    words = {w for w in _analyzer().lexicon if w.isalpha() and len(w) > 1}
    return frozenset(words | set(_COMMON) | set(DOMAIN_LEXICON))


@lru_cache(maxsize=4096)
def segment(tag: str) -> str:
    """'worstairlineever' -> 'worst airline ever' when known words cover all of it; else ''."""
    vocabulary = _vocabulary()
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
    words = best[len(tag)]
    return " ".join(words) if words and len(words) > 1 else ""


def expand_hashtags(text: str) -> str:
    """Hashtags are where posts to a company put their verdict (#nothappy, #worstairlineever):
    spell out the ones VADER would read as a single unknown word."""
    if "#" not in text:
        return text
    return _HASHTAG.sub(lambda m: segment(m.group(1).lower()) or m.group(0), text)


def _failure(lowered: str, words: frozenset[str] | set[str]) -> str:
    hit = next(iter(words & FAILURE_WORDS), "")
    return hit or next((p for p in FAILURE_PHRASES if p in lowered), "")


def analyse(text: str, *, words: set[str] | None = None) -> Sentiment:
    """One VADER pass, with the analyzer chosen by cheap cues read first (`words`: the text's
    distinct tokens, when the caller has them)."""
    lowered = text.lower()
    if words is None:
        words = set(tokenize(lowered))
    failure = _failure(lowered, words)
    request = (
        "?" in text
        or bool(words & REQUEST_WORDS)
        or bool(words & PROBLEM_WORDS)
        or any(p in lowered for p in REQUEST_PHRASES)
    )
    analyzer = _courtesy_free() if (failure or request) else _analyzer()
    compound = analyzer.compound(expand_hashtags(text))
    if failure and NEGATIVE_AT < compound < STRONG_PRAISE_AT and not _QUESTION_ONLY.match(text.strip()):
        # A service failure reported without strong praise is a complaint, however politely put.
        return Sentiment(
            round(min(compound, NEGATIVE_AT), 3), "negative", f"negative: reports a service failure ('{failure}')"
        )
    if not (failure or request) and 0 < compound < POSITIVE_AT and not words.isdisjoint(GRATITUDE):
        # Thanks with nothing asked and nothing wrong is a thank-you, however short ("@brand thanks").
        return Sentiment(round(compound, 3), "positive", "positive: thanks, with nothing asked or reported")
    label = label_for(compound)
    if label == "neutral" and "why" in words and not words.isdisjoint(NEGATIONS):
        # "why can't I rebook online?", "why isn't anyone at the desk?": a complaint put as a question.
        return Sentiment(
            round(min(compound, NEGATIVE_AT), 3), "negative", "negative: asks why something did not happen"
        )
    why = "courtesy discounted in a request or problem report" if (failure or request) else f"score {compound:+.2f}"
    return Sentiment(round(compound, 3), label, f"{label}: {why}")
