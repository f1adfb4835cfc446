"""Foreign mentions made readable: Amazon Translate (TranslateText) on demand, where the
deployment sets a daily allowance of characters (SHAREDWATCH_TRANSLATE_DAILY_CHARACTERS). A
translation is cached on its mention, so each language is paid for once; the allowance is one
atomic counter a day; the original is always shown beside it. Never called for text in its
reader's language or in an unknown one. A failure or a spent allowance shows the original with
a note, and never fails a page or a delivery."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.clock import isoformat
from chalicelib.observability import logger
from chalicelib.policy.batch import Outgoing
from chalicelib.policy.translation import GROUPS_LANGUAGE, MAX_CHARACTERS, base, needs_translation, with_translation
from chalicelib.records import Mention
from chalicelib.settings import get_settings
from chalicelib.store import translations
from chalicelib.store.counters import take_characters
from chalicelib.triage.tokens import unescape

Status = Literal["translated", "not-needed", "off", "offered", "capped", "failed"]
MAX_PER_BATCH = 10  # a stream batch's notifications translate at most this many mentions


@dataclass(frozen=True, slots=True)
class Translation:
    status: Status
    target: str = ""
    source: str = ""
    text: str = ""


def translation_for(*, mention_id: str, text: str, lang: str, reader: str, now: datetime, ask: bool) -> Translation:
    """The mention's text in `reader`'s language: cached, or (`ask`) translated now within the
    day's allowance; "offered" when it could be and was not asked for."""
    target = base(reader)
    if not needs_translation(lang, reader):
        return Translation("not-needed", target)
    settings = get_settings()
    if settings.translate_daily_characters <= 0:
        return Translation("off", target)
    stored = translations.cached(mention_id)
    if stored is None:
        return Translation("not-needed", target)  # no such mention: nothing to translate
    if target in stored:
        hit = stored[target]
        return Translation("translated", target, hit.get("source", base(lang)), hit.get("text", ""))
    if not ask:
        return Translation("offered", target, base(lang))
    original = unescape(text)[:MAX_CHARACTERS]
    if not take_characters(
        "translate", amount=len(original), limit=settings.translate_daily_characters, day=isoformat(now)[:10]
    ):
        logger.info("translation allowance spent", extra={"mention": mention_id})
        return Translation("capped", target, base(lang))
    try:
        answer = aws.translate().translate_text(Text=original, SourceLanguageCode=base(lang), TargetLanguageCode=target)
    except (ClientError, BotoCoreError) as exc:
        code = exc.response["Error"].get("Code", "") if isinstance(exc, ClientError) else type(exc).__name__
        logger.warning("translation failed", extra={"mention": mention_id, "error": code})
        return Translation("failed", target, base(lang))
    translated = str(answer.get("TranslatedText") or "")
    source = base(str(answer.get("SourceLanguageCode") or lang))
    translations.keep(
        mention_id, target, {"text": translated, "source": source, "at": isoformat(now)}, map_exists=bool(stored)
    )
    return Translation("translated", target, source, translated)


def translate_notifications(
    outgoing: Sequence[Outgoing], mentions: Iterable[Mention], *, now: datetime
) -> list[Outgoing]:
    """A mention's notifications with its translation beside the original, for groups that read
    neither its language (their messages are in English today). Off: nothing is read or asked."""
    if get_settings().translate_daily_characters <= 0:
        return list(outgoing)
    foreign = {m.mention_id: m for m in mentions if needs_translation(m.lang, GROUPS_LANGUAGE)}
    wanted = [o for o in outgoing if o.notification.item_kind == "mention" and o.notification.item_id in foreign]
    if not wanted:
        return list(outgoing)
    done: dict[str, Translation] = {}
    out: list[Outgoing] = []
    for item in outgoing:
        n = item.notification
        m = foreign.get(n.item_id) if n.item_kind == "mention" else None
        if m is None:
            out.append(item)
            continue
        if m.mention_id not in done and len(done) < MAX_PER_BATCH:
            try:
                done[m.mention_id] = translation_for(
                    mention_id=m.mention_id, text=m.text, lang=m.lang, reader=GROUPS_LANGUAGE, now=now, ask=True
                )
            except Exception:  # a notification goes out untranslated rather than late
                logger.exception("translating a notification failed")
                done[m.mention_id] = Translation("failed")
        found = done.get(m.mention_id)
        if found is None or found.status != "translated":
            out.append(item)
            continue
        out.append(
            replace(
                item,
                notification=with_translation(n, original=m.text, translated=found.text, source=found.source),
            )
        )
    return out
