"""Chat as a channel of a stakeholder group: cards in Slack and Teams, updated in place; buttons
that act as the mapped person; Slack reports answered in Slack; one delivery log. The real
`slack_sdk` and the app's Bot Connector client talk to a loopback server that checks every
request against the platforms' documented contracts (tests/chat_loopback.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import boto3
import pytest

from chalicelib.store.models import AuditModel, DeliveryModel, IdentityModel, IncidentModel
from tests.chat_loopback import BOT_TOKEN, TEAMS_APP_ID, TEAMS_APP_PASSWORD, Loopback, running
from tests.functional.conftest import Harness, allow_outbound, served_at
from tests.functional.identity_support import make_person, sign_in, token_for
from tests.support import CRISIS, Browser, envelope, signed_headers

SLACK_SECRET = "slack-signing-secret"
TEAM, CHANNEL, CONVERSATION = "T0SHARED", "C0CARDS", "19:cards@thread.tacv2"
PRIYA_SLACK, PRIYA_TEAMS = "U0PRIYA", "29:teams-priya"


@dataclass
class Chat:
    h: Harness
    loop: Loopback


@pytest.fixture
def chat(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chat]:
    from chalicelib import credentials, teams_auth
    from chalicelib.notify import platforms
    from chalicelib.settings import get_settings
    from chalicelib.store import config
    from chalicelib.store.chat import save_slack_install

    with running() as loop:
        for key, value in loop.settings_env().items():
            monkeypatch.setenv(key, value)
        # The fake is on loopback: allowed through the outbound rule's own exception, no other way.
        allow_outbound(monkeypatch, served_at(loop.base))
        get_settings.cache_clear()
        platforms.forget_teams_token()
        teams_auth.forget_keys()
        settings = get_settings()
        ssm = boto3.client("ssm", region_name=settings.region)
        slack = {"secret": SLACK_SECRET, "client_id": "3336676.569200954261", "client_secret": "slack-client-secret"}
        teams = {"app_id": TEAMS_APP_ID, "app_password": TEAMS_APP_PASSWORD}
        for slug, doc in (("slack", slack), ("teams", teams)):
            ssm.put_parameter(
                Name=settings.parameter_name(f"sources/{slug}"),
                Value=json.dumps(doc),
                Type="SecureString",
                Overwrite=True,
            )
        credentials.clear_cache()
        save_slack_install(team=TEAM, token=BOT_TOKEN, bot_user="U0BOT", team_name="Example Air", by="test", now=_now())
        for group in config.load_routing().groups.values():
            config.save_group(replace(group, slack_team=TEAM, slack_channel=CHANNEL, teams_channel=CONVERSATION))
        config.clear_cache()
        make_person(harness, "priya@example.com", "responder", name="Priya")
        loop.emails.update({PRIYA_SLACK: ("priya@example.com", True), PRIYA_TEAMS: ("priya@example.com", True)})
        yield Chat(harness, loop)
        assert loop.violations == [], loop.violations
    get_settings.cache_clear()
    platforms.forget_teams_token()
    teams_auth.forget_keys()


def _now() -> Any:
    from chalicelib.clock import utcnow

    return utcnow()


def _incident(c: Chat) -> IncidentModel:
    body = envelope(CRISIS)
    assert c.h.client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
    c.h.pump.pump_once()
    [incident] = IncidentModel.scan()
    return incident


def _slack_signed(body: bytes, *, ts: int | None = None, secret: str = SLACK_SECRET) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(time.time()))
    signature = "v0=" + hmac.new(secret.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature,
    }


def _press_body(incident_id: str, action: str, user: str = PRIYA_SLACK) -> bytes:
    """A block_actions payload as Slack documents it (the fields sharedwatch reads, and more)."""
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "example-air"},
        "user": {"id": user, "username": "priya", "team_id": TEAM},
        "api_app_id": "A0KRD7HC3",
        "container": {"type": "message", "message_ts": "1503435956.000247", "channel_id": CHANNEL},
        "trigger_id": f"{time.time_ns()}.98765.abcdef",
        "channel": {"id": CHANNEL, "name": "incidents"},
        "response_url": "https://hooks.slack.com/actions/T0SHARED/1/xyz",
        "actions": [
            {
                "action_id": f"sw:{action}",
                "block_id": "sw-incident",
                "text": {"type": "plain_text", "text": action},
                "value": incident_id,
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def _invoke(c: Chat, incident_id: str, verb: str, token: str, *, member: str = PRIYA_TEAMS) -> Any:
    activity = {
        "type": "invoke",
        "name": "adaptiveCard/action",
        "id": f"f:{time.time_ns()}",
        "channelId": "msteams",
        "serviceUrl": c.loop.teams_service_url,
        "from": {"id": member, "aadObjectId": f"aad-{member}", "name": "Priya"},
        "conversation": {"id": CONVERSATION, "conversationType": "channel"},
        "recipient": {"id": f"28:{TEAMS_APP_ID}"},
        "value": {"action": {"type": "Action.Execute", "verb": verb, "data": {"incident": incident_id}}},
    }
    headers = {"content-type": "application/json", "authorization": f"Bearer {token}"}
    return c.h.client.http.post("/teams/messages", body=json.dumps(activity).encode(), headers=headers)


def _cards(c: Chat) -> tuple[dict[str, Any], dict[str, Any]]:
    [slack] = [x for x in c.loop.of("chat.postMessage") if "thread_ts" not in x.body and x.body.get("blocks")]
    [teams] = c.loop.of("teams.post")
    return slack.body, teams.body["attachments"][0]["content"]


def _audit(action: str) -> list[Any]:
    return [a for a in AuditModel.scan() if a.action == action]


def test_an_incident_is_a_card_in_both_and_a_slack_press_acknowledges_as_the_person_then_teams_resolves(
    chat: Chat,
) -> None:
    c, loop = chat, chat.loop
    incident = _incident(c)
    slack, teams = _cards(c)
    assert slack["channel"] == CHANNEL and incident.title[:40] in slack["blocks"][0]["text"]["text"]
    [actions] = [b for b in slack["blocks"] if b["type"] == "actions"]
    assert [e["action_id"] for e in actions["elements"]] == [
        "sw:acknowledge",
        "sw:mine",
        "sw:not-ours",
        "sw:false-alarm",
    ]
    assert {e["value"] for e in actions["elements"]} == {incident.incident_id}
    assert [a["verb"] for a in teams["actions"] if a["type"] == "Action.Execute"] == [
        "acknowledge",
        "mine",
        "not-ours",
        "false-alarm",
    ]
    assert teams["refresh"]["action"]["verb"] == "refresh"
    assert loop.of("teams.post")[0].body["_conversation"] == CONVERSATION
    # Redelivering the stream batch posts no second card.
    c.h.pump.pump_once()
    c.h.deliveries()
    assert len(loop.of("teams.post")) == 1

    press = _press_body(incident.incident_id, "acknowledge")
    assert c.h.client.http.post("/slack/interactivity", body=press, headers=_slack_signed(press)).status_code == 200
    row = IncidentModel.get(incident.incident_id)
    assert (row.status, row.acknowledged_by) == ("acknowledged", "Priya <priya@example.com>")
    entry = next(json.loads(e) for e in row.timeline if json.loads(e)["event"] == "acknowledged")
    assert entry["via"] == "Slack button"
    [audited] = _audit("incident.acknowledge")
    assert (audited.actor, audited.via, audited.target) == ("priya@example.com", "slack", incident.incident_id)
    # The groups told hear once that it is in hand (email and SMS ride the same SNS notice).
    in_hand = [d for d in c.h.deliveries() if "in hand" in d["subject"].lower()]
    assert sorted(d["group"] for d in in_hand) == sorted(set(row.notified) | {row.owner})
    # Both cards updated in place, the change threaded under them, the presser answered privately.
    [update] = loop.of("chat.update")
    assert update.body["channel"] == CHANNEL and update.body["ts"]
    assert "Acknowledged by Priya" in json.dumps(update.body["blocks"])
    assert next(b for b in update.body["blocks"] if b["type"] == "actions")["elements"][0]["action_id"] == "sw:resolve"
    [thread] = [x for x in loop.of("chat.postMessage") if "thread_ts" in x.body]
    assert thread.body["thread_ts"] == update.body["ts"] and "via Slack button" in thread.body["text"]
    [teams_update] = loop.of("teams.update")
    assert "Acknowledged by Priya" in json.dumps(teams_update.body)
    assert len(loop.of("teams.reply")) == 1
    [answer] = loop.of("chat.postEphemeral")
    assert answer.body["user"] == PRIYA_SLACK and answer.body["text"].startswith("Acknowledged")

    audited_before = AuditModel.count()

    # Resolved from Teams with a signed Bot Framework token: both cards say so.
    answer_teams = _invoke(c, incident.incident_id, "resolve", loop.bot_token())
    assert answer_teams.status_code == 200
    body = json.loads(answer_teams.body)
    assert body["type"] == "application/vnd.microsoft.card.adaptive" and "Resolved by Priya" in json.dumps(body)
    row = IncidentModel.get(incident.incident_id)
    assert (row.status, row.resolved_by) == ("resolved", "Priya <priya@example.com>")
    assert [a.via for a in _audit("incident.resolve")] == ["teams"]
    assert len(loop.of("chat.update")) == 2 and "Resolved by Priya" in json.dumps(loop.of("chat.update")[1].body)
    assert not [b for b in loop.of("chat.update")[1].body["blocks"] if b["type"] == "actions"]
    assert len(loop.of("teams.update")) == 2 and "Resolved by Priya" in json.dumps(loop.of("teams.update")[1].body)
    assert audited_before < AuditModel.count()


def test_a_replayed_forged_or_stale_slack_press_is_refused_and_changes_nothing(chat: Chat) -> None:
    c, loop = chat, chat.loop
    incident = _incident(c)
    c.h.deliveries()
    calls = len(loop.calls)
    press = _press_body(incident.incident_id, "acknowledge")
    forged = _slack_signed(press, secret="not-the-secret")
    stale = _slack_signed(press, ts=int(time.time()) - 600)
    for headers in (forged, stale):
        assert c.h.client.http.post("/slack/interactivity", body=press, headers=headers).status_code == 401
    assert IncidentModel.get(incident.incident_id).status == "open"
    assert _audit("incident.acknowledge") == [] and len(loop.calls) == calls and c.h.deliveries() == []

    signed = _slack_signed(press)
    assert c.h.client.http.post("/slack/interactivity", body=press, headers=signed).status_code == 200
    acks, updates = len(_audit("incident.acknowledge")), len(loop.of("chat.update"))
    assert c.h.client.http.post("/slack/interactivity", body=press, headers=signed).status_code == 401
    assert len(_audit("incident.acknowledge")) == acks and len(loop.of("chat.update")) == updates


@pytest.mark.parametrize(
    ("what", "claims"),
    [
        ("wrong audience", {"audience": "another-bots-app-id"}),
        ("wrong issuer", {"issuer": "https://sts.windows.net/evil/"}),
        ("expired", {"expires_in": -3600}),
        ("unknown key", {"kid": "not-published"}),
        ("another service URL", {"service_url": "https://evil.example.com/"}),
    ],
)
def test_a_teams_token_that_does_not_verify_is_refused_and_changes_nothing(
    chat: Chat, what: str, claims: dict[str, Any]
) -> None:
    c = chat
    incident = _incident(c)
    c.h.deliveries()
    calls = len(c.loop.calls)
    answer = _invoke(c, incident.incident_id, "acknowledge", c.loop.bot_token(**claims))
    assert answer.status_code == 401, what
    assert IncidentModel.get(incident.incident_id).status == "open"
    assert _audit("incident.acknowledge") == [] and c.h.deliveries() == []
    assert not [x for x in c.loop.calls[calls:] if x.api.startswith(("teams.update", "chat."))]
    no_token = c.h.client.http.post("/teams/messages", body=b"{}", headers={"content-type": "application/json"})
    assert no_token.status_code == 401


def test_a_chat_user_is_acted_as_only_by_a_verified_email_of_a_person_allowed_to(chat: Chat) -> None:
    c, loop = chat, chat.loop
    incident = _incident(c)
    make_person(c.h, "sam@example.com", "everyone", name="Sam")
    loop.emails.update(
        {
            "U0STRANGER": ("stranger@example.com", True),
            "U0UNCONFIRMED": ("priya@example.com", False),
            "U0SAM": ("sam@example.com", True),
        }
    )
    for user, says in (
        ("U0STRANGER", "sign in once"),
        ("U0UNCONFIRMED", "verified email"),
        ("U0SAM", "does not allow"),
    ):
        press = _press_body(incident.incident_id, "acknowledge", user=user)
        assert c.h.client.http.post("/slack/interactivity", body=press, headers=_slack_signed(press)).status_code == 200
        told = loop.of("chat.postEphemeral")[-1].body
        assert told["user"] == user and says in told["text"], told["text"]
    assert IncidentModel.get(incident.incident_id).status == "open" and _audit("incident.acknowledge") == []
    # Teams: a member the roster does not know is told the same, and the card stays as it was.
    answer = json.loads(_invoke(c, incident.incident_id, "acknowledge", loop.bot_token(), member="29:nobody").body)
    assert answer["type"] == "application/vnd.microsoft.activity.message" and "sign in once" in answer["value"].lower()
    assert IncidentModel.get(incident.incident_id).status == "open"


def test_acknowledged_elsewhere_the_cards_say_who_and_how(chat: Chat) -> None:
    c, loop = chat, chat.loop
    incident = _incident(c)
    token = token_for(c.h, "lee@example.com", "responder")
    acked = c.h.client.http.post(
        f"/api/incidents/{incident.incident_id}/acknowledge", body=b"", headers={"authorization": f"Bearer {token}"}
    )
    assert acked.status_code == 200
    [update] = loop.of("chat.update")
    assert "Acknowledged by lee@example.com via API token" in json.dumps(update.body["blocks"])
    assert "Acknowledged by lee@example.com" in json.dumps(loop.of("teams.update")[0].body)
    # Acknowledged twice (a second link, a second person): the cards are not updated again.
    c.h.client.http.post(
        f"/api/incidents/{incident.incident_id}/acknowledge", body=b"", headers={"authorization": f"Bearer {token}"}
    )
    assert len(loop.of("chat.update")) == 1


def test_a_rate_limited_card_waits_for_retry_after_and_never_holds_up_sms(chat: Chat) -> None:
    from chalicelib.notify.delivery import retry_stale
    from chalicelib.policy.chat import card_delivery_id

    c, loop = chat, chat.loop
    loop.fail_next("chat.postMessage", 429, {"Retry-After": "30"})
    loop.fail_next("teams.post", 503)
    incident = _incident(c)
    assert [d for d in c.h.deliveries() if d["item_kind"] == "incident"], "email and SMS went out regardless"
    slack_card = DeliveryModel.get(card_delivery_id(incident.incident_id, "slack", f"{TEAM}/{CHANNEL}"))
    teams_card = DeliveryModel.get(card_delivery_id(incident.incident_id, "teams", CONVERSATION))
    assert (slack_card.status, slack_card.last_error, int(slack_card.attempts)) == ("claimed", "Slack: ratelimited", 1)
    assert teams_card.status == "claimed" and "503" in str(teams_card.last_error)
    now = _now()
    assert (
        retry_stale(now=now + timedelta(seconds=5)) == (0, 0)
        or DeliveryModel.get(slack_card.delivery_id).status == "claimed"
    )
    assert DeliveryModel.get(slack_card.delivery_id).status == "claimed"  # Retry-After has not passed
    sent, failed = retry_stale(now=now + timedelta(minutes=3))
    assert (sent, failed) == (2, 0)
    assert DeliveryModel.get(slack_card.delivery_id).status == "sent"
    assert DeliveryModel.get(teams_card.delivery_id).status == "sent"
    assert len(loop.of("chat.postMessage")) == 2 and len(loop.of("teams.post")) == 2


def test_a_card_that_keeps_failing_is_dead_and_shown_with_the_others(chat: Chat) -> None:
    from chalicelib.notify.delivery import MAX_ATTEMPTS, retry_stale

    c, loop = chat, chat.loop
    loop.fail_next("teams.post", 500, times=MAX_ATTEMPTS)
    _incident(c)
    now = _now()
    for n in range(MAX_ATTEMPTS):
        retry_stale(now=now + timedelta(minutes=3 * (n + 1)))
    dead = json.loads(
        c.h.client.http.get("/api/deliveries?status=dead", headers={"authorization": "Bearer admin-test-token"}).body
    )
    assert [d["group"] for d in dead["deliveries"]] and all(d["status"] == "dead" for d in dead["deliveries"])


def test_a_slack_report_gets_an_ephemeral_receipt_and_later_a_dm_with_its_outcome(chat: Chat) -> None:
    c, loop = chat, chat.loop
    form = urlencode(
        {
            "command": "/sharedwatch",
            "text": f"report This is going viral, please look {CRISIS['url']}",
            "team_id": TEAM,
            "channel_id": "C0GENERAL",
            "user_id": PRIYA_SLACK,
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
            "response_url": "https://hooks.slack.com/commands/1234/5678",
        }
    ).encode()
    answer = c.h.client.http.post("/slack/commands", body=form, headers=_slack_signed(form))
    assert answer.status_code == 200
    body = json.loads(answer.body)
    assert body["response_type"] == "ephemeral" and "tracking id" in body["text"]
    c.h.pump.pump_once()
    [receipt] = loop.of("chat.postEphemeral")
    assert (receipt.body["channel"], receipt.body["user"]) == ("C0GENERAL", PRIYA_SLACK)
    assert "Tracking id" in receipt.body["text"]
    incident = _incident(c)
    token = token_for(c.h, "lee@example.com", "responder")
    c.h.client.http.post(
        f"/api/incidents/{incident.incident_id}/acknowledge", body=b"", headers={"authorization": f"Bearer {token}"}
    )
    [dm] = [x for x in loop.of("chat.postMessage") if x.body["channel"] == PRIYA_SLACK]
    assert "acknowledged it" in dm.body["text"]
    # "What is open now", for a person who may read incidents.
    ask = urlencode(
        {"command": "/sharedwatch", "text": "open", "team_id": TEAM, "user_id": PRIYA_SLACK, "trigger_id": "1.2.3"}
    ).encode()
    shown = json.loads(c.h.client.http.post("/slack/commands", body=ask, headers=_slack_signed(ask)).body)
    assert "1 open" in shown["text"] and incident.incident_id in shown["text"]


def test_slack_is_installed_per_workspace_with_its_bot_token_sealed(chat: Chat) -> None:
    from chalicelib.store.chat import slack_token

    c = chat
    admin = sign_in(c.h, "ada@example.com", "admin")
    start = admin.get("/slack/install")
    assert start.status_code == 303
    location = urlsplit(start.headers["Location"])
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert location.netloc == "slack.com" and "chat:write" in query["scope"]
    forged = admin.get(f"/slack/oauth/callback?code=1234&state={'0' * 32}")
    assert forged.status_code == 422 and slack_token(TEAM) == BOT_TOKEN
    done = admin.get(f"/slack/oauth/callback?code=1234&state={query['state']}")
    assert done.status_code == 200 and json.loads(done.body)["installed"] == "T9TK3CUKW"
    stored = IdentityModel.get("chat-install", "slack|T9TK3CUKW").doc
    assert stored["token"].startswith("local:") and BOT_TOKEN not in json.dumps(stored)
    assert slack_token("T9TK3CUKW") == BOT_TOKEN
    assert [a.target for a in _audit("chat.slack.install")] == ["T9TK3CUKW"]
    # Someone else's session cannot finish it.
    lead = sign_in(c.h, "lin@example.com", "lead", department="social")
    assert lead.get(f"/slack/oauth/callback?code=1234&state={query['state']}").status_code == 403


def test_a_group_names_its_chat_channels_as_ids_only(chat: Chat) -> None:
    admin = {"authorization": "Bearer admin-test-token", "content-type": "application/json"}
    bad = {"name": "Press", "slack_team": "T0SHARED", "slack_channel": "<!channel>", "teams_channel": "x"}
    answer = chat.h.client.http.put("/api/groups/press", body=json.dumps(bad).encode(), headers=admin)
    assert answer.status_code == 400
    problem = json.loads(answer.body)
    assert any("slack_channel" in e for e in problem["errors"]) and any("teams_channel" in e for e in problem["errors"])
    good = {"name": "Press", "slack_team": "T0SHARED", "slack_channel": "C0PRESS", "teams_channel": CONVERSATION}
    saved = chat.h.client.http.put("/api/groups/press", body=json.dumps(good).encode(), headers=admin)
    assert saved.status_code in (200, 201) and json.loads(saved.body)["slack_channel"] == "C0PRESS"


def test_a_workflows_webhook_gets_the_card_without_buttons(chat: Chat) -> None:
    from chalicelib.notify import chat as chat_delivery
    from chalicelib.policy.chat import CardFacts, teams_card

    facts = CardFacts("i1", "Bags lost at LHR", "high", "open", "Social team", "https://sw.example.com/incidents/i1")
    url = f"{chat.loop.base}/workflows/abc"
    doc = {"op": "card", "card": teams_card(facts, buttons=False), "text": "Bags lost"}
    assert chat_delivery.deliver("d-webhook-1", platform="teams-webhook", where=url, doc=doc, item_id="i1") == "sent"
    [posted] = chat.loop.of("teams.webhook")
    card = posted.body["attachments"][0]["content"]
    assert [a["type"] for a in card["actions"]] == ["Action.OpenUrl"] and "refresh" not in card
    assert chat_delivery.deliver("d-webhook-1", platform="teams-webhook", where=url, doc=doc, item_id="i1") == "skipped"


def test_an_all_staff_brief_is_also_posted_once_to_the_groups_announcements_channels(chat: Chat) -> None:
    from chalicelib.clock import utcnow
    from chalicelib.flows.reach import reach_people
    from chalicelib.policy.reach import Message

    message = Message("i" + "d" * 15, "s" * 24, "brief", "Gate 4 outage", (("What happened", "Down."),), "Down.", True)
    for _ in range(2):  # published again: nothing posted twice
        reach_people(group="all-staff", message=message, now=utcnow())
    posts = [c for c in chat.loop.of("chat.postMessage") if c.body.get("channel") == CHANNEL]
    assert len(posts) == 1 and "blocks" not in posts[0].body
    assert "DRILL: All-staff brief: Gate 4 outage" in posts[0].body["text"] and "/read/" not in posts[0].body["text"]
    [teams] = chat.loop.of("teams.post")
    assert "Gate 4 outage" in json.dumps(teams.body)
    rows = [r for r in DeliveryModel.scan() if r.item_kind == "chat" and r.subject == "announce"]
    assert len(rows) == 2 and all(r.status == "sent" for r in rows)


def test_a_watchfulness_exercise_is_posted_to_its_departments_channels_and_closed_when_it_ends(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.flows import drills
    from chalicelib.notify import chat as chat_delivery
    from chalicelib.policy.chat import exercise_closed
    from chalicelib.settings import get_settings

    # The site's address, for the exercise's flow only (on the test stack it has none, and the
    # whole app's settings off-local would change its cookies).
    site = replace(get_settings(), public_base_url="https://sw.example.com")
    monkeypatch.setattr(drills, "get_settings", lambda: site)
    lead = sign_in(chat.h, "lead@example.com", "lead", department="inflight")
    post = "Crew on 212 ignored a passenger & laughed <b>#neveragain</b>"
    started = lead.api("POST", "/api/drills/watch", {"departments": ["inflight"], "text": post})
    assert started.status_code == 201, started.body
    drill_id = json.loads(started.body)["drill"]["id"]

    [slack] = [c for c in chat.loop.of("chat.postMessage") if c.body.get("channel") == CHANNEL]
    text = str(slack.body["text"])
    assert text.startswith("*DRILL · practice for ") and "&amp; laughed &lt;b&gt;" in text  # escaped
    link = re.search(r"<(https://sw\.example\.com/report\?[^|>]+)\|Report it>", text)
    assert link and "drill=" in link.group(1) and "department=inflight" in link.group(1), text
    [teams] = chat.loop.of("teams.post")
    card = teams.body["attachments"][0]["content"]
    assert card["body"][0]["text"].startswith("DRILL · practice") and card["actions"][0]["title"] == "Report it"
    assert card["actions"][0]["url"] == link.group(1).replace("&amp;", "&")
    # Its link is the exercise's: a report through it is the drill's.
    form = (
        Browser(chat.h.client.http)
        .get(link.group(1).replace("&amp;", "&").removeprefix("https://sw.example.com"))
        .body.decode()
    )
    assert "DRILL: this is a watchfulness practice" in form

    for _ in range(2):  # ended twice: closed once
        assert lead.api("POST", f"/api/drills/watch/{drill_id}/end").status_code == 200
    [edited] = chat.loop.of("chat.update")
    [posted] = [r for r in DeliveryModel.scan() if r.subject == "announce" and r.topic_arn.startswith("chat:slack")]
    assert edited.body["ts"] == posted.message_id.partition("|")[2] and "DRILL ended" in edited.body["text"]
    assert "Report it" not in edited.body["text"]
    [updated] = chat.loop.of("teams.update")
    assert "DRILL ended" in json.dumps(updated.body) and "Report it" not in json.dumps(updated.body)
    assert len(chat.loop.of("chat.postMessage")) == 1 and len(chat.loop.of("teams.post")) == 1
    # A Workflows channel cannot edit what it posted: the end is a message of its own there.
    closed = {"op": "close", "post": "-", **exercise_closed(department="In-flight")}
    hook = f"{chat.loop.base}/workflows/inflight"
    assert chat_delivery.deliver("d-close-1", platform="teams-webhook", where=hook, doc=closed, item_id="x") == "sent"
    [said] = chat.loop.of("teams.webhook")
    assert "DRILL ended: the watchfulness practice for In-flight is over." in json.dumps(said.body)


def test_report_to_sharedwatch_on_a_teams_message_is_a_report_mailed_to_its_reporter(chat: Chat) -> None:
    from chalicelib.store.models import ReportModel

    c = chat
    activity = {
        "type": "invoke",
        "name": "composeExtension/submitAction",
        "id": "f:report-1",
        "channelId": "msteams",
        "serviceUrl": c.loop.teams_service_url,
        "from": {"id": PRIYA_TEAMS, "aadObjectId": f"aad-{PRIYA_TEAMS}", "name": "Priya"},
        "conversation": {"id": "19:general@thread.tacv2"},
        "value": {
            "commandId": "reportToSharedwatch",
            "commandContext": "message",
            "data": {"note": "urgent, this is spreading"},
            "messagePayload": {
                "id": "1630002151000",
                "body": {
                    "contentType": "html",
                    "content": f'<p>Look at this <a href="{CRISIS["url"]}">post</a> &amp; the replies</p>'
                    "<script>alert(1)</script>",
                },
                "linkToMessage": "https://teams.microsoft.com/l/message/19:general@thread.tacv2/1630002151000",
            },
        },
    }
    body = json.dumps(activity).encode()
    headers = {"content-type": "application/json", "authorization": f"Bearer {c.loop.bot_token()}"}
    for _ in range(2):  # reported twice: one report
        answer = c.h.client.http.post("/teams/messages", body=body, headers=headers)
        assert answer.status_code == 200
    task = json.loads(answer.body)["task"]
    assert task["type"] == "message" and "tracking id" in task["value"] and "by email" in task["value"]
    [report] = ReportModel.scan()
    assert report.channel == "teams" and report.reporter_email == "priya@example.com"
    assert report.text.startswith("urgent, this is spreading") and "<script>" not in report.text
    assert CRISIS["url"] in report.urls and report.urgency == "urgent"
    forged = {**headers, "authorization": f"Bearer {c.loop.bot_token(audience='another-bot')}"}
    other = json.dumps({**activity, "value": {**activity["value"], "messagePayload": {"id": "2", "body": {}}}})
    assert c.h.client.http.post("/teams/messages", body=other.encode(), headers=forged).status_code == 401
    assert len(list(ReportModel.scan())) == 1


def test_every_chat_request_goes_through_the_outbound_rule_and_an_unlisted_loopback_is_refused(
    chat: Chat, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib.notify import platforms

    allow_outbound(monkeypatch)  # the fake's allowance taken away: it is a loopback address again
    platforms.forget_teams_token()
    calls = len(chat.loop.calls)
    attempts = {
        "slack_sdk": lambda: platforms.slack_call(TEAM, "chat_postMessage", channel=CHANNEL, text="x"),
        "Bot Connector": lambda: platforms.teams_post(CONVERSATION, {"type": "message", "text": "x"}),
        "Workflows": lambda: platforms.teams_webhook(f"{chat.loop.base}/workflows/abc", {"type": "message"}),
    }
    for what, attempt in attempts.items():
        with pytest.raises(platforms.ChatFailed) as refused:
            attempt()
        assert "refused" in refused.value.reason and "loopback" in refused.value.reason, what
        assert refused.value.permanent, what  # configuration, not an outage: not retried 8 times
    assert len(chat.loop.calls) == calls  # nothing reached the fake


def test_a_teams_bot_that_is_not_configured_answers_503_not_500(harness: Harness) -> None:
    from chalicelib import credentials
    from chalicelib.settings import get_settings

    boto3.client("ssm", region_name=get_settings().region).delete_parameter(
        Name=get_settings().parameter_name("sources/teams")  # the harness configures a bot
    )
    credentials.clear_cache()
    answer = harness.client.http.post(
        "/teams/messages", body=b"{}", headers={"content-type": "application/json", "authorization": "Bearer x"}
    )
    assert answer.status_code == 503
