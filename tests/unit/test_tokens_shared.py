"""The tokens every triage step shares: a reason names the leftmost matching word in every
process, and the ASCII fast paths find what the patterns find (tests moved from test_triage.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st


def test_a_way_with_several_words_present_names_the_leftmost_match_whatever_the_hash_seed() -> None:
    # The words present are a set, whose order follows the process's string hashes: a reason must
    # name what a search finds first, the same in every process.
    from chalicelib.triage.tokens import Ways, tokenize, word_forms

    anchors = "alpha bravo charlie delta echo foxtrot golf hotel"
    ways = Ways((("named", anchors, "|".join(anchors.split()), 0),))
    text = "hotel golf foxtrot echo delta charlie bravo alpha"
    forms = word_forms(text, set(tokenize(text)))
    assert ways.first(text, forms) == ("named", "hotel")
    code = (
        "from chalicelib.triage.tokens import Ways, tokenize, word_forms\n"
        f"w = Ways((('named', {anchors!r}, {'|'.join(anchors.split())!r}, 0),))\n"
        f"t = {text!r}\n"
        "print(w.first(t, word_forms(t, set(tokenize(t))))[1])"
    )
    for seed in ("1", "2", "3"):
        done = subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).resolve().parents[2],
            capture_output=True,
            text=True,
            check=True,
        )
        assert done.stdout.strip() == "hotel"


@given(st.text(alphabet="aB_1é#@-' .,!?\t\n\x1c\x0bhtp:/", max_size=40))
def test_tokenize_gives_the_patterns_tokens_whatever_the_characters(text: str) -> None:
    # An ASCII text is split after one bytes translation, not scanned by the pattern: the same tokens.
    from chalicelib.triage.tokens import LINK, TOKEN, tokenize

    lowered = text.lower()
    assert tokenize(lowered) == TOKEN.findall(LINK.sub(" ", lowered) if "http" in lowered else lowered)


@given(st.text(alphabet="aB_1é@ .\n", max_size=30))
def test_handles_found_alike_in_ascii_and_other_text(text: str) -> None:
    # The ASCII twin of the handle pattern finds the same handles in an ASCII text.
    from chalicelib.triage.sentiment import _HANDLE, _handle

    assert _handle(text).sub(" ", text) == _HANDLE.sub(" ", text)
