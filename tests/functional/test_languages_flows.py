"""What the flows write for a person reads in their language: the banners after a form, the
details of a refusal (problem+json and the page's problem list), an incident timeline's event
names, the watchfulness-drill blocks, and the dark site's statements (a page per language, each
incident's statement in it where there is one, else in the default)."""

from __future__ import annotations

import json
from datetime import timedelta
from html import unescape
from typing import Any

from chalicelib.clock import utcnow
from tests.functional.conftest import Harness
from tests.functional.identity_support import sign_in

ADMIN = {"authorization": "Bearer admin-test-token"}


def _incident(h: Harness) -> str:
    from chalicelib.store.models import IncidentModel
    from tests.support import CRISIS, envelope, fresh, signed_headers

    body = envelope(fresh(CRISIS))
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    h.pump.pump_once()
    [incident] = IncidentModel.scan()
    return str(incident.incident_id)


def test_a_german_responders_banners_problems_and_timeline_are_german(harness: Harness) -> None:
    incident_id = _incident(harness)
    person = sign_in(harness, "de@example.com", "responder", language="de", zone="Europe/Berlin")
    person.get(f"/incidents/{incident_id}")
    noted = unescape(
        person.post_form(f"/incidents/{incident_id}/note", {"note": "Pressestelle informiert"}).body.decode()
    )
    assert "Ihre Notiz steht im Verlauf." in noted and "Your note is on the timeline." not in noted
    # The timeline's event names: "opened" and "note", as German reads them.
    assert "eröffnet" in noted and "Notiz" in noted and "> opened" not in noted
    refused = person.post_form(f"/incidents/{incident_id}/link", {"report": ""})
    assert refused.status_code == 400
    page = unescape(refused.body.decode())
    assert "report: die Vorgangsnummer der Meldung" in page and "tracking id" not in page
    acknowledged = unescape(person.post_form(f"/incidents/{incident_id}/acknowledge", {}).body.decode())
    assert "In Ihrem Namen bestätigt" in acknowledged
    again = unescape(person.post_form(f"/incidents/{incident_id}/acknowledge", {}).body.decode())
    assert "Der Status war bereits: übernommen." in again, again[again.find("banner") : again.find("banner") + 200]


def test_a_problems_detail_is_in_the_language_its_client_asks_for(harness: Harness) -> None:
    english = harness.client.http.get("/api/incidents/i-nothing-here", headers=ADMIN)
    assert json.loads(english.body)["detail"] == "No incident i-nothing-here."
    for header, detail in (("de", "Kein Vorfall i-nothing-here."), ("es-MX", "No existe el incidente i-nothing-here.")):
        asked = harness.client.http.get("/api/incidents/i-nothing-here", headers={**ADMIN, "accept-language": header})
        assert json.loads(asked.body)["detail"] == detail


def test_the_watchfulness_drill_blocks_are_in_the_readers_language(harness: Harness) -> None:
    lead = sign_in(harness, "es@example.com", "lead", language="es", department="inflight")
    page = unescape(lead.get("/drills").body.decode())
    assert "Un ejercicio de atención" in page and "Iniciar el ejercicio" in page
    assert "A watchfulness exercise" not in page and "Start the exercise" not in page
    started = unescape(lead.post_form("/drills/watch", {"department": "inflight", "text": ""}).body.decode())
    assert "iniciado: su publicación está en las páginas y pantallas de los departamentos." in started
    from chalicelib.store import drills as records

    [doc] = [d for d in records.list_all() if d.get("kind") == "watch"]
    report = unescape(lead.get(f"/drills/{doc['id']}").body.decode())
    assert "SIMULACRO · práctica de atención" in report and "Tasa de avisos" in report
    assert "watchfulness practice" not in report and "no report yet" not in report


def _entry(incident: str, lang: str, text: str, at: Any, revision: int = 1) -> dict[str, Any]:
    return {"incident_id": incident, "title": "Delays", "lang": lang, "revision": revision, "text": text, "at": at}


def _page(key: str) -> str:
    from chalicelib import aws
    from chalicelib.settings import get_settings

    got = aws.s3().get_object(Bucket=get_settings().dark_site_bucket, Key=key)
    return unescape(got["Body"].read().decode())


def test_the_dark_site_shows_each_visitor_the_statement_in_their_language_else_the_default(harness: Harness) -> None:
    from chalicelib.flows.statements import publish_dark_site

    now = utcnow()
    publish_dark_site(_entry("i-1", "en", "We know about the delays.", (now - timedelta(minutes=5)).isoformat()))
    publish_dark_site(_entry("i-1", "de", "Wir wissen von den Verspätungen.", now.isoformat()))
    publish_dark_site(_entry("i-2", "en", "Our app is back.", (now - timedelta(minutes=9)).isoformat()))
    german = _page("index.de.html")
    assert '<html lang="de" dir="ltr">' in german and "Wir wissen von den Verspätungen." in german
    assert "We know about the delays." not in german and "Our app is back." in german  # no German: the default's
    spanish = _page("index.es.html")
    assert "Lo que sabemos" in spanish or '<html lang="es"' in spanish
    assert "We know about the delays." in spanish and "Verspätungen" not in spanish
    default = _page("index.html")
    assert '<html lang="en"' in default and "We know about the delays." in default and "Verspätungen" not in default
    # Every page links to the others, for a visitor whose browser asked for another language.
    assert 'hreflang="ar" href="index.ar.html"' in default and 'aria-current="page"' in default
