"""A person's own reports (GET /api/me/reports) are those they filed signed in, mailed from their
authenticated company account, or confirmed from the link sent to their address. Anyone can
type a colleague's address into the public form: that report gets its receipt, as before, and a
place in nobody's list until the link is followed."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest

from chalicelib.clock import utcnow
from chalicelib.policy import report_links
from chalicelib.store.models import ReportModel
from infra.local.handlers import resolve
from infra.local.smtp_inbox import ses_notification, sns_event
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, mail_to, sign_in
from tests.support import Browser

KEY = b"test-signing-key"  # the harness's signing key
TOPIC = "arn:aws:sns:us-east-1:123456789012:sharedwatch-test-inbound-email"
BONUS = "Urgent: call +1 555 0100 about your bonus before Friday"


def _file(browser: Browser, text: str, email: str) -> tuple[str, str]:
    """File a report from this browser's form: (tracking id, receipt page)."""
    form = browser.get("/report").body.decode()
    fields = {"text": text, "url": "", "urgency": "normal", "email": email}
    signed_in = re.search(r'name="session_csrf" value="([^"]+)"', form)
    fields |= {"session_csrf": signed_in.group(1)} if signed_in else {}
    answer = browser.post_form("/report", fields)
    assert answer.status_code == 201, answer.body[:300]
    page = answer.body.decode()
    return str(re.search(r'<code class="id">([^<]+)</code>', page).group(1)), page  # type: ignore[union-attr]


def _own(browser: Browser) -> list[str]:
    answer = browser.api("GET", "/api/me/reports")
    assert answer.status_code == 200, answer.body
    return [r["id"] for r in json.loads(answer.body)["reports"]]


def _links(address: str) -> list[str]:
    return [link for mail in mail_to(address) for link in re.findall(r"/report/confirm/\S+", mail.body)]


def _row(report_id: str) -> dict[str, Any]:
    return dict(ReportModel.get(report_id, consistent_read=True).attribute_values)


def test_a_report_planted_with_a_colleagues_address_is_in_nobodys_list(harness: Harness) -> None:
    planted, page = _file(Browser(harness.client.http), BONUS, "omar@example.com")
    assert "omar@example.com with a link" in page and "among your reports (you were" not in page
    mallory = sign_in(harness, "mallory@example.com")
    # Signed in, a report is its sender's: an address typed into the request anyway is not used.
    typed, _ = _file(mallory, BONUS, "omar@example.com")
    harness.pump.pump_once()

    receipts = [m for m in mail_to("omar@example.com") if m.subject.startswith("We got your report")]
    assert len(receipts) == 1  # the typed address still gets its receipt, with the link
    assert len(_links("omar@example.com")) == 1
    omar = sign_in(harness, "omar@example.com")
    assert _own(omar) == [] and _own(mallory) == [typed]
    everything = json.loads(harness.client.http.get("/api/reports", headers=ADMIN).body)["reports"]
    assert {planted, typed} <= {r["id"] for r in everything}  # stored and routed as ever


def test_a_report_filed_signed_in_is_the_persons_own_at_once(harness: Harness) -> None:
    lena = sign_in(harness, "lena@example.com")
    form = lena.get("/report").body.decode()
    assert 'name="email"' not in form and "signed in as lena@example.com" in form
    mine, page = _file(lena, "A video of our gate agent shouting is going round TikTok", "lena@example.com")
    assert "listed among your reports" in page
    assert _own(lena) == [mine]
    harness.pump.pump_once()
    assert [m for m in mail_to("lena@example.com") if "We got your report" in m.subject]
    assert _links("lena@example.com") == []  # nothing to confirm


def test_a_form_opened_before_signing_in_files_a_report_that_awaits_confirmation(harness: Harness) -> None:
    # The session's own token is what makes a signed-in report its sender's: a form from before
    # the sign-in (or from another site, riding the cookie) carries none.
    lena = sign_in(harness, "lena@example.com")
    lena.get("/report")
    answer = lena.post_form("/report", {"text": "Seen on TikTok", "urgency": "normal", "email": "lena@example.com"})
    assert answer.status_code == 201
    assert _own(lena) == []


