"""Source registry: one module per source; its slug is its module name, key and URL segment."""

from __future__ import annotations

from chalicelib.errors import UnknownSource
from chalicelib.sources.base import Source
from chalicelib.sources.generic import GenericSource
from chalicelib.sources.meltwater import MeltwaterSource
from chalicelib.sources.meta import MetaSource
from chalicelib.sources.websub import WebSubSource
from chalicelib.sources.x import XSource

REGISTRY: dict[str, Source] = {
    s.slug: s for s in (GenericSource(), MetaSource(), XSource(), WebSubSource(), MeltwaterSource())
}


def get_source(slug: str) -> Source:
    try:
        return REGISTRY[slug]
    except KeyError:
        raise UnknownSource(f"no source named {slug[:64]!r}; known sources: {', '.join(sorted(REGISTRY))}") from None
