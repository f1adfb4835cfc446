"""When a mention is translated for its reader, and where its translation sits in a notice."""

from __future__ import annotations

from chalicelib.policy.translation import needs_translation, with_translation
from chalicelib.records import Notification


def test_only_a_known_language_the_reader_does_not_read_is_translated() -> None:
    assert needs_translation("pt", "en") and needs_translation("pt-BR", "es")
    assert not needs_translation("en", "en") and not needs_translation("en-GB", "en-US")
    assert not needs_translation("es", "es") and not needs_translation("DE", "de")
    assert not needs_translation("", "en") and not needs_translation("und", "en")  # it may be theirs


def test_the_translation_follows_the_original_which_stays_as_it_was() -> None:
    email = "@ana on x\n\nO voo foi cancelado.\nOutra vez.\n\nLink: https://x.com/1\nWhy you are getting this:"
    n = Notification("d1", "social", "subject", email, "sms", ("why",), "mention", "m1")
    out = with_translation(
        n, original="O voo foi cancelado.\nOutra vez.", translated="The flight was cancelled.", source="pt-BR"
    )
    assert out.email.startswith("@ana on x\n\nO voo foi cancelado.\nOutra vez.\n\nMachine translation from pt")
    assert out.email.index("The flight was cancelled.") < out.email.index("Link: https://x.com/1")
    assert (out.subject, out.sms) == ("subject", "sms")
    # Not found (clipped past recognition): the translation goes at the end, the notice intact.
    elsewhere = with_translation(n, original="something else", translated="T", source="pt")
    assert elsewhere.email.startswith(email) and elsewhere.email.endswith("(Amazon Translate):\nT")
