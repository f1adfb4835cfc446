"""VADER's per-word valences (SentimentIntensityAnalyzer.sentiment_valence and its neighbour
checks), typed so mypyc compiles it: the hot loop of triage. vader.py wraps it in VADER's own
class; tests/unit holds the scores equal to vaderSentiment's on examples and generated text."""

from __future__ import annotations

import math
import re
from typing import Final

# Token -> (VADER's word for it, lower-cased; whether it is all capitals; whether it can change a
# neighbour's valence), shared by every reading in the process.
Form = tuple[str, bool, bool]
FORMS_KEPT: Final = 200_000  # about 20 MB at most, then it starts over
_PUNCTUATION: Final = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  # string.punctuation


class Valences:
    """VADER's valence rules over one lexicon (the dict is shared, not copied: sentiment.py adds
    the domain's words to it and takes courtesy out)."""

    def __init__(
        self,
        *,
        lexicon: dict[str, float],
        boosters: dict[str, float],
        special_cases: dict[str, float],
        negations: frozenset[str],
        n_scalar: float,
        c_incr: float,
        emojis: dict[str, str],
        forms: dict[str, Form],
    ) -> None:
        self.lexicon = lexicon
        self.boosters = boosters
        self.special_cases = special_cases
        self.negations = negations
        self.n_scalar = n_scalar
        self.c_incr = c_incr
        self.emojis = emojis
        self.forms = forms
        # Where an emoji it reads can be: its Latin-1 characters (©, ®) each, the rest one range (from "‼"). A text
        # with none (most beyond ASCII: accents, ’, …) is read as it stands, not looked up a character at a time.
        single = sorted(e for e in emojis if len(e) == 1)
        latin = "".join(re.escape(e) for e in single if e < "\u0100")
        rest = [e for e in single if e >= "\u0100"]
        span = f"{re.escape(rest[0])}-{re.escape(rest[-1])}" if rest else ""
        self.emoji_span = re.compile(f"[{latin}{span}]" if latin or span else "(?!)")
        # Every word of VADER's special-case idioms and multi-word boosters: a window holding none
        # of them cannot match one, and most windows do not.
        self.idiom_words = frozenset(
            w for phrase in (*special_cases, *boosters) if " " in phrase for w in phrase.split()
        )
        # Words VADER's neighbour checks look for (negations, boosters, idioms, "so"/"this",
        # "least", "no ... or/nor", "without doubt"): a known word with none of them within three
        # words keeps its own valence, and most known words are such.
        self.changers = (
            negations
            | frozenset(boosters)
            | self.idiom_words
            | {"so", "this", "never", "without", "doubt", "least", "no", "or", "nor"}
        )

    def compound(self, text: str) -> float:
        """VADER's polarity_scores(text)["compound"], without the pos/neg/neu shares nobody reads."""
        text = self.prepared(text)
        low, upper, changes = self.words(text)
        sentiments = self.valences(low, upper, changes)
        if not sentiments:
            return 0.0
        if "but" in low:
            sentiments = but_check(low, sentiments)
        total = float(sum(sentiments))
        emphasis = punctuation_emphasis(text)
        if total > 0:
            total += emphasis
        elif total < 0:
            total -= emphasis
        return float(round(normalize(total), 4))

    def prepared(self, text: str) -> str:
        """VADER's emoji pass (ASCII text cannot hold an emoji: skipped), then strip()."""
        if text.isascii() or self.emoji_span.search(text) is None:
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

    def words(self, text: str) -> tuple[list[str], list[bool], list[bool]]:
        """SentiText._words_and_emoticons lowered, with each word's capitals and whether it can
        change a neighbour; each distinct token stripped and lowered once per process (a stream
        repeats its words all day)."""
        low: list[str] = []
        upper: list[bool] = []
        changes: list[bool] = []
        forms = self.forms
        if len(forms) >= FORMS_KEPT:
            forms.clear()
        changers = self.changers
        for token in text.split():
            form = forms.get(token)
            if form is None:
                stripped = token.strip(_PUNCTUATION)
                word = token if len(stripped) <= 2 else stripped
                lowered = word.lower()
                form = (lowered, word.isupper(), lowered in changers or "n't" in lowered)
                forms[token] = form
            low.append(form[0])
            upper.append(form[1])
            changes.append(form[2])
        return low, upper, changes

    def valences(self, low: list[str], upper: list[bool], changes: list[bool]) -> list[float]:  # noqa: C901, PLR0912 (the hot loop: calls cost per token)
        caps = 0
        for u in upper:
            if u:
                caps += 1
        n = len(low)
        is_cap_diff = 0 < caps < n  # allcap_differential
        lexicon = self.lexicon
        boosters = self.boosters
        n_scalar = self.n_scalar
        c_incr = self.c_incr
        last = n - 1
        # Words VADER does not know score 0 whatever surrounds them: only the known ones are
        # visited (boosters and "kind of" stay 0, as in VADER).
        sentiments: list[float] = [0.0] * n
        for i in range(n):
            lowered = low[i]
            if lowered not in lexicon:
                continue
            if lowered in boosters or (i < last and lowered == "kind" and low[i + 1] == "of"):
                continue
            valence = lexicon[lowered]
            near = False
            for j in range(i - 3 if i > 3 else 0, i + 3 if i + 3 < n else n):
                if changes[j]:
                    near = True
                    break
            if not near:  # nothing around it modifies it
                if is_cap_diff and upper[i]:
                    valence = valence + c_incr if valence > 0 else valence - c_incr
                sentiments[i] = valence
                continue
            if lowered == "no" and i != last and low[i + 1] in lexicon:
                valence = 0.0
            if (
                (i > 0 and low[i - 1] == "no")
                or (i > 1 and low[i - 2] == "no")
                or (i > 2 and low[i - 3] == "no" and low[i - 1] in ("or", "nor"))
            ):
                valence = lexicon[lowered] * n_scalar
            if is_cap_diff and upper[i]:
                valence = valence + c_incr if valence > 0 else valence - c_incr
            for start_i in range(3):
                j = i - (start_i + 1)
                if i > start_i and low[j] not in lexicon:
                    s = 0.0  # scalar_inc_dec
                    if low[j] in boosters:
                        s = boosters[low[j]]
                        if valence < 0:
                            s *= -1
                        if is_cap_diff and upper[j]:
                            s = s + c_incr if valence > 0 else s - c_incr
                    if start_i == 1 and s != 0:
                        s = s * 0.95
                    if start_i == 2 and s != 0:
                        s = s * 0.9
                    valence = valence + s
                    valence = self.negation(valence, low, start_i, i)
                    if start_i == 2:
                        valence = self.special_idioms(valence, low, i)
            if i > 1 and low[i - 1] not in lexicon and low[i - 1] == "least":  # _least_check
                if low[i - 2] != "at" and low[i - 2] != "very":
                    valence = valence * n_scalar
            elif i > 0 and low[i - 1] not in lexicon and low[i - 1] == "least":
                valence = valence * n_scalar
            sentiments[i] = valence
        return sentiments

    def negated(self, word: str) -> bool:
        return word in self.negations or "n't" in word

    def negation(self, valence: float, low: list[str], start_i: int, i: int) -> float:
        """VADER's _negation_check, operator precedence included."""
        if start_i == 0:
            if self.negated(low[i - 1]):
                valence = valence * self.n_scalar
        elif start_i == 1:
            if low[i - 2] == "never" and (low[i - 1] == "so" or low[i - 1] == "this"):
                valence = valence * 1.25
            elif low[i - 2] == "without" and low[i - 1] == "doubt":
                pass
            elif self.negated(low[i - 2]):
                valence = valence * self.n_scalar
        elif (low[i - 3] == "never" and (low[i - 2] == "so" or low[i - 2] == "this")) or (
            low[i - 1] == "so" or low[i - 1] == "this"
        ):
            valence = valence * 1.25
        elif low[i - 3] == "without" and (low[i - 2] == "doubt" or low[i - 1] == "doubt"):
            pass
        elif self.negated(low[i - 3]):
            valence = valence * self.n_scalar
        return valence

    def special_idioms(self, valence: float, low: list[str], i: int) -> float:
        """VADER's _special_idioms_check on the lowered words (i >= 3 whenever it is called)."""
        idiom_words = self.idiom_words
        w3, w2, w1, w0 = low[i - 3], low[i - 2], low[i - 1], low[i]
        n = len(low)
        if not (
            w3 in idiom_words
            or w2 in idiom_words
            or w1 in idiom_words
            or w0 in idiom_words
            or (i + 1 < n and low[i + 1] in idiom_words)
            or (i + 2 < n and low[i + 2] in idiom_words)
        ):
            return valence
        special = self.special_cases
        for seq in (f"{w1} {w0}", f"{w2} {w1} {w0}", f"{w2} {w1}", f"{w3} {w2} {w1}", f"{w3} {w2}"):
            if seq in special:
                valence = special[seq]
                break
        if n - 1 > i:
            zeroone = f"{w0} {low[i + 1]}"
            if zeroone in special:
                valence = special[zeroone]
        if n - 1 > i + 1:
            zeroonetwo = f"{w0} {low[i + 1]} {low[i + 2]}"
            if zeroonetwo in special:
                valence = special[zeroonetwo]
        for n_gram in (f"{w3} {w2} {w1}", f"{w3} {w2}", f"{w2} {w1}"):
            if n_gram in self.boosters:
                valence = valence + self.boosters[n_gram]
        return valence


def but_check(low: list[str], sentiments: list[float]) -> list[float]:
    """VADER's _but_check, quirks and all (it finds each value's first equal, not its position)."""
    if "but" in low:
        bi = low.index("but")
        for sentiment in sentiments:
            si = sentiments.index(sentiment)
            if si < bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 0.5)
            elif si > bi:
                sentiments.pop(si)
                sentiments.insert(si, sentiment * 1.5)
    return sentiments


def punctuation_emphasis(text: str) -> float:
    """VADER's _punctuation_emphasis: up to four "!", and two or more "?"."""
    ep_count = text.count("!")
    ep_count = min(ep_count, 4)
    qm_count = text.count("?")
    qm_amplifier = 0.0
    if qm_count > 1:
        qm_amplifier = qm_count * 0.18 if qm_count <= 3 else 0.96
    return ep_count * 0.292 + qm_amplifier


def normalize(score: float, alpha: float = 15) -> float:
    """VADER's normalize: the sum of valences into -1..1."""
    norm_score = score / math.sqrt((score * score) + alpha)
    return -1.0 if norm_score < -1.0 else 1.0 if norm_score > 1.0 else norm_score
