"""Who a report belongs to, decided purely: the signed confirmation link (policy/report_links.py),
the form's signed-in sender, authenticated mail, and the search term only an owner gets."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.errors import LinkExpired, NotFound
from chalicelib.intake.inbound_email import parse_notification, sender_authenticated
from chalicelib.intake.slack import parse_event
from chalicelib.intake.web_form import FormInput, to_report
from chalicelib.policy import report_links
from chalicelib.policy.search import owner_term
from chalicelib.store.mapping import report_to_model
from tests.conftest import FIXTURES

KEY = b"k" * 32
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
REPORT = "rabcdefghijklmno"
PASSED = {k: {"status": "PASS"} for k in ("spfVerdict", "dkimVerdict", "dmarcVerdict", "spamVerdict", "virusVerdict")}


def test_a_link_verifies_for_its_report_and_address_for_seven_days() -> None:
    token = report_links.mint(key=KEY, report_id=REPORT, email="omar@example.com", now=NOW)
    assert report_links.report_of(token) == REPORT
    found = report_links.verify(token, key=KEY, email="Omar@Example.com ", now=NOW + timedelta(days=6, hours=23))
    assert (found.report_id, found.email, found.expires_at) == (REPORT, "omar@example.com", NOW + timedelta(days=7))
    with pytest.raises(LinkExpired):
        report_links.verify(token, key=KEY, email="omar@example.com", now=NOW + timedelta(days=7))


@pytest.mark.parametrize(
    ("change", "email"),
    [
        (lambda t: t, "mallory@example.com"),  # another address: the address is signed, not shown
        (lambda t: t, ""),  # an anonymous report has no address to confirm
        (lambda t: t.replace(REPORT, "rzzzzzzzzzzzzzzz"), "omar@example.com"),  # another report
        (lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), "omar@example.com"),  # a forged signature
        (lambda t: t.replace(".", ".z", 1), "omar@example.com"),  # a later expiry
        (lambda t: "x" + t, "omar@example.com"),  # not the shape
        (lambda t: "", "omar@example.com"),
    ],
)
def test_a_link_changed_in_any_way_or_for_another_address_is_not_ours(change: Callable[[str], str], email: str) -> None:
    token = change(report_links.mint(key=KEY, report_id=REPORT, email="omar@example.com", now=NOW))
    with pytest.raises(NotFound):
        report_links.verify(token, key=KEY, email=email, now=NOW)


def test_a_link_signed_for_another_purpose_or_with_another_key_is_not_ours() -> None:
    from chalicelib.policy.tokens import sign

    token = report_links.mint(key=b"other", report_id=REPORT, email="omar@example.com", now=NOW)
    with pytest.raises(NotFound):
        report_links.verify(token, key=KEY, email="omar@example.com", now=NOW)
    payload = token.rpartition(".")[0]
    expiry = payload.split(".")[1]
    other = f"{payload}.{sign(KEY, 'action-link', f'{REPORT}|omar@example.com|{expiry}')}"
    with pytest.raises(NotFound):
        report_links.verify(other, key=KEY, email="omar@example.com", now=NOW)


def test_a_form_report_is_its_senders_own_only_when_signed_in_as_the_address() -> None:
    form = FormInput(text="saw this", email="Lena@Example.com ")
    assert to_report(form, tracking_id="r1", received_at=NOW, signed_in_as="lena@example.com").owner == (
        "lena@example.com"
    )
    assert to_report(form, tracking_id="r1", received_at=NOW).owner == ""  # typed: anyone's
    assert to_report(form, tracking_id="r1", received_at=NOW, signed_in_as="mallory@example.com").owner == ""
    anonymous = replace(form, anonymous=True)
    assert to_report(anonymous, tracking_id="r1", received_at=NOW, signed_in_as="lena@example.com").owner == ""


def test_only_an_owned_report_carries_its_owners_search_term() -> None:
    form = FormInput(text="saw this", email="lena@example.com")
    typed = report_to_model(to_report(form, tracking_id="r1", received_at=NOW), retention_days=30)
    mine = report_to_model(
        to_report(form, tracking_id="r1", received_at=NOW, signed_in_as="lena@example.com"), retention_days=30
    )
    assert f" {owner_term('lena@example.com')} " in str(mine.terms) and mine.reporter_proof == "signed in"
    assert "own:" not in str(typed.terms) and "by:" not in str(typed.terms) and typed.reporter_proof is None
    assert typed.reporter_email == "lena@example.com"  # the receipt still goes to the typed address


@pytest.mark.parametrize(
    ("dmarc", "sender", "envelope", "authenticated"),
    [
        ("PASS", "carol@example.com", "Carol@example.com", True),
        ("PASS", "omar@example.com", "carol@example.com", False),  # another mailbox of the domain
        ("GRAY", "carol@example.com", "carol@example.com", False),  # no DMARC: the From is not bound
        ("FAIL", "carol@example.com", "carol@example.com", False),
        ("PASS", "", "", False),
    ],
)
def test_mail_is_its_senders_own_when_dmarc_passes_and_from_is_the_envelope_sender(
    dmarc: str, sender: str, envelope: str, authenticated: bool
) -> None:
    receipt = {**PASSED, "dmarcVerdict": {"status": dmarc}}
    assert sender_authenticated(receipt, sender, envelope) is authenticated


def test_a_mail_report_records_its_proof_and_a_quarantined_one_none() -> None:
    raw = b"From: Carol <carol@example.com>\r\nSubject: look\r\n\r\nhttps://x.com/a/status/1\r\n"

    def notification(receipt: dict[str, object]) -> dict[str, object]:
        return {
            "notificationType": "Received",
            "mail": {"messageId": "m1", "source": "carol@example.com"},
            "receipt": {**receipt, "action": {"type": "SNS", "encoding": "BASE64"}},
            "content": base64.b64encode(raw).decode(),
        }

    good = parse_notification(notification(PASSED), allowed_domains=["example.com"], received_at=NOW)
    assert (good.owner, good.reporter_proof) == ("carol@example.com", "company mail")
    spam = parse_notification(
        notification({**PASSED, "spamVerdict": {"status": "FAIL"}}), allowed_domains=["example.com"], received_at=NOW
    )
    assert spam.status == "quarantined" and spam.owner == ""


def test_a_slack_report_is_nobodys_own() -> None:
    _, report = parse_event((FIXTURES / "slack_event_callback_app_mention.json").read_bytes(), received_at=NOW)
    assert report is not None and report.reporter_email.startswith("slack:") and report.owner == ""
