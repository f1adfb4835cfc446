"""Routing end to end in-process: the right groups hear it once, incidents are acknowledged from
their link, escalate when nobody does, and noise control holds back what can wait."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from chalicelib import aws
from chalicelib.flows.incidents import escalate_due
from chalicelib.notify.delivery import flush_held
from chalicelib.store import config
from chalicelib.store.models import DeliveryModel, IncidentModel, ReportModel
from infra.local.handlers import resolve
from tests.functional.conftest import Harness
from tests.support import CRISIS, MENTION, Browser, Fault, aws_error, batch_envelope, envelope, signed_headers

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}


def _post(h: Harness, body: bytes) -> None:
    assert h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202


def _report(h: Harness, text: str, url: str, email: str = "") -> str:
    page = h.client.http.get("/report", headers={"accept": "text/html"}).body.decode()
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    fields = {"csrf": token, "text": text, "url": url, "urgency": "normal"}
    fields.update({"email": email} if email else {"anonymous": "on"})
    response = h.client.http.post(
        "/report",
        body=urlencode(fields).encode(),
        headers={"content-type": "application/x-www-form-urlencoded", "accept": "text/html"},
    )
    assert response.status_code == 201
    return re.search(r'class="id">([a-z2-7]{16})<', response.body.decode()).group(1)  # type: ignore[union-attr]


def _api(h: Harness, method: str, path: str, body: Any = None) -> Any:
    data = json.dumps(body).encode() if body is not None else b""
    return getattr(h.client.http, method)(path, body=data, headers=ADMIN)


def _count_sns(harness: Harness) -> dict[str, int]:
    calls: dict[str, int] = {}

    def count(model: Any, **kwargs: Any) -> None:
        calls[model.name] = calls.get(model.name, 0) + 1

    aws.sns().meta.events.register("before-call.sns.*", count)
    return calls


def test_a_burst_of_new_stories_goes_out_as_one_bundle_per_group(harness: Harness) -> None:
    burst = [
        {**MENTION, "id": str(500 + i), "url": "", "author": {"handle": f"user{i}", "followers": 100 + i}, "text": t}
        for i, t in enumerate(
            [
                "My bag never arrived in Denver, third day without clothes",
                "Flight delayed four hours and not a word from the gate",
                "Lovely crew on the morning flight, thank you!",
                "The app logged me out while I was checking in, again",
                "Seats were clean and boarding was quick today",
                "Stuck on the tarmac for two hours, cancelled connection",
            ]
        )
    ]
    calls = _count_sns(harness)
    _post(harness, batch_envelope(burst))
    harness.pump.pump_once()
    deliveries = harness.deliveries()
    social = [d for d in deliveries if d["group"] == "social-team"]
    assert len(social) == 1 and social[0]["item_kind"] == "bundle"
    assert "6 new for Social team" in social[0]["email"] and "@user3" in social[0]["email"]
    assert calls.get("PublishBatch", 0) + calls.get("Publish", 0) <= len({d["group"] for d in deliveries})
    # Redelivering the same mentions tells nobody anything twice.
    _post(harness, batch_envelope(burst))
    harness.pump.pump_once()
    assert harness.deliveries() == []


def test_reposts_of_a_story_are_folded_not_notified_again(harness: Harness) -> None:
    _post(harness, envelope())
    harness.pump.pump_once()
    first = harness.deliveries()
    repost = {**MENTION, "id": "1893099", "url": "https://x.com/bo/status/1893099", "author": {"handle": "bo"}}
    repost["text"] = "RT @ana: " + MENTION["text"]
    _post(harness, envelope(repost))
    harness.pump.pump_once()
    assert {d["group"] for d in first} == {"social-team", "operations"}
    assert harness.deliveries() == []


def _incident_notice(deliveries: list[dict[str, Any]], group: str) -> dict[str, Any]:
    [notice] = [d for d in deliveries if d["group"] == group and d["item_kind"] == "incident"]
    return notice


def _ack_path(notice: dict[str, Any], channel: str = "email") -> str:
    """The acknowledge link a notice carries: the email's and the SMS's differ by the channel
    they name (".ae." and ".as."), so an acknowledgement records where the link was read."""
    email, sms = re.search(r"/ack/(\S+)", notice["email"]), re.search(r"/ack/(\S+)", notice["sms"])
    assert email and sms, notice
    assert ".ae." in email.group(0) and ".as." in sms.group(0) and len(notice["sms"]) <= 160
    return (email if channel == "email" else sms).group(0)


def test_an_incident_is_acknowledged_from_its_link_and_the_reporter_hears_the_outcome(harness: Harness) -> None:
    tracking = _report(harness, "This is going viral, please look", CRISIS["url"], email="sam@example.com")
    harness.pump.pump_once()
    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    [incident] = IncidentModel.scan()
    assert incident.severity in ("high", "critical") and incident.owner and incident.next_action_at
    notice = _incident_notice(harness.deliveries(), "crisis-team")
    path = _ack_path(notice)

    # A GET (a mail scanner, a link preview) shows the incident and changes nothing.
    browser = Browser(harness.client.http)
    shown = browser.get(path)
    assert shown.status_code == 200 and "Acknowledge for Crisis team" in shown.body.decode()
    assert IncidentModel.get(incident.incident_id).status == "open"

    # No typed name: the link acts for the group it was sent to, and the channel is recorded.
    acked = browser.post_form(path, {})
    assert acked.status_code == 200 and "Acknowledged" in acked.body.decode()
    row = IncidentModel.get(incident.incident_id)
    assert (row.status, row.acknowledged_by) == ("acknowledged", "Crisis team")
    entry = next(json.loads(e) for e in row.timeline if json.loads(e)["event"] == "acknowledged")
    assert (entry["group"], entry["via"]) == ("crisis-team", "email link")
    # Acknowledged: the next thing due is a reminder, not an escalation.
    assert row.next_action_at is not None and row.next_action_at - row.acknowledged_at >= timedelta(hours=1)
    # Every group that was told hears it is in hand, once.
    in_hand = [d for d in harness.deliveries() if "in hand" in d["subject"].lower()]
    assert sorted(d["group"] for d in in_hand) == sorted(set(row.notified) | {row.owner})
    assert browser.post_form(path, {}).status_code == 200 and harness.deliveries() == []

    report = ReportModel.get(tracking)
    assert report.outcome and "acknowledged" in report.outcome
    status_page = harness.client.http.get(f"/report/{tracking}", headers={"accept": "text/html"}).body.decode()
    assert "acknowledged it" in status_page
    sent = _ses_messages()
    assert any("sam@example.com" in m.destinations["ToAddresses"] and "acknowledged" in m.subject for m in sent)

    # Resolving takes a responder: the link's page sends them to the incident's page; the API
    # (here the break-glass token) resolves, and the reporter hears it once.
    assert "Resolve it from the incident" in acked.body.decode()
    for _ in range(2):
        harness.client.http.post(
            f"/api/incidents/{incident.incident_id}/resolve",
            body=json.dumps({"note": "Apologised and refunded"}).encode(),
            headers=ADMIN,
        )
    row = IncidentModel.get(incident.incident_id)
    assert row.status == "resolved" and row.next_action_at is None
    events = [json.loads(e)["event"] for e in row.timeline]
    assert events[0] == "opened" and "notified" in events and "acknowledged" in events and "resolved" in events
    assert events.count("reporters told") == 2 and events.count("groups told") == 2
    assert sum(1 for m in _ses_messages() if "resolved" in m.subject) == 1


def _ses_messages() -> list[Any]:
    from moto.backends import get_backend

    return list(get_backend("ses")["123456789012"]["us-east-1"].sent_messages)


def test_a_tampered_or_expired_link_does_nothing(harness: Harness) -> None:
    from chalicelib.policy import tokens

    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    path = _ack_path(_incident_notice(harness.deliveries(), "crisis-team"))
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")
    answer = harness.client.http.post(tampered, body=b"", headers={"content-type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 404
    wrong_type = harness.client.http.post(path, body=b"{}", headers={"content-type": "application/json"})
    assert wrong_type.status_code == 415 and wrong_type.headers["Content-Type"] == "application/problem+json"
    token = path.removeprefix("/ack/")
    key = b"test-signing-key"
    grant = tokens.verify(token, key=key, now=datetime.now(UTC))
    with pytest.raises(Exception, match="expired"):
        tokens.verify(token, key=key, now=grant.expires_at)
    [incident] = IncidentModel.scan()
    assert incident.status == "open"


def test_nobody_acknowledges_so_it_escalates_level_by_level(harness: Harness) -> None:
    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    [incident] = IncidentModel.scan()
    harness.deliveries()
    opened = incident.opened_at
    assert escalate_due(now=opened + timedelta(minutes=5)) == 0
    assert escalate_due(now=opened + timedelta(minutes=16)) == 1
    level1 = [d for d in harness.deliveries() if d["item_kind"] == "incident"]
    assert [d["group"] for d in level1] == ["crisis-team"] and "not acknowledged within 15 min" in level1[0]["email"]
    assert CRISIS["text"][:40] in level1[0]["email"]  # a follow-up repeats the original context
    assert escalate_due(now=opened + timedelta(minutes=17)) == 0  # once per level
    assert escalate_due(now=opened + timedelta(minutes=61)) == 1
    assert [d["group"] for d in harness.deliveries()] == ["executives"]
    row = IncidentModel.get(incident.incident_id)
    assert int(row.level) == 2 and row.next_action_at is None
    assert [json.loads(e)["event"] for e in row.timeline].count("escalated") == 2


def test_a_story_whose_reach_doubles_jumps_to_the_executives(harness: Harness) -> None:
    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    harness.deliveries()
    quote = {
        **CRISIS,
        "id": "7002",
        "url": "https://x.com/bignews/status/7002",
        "text": "Quoting https://x.com/dana/status/7001 - this is appalling",
        "author": {"handle": "bignews", "followers": 900000},
    }
    _post(harness, envelope(quote))
    harness.pump.pump_once()
    jumped = [d for d in harness.deliveries() if d["group"] == "executives"]
    assert len(jumped) == 1 and "reach grew from 52,000 to 952,000" in jumped[0]["email"]


def test_what_waits_goes_out_when_due(harness: Harness) -> None:
    from chalicelib.notify.gate import send
    from chalicelib.policy.batch import Outgoing
    from chalicelib.records import Notification

    _api(harness, "put", "/api/groups/customer-care", {"name": "Customer care", "grace_minutes": 5, "max_per_hour": 1})
    _api(
        harness,
        "put",
        "/api/maintenance/upgrade",
        {"start": "2026-11-24T02:00:00Z", "end": "2026-11-24T03:00:00Z", "groups": ["operations"], "reason": "upgrade"},
    )
    config.clear_cache()
    routing = config.load_routing()
    now = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)

    def note(group: str, n: int, **extra: Any) -> Notification:
        return Notification(f"d-{group}-{n}", group, f"note {n}", "email", "sms", ("why",), "mention", f"m{n}", **extra)

    outcomes, _ = send(
        [
            Outgoing(note("operations", 1)),  # in the maintenance window
            Outgoing(note("operations", 2, severity="critical")),  # critical goes out anyway
            Outgoing(note("customer-care", 3), grace_from=now),  # grace period
            Outgoing(note("customer-care", 4)),  # the hour's one allowed
            Outgoing(note("customer-care", 5)),  # over the hourly limit: digest
        ],
        config=routing,
        now=now,
    )
    assert outcomes == {
        "d-operations-1": "held",
        "d-operations-2": "sent",
        "d-customer-care-3": "held",
        "d-customer-care-4": "sent",
        "d-customer-care-5": "held",
    }
    assert len(harness.deliveries()) == 2
    assert flush_held(now=now + timedelta(minutes=6)) == (1, 0)  # the grace period ended
    assert flush_held(now=now + timedelta(hours=1)) == (2, 0)  # the window and the hour ended
    later = harness.deliveries()
    digests = [d for d in later if d.get("kind") == "digest"]
    assert len(later) == 3 and len(digests) == 2
    assert any("maintenance window" in d["email"] and "note 1" in d["email"] for d in digests)


def test_members_in_quiet_hours_get_a_digest_instead(harness: Harness) -> None:
    from chalicelib.notify.gate import send
    from chalicelib.policy.batch import Outgoing
    from chalicelib.policy.noise import member_filter
    from chalicelib.records import Notification

    for endpoint, zone in (("+33612345678", "Europe/Paris"), ("+12125550100", "America/New_York")):
        answer = _api(
            harness,
            "post",
            "/api/groups/executives/members",
            {"protocol": "sms", "endpoint": endpoint, "timezone": zone},
        )
        assert answer.status_code == 201, answer.body
    members = _api(harness, "get", "/api/groups/executives/members").json_body["member_list"]
    assert {(m["endpoint"], m["timezone"]) for m in members} == {
        ("+33612345678", "Europe/Paris"),
        ("+12125550100", "America/New_York"),
    }
    # moto does not record SMS fanned out from a topic: a queue per zone, subscribed with the
    # members' own filter policy, shows what each zone's phones receive.
    phones = {zone: _zone_queue(harness, zone, member_filter(zone)) for zone in ("Europe/Paris", "America/New_York")}
    config.clear_cache()
    routing = config.load_routing()
    assert set(routing.groups["executives"].zones) == {"Europe/Paris", "America/New_York"}
    now = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)  # 00:30 in Paris, 18:30 in New York
    n = Notification("d-exec-1", "executives", "late news", "email", "sms", ("why",), "mention", "m1")
    outcomes, _ = send([Outgoing(n)], config=routing, now=now)
    assert outcomes == {"d-exec-1": "sent"}
    assert list(DeliveryModel.get("d-exec-1").audience) == ["tz:America/New_York"]
    assert (len(_drain(harness, phones["America/New_York"])), len(_drain(harness, phones["Europe/Paris"]))) == (1, 0)
    assert flush_held(now=datetime(2026, 11, 25, 6, 1, tzinfo=UTC)) == (1, 0)  # 07:01 in Paris
    [digest] = _drain(harness, phones["Europe/Paris"])
    assert "Digest for Executives" in digest["Subject"] and _drain(harness, phones["America/New_York"]) == []
    critical = Notification("d-exec-2", "executives", "now", "e", "s", ("why",), "mention", "m2", severity="critical")
    send([Outgoing(critical)], config=routing, now=now)
    assert len(_drain(harness, phones["Europe/Paris"])) == 1  # critical wakes everyone


def _zone_queue(harness: Harness, zone: str, policy: dict[str, Any]) -> str:
    import boto3

    sns = boto3.client("sns", region_name="us-east-1")
    url = harness.sqs.create_queue(QueueName="phones-" + zone.replace("/", "-"))["QueueUrl"]
    arn = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("group-executives"))
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)})
    return str(url)


def _drain(harness: Harness, url: str) -> list[dict[str, Any]]:
    messages = harness.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for m in messages:
        harness.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [json.loads(m["Body"]) for m in messages]


def test_a_delivery_that_keeps_failing_is_dead_lettered_and_retried_by_an_admin(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.notify import delivery

    monkeypatch.setattr("time.sleep", lambda _: None)
    _post(harness, envelope())
    with (
        Fault(aws.sns(), "PublishBatch", lambda _: aws_error("KMSDisabled", 400, xml=True)),
        pytest.raises(Exception, match="failed"),
    ):
        resolve("chalicelib.handlers.stream.on_mention_stored")(harness.mention_stream_event(), None)
    with Fault(aws.sns(), "Publish", lambda _: aws_error("KMSDisabled", 400, xml=True)):
        for minute in range(delivery.MAX_ATTEMPTS):
            delivery.retry_stale(now=datetime.now(UTC) + timedelta(minutes=3 + minute))
    dead = _api(harness, "get", "/api/deliveries?status=dead").json_body["deliveries"]
    assert {d["group"] for d in dead} == {"social-team", "operations"} and all(
        d["last_error"] == "KMSDisabled" for d in dead
    )
    assert delivery.retry_stale(now=datetime.now(UTC) + timedelta(hours=1)) == (0, 0)  # dead rows wait for a person
    retried = _api(harness, "post", f"/api/deliveries/{dead[0]['id']}/retry", {})
    assert retried.json_body["status"] == "sent"
    assert len(harness.deliveries()) == 1


def test_a_resolved_incident_that_comes_back_is_reopened_and_one_that_flaps_is_not_paged_again(
    harness: Harness,
) -> None:
    from chalicelib.clock import utcnow
    from chalicelib.flows.incidents import resolve as resolve_incident

    _post(harness, envelope(CRISIS))
    harness.pump.pump_once()
    [incident] = IncidentModel.scan()
    harness.deliveries()
    for n in range(3):
        resolve_incident(incident_id=incident.incident_id, group="crisis-team", by="", via="test", now=utcnow())
        again = {**CRISIS, "id": f"71{n}", "url": f"https://x.com/e{n}/status/71{n}", "author": {"handle": f"e{n}"}}
        again["text"] = f"RT @dana: {CRISIS['text']}"
        _post(harness, envelope(again))
        harness.pump.pump_once()
        # (each resolve also tells the groups it is resolved: that is not a page)
        notices = [d for d in harness.deliveries() if d["item_kind"] == "incident" and "resolved" not in d["subject"]]
        row = IncidentModel.get(incident.incident_id)
        if n < 2:
            assert notices and all("Incident reopened" in d["email"] for d in notices) and row.status == "open"
        else:  # the third return within the hour: flapping, noted, nobody paged
            assert notices == [] and row.status == "resolved"
            assert json.loads(row.timeline[-1])["note"] == "flapping: not notified again"


def test_a_reporter_who_left_an_email_gets_a_receipt_once_and_an_anonymous_one_gets_none(harness: Harness) -> None:
    _report(harness, "Someone posted our boarding pass photo", "https://x.com/zed/status/42", email="kim@example.com")
    _report(harness, "A rude comment about our crew", "https://x.com/zed/status/43")
    harness.pump.pump_once()
    harness.pump.pump_once()
    receipts = [m for m in _ses_messages() if m.subject.startswith("We got your report")]
    assert len(receipts) == 1 and receipts[0].destinations["ToAddresses"] == ["kim@example.com"]
    assert "Social team has it." in receipts[0].body and "/report/" in receipts[0].body
