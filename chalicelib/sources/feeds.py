"""Atom and RSS parsing shared by the feed-shaped sources (websub, rss). Not a source itself.

defusedxml refuses DTDs and entity tricks: feeds are untrusted input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from chalicelib.clock import parse_timestamp
from chalicelib.errors import MalformedBody

ATOM = "{http://www.w3.org/2005/Atom}"
YT = "{http://www.youtube.com/xml/schemas/2015}"
MEDIA = "{http://search.yahoo.com/mrss/}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
TOMBSTONE = "{http://purl.org/atompub/tombstones/1.0}deleted-entry"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,;:!?])")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    title: str
    link: str
    summary: str
    author: str
    author_uri: str
    published: datetime | None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    entries: list[FeedEntry]
    deleted: int = 0


def _text(node: Element | None) -> str:
    return (node.text or "").strip() if node is not None else ""


def plain(html_or_text: str) -> str:
    import html

    text = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", html_or_text))).strip()
    return _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)  # "<b>city</b>." must not read "city ."


def _when(*values: str) -> datetime | None:
    for value in values:
        if not value:
            continue
        try:
            return parse_timestamp(value)
        except ValueError:
            pass
        try:
            return parse_timestamp(parsedate_to_datetime(value).isoformat())
        except (TypeError, ValueError):
            pass
    return None


def _atom_link(entry: Element) -> str:
    links = entry.findall(f"{ATOM}link")
    for link in links:
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return str(link.get("href"))
    return str(links[0].get("href", "")) if links else ""


def _atom(root: Element) -> Feed:
    entries = []
    for e in root.findall(f"{ATOM}entry"):
        extra = {k: _text(e.find(tag)) for k, tag in (("video_id", f"{YT}videoId"), ("channel_id", f"{YT}channelId"))}
        description = _text(e.find(f"{MEDIA}group/{MEDIA}description"))
        entries.append(
            FeedEntry(
                id=_text(e.find(f"{ATOM}id")),
                title=plain(_text(e.find(f"{ATOM}title"))),
                link=_atom_link(e),
                summary=plain(_text(e.find(f"{ATOM}summary")) or _text(e.find(f"{ATOM}content")) or description),
                author=_text(e.find(f"{ATOM}author/{ATOM}name")),
                author_uri=_text(e.find(f"{ATOM}author/{ATOM}uri")),
                published=_when(_text(e.find(f"{ATOM}published")), _text(e.find(f"{ATOM}updated"))),
                extra={k: v for k, v in extra.items() if v},
            )
        )
    return Feed(title=plain(_text(root.find(f"{ATOM}title"))), entries=entries, deleted=len(root.findall(TOMBSTONE)))


def _rss(root: Element) -> Feed:
    channel = root.find("channel")
    if channel is None:
        raise MalformedBody("RSS document without a channel")
    entries = []
    for item in channel.findall("item"):
        guid = _text(item.find("guid"))
        link = _text(item.find("link"))
        entries.append(
            FeedEntry(
                id=guid or link,
                title=plain(_text(item.find("title"))),
                link=link or (guid if guid.startswith("http") else ""),
                summary=plain(_text(item.find("description")) or _text(item.find(f"{CONTENT}encoded"))),
                author=_text(item.find(f"{DC}creator")) or _text(item.find("author")),
                author_uri="",
                published=_when(_text(item.find("pubDate")), _text(item.find(f"{DC}date"))),
            )
        )
    return Feed(title=plain(_text(channel.find("title"))), entries=entries)


def parse_feed(body: bytes) -> Feed:
    """An Atom or RSS 2.0 document; MalformedBody for anything else."""
    try:
        root: Any = fromstring(body, forbid_dtd=True)
    except (ParseError, DefusedXmlException, ValueError) as exc:
        raise MalformedBody(f"not a well-formed feed: {exc}") from exc
    if root.tag == f"{ATOM}feed":
        return _atom(root)
    if root.tag == "rss":
        return _rss(root)
    raise MalformedBody(f"expected an Atom feed or RSS, got <{root.tag}>")
