"""Chat API calls per incident lifecycle: an incident opens for two groups that share a Slack
channel and a Teams channel, is acknowledged by a Slack button and resolved from Teams, and the
stream batch is delivered twice. Requests are counted at the loopback fake of both platforms
(tests/chat_loopback.py), which the app's real clients talk to.

- chat_calls_per_incident: every request the app made to Slack and Bot Framework (posts,
  updates, threaded lines, the presser's answer, the user lookups, the token).
- chat_channel_posts_per_incident: new top-level messages in the channels (one card each).
Baseline: what a channel without cards updated in place sends for the same life: a new message
per group, platform and event (opened, acknowledged, resolved), no lookups."""

from __future__ import annotations

import hashlib
import hmac
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from bench.harness import Figure, in_process_environment

TEAM, CHANNEL, CONVERSATION = "T0BENCH", "C0CARDS", "19:bench@thread.tacv2"


def run() -> list[Figure]:
    from tests.chat_loopback import BOT_TOKEN, TEAMS_APP_ID, TEAMS_APP_PASSWORD, running

    with running() as loop:
        in_process_environment(
            SHAREDWATCH_PUBLIC_BASE_URL="https://sharedwatch.example.com",
            SHAREDWATCH_OUTBOUND_ALLOW=urlsplit(loop.base).netloc,  # the fake, allowed as itself
            **loop.settings_env(),
        )
        from moto import mock_aws

        with mock_aws():
            from chalice.test import Client

            import app
            from chalicelib.clock import utcnow
            from chalicelib.settings import get_settings
            from chalicelib.store import config, identity
            from chalicelib.store.chat import save_slack_install
            from chalicelib.store.models import IncidentModel
            from infra.local.bootstrap import create_resources
            from infra.local.handlers import app_event_sources
            from infra.local.stream_pump import StreamPump
            from tests.support import CRISIS, SECRET, envelope, fresh, signed_headers

            slack = {"secret": "bench-slack", "client_id": "1.2", "client_secret": "s"}
            create_resources(
                get_settings(),
                parameters={
                    "signing_key": "k",
                    "sources/generic": SECRET,
                    "sources/slack": json.dumps(slack),
                    "sources/teams": json.dumps({"app_id": TEAMS_APP_ID, "app_password": TEAMS_APP_PASSWORD}),
                },
            )
            save_slack_install(team=TEAM, token=BOT_TOKEN, bot_user="U0", team_name="bench", by="bench", now=utcnow())
            groups = list(config.load_routing().groups.values())
            for group in groups:
                config.save_group(replace(group, slack_team=TEAM, slack_channel=CHANNEL, teams_channel=CONVERSATION))
            config.clear_cache()
            identity.put_person({"email": "priya@example.com", "role": "responder", "name": "Priya", "department": ""})
            loop.emails.update({"U0PRIYA": ("priya@example.com", True), "29:priya": ("priya@example.com", True)})
            pump = StreamPump(app_event_sources(), region="us-east-1", dead_letters=Path(tempfile.mkdtemp()) / "d")
            with Client(app.app) as client:
                body = envelope(fresh(CRISIS))
                assert client.http.post("/webhooks/generic", body=body, headers=signed_headers(body)).status_code == 202
                pump.pump_once()
                [incident] = IncidentModel.scan()
                told = len(set(incident.notified or []) | {incident.owner})
                pump.pump_once()  # nothing new: the cards are not posted twice
                payload = {
                    "type": "block_actions",
                    "team": {"id": TEAM},
                    "user": {"id": "U0PRIYA"},
                    "trigger_id": "1.2.3",
                    "channel": {"id": CHANNEL},
                    "actions": [{"action_id": "sw:acknowledge", "value": incident.incident_id, "type": "button"}],
                }
                form = urlencode({"payload": json.dumps(payload)}).encode()
                stamp = str(int(time.time()))
                mac = hmac.new(b"bench-slack", f"v0:{stamp}:".encode() + form, hashlib.sha256).hexdigest()
                headers = {
                    "content-type": "application/x-www-form-urlencoded",
                    "x-slack-request-timestamp": stamp,
                    "x-slack-signature": f"v0={mac}",
                }
                assert client.http.post("/slack/interactivity", body=form, headers=headers).status_code == 200
                activity = {
                    "type": "invoke",
                    "name": "adaptiveCard/action",
                    "channelId": "msteams",
                    "serviceUrl": loop.teams_service_url,
                    "from": {"id": "29:priya", "aadObjectId": "aad-29:priya"},
                    "conversation": {"id": CONVERSATION},
                    "value": {"action": {"verb": "resolve", "data": {"incident": incident.incident_id}}},
                }
                auth = {"authorization": f"Bearer {loop.bot_token()}", "content-type": "application/json"}
                answer = client.http.post("/teams/messages", body=json.dumps(activity).encode(), headers=auth)
                assert answer.status_code == 200
                assert IncidentModel.get(incident.incident_id).status == "resolved"
    assert loop.violations == [], loop.violations
    counts = loop.count()
    top_level = len([c for c in loop.of("chat.postMessage") if "thread_ts" not in c.body]) + len(loop.of("teams.post"))
    calls = sum(counts.values())
    baseline = told * 2 * 3
    detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    return [
        Figure(
            "chat_calls_per_incident",
            float(calls),
            "call",
            float(baseline),
            round(calls / baseline, 3),
            "value <= 16",
            f"{detail}; {told} groups share the channels; the baseline posts anew per group, platform and event",
        ),
        Figure(
            "chat_channel_posts_per_incident",
            float(top_level),
            "post",
            float(baseline),
            round(top_level / baseline, 3),
            "<= 0.5",
            "new top-level messages in the channels over the incident's life (the rest are updates in place "
            "and lines threaded under the card)",
        ),
    ]
