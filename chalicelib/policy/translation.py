"""Whether a mention needs translating for its reader, and how a translation sits beside the
original in a notification. Pure: the call to Amazon Translate is flows/translations.py's."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.records import Notification

# What fastText and the sources say when they do not know a text's language.
UNKNOWN = frozenset({"", "und", "unknown", "zxx", "mul"})
MAX_CHARACTERS = 2000  # a mention is a post: longer text is cut (and counted) at this
GROUPS_LANGUAGE = "en"  # what a stakeholder group's messages are written in today


def base(code: str) -> str:
    """ "pt-BR" -> "pt": languages are compared by their primary subtag."""
    return code.strip().lower().replace("_", "-").split("-", 1)[0]


def needs_translation(source: str, reader: str) -> bool:
    """A mention in a known language its reader does not read. Never for text already in the
    reader's language, and never when its language is unknown (it may be theirs)."""
    return base(source) not in UNKNOWN and base(reader) not in UNKNOWN and base(source) != base(reader)


def with_translation(n: Notification, *, original: str, translated: str, source: str) -> Notification:
    """The notification with the translation right after the original (which stays as it was),
    saying it is a machine translation and from which language."""
    block = f"\n\nMachine translation from {base(source)} (Amazon Translate):\n{translated.strip()}"
    where = n.email.find(original[:200]) if original else -1
    if where < 0:
        return replace(n, email=f"{n.email}{block}")
    end = n.email.find("\n\n", where)  # the original's paragraph ends at the blank line after it
    end = len(n.email) if end < 0 else end
    return replace(n, email=n.email[:end] + block + n.email[end:])