def test_a_report_confirmed_from_the_link_is_the_addresss_own(harness: Harness) -> None:
    report_id, _ = _file(Browser(harness.client.http), "A post says our app leaks passwords", "omar@example.com")
    harness.pump.pump_once()
    [link] = _links("omar@example.com")
    omar = sign_in(harness, "omar@example.com")
    assert _own(omar) == []

    inbox = Browser(harness.client.http)  # the mail client's browser: not signed in
    shown = inbox.get(link)
    assert shown.status_code == 200 and "Yes, I sent it" in shown.body.decode()
    assert _own(omar) == [] and _row(report_id).get("reporter_proof") is None  # a GET changes nothing
    done = inbox.post_form(link, {})
    assert done.status_code == 200 and "Confirmed" in done.body.decode()
    assert _own(omar) == [report_id]
    assert _row(report_id)["reporter_proof"] == "confirmation link"
    again = inbox.post_form(link, {})
    assert again.status_code == 200 and "already" in again.body.decode()
    audit = json.loads(harness.client.http.get("/api/audit?action=report.", headers=ADMIN).body)["entries"]
    assert [(e["actor"], e["via"], e["target"]) for e in audit] == [
        ("omar@example.com", "confirmation link", report_id)
    ]


def _tokens(report_id: str, other_id: str) -> dict[str, tuple[str, int]]:
    now = utcnow()
    good = report_links.mint(key=KEY, report_id=report_id, email="omar@example.com", now=now)
    payload, _, signature = good.rpartition(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    return {
        "forged signature": (f"{payload}.{flipped}", 404),
        "another report's id": (good.replace(report_id, other_id, 1), 404),
        "minted for another address": (
            report_links.mint(key=KEY, report_id=report_id, email="mallory@example.com", now=now),
            404,
        ),
        "minted with another key": (
            report_links.mint(key=b"not-the-key", report_id=report_id, email="omar@example.com", now=now),
            404,
        ),
        "expired": (
            report_links.mint(key=KEY, report_id=report_id, email="omar@example.com", now=now - timedelta(days=8)),
            410,
        ),
        "malformed": ("not-a-token", 404),
        "a report that does not exist": (
            report_links.mint(key=KEY, report_id="raaaaaaaaaaaaaaa", email="omar@example.com", now=now),
            404,
        ),
    }


def test_a_forged_or_expired_confirmation_is_refused_and_changes_nothing(harness: Harness) -> None:
    report_id, _ = _file(Browser(harness.client.http), BONUS, "omar@example.com")
    other_id, _ = _file(Browser(harness.client.http), "Another post", "mallory@example.com")
    harness.pump.pump_once()
    before = {r: _row(r) for r in (report_id, other_id)}
    browser = Browser(harness.client.http)
    for what, (token, status) in _tokens(report_id, other_id).items():
        shown = browser.get(f"/report/confirm/{token}")
        assert shown.status_code == status and "Yes, I sent it" not in shown.body.decode(), what
        posted = browser.post_form(f"/report/confirm/{token}", {})
        assert posted.status_code == status, what
        api = harness.client.http.post(
            f"/report/confirm/{token}", body=b"", headers={"accept": "application/json"}
        )  # a program is answered in problem+json
        assert api.status_code == status and api.headers["Content-Type"].startswith("application/problem+json")
    # The real link without the page's form token: refused as well.
    [link] = _links("omar@example.com")
    assert Browser(harness.client.http).post_form(link, {}, csrf=False).status_code == 403
    assert {r: _row(r) for r in (report_id, other_id)} == before
    assert _own(sign_in(harness, "omar@example.com")) == []
    assert json.loads(harness.client.http.get("/api/audit?action=report.", headers=ADMIN).body)["entries"] == []


def _mail(harness: Harness, *, header_from: str, envelope_from: str, subject: str) -> None:
    raw = f"From: {header_from}\r\nTo: reports@example.com\r\nSubject: {subject}\r\n\r\nLook at this post\r\n".encode()
    now = utcnow()
    notification = ses_notification(
        raw, mail_from=envelope_from, recipients=["reports@example.com"], company_domains=["example.com"],
        topic_arn=TOPIC, now=now,
    )  # fmt: skip
    resolve("chalicelib.handlers.inbound_email.on_inbound_email")(
        sns_event(json.dumps(notification), topic_arn=TOPIC, now=now), None
    )


@pytest.mark.parametrize(
    ("header_from", "envelope_from", "owned"),
    [
        ("Carol <carol@example.com>", "carol@example.com", True),  # DMARC passes, From is the sender
        ("Omar <omar@example.com>", "carol@example.com", False),  # same domain, another mailbox
    ],
)
def test_mail_from_an_authenticated_company_sender_is_their_own_other_mail_awaits_confirmation(
    harness: Harness, header_from: str, envelope_from: str, owned: bool
) -> None:
    _mail(harness, header_from=header_from, envelope_from=envelope_from, subject="Seen on X")
    [report] = ReportModel.scan()
    sender = re.search(r"<([^>]+)>", header_from).group(1)  # type: ignore[union-attr]
    assert report.reporter_email == sender
    harness.pump.pump_once()
    assert _own(sign_in(harness, sender)) == ([report.report_id] if owned else [])
    assert bool(_links(sender)) is not owned  # the receipt asks only when the mail did not show it
