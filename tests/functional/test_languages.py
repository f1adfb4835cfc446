"""Whose language: an anonymous visitor's from Accept-Language, a signed-in person's from their
profile (their identity provider's claims, or the directory), and a reporter's mails in the
language they filed in; the public form's problem+json in the sender's language."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from html import unescape
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from chalicelib.api.auth import session_cookie_name
from chalicelib.clock import utcnow
from chalicelib.flows import signin
from chalicelib.i18n import Reader
from chalicelib.store.models import ReportModel
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in

HTML = {"accept": "text/html"}


def _page(h: Harness, path: str, **headers: str) -> Any:
    return h.client.http.get(path, headers={**HTML, **headers})


def _hidden(html: str) -> dict[str, str]:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))


@pytest.mark.parametrize(
    ("header", "lang", "direction", "heading"),
    [
        ("de-CH, fr;q=0.9, en;q=0.5", "de", "ltr", "Melden Sie, was Sie gesehen haben"),
        ("pt-BR, es-MX;q=0.8, en;q=0.7", "es", "ltr", "Informe de algo que ha visto"),
        ("ar-EG", "ar", "rtl", "أبلغ عن شيء رأيته"),
        ("fr, pt;q=0.9", "en", "ltr", "Report something you saw"),
        ("de;q=0, es;q=0.2", "es", "ltr", "Informe de algo que ha visto"),
    ],
)
def test_an_anonymous_visitor_reads_the_form_in_the_language_their_browser_prefers(
    harness: Harness, header: str, lang: str, direction: str, heading: str
) -> None:
    page = _page(harness, "/report", **{"accept-language": header})
    html = page.body.decode()
    assert page.status_code == 200
    assert f'<html lang="{lang}" dir="{direction}">' in html
    assert f"<h1>{heading}</h1>" in html
    assert page.headers["Content-Language"] == lang


def test_a_signed_in_person_reads_in_the_language_and_zone_of_their_identity_provider_claims(harness: Harness) -> None:
    now = utcnow()
    profile = signin.profile_claims({"locale": "es-MX", "zoneinfo": "America/Mexico_City"})
    assert profile == {"locale": "es", "zoneinfo": "America/Mexico_City"}
    session = signin.start_session(email="lia@example.com", name="Lía", via="single sign-on", now=now, profile=profile)
    cookie = {
        "cookie": f"{session_cookie_name()}={session}",
        "accept-language": "de-DE",
    }  # the profile wins over the browser
    form = _page(harness, "/report", **cookie)
    assert '<html lang="es" dir="ltr">' in form.body.decode(), form.body.decode()[:300]
    sent = harness.client.http.post(
        "/report",
        body=urlencode({**_hidden(form.body.decode()), "text": "Un vídeo sobre nuestro equipaje perdido"}).encode(),
        headers={**cookie, **HTML, "content-type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 201 and "Gracias: ya está en camino" in sent.body.decode()
    [row] = ReportModel.scan()
    status = _page(harness, f"/report/{row.report_id}", **cookie).body.decode()
    # Received, as Babel writes it for Spanish, in Mexico City's zone (the hour differs from UTC's).
    local = row.received_at.astimezone(ZoneInfo("America/Mexico_City"))
    assert f"{local.hour}:{local.minute:02d}" in status and "UTC" not in status


def test_the_directorys_language_and_zone_are_a_persons_own(harness: Harness) -> None:
    browser = sign_in(harness, "ute@example.com", "everyone", language="de", zone="Europe/Berlin")
    page = browser.get("/report")
    assert '<html lang="de" dir="ltr">' in page.body.decode()
    refused = harness.client.http.put(
        "/api/people/ute@example.com",
        body=json.dumps({"role": "everyone", "language": "tlh", "zone": "Mars/Olympus"}).encode(),
        headers={"authorization": "Bearer admin-test-token", "content-type": "application/json"},
    )
    # The declared schema (api/schemas.PERSON) names the languages; a zone is checked against the zones known.
    assert refused.status_code == 422 and "language: one of en, es, de, ar" in refused.body.decode()
    refused = harness.client.http.put(
        "/api/people/ute@example.com",
        body=json.dumps({"role": "everyone", "language": "de", "zone": "Mars/Olympus"}).encode(),
        headers={"authorization": "Bearer admin-test-token", "content-type": "application/json"},
    )
    assert refused.status_code == 422 and "zone:" in refused.body.decode()


def test_a_person_chooses_their_own_language_and_zone_and_it_wins_over_their_providers(harness: Harness) -> None:
    from chalicelib.store.models import AuditModel, MentionModel
    from tests.support import CRISIS, envelope, fresh, signed_headers

    body = envelope(fresh(CRISIS))
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    [mention] = MentionModel.scan()
    # The directory says Spanish in Madrid; the person chooses German in Berlin.
    browser = sign_in(harness, "kai@example.com", "responder", language="es", zone="Europe/Madrid")
    assert '<html lang="es"' in browser.get("/me").body.decode()
    chosen = browser.post_form("/me/reading", {"language": "de", "zone": "Europe/Berlin"})
    assert chosen.status_code == 303 and chosen.headers["Location"] == "/me"
    account = unescape(browser.get("/me").body.decode())
    assert '<html lang="de" dir="ltr">' in account and "<option selected>Europe/Berlin</option>" in account
    inbox = unescape(browser.get("/inbox").body.decode())
    assert '<html lang="de" dir="ltr">' in inbox
    assert Reader.of("de", "Europe/Berlin").when(mention.received_at) in inbox
    assert Reader.of("es", "Europe/Madrid").when(mention.received_at) not in inbox
    [entry] = [row for row in AuditModel.scan() if row.action == "person.reading"]
    assert entry.actor == "kai@example.com"
    # A later session carries the choice too.
    again = sign_in(harness, "kai@example.com")
    assert '<html lang="de"' in again.get("/me").body.decode()

    # A zone that is not one is refused, in the person's language, and nothing changes.
    refused = again.post_form("/me/reading", {"language": "ar", "zone": "Mars/Olympus"})
    text = unescape(refused.body.decode())
    assert refused.status_code == 400 and '<html lang="de"' in text and "Zeitzone" in text, text[:400]
    assert '<html lang="de"' in again.get("/inbox").body.decode()
    assert len([row for row in AuditModel.scan() if row.action == "person.reading"]) == 1
    # Nor without the page's CSRF token.
    forged = again.post_form("/me/reading", {"language": "ar", "zone": "UTC"}, csrf=False)
    assert forged.status_code >= 400 and '<html lang="de"' in again.get("/inbox").body.decode()


def test_the_admin_sources_drills_review_and_approval_pages_read_in_a_persons_language(harness: Harness) -> None:
    from chalicelib.store.models import IncidentModel
    from tests.functional.identity_support import mail_to
    from tests.support import CRISIS, envelope, fresh, signed_headers

    body = envelope(fresh(CRISIS))
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    [incident] = IncidentModel.scan()
    admin = sign_in(harness, "greta@example.com", "admin", language="de", zone="Europe/Berlin")
    for path, heading in (
        ("/admin", "<h1>Konfiguration</h1>"),
        ("/sources", "<h2>Abrufziele</h2>"),
        ("/drills", "<h1>Übungen</h1>"),
        ("/admin/directory", "<h1>Das Verzeichnis: die Menschen Ihres Unternehmens</h1>"),
        ("/admin/readiness", "<h1>Werden Nachrichten die Menschen erreichen?</h1>"),
        (f"/incidents/{incident.incident_id}/review", "Nachbetrachtung des Vorfalls: "),
    ):
        page = unescape(admin.get(path).body.decode())
        assert '<html lang="de" dir="ltr">' in page and heading in page, (path, page[:300])
        assert "Signed in as" not in page and "Angemeldet als" in page, path
    review = unescape(admin.get(f"/incidents/{incident.incident_id}/review").body.decode())
    assert Reader.of("de", "Europe/Berlin").when(incident.opened_at) in review
    # An approver's link, opened by a browser that prefers Arabic: the page is Arabic, right to left.
    [link, *_] = [m for mail in mail_to("press-office@example.com") for m in re.findall(r"/approve/\S+", mail.body)]
    approval = unescape(_page(harness, link, **{"accept-language": "ar"}).body.decode())
    assert '<html lang="ar" dir="rtl">' in approval and "اعتمد البيان المبدئي" in approval


def test_the_dark_sites_frame_is_written_in_the_language_it_is_rendered_for() -> None:
    from datetime import UTC, datetime

    from chalicelib.web import render

    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC).isoformat()
    update = {"lang": "de", "title": "Verspätungen", "at": at, "revision": 2, "text": "Wir wissen davon."}
    html = render("dark_site.html", reader=Reader.of("de"), company="Acme", updates=[update], drill=True)
    assert '<html lang="de" dir="ltr">' in html and "Acme: was wir wissen und was wir tun" in html
    assert "<strong>ÜBUNG.</strong>" in html and "Erklärung 2" in html and "Updated" not in html
    english = render("dark_site.html", company="Acme", updates=[update], drill=False)
    assert "Acme: what we know and what we are doing" in english and "Updated" in english


def _ses() -> list[Any]:
    from moto.backends import get_backend

    return list(get_backend("ses")["123456789012"]["us-east-1"].sent_messages)


def test_a_report_filed_in_spanish_gets_its_receipt_in_spanish(harness: Harness) -> None:
    spanish = {"accept-language": "es-ES,es;q=0.9"}
    form = _page(harness, "/report", **spanish)
    fields = {**_hidden(form.body.decode()), "text": "Un tuit sobre nuestras maletas", "email": "ana@example.com"}
    sent = harness.client.http.post(
        "/report",
        body=urlencode(fields).encode(),
        headers={**HTML, **spanish, "content-type": "application/x-www-form-urlencoded"},
    )
    assert sent.status_code == 201
    [row] = ReportModel.scan()
    assert row.language == "es"
    harness.pump.pump_once()
    [receipt] = [m for m in _ses() if "ana@example.com" in m.destinations["ToAddresses"]]
    assert receipt.subject == f"Hemos recibido su aviso {row.report_id}"
    assert "Gracias: su aviso llegó al equipo que se ocupa de ello." in receipt.body
    assert f"Código de seguimiento: {row.report_id}" in receipt.body
    assert "Lo que nos contó: Un tuit sobre nuestras maletas" in receipt.body
    assert "(el enlace funciona durante 7 días)" in receipt.body  # the plural form for 7
    assert "Thank you" not in receipt.body


def test_an_anonymous_urgent_report_in_german_says_its_routing_and_first_reading_in_german(harness: Harness) -> None:
    german = {"accept-language": "de-DE"}
    form = _page(harness, "/report", **german).body.decode()
    assert "Ohne Anmeldung wird „dringend“ vermerkt" in unescape(form)
    text = "Furchtbar: our staff lost my bags again and the lawyer says we will sue"
    fields = {**_hidden(form), "text": text, "urgency": "urgent", "anonymous": "1"}
    sent = harness.client.http.post(
        "/report",
        body=urlencode(fields).encode(),
        headers={**HTML, **german, "content-type": "application/x-www-form-urlencoded"},
    )
    receipt = unescape(sent.body.decode())
    [row] = ReportModel.scan()
    assert sent.status_code == 201 and row.severity and row.severity_reasons
    assert "Sie haben sie als dringend markiert" in receipt and "routed as normal" not in receipt
    assert "Unsere erste Einschätzung: " in receipt and "Schweregrad" in receipt and "severity" not in receipt
    status = unescape(_page(harness, f"/report/{row.report_id}", **german).body.decode())
    assert "(weitergeleitet als normal: ohne Anmeldung gesendet)" in status
    assert "Erste Einschätzung" in status and "Risikobegriff „" in status


def test_the_public_forms_problems_are_in_the_senders_language(harness: Harness) -> None:
    german = {"accept-language": "de", "accept": "application/json"}
    form = _page(harness, "/report", **{"accept-language": "de"})
    fields = {**_hidden(form.body.decode()), "text": "", "url": "ftp://nope", "urgency": "sofort"}
    answer = harness.client.http.post(
        "/report",
        body=urlencode(fields).encode(),
        headers={**german, "content-type": "application/x-www-form-urlencoded"},
    )
    problem = json.loads(answer.body)
    assert answer.status_code == 422 and problem["title"] == "Ungültige Daten"
    assert problem["errors"] == {
        "text": "Sagen Sie uns, was Sie gesehen haben.",
        "url": "Links müssen mit http:// oder https:// beginnen (bis zu 10, durch Leerzeichen getrennt).",
        "urgency": "Wählen Sie niedrig, normal oder dringend.",
    }
    wrong_type = harness.client.http.post(
        "/report",
        body=b"{}",
        headers={"accept-language": "ar", "accept": "application/json", "content-type": "application/json"},
    )
    assert wrong_type.status_code == 415 and json.loads(wrong_type.body)["title"] == "نوع محتوى غير مدعوم"
    forged = harness.client.http.post(
        "/report",
        body=urlencode({**fields, "csrf": "forged.token", "text": "x", "url": "", "urgency": "low"}).encode(),
        headers={
            "accept-language": "es",
            "accept": "application/json",
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert forged.status_code == 403 and json.loads(forged.body)["title"] == "Prohibido"
    assert "recargue el formulario" in json.loads(forged.body)["detail"]


def test_the_wall_is_served_its_strings_per_language_from_our_origin(harness: Harness) -> None:
    german = harness.client.http.get("/wall/messages.de.json")
    assert german.status_code == 200 and german.headers["Content-Type"].startswith("application/json")
    messages = json.loads(german.body)["messages"]
    assert messages["Incidents"] == "Vorfälle" and messages["No open incidents."] == "Keine offenen Vorfälle."
    assert "Report something you saw" not in messages  # the form's strings stay with the form
    assert harness.client.http.get("/wall/messages.fr.json").status_code == 404


def test_an_outcome_reaches_a_reporter_in_their_language_with_the_time_in_it(harness: Harness) -> None:
    from chalicelib.flows.incidents import reporter_outcome

    at = utcnow() - timedelta(hours=1)
    german = reporter_outcome(event="resolved", who="Social-Team", at=at, note="", reader=Reader.of("de"))
    assert german.startswith("Social-Team hat es am ") and german.endswith("gelöst. Danke für Ihre Meldung.")
    assert at.strftime("%d.%m.%Y") in german


@pytest.mark.parametrize(
    ("language", "zone", "inbox", "incidents", "direction"),
    [
        ("es", "America/Mexico_City", "Bandeja de entrada", "Incidentes, primero los abiertos", "ltr"),
        ("de", "Europe/Berlin", "Eingang", "Vorfälle, offene zuerst", "ltr"),
        ("ar", "Asia/Riyadh", "صندوق الوارد", "الحوادث، المفتوحة أولاً", "rtl"),
    ],
)
def test_the_console_reads_in_a_responders_language_with_times_in_their_zone(
    harness: Harness, language: str, zone: str, inbox: str, incidents: str, direction: str
) -> None:
    from chalicelib.store.models import IncidentModel, MentionModel
    from tests.support import CRISIS, envelope, fresh, signed_headers

    body = envelope(fresh(CRISIS))
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    [mention] = MentionModel.scan()
    [incident] = IncidentModel.scan()
    reader = sign_in(harness, f"{language}@example.com", "responder", language=language, zone=zone)
    local = mention.received_at.astimezone(ZoneInfo(zone))
    for path, heading in (("/inbox", inbox), ("/incidents", incidents)):
        page = unescape(reader.get(path).body.decode())
        assert f'<html lang="{language}" dir="{direction}">' in page, page[:200]
        assert heading in page
    page = unescape(reader.get(f"/mentions/{mention.mention_id}").body.decode())
    # Received, as Babel writes it in their language, in their zone (whose hour is not UTC's).
    assert Reader.of(language, zone).when(mention.received_at) in page
    assert Reader.of(language, "UTC").when(mention.received_at) not in page and local.utcoffset()
    page = unescape(reader.get(f"/incidents/{incident.incident_id}").body.decode())
    assert f'dir="{direction}"' in page and "Signed in as" not in page and CRISIS["text"][:30] in page
    for path in ("/me", "/departments", "/departments/inflight"):
        page = unescape(reader.get(path).body.decode())
        assert f'<html lang="{language}" dir="{direction}">' in page and "Signed in as" not in page, path


def test_an_api_problem_is_titled_in_the_language_its_client_asks_for_and_english_otherwise(harness: Harness) -> None:
    admin = {"authorization": "Bearer admin-test-token"}
    plain = harness.client.http.get("/api/incidents/i-nothing-here", headers=admin)
    assert plain.status_code == 404 and json.loads(plain.body)["title"] == "Not found"
    assert "Content-Language" not in plain.headers
    for header, language, title in (("de-CH, en;q=0.5", "de", "Nicht gefunden"), ("ar", "ar", "غير موجود")):
        asked = harness.client.http.get("/api/incidents/i-nothing-here", headers={**admin, "accept-language": header})
        doc = json.loads(asked.body)
        assert asked.status_code == 404 and doc["title"] == title and doc["type"].endswith("not-found")
        assert asked.headers["Content-Language"] == language and asked.headers["Vary"] == "Accept-Language"
    english = harness.client.http.get("/api/incidents/i-nothing-here", headers={**admin, "accept-language": "en-US"})
    assert json.loads(english.body)["title"] == "Not found"


def test_a_german_reader_reads_why_a_request_was_refused_in_german_with_the_values_as_sent(harness: Harness) -> None:
    admin = {"authorization": "Bearer admin-test-token"}
    german = {**admin, "accept-language": "de-DE"}
    missing = harness.client.http.get("/api/groups/no-such-team/members", headers=german)
    doc = json.loads(missing.body)
    assert missing.status_code == 404 and doc["title"] == "Nicht gefunden"
    assert doc["detail"] == "keine Gruppe 'no-such-team'"
    query = harness.client.http.get("/api/corrections?days=999", headers=german)
    assert query.status_code == 400 and json.loads(query.body)["detail"] == "days: 1 bis 366"
    group = harness.client.http.put(
        "/api/groups/night-desk",
        headers={**german, "content-type": "application/json"},
        body=json.dumps({"name": "Night desk", "zone": "Mars/Olympus"}),
    )
    refused = json.loads(group.body)
    assert group.status_code == 400 and refused["title"] == "Ungültige Konfiguration"
    assert refused["detail"].startswith("ungültige Gruppe 'night-desk': "), refused["detail"]
    english = harness.client.http.get("/api/groups/no-such-team/members", headers=admin)
    assert json.loads(english.body)["detail"] == "no group 'no-such-team'"
