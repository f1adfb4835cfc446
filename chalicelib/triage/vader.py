"""A faster VADER: vaderSentiment's SentimentIntensityAnalyzer with its steps and its quirks,
scores equal to the original's (tests/unit holds them equal on examples and generated text).
The domain's corrections live in sentiment.py (and problems.py, afinn.py, goemotions.py); this
module is only the engine."""

from __future__ import annotations

from typing import Any

# Token -> (VADER's word for it, lower-cased; whether it is all capitals; whether it can change a
# neighbour's valence), shared by both analyzers.
_FORMS: dict[str, tuple[str, bool, bool]] = {}
_FORMS_KEPT = 200_000  # about 20 MB at most, then it starts over


def _forgotten() -> dict[str, tuple[str, bool, bool]]:
    _FORMS.clear()
    return _FORMS


def forget() -> None:
    """Drop the remembered token forms."""
    _FORMS.clear()


def analyzer_class() -> Any:
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

        def _valences(self, text: str) -> list[float]:  # noqa: PLR0912 (the hot loop, inlined for speed: bench_triage)
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
