"""One SNS message per language a group's members read: which languages, and the versions."""

from __future__ import annotations

from chalicelib.i18n import Reader
from chalicelib.policy.messages import language_versions
from chalicelib.policy.noise import follower_filter, language_filter, member_filter, message_languages
from chalicelib.records import Notification

N = Notification("d-1", "ops", "subject", "email", "sms", ("why",), "mention", "m1")


def test_a_group_reading_only_the_default_gets_one_message_for_everyone() -> None:
    assert message_languages([]) == () and message_languages(["en", "en-GB"]) == ()
    assert language_versions(N, ()) == (N,)


def test_a_group_reading_several_gets_the_default_first_then_each_other_once() -> None:
    assert message_languages(["de", "es-MX", "en", "de-AT", "xx"]) == ("en", "de", "es")


def test_each_version_has_its_language_and_only_the_defaults_keeps_the_id() -> None:
    def translate(reader: Reader) -> Notification:
        return Notification("ignored", "ops", f"subject-{reader.language}", "e", "s", ("why",), "mention", "m1")

    en, de, es = language_versions(N, ("en", "de", "es"), translate)
    assert (en.delivery_id, en.lang, en.subject) == ("d-1", "en", "subject")
    assert (de.lang, de.subject, es.lang, es.subject) == ("de", "subject-de", "es", "subject-es")
    assert len({en.delivery_id, de.delivery_id, es.delivery_id}) == 3
    # Not translatable yet: every language still gets one message, with the default's text.
    untranslated = language_versions(N, ("en", "ar"))
    assert [(v.lang, v.subject) for v in untranslated] == [("en", "subject"), ("ar", "subject")]


def test_a_bundles_version_in_a_language_stands_for_the_single_notices_in_that_language() -> None:
    """A retry that plans a bundle's stories one by one makes each single's version per language:
    the bundle's version in that language must have claimed exactly those ids."""
    from dataclasses import replace

    singles = [replace(N, delivery_id=f"d-{i}") for i in (1, 2)]
    bundle = replace(N, delivery_id="b-12", item_kind="bundle", covers=tuple(n.delivery_id for n in singles))
    for language in ("en", "de"):
        [version] = [v for v in language_versions(bundle, ("en", "de")) if v.lang == language]
        told = {v.delivery_id for n in singles for v in language_versions(n, ("en", "de")) if v.lang == language}
        assert set(version.covers) == told
    assert language_versions(bundle, ()) == (bundle,)  # one message for everyone: the singles' own ids


def test_a_members_filter_takes_their_language_and_the_message_for_everyone() -> None:
    assert language_filter("de-CH") == ["de", "any"] and language_filter("xx") == ["en", "any"]
    assert member_filter("Asia/Tokyo", "es")["lang"] == ["es", "any"]
    assert follower_filter("inflight", "UTC", "ar") == {"audience": ["follow:inflight@UTC"], "lang": ["ar", "any"]}
