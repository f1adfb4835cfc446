"""Source registry: one module per source; its slug is its module name, key and URL segment."""

from __future__ import annotations

from chalicelib.errors import UnknownSource
from chalicelib.sources.base import PullSource, Source
from chalicelib.sources.generic import GenericSource
from chalicelib.sources.meltwater import MeltwaterSource
from chalicelib.sources.mentioncom import MentionComSource
from chalicelib.sources.meta import MetaSource
from chalicelib.sources.rss import RssSource
from chalicelib.sources.websub import WebSubSource
from chalicelib.sources.x import XSource

_rss, _mentioncom = RssSource(), MentionComSource()
REGISTRY: dict[str, Source] = {
    s.slug: s for s in (GenericSource(), MetaSource(), XSource(), WebSubSource(), MeltwaterSource(), _rss, _mentioncom)
}
PULL_REGISTRY: dict[str, PullSource] = {s.slug: s for s in (_rss, _mentioncom)}


def get_source(slug: str) -> Source:
    try:
        return REGISTRY[slug]
    except KeyError:
        raise UnknownSource(f"no source named {slug[:64]!r}; known sources: {', '.join(sorted(REGISTRY))}") from None
