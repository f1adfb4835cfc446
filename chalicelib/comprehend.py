"""Amazon Comprehend for the languages VADER does not read: the deployment lists them in
SHAREDWATCH_COMPREHEND_LANGUAGES (the CDK stack lists every language Comprehend scores; the
local stack none). Every way a mention comes in (webhooks, pull targets) passes through here in
`flows/ingest.py`. A failure leaves the mention unscored (never neutral) and never fails the
delivery."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.observability import logger
from chalicelib.records import Mention
from chalicelib.settings import get_settings
from chalicelib.triage.sentiment import label_for
from chalicelib.triage.tokens import unescape

# DetectSentiment's languages, English aside (VADER reads it); zh-TW posts are identified as zh.
LANGUAGES = ("ar", "de", "es", "fr", "hi", "it", "ja", "ko", "pt", "zh")
MAX_PER_BATCH = 25  # a delivery's worth of foreign-language posts; the rest stay unscored
MAX_BYTES = 5000  # Comprehend's limit per document


def score_foreign(mentions: Sequence[Mention]) -> list[Mention]:
    languages = get_settings().comprehend_languages
    if not languages:
        return list(mentions)
    out: list[Mention] = []
    sent = 0
    for m in mentions:
        if m.lang not in languages or not m.text or sent >= MAX_PER_BATCH:
            out.append(m)
            continue
        sent += 1
        try:
            answer = aws.comprehend().detect_sentiment(
                Text=unescape(m.text).encode()[:MAX_BYTES].decode(errors="ignore"), LanguageCode=m.lang
            )
        except (ClientError, BotoCoreError) as exc:
            logger.warning("comprehend failed", extra={"lang": m.lang, "error": type(exc).__name__})
            out.append(m)
            continue
        scores = answer.get("SentimentScore", {})
        score = round(float(scores.get("Positive", 0.0)) - float(scores.get("Negative", 0.0)), 3)
        out.append(replace(m, sentiment_score=score, sentiment_label=label_for(score)))
    return out
