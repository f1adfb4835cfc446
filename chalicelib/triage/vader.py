"""A faster VADER: vaderSentiment's SentimentIntensityAnalyzer with its steps and its quirks,
scores equal to the original's (tests/unit holds them equal on examples and generated text).
The domain's corrections live in sentiment.py (and problems.py, afinn.py, goemotions.py); this
module is only the engine."""

from __future__ import annotations

from typing import Any

from chalicelib.triage import valence

# Token -> (VADER's word for it, lower-cased; whether it is all capitals; whether it can change a
# neighbour's valence), shared by both analyzers.
_FORMS: dict[str, valence.Form] = {}


def forget() -> None:
    """Drop the remembered token forms."""
    _FORMS.clear()


def analyzer_class() -> Any:
    """VADER's SentimentIntensityAnalyzer (vaderSentiment 3.3.2, MIT licence) with the same steps
    and the same quirks, computed faster: each word is lower-cased once per text instead of once
    per check (VADER lower-cases the whole sentence again for every negation and idiom check),
    and ASCII text skips the per-character emoji pass (it cannot hold an emoji). A test holds the
    scores equal to VADER's; bench/ measures the speed."""
    from vaderSentiment.vaderSentiment import (
        B_INCR,
        BOOSTER_DICT,
        C_INCR,
        N_SCALAR,
        NEGATE,
        SPECIAL_CASES,
        SentimentIntensityAnalyzer,
    )

    assert B_INCR  # (imported so a change of VADER's constants shows up here)

    class FastAnalyzer(SentimentIntensityAnalyzer):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.rules = valence.Valences(
                lexicon=self.lexicon,
                boosters=BOOSTER_DICT,
                special_cases=SPECIAL_CASES,
                negations=frozenset(NEGATE),
                n_scalar=N_SCALAR,
                c_incr=C_INCR,
                emojis=self.emojis,
                forms=_FORMS,
            )

        def polarity_scores(self, text: str) -> dict[str, float]:
            text = self.rules.prepared(text)
            return dict(self.score_valence(self._valences(text), text))

        def compound(self, text: str) -> float:
            """polarity_scores(text)["compound"], without the pos/neg/neu shares nobody reads."""
            return self.rules.compound(text)

        def _valences(self, text: str) -> list[float]:
            rules = self.rules
            low, upper, changes = rules.words(text)
            return valence.but_check(low, rules.valences(low, upper, changes))

    return FastAnalyzer
