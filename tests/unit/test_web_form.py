from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import Forbidden, InvalidPayload
from chalicelib.intake.web_form import FormInput, check_token, issue_token, to_report, tracking_id_for, validate

KEY = b"k" * 32
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def test_a_token_round_trips_and_gives_a_stable_tracking_id() -> None:
    token = issue_token(key=KEY, now=NOW)
    nonce = check_token(token, key=KEY, now=NOW + timedelta(minutes=5))
    assert tracking_id_for(nonce) == tracking_id_for(check_token(token, key=KEY, now=NOW))
    assert tracking_id_for(nonce) != tracking_id_for(check_token(issue_token(key=KEY, now=NOW), key=KEY, now=NOW))


@pytest.mark.parametrize("token", ["", "garbage", "a.b", "AAAA.BBBB"])
def test_missing_or_malformed_tokens_are_refused(token: str) -> None:
    with pytest.raises(Forbidden):
        check_token(token, key=KEY, now=NOW)


def test_a_token_signed_with_another_key_is_refused() -> None:
    with pytest.raises(Forbidden, match="not valid"):
        check_token(issue_token(key=b"other", now=NOW), key=KEY, now=NOW)


def test_an_expired_token_is_refused() -> None:
    with pytest.raises(Forbidden, match="expired"):
        check_token(issue_token(key=KEY, now=NOW), key=KEY, now=NOW + timedelta(hours=5))


def test_validation_names_each_bad_field() -> None:
    problems = validate(FormInput(text=" ", url="javascript:alert(1)", urgency="now", email="nope", platform="myspace"))
    assert set(problems) == {"text", "url", "urgency", "email", "platform"}


def test_anonymous_drops_the_email() -> None:
    form = FormInput(text="saw this https://x.com/a/status/1", email="bob@example.com", anonymous=True)
    report = to_report(form, tracking_id="r1", received_at=NOW)
    assert report.reporter_email == ""
    assert report.urls == ("https://x.com/a/status/1",)


def test_to_report_refuses_invalid_input() -> None:
    with pytest.raises(InvalidPayload, match="text"):
        to_report(FormInput(text=""), tracking_id="r1", received_at=NOW)
