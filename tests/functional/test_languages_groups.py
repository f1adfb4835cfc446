"""A group's messages in each member's language, the SNS way: a message is published once per
language the group's members read, with a `lang` message attribute, and each member's
subscription filter takes theirs (moto honours filter policies: a queue subscribed with a
member's own filter receives what their inbox would)."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial
from typing import Any

import boto3

from chalicelib.clock import utcnow
from tests.functional.conftest import Harness

ADMIN = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
GROUP = "executives"


def _topic() -> str:
    sns = boto3.client("sns", region_name="us-east-1")
    return next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(f"group-{GROUP}"))


def _inbox(harness: Harness, name: str, policy: dict[str, Any]) -> str:
    sns = boto3.client("sns", region_name="us-east-1")
    url = harness.sqs.create_queue(QueueName=f"inbox-{name}")["QueueUrl"]
    arn = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=_topic(), Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": json.dumps(policy)})
    return str(url)


def _drain(harness: Harness, url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while True:
        messages = harness.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for m in messages:
            harness.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            found.append(json.loads(m["Body"]))


def _add(harness: Harness, endpoint: str, language: str | None) -> Any:
    member = {"protocol": "email", "endpoint": endpoint, "timezone": "UTC"}
    body = json.dumps({**member, **({"language": language} if language else {})}).encode()
    return harness.client.http.post(f"/api/groups/{GROUP}/members", body=body, headers=ADMIN)


def _policies() -> dict[str, dict[str, Any]]:
    sns = boto3.client("sns", region_name="us-east-1")
    found = {}
    for sub in sns.list_subscriptions_by_topic(TopicArn=_topic())["Subscriptions"]:
        if sub["Protocol"] == "email" and sub["SubscriptionArn"].startswith("arn:"):
            attributes = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
            found[sub["Endpoint"]] = json.loads(attributes.get("FilterPolicy") or "{}")
    return found


def test_a_spanish_and_a_german_member_of_one_group_each_receive_only_their_language(harness: Harness) -> None:
    from chalicelib.notify.gate import send
    from chalicelib.policy.batch import Outgoing
    from chalicelib.policy.messages import render, render_in
    from chalicelib.policy.noise import member_filter
    from chalicelib.policy.rules import Route
    from chalicelib.store import config
    from tests.support import make_mention

    sns = boto3.client("sns", region_name="us-east-1")
    # A member from before languages: their filter names none.
    old = {"audience": ["all", "tz:UTC"]}
    sns.subscribe(
        TopicArn=_topic(), Protocol="email", Endpoint="old@example.com", Attributes={"FilterPolicy": json.dumps(old)}
    )
    assert _add(harness, "ana@example.com", "es").status_code == 201
    assert _add(harness, "jonas@example.com", "de").status_code == 201
    assert _add(harness, "eve@example.com", "fr").status_code == 422  # not a shipped language
    members = json.loads(harness.client.http.get(f"/api/groups/{GROUP}/members", headers=ADMIN).body)["member_list"]
    languages = {m["endpoint"]: m["language"] for m in members if m["endpoint"] != "old@example.com"}
    assert languages == {"ana@example.com": "es", "jonas@example.com": "de"}
    policies = _policies()
    assert policies["ana@example.com"]["lang"] == ["es", "any"] and policies["jonas@example.com"]["lang"] == [
        "de",
        "any",
    ]
    assert policies["old@example.com"] == {**old, "lang": ["en", "any"]}  # now given the default's, once
    config.clear_cache()
    routing = config.load_routing()
    assert set(routing.groups[GROUP].languages) == {"en", "es", "de"}

    inboxes = {lang: _inbox(harness, lang, member_filter("UTC", lang)) for lang in ("en", "es", "de")}
    mention = make_mention(1, "Our crew lost my bags and nobody answers", followers=1200)
    route = Route(GROUP, ("the executives hear of complaints",))
    n = render(mention, route)
    # Noon, outside the executives' quiet hours (22:00-07:00 UTC) whatever the time of the run.
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    outcomes, failures = send(
        [Outgoing(n, translate=partial(render_in, mention, route, None))], config=routing, now=noon
    )
    assert failures == [] and outcomes[n.delivery_id] == "sent"
    got = {lang: _drain(harness, url) for lang, url in inboxes.items()}
    assert [len(got[lang]) for lang in ("en", "es", "de")] == [1, 1, 1]
    spanish, german, english = (json.loads(got[lang][0]["Message"])["email"] for lang in ("es", "de", "en"))
    assert "Alcance: 1.200 seguidores" in spanish and "Por qué recibe esto:" in spanish and "Reach:" not in spanish
    assert "Reichweite: 1.200 Follower" in german and "Warum Sie das erhalten:" in german and "Alcance" not in german
    assert "Reach: 1,200 followers" in english and "Why you are getting this:" in english
    assert got["es"][0]["MessageAttributes"]["lang"]["Value"] == "es"
    # A message nobody translated (an alarm) goes once, `any`: every member gets that one.
    from chalicelib.notify.delivery import deliver
    from chalicelib.records import Notification
    from chalicelib.settings import get_settings

    alarm = Notification("d-alarm-1", GROUP, "[sharedwatch] Spike", "A spike", "spike", ("spike",), "alarm", "a1")
    assert deliver(alarm, topic_arn=get_settings().group_topic_arn(GROUP)) == "sent"
    assert [len(_drain(harness, url)) for url in inboxes.values()] == [1, 1, 1]


def test_a_groups_held_digest_goes_out_in_each_members_language(harness: Harness) -> None:
    from chalicelib.notify.delivery import flush_held
    from chalicelib.notify.gate import send
    from chalicelib.policy.batch import Outgoing
    from chalicelib.policy.messages import render, render_in
    from chalicelib.policy.noise import member_filter
    from chalicelib.policy.rules import Route
    from chalicelib.store import config
    from tests.support import make_mention

    assert _add(harness, "ana@example.com", "es").status_code == 201
    put = harness.client.http.put(
        f"/api/groups/{GROUP}", body=json.dumps({"name": "Executives", "max_per_hour": 1}).encode(), headers=ADMIN
    )
    assert put.status_code in (200, 201), put.body
    config.clear_cache()
    routing = config.load_routing()
    assert routing.groups[GROUP].languages == ("en", "es")  # kept when the group is edited
    inboxes = {lang: _inbox(harness, lang, member_filter("UTC", lang)) for lang in ("en", "es")}
    now = utcnow()
    route = Route(GROUP, ("complaints",))
    for i in (1, 2):  # the second is over the hour's one: it waits for the digest, in each language
        mention = make_mention(i, f"Complaint number {i} about the lounge")
        send(
            [Outgoing(render(mention, route), translate=partial(render_in, mention, route, None))],
            config=routing,
            now=now,
        )
    assert [len(_drain(harness, url)) for url in inboxes.values()] == [1, 1]
    sent, _ = flush_held(now=now + timedelta(hours=1, minutes=1))
    assert sent == 2  # one digest per language
    [english] = _drain(harness, inboxes["en"])
    [spanish] = _drain(harness, inboxes["es"])
    assert "1 notification for Executives held back" in json.loads(english["Message"])["email"]
    assert "1 notificación para Executives retenida" in json.loads(spanish["Message"])["email"]
    assert "Resumen para Executives" in spanish["Subject"] and "Digest for Executives" in english["Subject"]


def test_a_departments_digest_reaches_each_member_in_their_language_once(harness: Harness) -> None:
    from datetime import UTC, datetime

    from chalicelib.flows.digests import send_digests
    from chalicelib.policy.noise import member_filter
    from chalicelib.store import config

    for endpoint, language in (("ana@example.com", "es"), ("jonas@example.com", "de"), ("sam@example.com", "en")):
        member = {"protocol": "email", "endpoint": endpoint, "timezone": "UTC", "language": language}
        added = harness.client.http.post(
            "/api/groups/operations/members", body=json.dumps(member).encode(), headers=ADMIN
        )
        assert added.status_code == 201, added.body
    config.clear_cache()
    sns = boto3.client("sns", region_name="us-east-1")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("group-operations"))
    inboxes = {}
    for language in ("en", "es", "de"):
        url = harness.sqs.create_queue(QueueName=f"ops-{language}")["QueueUrl"]
        arn = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps(member_filter("UTC", language))
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": policy})
        inboxes[language] = url
    eight = datetime(datetime.now(UTC).year + 1, 1, 14, 8, 0, tzinfo=UTC)  # 08:00 in UTC, any year
    send_digests("daily", now=eight)
    send_digests("daily", now=eight.replace(minute=15))  # the next quarter hour sends nothing again
    subjects = {
        language: [m["Subject"] for m in _drain(harness, url) if "Inflight" in m["Subject"]]
        for language, url in inboxes.items()
    }
    assert [len(subjects[lang]) for lang in ("en", "es", "de")] == [1, 1, 1], subjects
    assert "your day on social media" in subjects["en"][0]
    assert "su dia en las redes sociales" in subjects["es"][0]  # SNS subjects are ASCII
    assert "Ihr Tag in den sozialen Medien" in subjects["de"][0]


def test_a_spanish_member_hears_in_spanish_that_an_incident_is_in_hand(harness: Harness) -> None:
    from chalicelib.policy.noise import member_filter
    from chalicelib.store.models import IncidentModel
    from tests.support import CRISIS, envelope, fresh, signed_headers

    member = {"protocol": "email", "endpoint": "ana@example.com", "timezone": "UTC", "language": "es"}
    added = harness.client.http.post("/api/groups/crisis-team/members", body=json.dumps(member).encode(), headers=ADMIN)
    assert added.status_code == 201, added.body
    sns = boto3.client("sns", region_name="us-east-1")
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith("group-crisis-team"))
    inboxes = {}
    for language in ("en", "es"):
        url = harness.sqs.create_queue(QueueName=f"crisis-{language}")["QueueUrl"]
        arn = harness.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        policy = json.dumps(member_filter("UTC", language))
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"FilterPolicy": policy})
        inboxes[language] = url
    body = envelope(fresh(CRISIS))
    assert harness.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    harness.pump.pump_once()
    # The incident notice has no Spanish version yet: each member still gets exactly one.
    assert [len(_drain(harness, inboxes[lang])) for lang in ("en", "es")] == [1, 1]
    [incident] = IncidentModel.scan()
    acked = harness.client.http.post(f"/api/incidents/{incident.incident_id}/acknowledge", body=b"{}", headers=ADMIN)
    assert acked.status_code == 200, acked.body
    [english] = _drain(harness, inboxes["en"])
    [spanish] = _drain(harness, inboxes["es"])
    assert english["Subject"].startswith("[sharedwatch] Is in hand:")
    assert spanish["Subject"].startswith("[sharedwatch] Se esta atendiendo:")
    assert "El incidente del que le avisamos se está atendiendo" in json.loads(spanish["Message"])["email"]
