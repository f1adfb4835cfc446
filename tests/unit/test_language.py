"""Language identification: the platform's tag, plain English at once, the model where it is sure."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.triage import language
from chalicelib.triage.language import detect


def test_language_uses_the_platform_tag_then_guesses() -> None:
    assert detect("anything", "en-GB") == "en"
    assert detect("mi vuelo fue cancelado y no me dieron nada") == "es"
    assert detect("Мой рейс отменили") == "ru"
    assert detect("the flight was fine") == "en"
    # English shares words with other lists ("a", "do", "um", "no"): a real tweet each, once misread.
    assert detect("@united @scotthroth scott, need a good book suggestion?") == "en"
    assert detect("@AmericanAir um. down south has snow too #ATL") == "en"
    assert detect("@united Will definitely do so. Sending a DM now.") == "en"


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("¯\\_(ツ)_/¯ my flight got delayed again @brand", "en"),  # a kaomoji is not Japanese
        ("Loved the 寿司 in the lounge today, thank you", "en"),  # a quoted word is not Chinese
        ("Great service from the crew 😡🙏 شكرا", "en"),
        ("フライトが遅れた、最悪です @brand", "ja"),
        ("航班又延误了，太糟糕了 @brand", "zh"),
        ("הטיסה התעכבה שוב, שירות גרוע @brand", "he"),
        ("الرحلة تأخرت مرة أخرى، خدمة سيئة @brand", "ar"),
    ],
)
def test_a_script_makes_the_language_only_when_it_carries_the_text(text: str, lang: str) -> None:
    assert language.detect(text) == lang


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        # [sanders] posts its annotators set aside as not English; the stopword guess read them as English
        ("Kan @Samsung och @Apple sluta slåss om kunderna i rättssalen", "sv"),
        ("@Apple erneut im Fadenkreuz - Umweltverschmutzung?", "de"),
        ("Né @Apple, vai trabalhar no iPhone5", "pt"),
        ("Resultado de ventas de @apple 4millones de #iPhone4s vendidos", "es"),
        ("Lekkere garantie volgens #radar bij @apple. #Ned1", "nl"),
        # [airline] short English the model alone misreads (Swedish, German): English stays English
        ("@united where's my damn bag??", "en"),
        ("@SouthwestAir IM NOT THO 😭😭💔💔", "en"),
        ("@united UA1469. Just landed.", "en"),
        # [s140] and a quoted foreign phrase
        ("Loves twitter", "en"),
        ("I ordered the 'croissant au beurre' at the lounge and loved it", "en"),
        ("Mi vuelo fue cancelado otra vez, qué desastre", "es"),
        ("😡😡😡", "und"),  # no words: the emoji carry the feeling (sentiment reads them)
    ],
)
def test_the_language_model_reads_latin_languages_and_keeps_short_english(text: str, lang: str) -> None:
    assert detect(text) == lang


@pytest.mark.parametrize(
    "text",
    [
        # [s140] plain English with one other language's stopword in it ("em", "die", "com")
        "wish i could catch every mosquito in the world n burn em slowly",
        "I was talking to this guy last night and he was telling me that he is a die hard Spurs fan",
        "time warner really picks the worst time to not work. all i want to do is get to mtv.com so",
    ],
)
def test_english_with_one_stray_foreign_stopword_is_read_without_the_model(text: str) -> None:
    # The model's loader counts every call (a compiled module calls it directly: not patchable).
    asked = language._model.cache_info()
    assert language.detect(text) == "en"
    assert language._model.cache_info() == asked, "the model was asked"


@given(st.text(alphabet="ab D_1 '\"“«„‘’”»@#:/.RT\n", max_size=40))
def test_content_words_drop_what_the_full_pattern_drops_whatever_the_quotes(text: str) -> None:
    # An apostrophe inside a word opens no quote: the cheaper pattern must drop the same spans.
    from chalicelib.triage.language import _NOISE, _WORD, content_words

    assert content_words(text) == _WORD.findall(_NOISE.sub(" ", text))
