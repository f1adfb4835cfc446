"""Regions in the crisis plan: a scenario names two regions, each with its own people, languages
and dark-site page; an incident whose mentions come from one region (the source says where) is
assigned that region, its lead and approvers are the region's, and the region's dark-site page
shows the statement in the region's language."""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any

import boto3

from chalicelib.settings import get_settings
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, mail_to, sign_in
from tests.support import CRISIS, Browser, envelope, fresh, signed_headers

SCENARIO: dict[str, Any] = {
    "name": "Data breach",
    "order": 1,
    "triggers": {"terms": ["breach"]},
    "roles": {"lead": {"person": "ciso@example.com"}, "legal": {"person": "counsel@example.com"}},
    "checklist": [{"id": "contain", "task": "Contain the leak", "role": "lead", "within_minutes": 15}],
    "statements": {"en": "We are investigating {title}.", "de": "Wir untersuchen {title}."},
    "approvals": ["legal"],
    "regions": {
        "dach": {
            "name": "Germany, Austria, Switzerland",
            "places": ["de", "at", "ch"],
            "languages": ["de"],
            "roles": {"lead": {"person": "lena@example.com"}, "legal": {"person": "jonas@example.com"}},
        },
        "uk": {
            "name": "United Kingdom",
            "places": ["uk"],
            "languages": ["en"],
            "roles": {"lead": {"person": "olly@example.com"}, "legal": {"person": "priya@example.com"}},
        },
    },
}


def _post(h: Harness, n: int, region: str, text: str) -> None:
    mention = fresh({**CRISIS, "id": f"90{n}", "url": f"https://x.com/dana/status/90{n}", "text": text})
    body = envelope({**mention, "region": region})
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202


def _approval_links(address: str, lang: str) -> list[str]:
    found = [m for mail in mail_to(address) for m in re.findall(r"/approve/\S+", mail.body)]
    return [link for link in found if f".{lang}." in link]


def test_an_incident_from_one_region_is_run_by_its_people_and_published_on_its_page(harness: Harness) -> None:
    from chalicelib.store.models import IncidentModel, PlanModel

    http = harness.client.http
    saved = http.put("/api/plans/breach", body=json.dumps(SCENARIO).encode(), headers=ADMIN)
    assert saved.status_code == 200, saved.body
    assert json.loads(http.get("/api/plans/breach", headers=ADMIN).body)["current"]["regions"]["dach"]["languages"] == [
        "de"
    ]
    _post(harness, 1, "de", CRISIS["text"] + " And a data breach leaked my passport.")
    _post(harness, 2, "at", CRISIS["text"] + " Another breach of our data.")
    harness.pump.pump_once()
    [incident] = IncidentModel.scan()
    plan = PlanModel.get(incident.incident_id)
    assert plan.scenario == "breach"
    assert [r["slug"] for r in plan.doc["regions"]] == ["dach"]  # both mentions come from DACH
    roles = plan.doc["scenario"]["roles"]
    assert roles["lead"]["person"] == "lena@example.com" and roles["legal"]["person"] == "jonas@example.com"
    assert plan.doc["tasks"][0]["owner"] == "lena@example.com"
    shown = unescape(
        sign_in(harness, "olga@example.com", "responder").get(f"/incidents/{incident.incident_id}").body.decode()
    )
    assert "Regions: Germany, Austria, Switzerland. Germany, Austria, Switzerland's people run this plan." in shown
    # The region's lead hears it; the scenario's own and the other region's people do not.
    assert any("You are the lead" in m.body for m in mail_to("lena@example.com"))
    assert not mail_to("ciso@example.com") and not mail_to("olly@example.com")
    # The region's approver approves the German statement by their link; nobody else has one.
    [link] = _approval_links("jonas@example.com", "de")
    assert _approval_links("counsel@example.com", "de") == [] and _approval_links("priya@example.com", "de") == []
    assert "Approved" in Browser(http).post_form(link, {}, csrf=False).body.decode()
    editor = sign_in(harness, "editor@example.com", "responder")
    published = editor.api("POST", f"/api/incidents/{incident.incident_id}/statements/de/publish")
    assert published.status_code == 200, published.body

    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = get_settings().dark_site_bucket
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert {"regions/dach/index.html", "regions/dach/index.de.html", "regions/dach/index.en.html"} <= keys
    assert not any(k.startswith("regions/uk/") for k in keys)  # not its region
    page = unescape(s3.get_object(Bucket=bucket, Key="regions/dach/index.html")["Body"].read().decode())
    # The region's own language: its frame and its statement.
    assert '<html lang="de" dir="ltr">' in page and "Wir untersuchen" in page
    assert "was wir wissen und was wir tun" in page
