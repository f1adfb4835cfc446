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
