"""Reaching people, on moto: a drill's brief goes to the directory's people through SES in
batches (one call per language and 50 people), each mail in its reader's language and zone,
SMS to who chose it; one-tap read links (GET never records, a click twice counts once, forged,
expired and altered links refused as problems); read rates by department on the incident page
and in the drill report; one reminder to those who did not read; SES bounces and complaints
suppress an address; a failed SES call is retried from the delivery log."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from chalicelib.settings import get_settings
from tests.functional.conftest import Harness
from tests.functional.identity_support import ADMIN, sign_in
from tests.functional.test_directory import Scim
from tests.functional.test_drills import through_the_app  # noqa: F401  (the fixture)
from tests.functional.test_scim_compliance import provisioning_token
from tests.support import Browser

JSON = {"accept": "application/json"}


def _ses() -> Any:
    from moto.backends import get_backend

    return get_backend("ses")["123456789012"]["us-east-1"]


def _bulk_calls() -> list[Any]:
    return [
        m
        for m in _ses().sent_messages
        if hasattr(m, "template") and m.template.startswith(get_settings().resource_prefix + "reach-")
    ]


def _links(call: Any) -> dict[str, str]:
    """Address -> the read link SES was given for them in a bulk call."""
    found = {}
    for d in call.destinations:
        data = json.loads(d["ReplacementTemplateData"])
        found[d["Destination"]["ToAddresses"][0]] = data["read_url"].split("://", 1)[-1].split("/", 1)[-1]
    return {k: "/" + v for k, v in found.items()}


def _import(h: Harness, rows: list[str]) -> None:
    text = "email,name,department,phone,language,timezone,channels\n" + "\n".join(rows) + "\n"
    answer = h.client.http.post(
        "/api/directory/import", body=text.encode(), headers={**ADMIN, "content-type": "text/csv"}
    )
    assert answer.status_code == 200, answer.body


def _drill_brief(h: Harness, *, reminder_minutes: int | None = None) -> tuple[str, dict[str, Any], Any]:
    """A drill of the shipped passenger-safety scenario up to its published brief."""
    from chalicelib.flows import drills
    from chalicelib.store.models import PlanModel

    responder = sign_in(h, "lead@example.com", "responder")
    started = responder.api("POST", "/api/drills", {"scenario": "passenger-safety", "pace": 60})
    assert started.status_code == 201, started.body
    drill = json.loads(started.body)
    begun = datetime.fromisoformat(drill["started_at"])
    drills.run_due(now=begun)
    drills.run_due(now=begun + timedelta(seconds=1))
    h.pump.pump_once()
    [plan] = PlanModel.scan()
    if reminder_minutes is not None:
        plan.doc["scenario"]["read_reminder_minutes"] = reminder_minutes
        plan.save()
    for who, role in (("press-office@example.com", "spokesperson"), ("counsel@example.com", "legal")):
        person = sign_in(h, who, "responder")
        answer = person.api(
            "POST", f"/api/incidents/{plan.incident_id}/statements/en/approve", {"revision": 1, "role": role}
        )
        assert answer.status_code == 200, answer.body
    published = responder.api("POST", f"/api/incidents/{plan.incident_id}/statements/en/publish")
    assert published.status_code == 200, published.body
    return plan.incident_id, drill, responder


def test_a_brief_reaches_each_person_in_their_language_and_their_reads_are_counted_once(  # noqa: PLR0915 (one story)
    through_the_app: Harness,  # noqa: F811
) -> None:
    from chalicelib.notify.delivery import flush_held
    from chalicelib.store.models import DeliveryModel

    h = through_the_app
    scim = Scim(h, provisioning_token(h))
    scim.user("ana@example.com", department="Baggage", preferredLanguage="es-ES", timezone="Europe/Madrid")
    scim.user("bo@example.com", department="Baggage", preferredLanguage="de-DE", timezone="Europe/Berlin")
    scim.user("cy@example.com", department="Operations", timezone="America/New_York")
    _import(h, ["dee@example.com,Dee,Operations,+447700900123,en,Europe/London,email;sms"])
    before = len(_bulk_calls())
    incident_id, drill, responder = _drill_brief(h, reminder_minutes=30)

    calls = _bulk_calls()[before:]
    assert sorted(len(c.destinations) for c in calls) == [1, 1, 2]  # one call per language: es, de, en
    by_address = {d["Destination"]["ToAddresses"][0]: c for c in calls for d in c.destinations}
    assert set(by_address) == {"ana@example.com", "bo@example.com", "cy@example.com", "dee@example.com"}
    spanish = json.loads(by_address["ana@example.com"].template_data)
    german = json.loads(by_address["bo@example.com"].template_data)
    english = json.loads(by_address["cy@example.com"].template_data)
    assert english["read_label"] == "I've read it" and "What happened:" in english["text"]
    assert spanish["read_label"] != english["read_label"] and german["read_label"] not in (
        english["read_label"],
        spanish["read_label"],
    )
    assert "What happened:" not in spanish["text"] and "What happened:" not in german["text"]
    assert all(d["subject"].split(":", 1)[0] != "All-staff brief" for d in (spanish, german))
    assert "DRILL" in english["subject"] and "DRILL" in english["text"]
    times = {
        d["Destination"]["ToAddresses"][0]: json.loads(d["ReplacementTemplateData"])["sent_time"]
        for c in calls
        for d in c.destinations
    }
    assert len(set(times.values())) == 4  # each in their own zone and locale
    from moto.backends import get_backend

    sms = list(get_backend("sns")["123456789012"]["us-east-1"].sms_messages.values())
    assert [n for n, _ in sms] == ["+447700900123"] and "/read/" in sms[0][1] and "DRILL" in sms[0][1]

    links = {a: _links(c)[a] for a, c in by_address.items()}
    visitor = Browser(h.client.http)
    shown = visitor.get(links["ana@example.com"])
    assert shown.status_code == 200 and "<button" in shown.body.decode()
    page = responder.get(f"/incidents/{incident_id}").body.decode()
    assert "0 of 4 read" in page  # a GET records nothing
    forged = h.client.http.post(
        links["ana@example.com"], body=b"", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert forged.status_code == 403  # no CSRF token: the form was not shown to this browser
    first = visitor.post_form(links["ana@example.com"], {})
    second = visitor.post_form(links["ana@example.com"], {})
    assert first.status_code == 200 and second.status_code == 200
    assert first.body != second.body  # "thank you", then "already"
    bo = Browser(h.client.http)
    bo.get(links["bo@example.com"])
    assert bo.post_form(links["bo@example.com"], {}).status_code == 200

    page = responder.get(f"/incidents/{incident_id}").body.decode()
    assert "2 of 4 read (50%)" in page
    assert json.loads(responder.api("GET", f"/api/incidents/{incident_id}").body)["reads"] == 2  # the page's live check
    rows = dict(re.findall(r'<th scope="row">([^<]+)</th><td>\d+</td><td>\d+</td><td>(\d+)%</td>', page))
    assert rows == {"Baggage": "100", "Operations": "0"}

    # The one reminder: to the two who have not read it, once, however often the schedule runs.
    held = [r for r in DeliveryModel.scan() if r.item_kind == "people-reminder" and r.topic_arn == "people-reminder"]
    assert len(held) == 1 and held[0].status == "held"
    due = held[0].pending_at
    assert flush_held(now=due - timedelta(seconds=1)) == (0, 0)
    before = len(_bulk_calls())
    flush_held(now=due + timedelta(seconds=1))
    flush_held(now=due + timedelta(minutes=5))
    reminders = _bulk_calls()[before:]
    reminded = sorted(d["Destination"]["ToAddresses"][0] for c in reminders for d in c.destinations)
    assert reminded == ["cy@example.com", "dee@example.com"]
    assert all("Reminder" in json.loads(c.template_data)["subject"] for c in reminders)
    assert len(get_backend("sns")["123456789012"]["us-east-1"].sms_messages) == 2  # Dee's SMS, reminded once

    # The review and the drill report: minutes to 50% read (80% not reached).
    review = json.loads(responder.api("GET", f"/api/incidents/{incident_id}/review").body)
    [brief] = review["reach"]
    assert brief["sent"] == 4 and brief["read"] == 2 and brief["minutes_to_50"] is not None
    assert brief["minutes_to_80"] is None and brief["drill"] is True and brief["reminded"] == 2
    report = json.loads(responder.api("GET", f"/api/drills/{drill['id']}").body)
    assert report["minutes"]["to_50_percent_read"] is not None and report["minutes"]["to_80_percent_read"] is None


def test_a_read_link_that_is_forged_expired_or_altered_is_refused_and_records_nothing(harness: Harness) -> None:
    from chalicelib import credentials
    from chalicelib.flows.reach import incident_reach, reach_people
    from chalicelib.policy import read_links
    from chalicelib.policy.reach import Message

    h = harness
    scim = Scim(h, provisioning_token(h))
    ana = scim.user("ana@example.com", department="Baggage")
    bo = scim.user("bo@example.com", department="Baggage")
    now = datetime.now().astimezone()
    message = Message("i" + "a" * 15, "m" * 24, "brief", "Gate 4", (("", "We know."),), "We know.")
    assert reach_people(group="all-staff", message=message, now=now)["people"] == 2
    [call] = _bulk_calls()
    links = _links(call)
    good = links["ana@example.com"].removeprefix("/read/")
    incident, msg, person, dept, expiry, signature = good.split(".")
    key = credentials.signing_key()
    as_bo = f"{incident}.{msg}.{bo['id']}.{dept}.{expiry}.{signature}"  # Ana's signature on Bo's id
    other_dept = f"{incident}.{msg}.{person}.operations.{expiry}.{signature}"
    unsigned = f"{incident}.{msg}.{person}.{dept}.{expiry}.{'A' * 16}"
    expired = read_links.mint(
        key=key,
        incident_id=incident,
        message_id=msg,
        person_id=ana["id"],
        department=dept,
        expiry=read_links.expiry_for(now - timedelta(days=8)),
    )
    never_sent = read_links.mint(
        key=key,
        incident_id=incident,
        message_id="n" * 24,
        person_id=ana["id"],
        department=dept,
        expiry=read_links.expiry_for(now),
    )
    for token, status in (
        (as_bo, 404),
        (other_dept, 404),
        (unsigned, 404),
        ("nonsense", 404),
        (expired, 410),
        (never_sent, 404),
    ):
        for method in ("GET", "POST"):
            answer = h.client.http.request(method=method, path=f"/read/{token}", headers=JSON, body=b"")
            assert answer.status_code == status, (token, method, answer.body)
            assert answer.headers["Content-Type"] == "application/problem+json"
    [reach] = incident_reach(incident)
    assert (reach.sent, reach.read) == (2, 0)


def test_a_bounce_or_complaint_suppresses_the_address_and_batches_hold_fifty(harness: Harness) -> None:
    from chalicelib.flows.reach import reach_people
    from chalicelib.policy.reach import Message
    from chalicelib.store.models import DeliveryModel

    h = harness
    _import(h, [f"p{n:03}@example.com,P {n},Ops,,,," for n in range(120)])
    bounce = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Permanent", "bouncedRecipients": [{"emailAddress": "P007@example.com"}]},
    }
    complaint = {
        "eventType": "Complaint",
        "complaint": {"complainedRecipients": [{"emailAddress": "p008@example.com"}]},
    }
    transient = {
        "eventType": "Bounce",
        "bounce": {"bounceType": "Transient", "bouncedRecipients": [{"emailAddress": "p009@example.com"}]},
    }
    for event in (bounce, complaint, transient):
        h.client.lambda_.invoke("on_ses_event", h.client.events.generate_sns_event(message=json.dumps(event)))
    now = datetime.now().astimezone()
    message = Message("i" + "b" * 15, "q" * 24, "update", "Gate 5", (("", "Update."),), "Update.")
    counts = reach_people(group="all-staff", message=message, now=now)
    calls = _bulk_calls()
    sent = sorted(d["Destination"]["ToAddresses"][0] for c in calls for d in c.destinations)
    assert counts == {"people": 118, "batches": 3} and [len(c.destinations) for c in calls] == [50, 50, 18]
    assert "p007@example.com" not in sent and "p008@example.com" not in sent and "p009@example.com" in sent
    rows = [r for r in DeliveryModel.scan() if r.item_kind == "people"]
    assert len(rows) == 3 and all(r.status == "sent" for r in rows)
    assert reach_people(group="all-staff", message=message, now=now) == counts and len(_bulk_calls()) == 3  # once


def test_a_failed_ses_call_stays_in_the_delivery_log_and_is_retried(harness: Harness) -> None:
    from chalicelib.errors import DeliveryFailed
    from chalicelib.flows.reach import reach_people
    from chalicelib.notify.delivery import retry_stale
    from chalicelib.policy.reach import Message
    from chalicelib.store.models import DeliveryModel

    h = harness
    _import(h, ["ana@example.com,Ana,Ops,,,,"])
    ses = boto3.client("ses", region_name="us-east-1")
    ses.delete_identity(Identity="example.com")  # SES refuses to send from an unverified domain
    now = datetime.now().astimezone()
    message = Message("i" + "c" * 15, "r" * 24, "brief", "Gate 6", (("", "Brief."),), "Brief.")
    with pytest.raises(DeliveryFailed):
        reach_people(group="all-staff", message=message, now=now)
    [row] = [r for r in DeliveryModel.scan() if r.item_kind == "people"]
    assert row.status == "claimed" and row.attempts == 1 and row.last_error
    ses.verify_domain_identity(Domain="example.com")
    assert retry_stale(now=now + timedelta(minutes=5)) == (1, 0)
    assert DeliveryModel.get(row.delivery_id).status == "sent"
    assert [d["Destination"]["ToAddresses"] for c in _bulk_calls() for d in c.destinations] == [["ana@example.com"]]
