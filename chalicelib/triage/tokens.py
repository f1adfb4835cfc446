"""The one tokenisation every triage step reads: lower-case words, hashtags and handles with
their sign ("#fail", "@delta"), "wi-fi" and "can't" whole, links left out (their pieces are
neither words nor topics, and a repost's copy of a link may differ)."""

from __future__ import annotations

import re

TOKEN = re.compile(r"[#@]?\w++(?:[-']\w++)*+")  # possessive: nothing to give back, less to try
LINK = re.compile(r"https?://\S+")


def tokenize(lowered: str) -> list[str]:
    """The words of an already lower-cased text."""
    return TOKEN.findall(LINK.sub(" ", lowered) if "http" in lowered else lowered)
